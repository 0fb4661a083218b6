"""An administrator deletes in the Django admin, in a real Chromium: the service refuses an
evaluation that has a moderation and recommendations, the page says why and nothing is
deleted; an evaluation nothing rests on is deleted and its history names who. Screenshots go
to test-artifacts/browser/admin-delete-refused-*.png."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from evaluations import services
from evaluations.models import Evaluation, Grade, Recommendation
from pqa.models import Role
from tests.browser.test_security import sign_in
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(transactional_db):
    team = TeamFactory()
    evaluator = UserFactory(role=Role.EVALUATOR, team=team)
    moderator = UserFactory(role=Role.MODERATOR)
    administrator = UserFactory(username="ada", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    kept = completed_evaluation(grade=Grade.REQUIRES_IMPROVEMENT, team=team, evaluator=evaluator, cycle=CycleFactory())
    Recommendation.objects.create(
        evaluation=kept, action="Update the chronology.", owner_text="Team manager", due_date=dt.date(2025, 6, 1)
    )
    services.moderation_record(evaluation=kept, moderated_grade=Grade.GOOD, moderator=moderator)
    spare = EvaluationFactory(team=team, evaluator=evaluator, cycle=CycleFactory())
    return administrator, kept, spare


def test_an_administrators_delete_is_refused_with_a_reason_or_recorded(page: Page, live_server, world, artifacts):
    administrator, kept, spare = world
    sign_in(page, live_server.url, "ada", f"/admin/evaluations/evaluation/{kept.pk}/delete/")
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(page.get_by_text(f"{kept.reference} cannot be deleted: it has a moderation")).to_be_visible()
    expect(page.get_by_text("Nothing was deleted.", exact=False)).to_be_visible()
    assert Evaluation.objects.filter(pk=kept.pk).exists()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"admin-delete-refused-{width}.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/evaluations/evaluation/{spare.pk}/delete/")
    page.get_by_role("button", name="Yes, I’m sure").click()
    expect(page.get_by_text("was deleted successfully", exact=False)).to_be_visible()
    assert not Evaluation.objects.filter(pk=spare.pk).exists()
    assert Evaluation.history.filter(id=spare.pk).latest().history_user == administrator
