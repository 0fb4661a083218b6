"""Revisits: the proposal, allocation, the rules of a revisit, its findings on the form, what
completing it does to the recommendations it checked, and the figures (docs/revisits.md)."""

import datetime as dt
from html import escape

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluations import selectors, services
from evaluations.models import (
    Cycle,
    CycleType,
    Evaluation,
    Grade,
    Pillar,
    PillarGrade,
    Recommendation,
    RevisitFinding,
)
from pqa.models import Role
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import CycleFactory, EvaluationFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
PAST = TODAY - dt.timedelta(days=10)
FUTURE = TODAY + dt.timedelta(days=30)


def returned(cycle, *, grade=Grade.GOOD, due_dates=(), done=(), **kwargs) -> Evaluation:
    """A returned evaluation with a recommendation for each due date (those in `done` done)."""
    evaluation = completed_evaluation(cycle=cycle, grade=grade, **kwargs)
    for index, due in enumerate(due_dates):
        Recommendation.objects.create(
            evaluation=evaluation,
            action=f"Action {index + 1} for {evaluation.child_ref}",
            owner_text="Team manager",
            due_date=due,
            status=Recommendation.Status.DONE if index in done else Recommendation.Status.OPEN,
        )
    return evaluation


@pytest.fixture
def previous(db):
    return CycleFactory(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE, status=Cycle.Status.CLOSED)


@pytest.fixture
def revisit_cycle(db):
    return CycleFactory(quarter="2025-26-Q2", type=CycleType.REVISIT, title="", revisit_share=25)


def revisit_of(original, cycle, *, evaluator, **kwargs) -> Evaluation:
    return services.revisits_allocate(
        cycle=cycle, originals=[original], evaluators=[evaluator], due_date=None, actor=evaluator, **kwargs
    )[0]


# --- The proposal ---------------------------------------------------------------------------


def test_the_proposal_always_includes_inadequate_and_overdue_children_and_draws_the_share_of_the_rest(
    previous, revisit_cycle
):
    inadequate = [returned(previous, grade=Grade.INADEQUATE) for _ in range(2)]
    overdue = returned(previous, due_dates=[PAST, FUTURE])
    not_yet_due = returned(previous, due_dates=[FUTURE])
    done_late = returned(previous, due_dates=[PAST], done={0})
    others = [returned(previous) for _ in range(9)] + [not_yet_due, done_late]

    proposal = selectors.revisit_proposal(revisit_cycle)

    assert {item.evaluation for item in proposal.always} == {*inadequate, overdue}
    reasons = {item.evaluation.pk: item.reasons for item in proposal.always}
    assert reasons[overdue.pk] == ("1 recommendation overdue",)
    assert reasons[inadequate[0].pk] == ("Graded inadequate",)
    assert proposal.others == 11
    assert len(proposal.drawn) == 3  # 25% of 11, rounded up
    assert {item.evaluation for item in proposal.drawn} <= set(others)
    assert proposal.previous_quarter == "2025-26-Q1"


def test_the_share_is_respected_for_the_others_from_none_to_all(previous, revisit_cycle, practice_hub):
    returned(previous, grade=Grade.INADEQUATE)
    for _ in range(10):
        returned(previous)
    for share, drawn in ((0, 0), (10, 1), (20, 2), (55, 6), (100, 10)):
        cycle = services.cycle_set_revisit_share(cycle=revisit_cycle, revisit_share=share, actor=practice_hub)
        proposal = selectors.revisit_proposal(cycle)
        assert (len(proposal.always), len(proposal.drawn)) == (1, drawn), share


def test_a_child_moderated_to_inadequate_is_always_proposed(previous, revisit_cycle, moderator):
    evaluation = returned(previous, grade=Grade.REQUIRES_IMPROVEMENT)
    services.moderation_record(evaluation=evaluation, moderated_grade=Grade.INADEQUATE, moderator=moderator)
    proposal = selectors.revisit_proposal(revisit_cycle)
    assert [item.evaluation for item in proposal.always] == [evaluation]


def test_the_proposal_is_the_same_each_time_the_page_is_opened(previous, revisit_cycle):
    for _ in range(20):
        returned(previous)
    first = [item.evaluation.pk for item in selectors.revisit_proposal(revisit_cycle).drawn]
    assert first == [item.evaluation.pk for item in selectors.revisit_proposal(revisit_cycle).drawn]
    assert len(first) == 5


def test_only_returned_evaluations_of_the_previous_quarters_rounds_are_proposed(previous, revisit_cycle, team):
    wanted = returned(previous, grade=Grade.INADEQUATE)
    spe = returned(CycleFactory(quarter="2025-26-Q1", type=CycleType.SERVICE), grade=Grade.INADEQUATE)
    returned(CycleFactory(quarter="2025-26-Q1", type=CycleType.THEMATIC), grade=Grade.INADEQUATE)
    returned(CycleFactory(quarter="2024-25-Q4", type=CycleType.TRUST_WIDE), grade=Grade.INADEQUATE)
    EvaluationFactory(cycle=previous, status=Evaluation.Status.NOT_RETURNED)
    already = returned(previous, grade=Grade.INADEQUATE)
    EvaluationFactory(cycle=revisit_cycle, child_ref=already.child_ref.lower())  # already in this cycle
    proposal = selectors.revisit_proposal(revisit_cycle)
    assert {item.evaluation for item in proposal.candidates} == {wanted, spe}


def test_a_child_evaluated_in_two_rounds_is_proposed_once(previous, revisit_cycle):
    trust_wide = returned(previous, grade=Grade.INADEQUATE, child_ref="CHILD777")
    returned(CycleFactory(quarter="2025-26-Q1", type=CycleType.SERVICE), child_ref="child777")
    proposal = selectors.revisit_proposal(revisit_cycle)
    assert [item.evaluation for item in proposal.candidates] == [trust_wide]


def test_a_revisit_cycle_with_no_earlier_round_proposes_nobody(db):
    cycle = CycleFactory(quarter="2025-26-Q2", type=CycleType.REVISIT)
    proposal = selectors.revisit_proposal(cycle)
    assert proposal.previous_quarter is None and proposal.candidates == []


# --- Allocation and the rules of a revisit ---------------------------------------------------


def test_revisits_are_allocated_linked_to_the_original_and_shared_among_the_evaluators(
    previous, revisit_cycle, practice_hub, django_capture_on_commit_callbacks
):
    originals = [returned(previous, grade=Grade.INADEQUATE) for _ in range(3)]
    first, second = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.revisits_allocate(
            cycle=revisit_cycle, originals=originals, evaluators=[first, second], due_date=FUTURE, actor=practice_hub
        )
    assert [item.revisit_of for item in created] == originals
    assert [item.child_ref for item in created] == [item.child_ref for item in originals]
    assert [item.team for item in created] == [item.team for item in originals]
    assert [item.evaluator for item in created] == [first, second, first]
    assert len(mail.outbox) == 2


def test_revisits_are_allocated_only_in_a_revisit_cycle(previous, practice_hub):
    original = returned(previous)
    trust_wide = CycleFactory(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE)
    with pytest.raises(services.EvaluationError, match="not a revisit cycle"):
        revisit_of(original, trust_wide, evaluator=practice_hub)


def test_a_revisit_cannot_be_of_a_child_never_evaluated(previous, revisit_cycle, practice_hub, team):
    original = returned(previous)
    request = services.AllocationRequest(
        child_ref="CHILD999999", practitioner="SW-1", team=team, evaluator=practice_hub, revisit_of=original
    )
    with pytest.raises(ValidationError, match="not child CHILD999999"):
        services.evaluations_allocate(cycle=revisit_cycle, requests=[request], actor=practice_hub)
    assert not Evaluation.objects.filter(cycle=revisit_cycle).exists()


def test_a_revisit_cannot_be_of_an_evaluation_never_returned(previous, revisit_cycle, practice_hub):
    draft = EvaluationFactory(cycle=previous, status=Evaluation.Status.IN_PROGRESS)
    with pytest.raises(ValidationError, match="has not been returned"):
        revisit_of(draft, revisit_cycle, evaluator=practice_hub)


def test_an_administrator_cannot_point_a_revisit_at_another_child(previous, revisit_cycle, practice_hub):
    revisit = revisit_of(returned(previous), revisit_cycle, evaluator=practice_hub)
    other = returned(previous)
    with pytest.raises(ValidationError, match="is of child"):
        services.evaluation_update(
            evaluation=revisit, actor=practice_hub, expected_version=revisit.version, values={"revisit_of": other}
        )


def test_an_original_is_revisited_once_in_a_cycle(previous, revisit_cycle, practice_hub):
    original = returned(previous)
    with pytest.raises(services.EvaluationError, match="listed twice"):
        services.revisits_allocate(
            cycle=revisit_cycle,
            originals=[original, original],
            evaluators=[practice_hub],
            due_date=None,
            actor=practice_hub,
        )
    revisit_of(original, revisit_cycle, evaluator=practice_hub)
    with pytest.raises(services.EvaluationError, match="Already allocated"):
        revisit_of(original, revisit_cycle, evaluator=practice_hub)
    assert original.revisits.count() == 1


# --- Findings, submit, and the recommendations it checked ------------------------------------


@pytest.fixture
def original(previous):
    return returned(previous, grade=Grade.REQUIRES_IMPROVEMENT, due_dates=[PAST, PAST, FUTURE])


@pytest.fixture
def revisit(original, revisit_cycle, evaluator):
    return revisit_of(original, revisit_cycle, evaluator=evaluator)


def finding_data(original, answers):
    data = {}
    for recommendation, (done, difference) in zip(original.recommendations.order_by("pk"), answers, strict=True):
        data[f"finding-{recommendation.pk}-done"] = done
        data[f"finding-{recommendation.pk}-made_difference"] = difference
        data[f"finding-{recommendation.pk}-note"] = f"Seen on the file ({done})." if done else ""
    return data


def test_the_revisit_form_shows_the_original_beside_it(client_for, evaluator, original, revisit):
    response = client_for(evaluator).get(reverse("evaluations:form", args=[revisit.pk]))
    assert response.status_code == 200
    assert f"This revisits</span>{original.reference}" in response.text
    assert "Grades then" in response.text and "Recommendations then" in response.text
    for recommendation in original.recommendations.all():
        assert escape(recommendation.action) in response.text
    assert "What became of the recommendations" in response.text
    assert 'data-maxlength="600"' in response.text


def test_an_ordinary_evaluation_has_no_findings_on_its_form(client_for, evaluator, team):
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    response = client_for(evaluator).get(reverse("evaluations:form", args=[evaluation.pk]))
    assert "What became of the recommendations" not in response.text


def test_findings_are_autosaved_and_kept_like_the_rest_of_the_draft(client_for, evaluator, original, revisit):
    data = form_data(revisit, **finding_data(original, [("yes", "yes"), ("partly", ""), ("", "")]))
    response = client_for(evaluator).post(reverse("evaluations:autosave", args=[revisit.pk]), data)
    assert response.status_code == 200, response.content
    found = {item.recommendation.action: item for item in revisit.findings.select_related("recommendation")}
    first, second, _ = original.recommendations.order_by("pk")
    assert found[first.action].done == "yes" and found[first.action].made_difference == "yes"
    assert found[second.action].done == "partly" and found[second.action].made_difference == ""
    assert len(found) == 2  # nothing typed for the third yet: no row
    page = client_for(evaluator).get(reverse("evaluations:form", args=[revisit.pk]))
    assert (
        f'id="id_finding-{first.pk}-done_0" name="finding-{first.pk}-done" type="radio" value="yes" checked'
        in page.text
    )
    assert "Seen on the file (partly)." in page.text


def test_a_revisit_cannot_be_submitted_until_every_recommendation_has_a_finding(
    client_for, evaluator, original, revisit
):
    data = form_data(revisit, submit="1", **finding_data(original, [("yes", "yes"), ("no", ""), ("", "")]))
    response = client_for(evaluator).post(reverse("evaluations:form", args=[revisit.pk]), data)
    assert response.status_code == 400
    assert response.text.count("Select whether recommendation 2 made a difference for the child") == 2
    assert response.text.count("Select whether recommendation 3 was done") == 2
    assert "<title>Error: " in response.text
    revisit.refresh_from_db()
    assert revisit.status == Evaluation.Status.IN_PROGRESS


def test_a_finding_about_another_evaluations_recommendation_is_refused(evaluator, original, revisit, previous):
    stranger = returned(previous, due_dates=[PAST]).recommendations.get()
    with pytest.raises(ValidationError):
        services.evaluation_save_draft(
            evaluation=revisit,
            actor=evaluator,
            expected_version=revisit.version,
            fields={},
            findings={stranger.pk: {"done": "yes", "made_difference": "yes", "note": ""}},
        )
    assert not RevisitFinding.objects.exists()


def test_a_finding_note_is_kept_to_600_characters(client_for, evaluator, original, revisit):
    data = form_data(revisit, **finding_data(original, [("yes", "yes")] * 3))
    first = original.recommendations.order_by("pk").first()
    data[f"finding-{first.pk}-note"] = "x" * 601
    response = client_for(evaluator).post(reverse("evaluations:form", args=[revisit.pk]), data)
    assert response.status_code == 400
    assert "What you found (optional) must be 600 characters or less" in response.text


def test_returning_a_revisit_records_on_each_recommendation_whether_it_was_found_done(
    client_for, evaluator, original, revisit
):
    data = form_data(
        revisit, submit="1", **finding_data(original, [("yes", "yes"), ("partly", "partly"), ("no", "no")])
    )
    response = client_for(evaluator).post(reverse("evaluations:form", args=[revisit.pk]), data)
    assert response.status_code == 302, response.text
    revisit.refresh_from_db()
    assert revisit.status == Evaluation.Status.RETURNED
    found = list(original.recommendations.order_by("pk").values_list("revisit_found_done", "status"))
    # What the revisit found is recorded beside the owner's own status, which stays theirs.
    assert found == [(True, "open"), (False, "open"), (False, "open")]
    done = original.recommendations.order_by("pk").first()
    assert done.history.first().history_user == evaluator
    detail = client_for(evaluator).get(reverse("evaluations:detail", args=[revisit.pk]))
    assert "What the revisit found" in detail.text and "Seen on the file (partly)." in detail.text


def test_a_revisit_of_an_evaluation_without_recommendations_needs_no_findings(
    client_for, evaluator, previous, revisit_cycle
):
    revisit = revisit_of(returned(previous), revisit_cycle, evaluator=evaluator)
    response = client_for(evaluator).post(
        reverse("evaluations:form", args=[revisit.pk]), form_data(revisit, submit="1")
    )
    assert response.status_code == 302
    revisit.refresh_from_db()
    assert revisit.status == Evaluation.Status.RETURNED


# --- Figures --------------------------------------------------------------------------------


def returned_revisit(original, cycle, *, grade, pillar_grades=None, findings=()):
    revisit = completed_evaluation(
        cycle=cycle, grade=grade, child_ref=original.child_ref, team=original.team, revisit_of=original
    )
    for pillar, value in (pillar_grades or {}).items():
        PillarGrade.objects.filter(evaluation=revisit, pillar=pillar).update(grade=value)
    for recommendation, (done, difference) in zip(original.recommendations.order_by("pk"), findings, strict=False):
        RevisitFinding.objects.create(
            revisit=revisit, recommendation=recommendation, done=done, made_difference=difference
        )
    return revisit


@pytest.fixture
def figures_world(previous, revisit_cycle):
    # Original graded requires improvement in every pillar.
    improved = returned(previous, grade=Grade.REQUIRES_IMPROVEMENT, due_dates=[PAST, PAST])
    returned_revisit(
        improved,
        revisit_cycle,
        grade=Grade.GOOD,
        pillar_grades={Pillar.PLANNING: Grade.INADEQUATE},
        findings=[("yes", "yes"), ("partly", "no")],
    )
    same = returned(previous, grade=Grade.GOOD, due_dates=[PAST])
    returned_revisit(same, revisit_cycle, grade=Grade.GOOD, findings=[("no", "no")])
    declined = returned(previous, grade=Grade.GOOD)
    returned_revisit(declined, revisit_cycle, grade=Grade.INADEQUATE)
    # Allocated, not yet returned: counted as allocated, nothing else.
    EvaluationFactory(cycle=revisit_cycle, child_ref=returned(previous).child_ref, revisit_of=Evaluation.objects.last())
    return revisit_cycle


def test_revisit_figures_count_what_was_found_and_how_grades_moved(figures_world, django_assert_num_queries):
    with django_assert_num_queries(3):
        figures = selectors.revisit_figures(cycle=figures_world)
    assert figures["allocated"] == 4
    assert figures["done"] == 3
    assert figures["recommendations"] == {
        "checked": 3,
        "found_done": 1,
        "found_partly_done": 1,
        "found_not_done": 1,
        "made_difference": {"yes": 1, "partly": 0, "no": 2},
    }
    assert figures["overall"] == {"improved": 1, "same": 1, "declined": 1}
    # Planning: requires improvement to inadequate, good to good, good to inadequate.
    assert figures["pillars"][Pillar.PLANNING] == {"improved": 0, "same": 1, "declined": 2}
    assert figures["pillars"][Pillar.ASSESSMENT] == {"improved": 1, "same": 1, "declined": 1}
    assert selectors.revisit_figures(quarter="2025-26-Q2") == {**figures, "cycle": None}


def test_revisit_figures_take_the_same_queries_whatever_the_number_of_revisits(
    previous, revisit_cycle, django_assert_num_queries
):
    for _ in range(12):
        original = returned(previous, grade=Grade.REQUIRES_IMPROVEMENT, due_dates=[PAST, PAST])
        returned_revisit(original, revisit_cycle, grade=Grade.GOOD, findings=[("yes", "yes"), ("no", "no")])
    with django_assert_num_queries(3):
        figures = selectors.revisit_figures(quarter="2025-26-Q2")
    assert figures["done"] == 12 and figures["recommendations"]["found_done"] == 12


def test_a_malformed_quarter_is_a_clear_error(db):
    with pytest.raises(selectors.DistributionError):
        selectors.revisit_figures(quarter="2025-Q9")


def test_the_revisit_cycle_page_shows_its_figures(
    client_for, practice_hub, figures_world, django_assert_max_num_queries
):
    client = client_for(practice_hub)
    response = client.get(reverse("evaluations:cycle_detail", args=[figures_world.pk]))
    assert response.status_code == 200
    assert "What the revisits found" in response.text
    assert "Propose revisits" in response.text
    assert 'id="revisit-movement"' in response.text


def test_the_revisit_figures_page_shows_a_quarter_in_the_same_queries_whatever_its_size(
    client_for, leader, figures_world, previous, django_assert_num_queries
):
    client = client_for(leader)
    url = reverse("evaluations:revisit_figures")
    client.get(url)  # the session settles
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    assert "Revisits done" in response.text and "2025-26-Q2" in response.text
    for _ in range(5):
        original = returned(previous, grade=Grade.REQUIRES_IMPROVEMENT, due_dates=[PAST])
        returned_revisit(original, figures_world, grade=Grade.GOOD, findings=[("yes", "yes")])
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_a_malformed_quarter_on_the_figures_page_is_shown_as_an_error(client_for, leader, figures_world):
    response = client_for(leader).get(reverse("evaluations:revisit_figures"), {"quarter": "nonsense"})
    assert response.status_code == 400
    assert "<title>Error: " in response.text


# --- The Practice Hub's proposal page -------------------------------------------------------


def test_opening_a_revisit_cycle_opens_on_its_proposal(client_for, practice_hub, previous):
    returned(previous, grade=Grade.INADEQUATE)
    client = client_for(practice_hub)
    response = client.post(reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q2", "type": "revisit"})
    cycle = Cycle.objects.get(type=CycleType.REVISIT)
    assert response["Location"] == reverse("evaluations:revisit_propose", args=[cycle.pk])
    assert "Always revisited" in client.get(response["Location"]).text


def test_the_practice_hub_reviews_the_proposal_and_allocates_the_revisits(
    client_for, practice_hub, previous, revisit_cycle, django_capture_on_commit_callbacks
):
    must = returned(previous, grade=Grade.INADEQUATE)
    for _ in range(4):
        returned(previous)
    evaluator = UserFactory(role=Role.EVALUATOR)
    client = client_for(practice_hub)
    url = reverse("evaluations:revisit_propose", args=[revisit_cycle.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Always revisited" in page.text and "Graded inadequate" in page.text
    assert page.text.count("Drawn at random</strong>") == 1  # 25% of 4

    response = client.post(url, {"action": "Update the share", "revisit_share": "50"})
    assert response.status_code == 302
    revisit_cycle.refresh_from_db()
    assert revisit_cycle.revisit_share == 50
    proposal = selectors.revisit_proposal(revisit_cycle)
    assert len(proposal.drawn) == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "action": "allocate",
                "originals": [must.pk, proposal.drawn[0].evaluation.pk],
                "evaluators": [evaluator.pk],
                "due_date_0": "",
                "due_date_1": "",
                "due_date_2": "",
            },
        )
    assert response.status_code == 302
    revisits = Evaluation.objects.filter(cycle=revisit_cycle).order_by("reference")
    assert {item.revisit_of for item in revisits} == {must, proposal.drawn[0].evaluation}
    assert {item.evaluator for item in revisits} == {evaluator}
    assert len(mail.outbox) == 1


def test_allocating_with_nobody_chosen_says_what_to_fix(client_for, practice_hub, previous, revisit_cycle):
    returned(previous, grade=Grade.INADEQUATE)
    url = reverse("evaluations:revisit_propose", args=[revisit_cycle.pk])
    response = client_for(practice_hub).post(url, {"action": "allocate"})
    assert response.status_code == 400
    assert "Choose at least one child to revisit" in response.text
    assert "Choose at least one evaluator" in response.text
    assert "<title>Error: " in response.text


def test_a_share_above_100_percent_is_refused(client_for, practice_hub, revisit_cycle):
    url = reverse("evaluations:revisit_propose", args=[revisit_cycle.pk])
    response = client_for(practice_hub).post(url, {"action": "Update the share", "revisit_share": "120"})
    assert response.status_code == 400
    assert "100 at most" in response.text


def test_revisits_are_proposed_only_in_an_open_revisit_cycle(client_for, practice_hub, previous, revisit_cycle):
    client = client_for(practice_hub)
    assert client.get(reverse("evaluations:revisit_propose", args=[previous.pk])).status_code == 404
    revisit_cycle.status = Cycle.Status.CLOSED
    revisit_cycle.closed_at = timezone.now()
    revisit_cycle.save()
    response = client.get(reverse("evaluations:revisit_propose", args=[revisit_cycle.pk]))
    assert response.status_code == 302
