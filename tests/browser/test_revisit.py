"""A revisit in a real Chromium: the evaluator opens it, sees the evaluation it revisits beside
the form, records what became of each recommendation (saved as they type), grades again and
submits; the recommendation found done is marked done. Screenshots at 1280 and 390 px."""

import datetime as dt
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from evaluations import services
from evaluations.models import Cycle, CycleType, Evaluation, Grade, Pillar, Recommendation
from pqa.models import Role, User
from tests.browser.conftest import give_code, with_authenticator
from tests.factories import CycleFactory, TeamFactory, UserFactory, completed_evaluation

PASSWORD = "correct-horse-battery-staple"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def revisit(transactional_db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    hub = UserFactory(username="hub", role=Role.PRACTICE_HUB)
    eve = UserFactory(username="eve", email="eve@trust.example", role=Role.EVALUATOR, first_name="Eve")
    previous = CycleFactory(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE, status=Cycle.Status.CLOSED)
    original = completed_evaluation(
        cycle=previous, team=team, child_ref="CHILD424242", grade=Grade.REQUIRES_IMPROVEMENT, reference="PE-2025-0042"
    )
    for action in ("Bring the chronology up to date.", "Contact the child's father and include him in the plan."):
        Recommendation.objects.create(
            evaluation=original,
            action=action,
            owner_text="Team manager",
            due_date=dt.date.today() - dt.timedelta(days=5),
        )
    cycle = CycleFactory(quarter="2025-26-Q2", type=CycleType.REVISIT, title="")
    return services.revisits_allocate(
        cycle=cycle,
        originals=[original],
        evaluators=[eve],
        due_date=dt.date.today() + dt.timedelta(days=14),
        actor=hub,
    )[0]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


def sign_in(page: Page, base: str) -> None:
    """The password, then the code from the evaluator's authenticator app (every role has one)."""
    person = with_authenticator(User.objects.get(username="eve"))
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("eve@trust.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code(page, person)


def test_an_evaluator_revisits_a_child_beside_the_original_and_submits(
    page: Page, live_server, revisit, artifacts, axe_check, csp_violations
):
    original = revisit.revisit_of
    sign_in(page, live_server.url)
    page.get_by_role("link", name=re.compile(f"Start {revisit.reference}")).click()
    expect(page.get_by_role("heading", name="Sit alongside: tell me – show me")).to_be_visible()

    # The original, read-only, beside the form: to its right on a wide screen.
    panel = page.get_by_role("complementary", name=re.compile(original.reference))
    expect(panel).to_contain_text("Grades then")
    expect(panel).to_contain_text("Bring the chronology up to date.")
    form_box = page.locator("#evaluation-form").bounding_box()
    panel_box = panel.bounding_box()
    assert panel_box["x"] > form_box["x"] + form_box["width"] - 1
    assert axe_check(page) == []

    # Findings for the first recommendation, saved as they are typed.
    yesterday = dt.date.today() - dt.timedelta(days=1)
    conversation = page.get_by_role("group", name="Date of the conversation")
    conversation.get_by_label("Day").fill(str(yesterday.day))
    conversation.get_by_label("Month").fill(str(yesterday.month))
    conversation.get_by_label("Year").fill(str(yesterday.year))
    page.get_by_role("group", name="Was recommendation 1 done?").get_by_label("Yes", exact=True).check()
    page.get_by_role("group", name="Did recommendation 1 make a difference for the child?").get_by_label(
        "Yes", exact=True
    ).check()
    page.locator(f"#id_finding-{original.recommendations.order_by('pk').first().pk}-note").fill(
        "Chronology is current to last month."
    )
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=10_000)
    first = revisit.findings.get()
    assert (first.done, first.made_difference, first.note) == ("yes", "yes", "Chronology is current to last month.")
    # The top of the page: the original beside the findings (the rest is the usual form).
    page.screenshot(
        path=str(artifacts / "revisit-01-form-1280.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
    )

    # Grades again and conclude, leaving the second recommendation unanswered: submit says so.
    for pillar in Pillar:
        page.get_by_role("group", name=f"Grade for {pillar.label.lower()}").get_by_label("Good", exact=True).check()
    page.get_by_role("group", name="Overall grade").get_by_label("Good", exact=True).check()
    for question in (
        "Is our intervention appropriate to the child's circumstances?",
        "Has our intervention made a positive difference?",
        "Does the child's written record reflect the quality of the work?",
    ):
        page.get_by_role("group", name=question).get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Submit evaluation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select whether recommendation 2 was done")
    summary.get_by_role("link", name="Select whether recommendation 2 was done").click()
    page.get_by_role("group", name="Was recommendation 2 done?").get_by_label("No", exact=True).check()
    page.get_by_role("group", name="Did recommendation 2 make a difference for the child?").get_by_label(
        "No", exact=True
    ).check()

    # On a phone the original comes first, above the form.
    page.set_viewport_size({"width": 390, "height": 844})
    panel_box = panel.bounding_box()
    assert panel_box["y"] < page.locator("#evaluation-form").bounding_box()["y"]
    page.screenshot(
        path=str(artifacts / "revisit-02-form-390.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 390, "height": 2600},
    )
    assert axe_check(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Submit evaluation").click()
    expect(page.get_by_text(f"Evaluation {revisit.reference} submitted")).to_be_visible()
    expect(page.get_by_role("heading", name="What the revisit found")).to_be_visible()
    page.screenshot(path=str(artifacts / "revisit-03-returned.png"), full_page=True)

    revisit.refresh_from_db()
    assert revisit.status == Evaluation.Status.RETURNED
    # What the revisit found is recorded on each recommendation; its status stays its owner's.
    found = list(original.recommendations.order_by("pk").values_list("revisit_found_done", "status"))
    assert found == [(True, Recommendation.Status.OPEN), (False, Recommendation.Status.OPEN)]
    assert csp_violations == []


def test_the_practice_hub_reviews_the_proposal_and_allocates_revisits(
    page: Page, live_server, transactional_db, artifacts, axe_check, csp_violations
):
    hub = UserFactory(username="hub", email="hub@trust.example", role=Role.PRACTICE_HUB)
    device = TOTPDevice.objects.create(user=hub, name="Phone", confirmed=True)
    eve = UserFactory(username="eve", first_name="Eve", last_name="Evans", role=Role.EVALUATOR)
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    previous = CycleFactory(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE, status=Cycle.Status.CLOSED)
    must = completed_evaluation(cycle=previous, team=team, grade=Grade.INADEQUATE, child_ref="CHILD100001")
    for number in range(2, 6):
        completed_evaluation(cycle=previous, team=team, child_ref=f"CHILD10000{number}")
    cycle = CycleFactory(quarter="2025-26-Q2", type=CycleType.REVISIT, title="", revisit_share=25)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mail address or username").fill("hub@trust.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code from your authenticator app").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()

    page.goto(f"{live_server.url}/evaluations/cycles/{cycle.pk}/")
    page.get_by_role("button", name="Propose revisits").click()
    expect(page.get_by_role("heading", name="Propose revisits")).to_be_visible()
    always = page.get_by_label(f"Child CHILD100001: {must.reference}")
    expect(always).to_be_checked()
    expect(page.locator(".govuk-checkboxes__hint", has_text="Always revisited")).to_have_count(1)
    expect(page.locator(".govuk-checkboxes__hint", has_text="Drawn at random")).to_have_count(1)  # 25% of 4
    page.screenshot(path=str(artifacts / "revisit-04-proposal-1280.png"), full_page=True)
    assert axe_check(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(artifacts / "revisit-05-proposal-390.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label(re.compile("Eve Evans")).check()
    page.get_by_role("button", name="Allocate the revisits").click()
    expect(page.get_by_text("2 revisits allocated")).to_be_visible()
    expect(page.get_by_role("heading", name="What the revisits found")).to_be_visible()
    page.screenshot(path=str(artifacts / "revisit-06-cycle.png"), full_page=True)
    assert set(Evaluation.objects.filter(cycle=cycle).values_list("evaluator__username", flat=True)) == {"eve"}
    assert must.revisits.get().cycle == cycle
    assert eve.evaluations.count() == 2
    assert csp_violations == []
