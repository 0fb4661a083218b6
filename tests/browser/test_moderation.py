"""Moderation in a real Chromium: a moderator grades an evaluation blind, then sees their grades
beside the evaluator's and confirms. The pages pass axe-core and the Content Security Policy at
1280 px and 390 px wide; screenshots go to test-artifacts/browser/moderation-*.png."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from evaluations import services
from evaluations.models import Grade, Moderation, Pillar
from pqa.models import Notification, Role
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)


@pytest.fixture
def sampled(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    evaluator = UserFactory(username="eve", first_name="Eve", last_name="Evaluator", team=team)
    moderator = UserFactory(username="mo", first_name="Mo", last_name="Moderator", role=Role.MODERATOR)
    TOTPDevice.objects.create(user=moderator, name="Phone", confirmed=True)
    hub = UserFactory(username="hub", role=Role.PRACTICE_HUB)
    cycle = CycleFactory(quarter="2025-26-Q1", title="")
    evaluation = completed_evaluation(
        grade=Grade.OUTSTANDING, pillar_grade=Grade.GOOD, cycle=cycle, team=team, evaluator=evaluator
    )
    evaluation.pillar_grades.update(tell_me="Visits are regular and the child is seen alone.")
    return services.moderation_sample_add(evaluation=evaluation, actor=hub), moderator


def shots(page: Page, artifacts, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"moderation-{name}-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_moderator_grades_blind_sees_the_reveal_and_confirms(
    page: Page, live_server, sampled, artifacts, axe_check, csp_violations
):
    moderation, moderator = sampled
    reference = moderation.evaluation.reference
    sign_in(page, live_server.url, "mo")
    expect(page.get_by_role("heading", level=1, name="Moderation")).to_be_visible()
    shots(page, artifacts, "queue")
    page.get_by_role("link", name=f"Grade {reference}").click()

    # Blind: the evidence, the radios, and nothing of the evaluator's grades.
    expect(page.get_by_role("heading", level=1, name=f"Moderate {reference}")).to_be_visible()
    page.get_by_text("The child's voice").first.click()
    expect(page.get_by_text("Visits are regular and the child is seen alone.").first).to_be_visible()
    expect(page.locator(".pqa-tag-outstanding")).to_have_count(0)
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)
    assert axe_check(page) == []

    page.get_by_role("button", name="Record my grades").click()
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="Select your overall grade")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your rationale")).to_be_visible()
    shots(page, artifacts, "blind-errors")

    for pillar in Pillar:
        page.get_by_role("group", name=f"Your grade for {pillar.label.lower()}").get_by_label(
            "Good", exact=True
        ).check()
    page.get_by_role("group", name="Your overall grade").get_by_label("Good", exact=True).check()
    page.get_by_label("Your rationale").fill("Strong, child-focused work; not yet outstanding across the pillars.")
    expect(page.locator(".govuk-character-count__status")).to_have_text("You have 1,933 characters remaining")
    shots(page, artifacts, "blind")
    page.get_by_role("button", name="Record my grades").click()

    # The reveal: both side by side, the outcome derived; then confirm.
    expect(page.get_by_role("heading", level=1, name=f"Compare and confirm {reference}")).to_be_visible()
    table = page.get_by_role("table", name="The evaluator’s grades and the moderator’s")
    overall = table.get_by_role("row", name=re.compile("^Overall grade"))
    expect(overall).to_contain_text("Outstanding")
    expect(overall).to_contain_text("Lowered")
    expect(table.get_by_role("row", name=re.compile("^Planning"))).to_contain_text("Agreed")
    assert axe_check(page) == []
    shots(page, artifacts, "reveal")
    page.get_by_role("button", name="Confirm the moderation").click()

    expect(page.get_by_text(f"The moderation of {reference} is confirmed.")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting to be moderated.")).to_be_visible()
    shots(page, artifacts, "confirmed")
    moderation.refresh_from_db()
    assert (moderation.state, moderation.moderated_grade, moderation.outcome) == (
        Moderation.State.CONFIRMED,
        Grade.GOOD,
        Moderation.Outcome.DOWNGRADED,
    )
    assert "not yet outstanding" in Notification.objects.get(kind="moderation_confirmed").body
    assert csp_violations == []


def test_the_practice_hub_draws_a_sample_and_a_leader_reads_the_consistency_figures(
    page: Page, live_server, sampled, artifacts, axe_check, csp_violations
):
    moderation, moderator = sampled
    cycle = moderation.evaluation.cycle
    hub = UserFactory(username="helen", first_name="Helen", last_name="Marsh", role=Role.PRACTICE_HUB)
    TOTPDevice.objects.create(user=hub, name="Phone", confirmed=True)
    for grade in (Grade.INADEQUATE, Grade.GOOD, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT):
        completed_evaluation(grade=grade, cycle=cycle, team=moderation.evaluation.team)
    sign_in(page, live_server.url, "helen", f"/evaluations/cycles/{cycle.pk}/moderation/")
    expect(page.get_by_role("heading", level=1, name="Moderation sample")).to_be_visible()
    page.get_by_label("Share of the other grades to moderate (%)").fill("25")
    page.get_by_role("button", name="Draw the sample").click()
    expect(page.get_by_text("2 evaluations are added to the moderation sample.")).to_be_visible()
    expect(page.get_by_role("cell", name="Every Inadequate grade")).to_be_visible()
    assert axe_check(page) == []
    shots(page, artifacts, "sample")

    for item, overall in zip(
        Moderation.objects.order_by("pk"), (Grade.GOOD, Grade.INADEQUATE, Grade.GOOD), strict=True
    ):
        services.moderation_grade_blind(
            moderation=item,
            actor=moderator,
            overall_grade=overall,
            pillar_grades=dict.fromkeys(Pillar.values, Grade.GOOD),
            rationale="Seen at the panel.",
        )
        services.moderation_confirm(moderation=item, actor=moderator)

    page.context.clear_cookies()
    UserFactory(username="lee", first_name="Lee", last_name="Leader", role=Role.LEADER)
    sign_in(page, live_server.url, "lee", "/evaluations/moderation/consistency/")
    expect(page.get_by_role("heading", level=1, name="Moderation consistency")).to_be_visible()
    expect(page.get_by_role("heading", name="Per evaluator")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Children in Care"))).to_contain_text("3 (60%)")
    assert axe_check(page) == []
    shots(page, artifacts, "consistency")
    assert csp_violations == []
