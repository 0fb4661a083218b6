"""`manage.py load_demo`: a plausible, reproducible year of practice evaluations."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations import selectors
from evaluations.models import Cycle, CycleType, Evaluation, Grade, Moderation, Recommendation
from evaluations.selectors import overdue
from pqa.demo import DEMO_DEVICE_NAME, DEMO_PASSWORD
from pqa.models import Role, ServiceArea, Team, User
from pqa.quarters import Quarter

Status = Evaluation.Status


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for the module (it takes a few seconds), and roll it back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = StringIO()
        call_command("load_demo", force=True, stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo, db):
    return demo


def test_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    before = User.objects.count()
    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("load_demo", stdout=StringIO())
    assert User.objects.count() == before


def test_one_account_per_role_with_the_demo_password(loaded):
    demo_users = User.objects.filter(username__startswith="demo-")
    assert set(demo_users.values_list("role", flat=True)) == set(Role.values)
    for username, role in [
        ("demo-evaluator", Role.EVALUATOR),
        ("demo-moderator", Role.MODERATOR),
        ("demo-practice-hub", Role.PRACTICE_HUB),
        ("demo-team-manager", Role.TEAM_MANAGER),
        ("demo-customer-relations", Role.CUSTOMER_RELATIONS),
        ("demo-leader", Role.LEADER),
        ("demo-admin", Role.ADMINISTRATOR),
    ]:
        assert User.objects.get(username=username).role == role
    admin = User.objects.get(username="demo-admin")
    assert admin.is_staff and admin.is_superuser and admin.role == Role.ADMINISTRATOR
    assert User.objects.get(username="demo-team-manager").team is not None
    evaluators = demo_users.filter(role=Role.EVALUATOR)
    assert evaluators.count() > 1
    assert not evaluators.filter(team__isnull=True).exists()
    assert all(user.email.endswith("@trust.example") for user in demo_users)
    assert User.objects.get(username="demo-leader").check_password(DEMO_PASSWORD)


def test_organisation_from_the_fixture(loaded):
    assert ServiceArea.objects.count() == 9
    assert set(Team.objects.filter(service_area__name="Front Door").values_list("name", flat=True)) == {"CASS", "MASH"}
    for area in ServiceArea.objects.all():
        assert area.teams.exists()


def test_four_closed_quarters_and_an_open_cycle(loaded):
    current = Quarter.containing(timezone.localdate())
    expected = [current.previous()]
    for _ in range(3):
        expected.append(expected[-1].previous())
    closed = Cycle.objects.filter(status=Cycle.Status.CLOSED)
    assert set(closed.values_list("quarter", flat=True)) == {str(quarter) for quarter in expected}
    assert closed.filter(type=CycleType.SERVICE).exists()
    open_cycle = Cycle.objects.get(status=Cycle.Status.OPEN)
    assert open_cycle.quarter == str(current)
    for quarter in expected:
        count = Evaluation.objects.filter(cycle__quarter=str(quarter)).exclude(cycle__type=CycleType.REVISIT).count()
        assert 25 <= count <= 40, (quarter, count)
        for day in (
            Evaluation.objects.filter(cycle__quarter=str(quarter))
            .exclude(evaluation_date=None)
            .values_list("evaluation_date", flat=True)
        ):
            assert quarter.contains(day)


def test_my_evaluations_has_allocated_in_progress_and_overdue_work(loaded):
    mine = Evaluation.objects.filter(evaluator__username="demo-evaluator", cycle__status=Cycle.Status.OPEN)
    statuses = set(mine.values_list("status", flat=True))
    assert {Status.ALLOCATED, Status.IN_PROGRESS} <= statuses
    assert any(overdue(evaluation) for evaluation in mine)


def test_plausible_distribution(loaded):
    closed = Evaluation.objects.filter(cycle__status=Cycle.Status.CLOSED)
    assert not closed.filter(status__in=Evaluation.EDITABLE_STATUSES).exists()
    returned = closed.filter(status=Status.RETURNED)
    share = returned.count() / closed.count()
    assert 0.70 <= share <= 0.90
    completed = Evaluation.objects.filter(status=Status.RETURNED)
    grades = Counter(completed.values_list("overall_grade", flat=True))
    assert grades.most_common(1)[0][0] == Grade.GOOD
    assert set(grades) == set(Grade.values)
    appropriate = completed.filter(intervention_appropriate="yes").count() / completed.count()
    assert 0.85 <= appropriate <= 0.99
    for evaluation in completed.prefetch_related("pillar_grades", "feedback_gathered")[:20]:
        assert len(evaluation.pillar_grades.all()) == 4
        assert len(evaluation.feedback_gathered.all()) == 3
        assert evaluation.edi_considered and evaluation.fathers_included


def test_recommendations_on_every_weak_grade(loaded):
    weak = Evaluation.objects.filter(
        status=Status.RETURNED, overall_grade__in=[Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]
    )
    assert weak.exists()
    assert not weak.filter(recommendations__isnull=True).exists()
    assert not Recommendation.objects.filter(due_date__isnull=True).exists()


def test_some_moderations_mostly_agreed(loaded):
    completed = Evaluation.objects.filter(status=Status.RETURNED).count()
    confirmed = Moderation.objects.filter(state=Moderation.State.CONFIRMED)
    assert 0.1 * completed <= confirmed.count() <= 0.4 * completed
    outcomes = Counter(confirmed.values_list("outcome", flat=True))
    assert outcomes.most_common(1)[0][0] == Moderation.Outcome.AGREED
    assert not confirmed.filter(rationale="").exists()


def test_each_closed_cycle_has_a_moderation_sample_with_panels(loaded):
    for cycle in Cycle.objects.filter(status=Cycle.Status.CLOSED):
        returned = cycle.evaluations.filter(status=Status.RETURNED)
        extremes = returned.filter(overall_grade__in=[Grade.INADEQUATE, Grade.OUTSTANDING])
        assert not extremes.filter(moderation__isnull=True).exists(), cycle
        assert returned.filter(moderation__sample_reason=Moderation.SampleReason.RANDOM).exists(), cycle
        assert cycle.moderation_panels.count() == 2
        assert not cycle.evaluations.filter(moderation__isnull=False, moderation__panel__isnull=True).exists()


def test_the_moderators_queue_has_work_blind_graded_and_to_grade(loaded):
    moderator = User.objects.get(username="demo-moderator")
    states = Counter(selectors.moderation_queue(moderator).values_list("state", flat=True))
    assert states == {Moderation.State.GRADED_BLIND: 3, Moderation.State.SAMPLED: 2}


def test_the_consistency_figures_show_one_evaluator_needing_a_refresher(loaded):
    figures = selectors.moderation_consistency()
    assert [row.label for row in selectors.evaluators_needing_a_refresher(figures)] == ["Owen Davies"]


def test_written_through_the_services_with_history(loaded):
    evaluation = Evaluation.objects.filter(status=Status.RETURNED).first()
    assert evaluation.history.count() >= 3  # allocated, draft, submitted
    assert evaluation.history.filter(history_user=evaluation.evaluator).exists()


def test_every_demo_account_has_the_demo_authenticator_even_when_loaded_before(loaded):
    demo_users = User.objects.filter(username__startswith="demo-")
    assert all(TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).exists() for user in demo_users)
    # Demo data loaded when only some roles needed a second factor: loading again gives the rest one.
    TOTPDevice.objects.filter(user__role=Role.LEADER).delete()
    call_command("load_demo", force=True, stdout=StringIO())
    assert TOTPDevice.objects.filter(user__username="demo-leader", name=DEMO_DEVICE_NAME, confirmed=True).count() == 1


def test_running_twice_adds_nothing(loaded):
    counts = [
        model.objects.count() for model in (User, ServiceArea, Team, Cycle, Evaluation, Moderation, Recommendation)
    ]
    output = StringIO()
    call_command("load_demo", force=True, stdout=output)
    assert "already loaded" in output.getvalue()
    assert counts == [
        model.objects.count() for model in (User, ServiceArea, Team, Cycle, Evaluation, Moderation, Recommendation)
    ]


def test_the_latest_closed_quarter_revisits_children_of_the_one_before(loaded):
    from evaluations.selectors import revisit_figures

    current = Quarter.containing(timezone.localdate())
    cycle = Cycle.objects.get(type=CycleType.REVISIT)
    assert cycle.quarter == str(current.previous()) and cycle.status == Cycle.Status.CLOSED
    revisits = Evaluation.objects.filter(cycle=cycle)
    assert revisits.exists() and not revisits.filter(revisit_of=None).exists()
    assert not revisits.exclude(revisit_of__cycle__quarter=str(current.previous().previous())).exists()
    figures = revisit_figures(cycle=cycle)
    assert figures["done"] >= 5
    assert figures["recommendations"]["checked"] > 0 and figures["recommendations"]["found_done"] > 0
    assert figures["overall"]["improved"] > 0
    for revisit in revisits.filter(status=Status.RETURNED).prefetch_related("findings"):
        assert len(revisit.findings.all()) == revisit.revisit_of.recommendations.count()
