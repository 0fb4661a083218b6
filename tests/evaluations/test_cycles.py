"""Cycles and allocation: the services the Practice Hub's pages call, and the pages themselves."""

import datetime as dt
import random

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.models import Cycle, CycleType, Evaluation
from evaluations.services import AllocationRequest, EvaluationError, OpenCase
from pqa.models import Role
from pqa.quarters import Quarter
from pqa.services import user_deactivate
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory

Status = Evaluation.Status
TODAY = timezone.localdate()
SOON = TODAY + dt.timedelta(days=21)


@pytest.fixture
def cycle(practice_hub):
    return services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the outbox's delivery), as a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def hub_client(client_for, practice_hub):
    return client_for(practice_hub)


def request_for(team, evaluator, child_ref="1234567", **kwargs):
    return AllocationRequest(child_ref=child_ref, practitioner="SW-1001", team=team, evaluator=evaluator, **kwargs)


def date_fields(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def errors_on(response, field):
    return list(response.context["form"].errors.get(field, []))


# --- Services -------------------------------------------------------------------------------


def test_opening_a_cycle_records_who_opened_it(practice_hub):
    cycle = services.cycle_open(quarter=" 2025-26-Q3 ", type=CycleType.SERVICE, title="SPE", actor=practice_hub)
    assert (cycle.quarter, cycle.status, cycle.opened_by) == ("2025-26-Q3", Cycle.Status.OPEN, practice_hub)
    assert cycle.history.first().history_user == practice_hub


def test_opening_the_same_cycle_twice_is_refused(cycle, practice_hub):
    with pytest.raises(ValidationError):
        services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


def test_opening_a_cycle_with_a_bad_quarter_is_refused(practice_hub):
    with pytest.raises(ValidationError) as error:
        services.cycle_open(quarter="2025-Q1", type=CycleType.TRUST_WIDE, actor=practice_hub)
    assert "quarter" in error.value.message_dict


def test_allocating_one_evaluation_gives_it_a_reference_and_tells_the_evaluator(
    cycle, team, evaluator, practice_hub, delivered
):
    with delivered():
        evaluation = services.evaluation_allocate(
            cycle=cycle, request=request_for(team, evaluator, due_date=SOON), actor=practice_hub
        )
    assert evaluation.reference == "PE-2025-0001"
    assert (evaluation.status, evaluation.evaluator, evaluation.allocated_by) == (
        Status.ALLOCATED,
        evaluator,
        practice_hub,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [evaluator.email]
    assert "PE-2025-0001" in mail.outbox[0].body


def test_allocating_many_sends_each_evaluator_one_email_listing_theirs(
    cycle, team, evaluator, practice_hub, make_user, delivered
):
    other = make_user(Role.EVALUATOR, username="other.evaluator")
    with delivered():
        created = services.evaluations_allocate(
            cycle=cycle,
            requests=[
                request_for(team, evaluator, "111"),
                request_for(team, evaluator, "222"),
                request_for(team, other, "333"),
            ],
            actor=practice_hub,
        )
    assert [item.reference for item in created] == ["PE-2025-0001", "PE-2025-0002", "PE-2025-0003"]
    listed = {
        message.to[0]: [line for line in message.body.splitlines() if line.startswith("- ")] for message in mail.outbox
    }
    assert [line.split(":")[0] for line in listed[evaluator.email]] == ["- PE-2025-0001", "- PE-2025-0002"]
    assert [line.split(":")[0] for line in listed[other.email]] == ["- PE-2025-0003"]
    assert {tuple(message.to) for message in mail.outbox} == {(evaluator.email,), (other.email,)}


def test_allocating_many_is_all_or_nothing(cycle, team, evaluator, practice_hub, delivered):
    with delivered(), pytest.raises(ValidationError):
        services.evaluations_allocate(
            cycle=cycle,
            requests=[request_for(team, evaluator, "111"), request_for(team, evaluator, "x" * 41)],
            actor=practice_hub,
        )
    assert not Evaluation.objects.exists()
    assert mail.outbox == []


def test_a_closed_cycle_refuses_allocation(cycle, team, evaluator, practice_hub):
    services.cycle_close(cycle=cycle, actor=practice_hub)
    cycle.refresh_from_db()
    with pytest.raises(EvaluationError, match="closed"):
        services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator), actor=practice_hub)


def test_allocating_a_child_already_in_the_cycle_is_refused_by_the_service(cycle, team, evaluator, practice_hub):
    services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator, "111"), actor=practice_hub)
    with pytest.raises((EvaluationError, ValidationError)):
        services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator, "111"), actor=practice_hub)


def test_a_sample_draws_up_to_n_per_team_and_shares_them_among_evaluators_in_turn(
    cycle, team, other_team, practice_hub, make_user
):
    evaluators = [make_user(Role.EVALUATOR, username=f"ev{n}") for n in range(3)]
    cases = [OpenCase(f"A{n}", "SW-1", team) for n in range(5)] + [
        OpenCase(f"B{n}", "SW-2", other_team) for n in range(5)
    ]
    created = services.evaluations_allocate_sample(
        cycle=cycle,
        open_cases=cases,
        per_team=2,
        evaluators=evaluators,
        due_date=SOON,
        actor=practice_hub,
        rng=random.Random(7),
    )
    assert len(created) == 4
    assert sorted(item.team.pk for item in created) == sorted([team.pk, team.pk, other_team.pk, other_team.pk])
    assert [item.evaluator for item in created] == [evaluators[0], evaluators[1], evaluators[2], evaluators[0]]
    assert all(item.due_date == SOON for item in created)


def test_a_sample_never_draws_a_child_already_in_the_cycle_or_twice(cycle, team, evaluator, practice_hub):
    services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator, "A1"), actor=practice_hub)
    cases = [OpenCase("A1", "SW-1", team), OpenCase("A2", "SW-1", team), OpenCase("A2", "SW-9", team)]
    created = services.evaluations_allocate_sample(
        cycle=cycle, open_cases=cases, per_team=5, evaluators=[evaluator], due_date=None, actor=practice_hub
    )
    assert [item.child_ref for item in created] == ["A2"]
    assert Evaluation.objects.filter(cycle=cycle).count() == 2


def test_a_sample_skips_a_child_already_in_the_cycle_in_another_letter_case_and_allocates_the_rest(
    cycle, team, evaluator, practice_hub
):
    services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator, "AB123"), actor=practice_hub)
    cases = [OpenCase("ab123", "SW-1", team), OpenCase("CD456", "SW-2", team), OpenCase("cd456", "SW-3", team)]
    created = services.evaluations_allocate_sample(
        cycle=cycle, open_cases=cases, per_team=5, evaluators=[evaluator], due_date=None, actor=practice_hub
    )
    assert [item.child_ref for item in created] == ["CD456"]
    assert sorted(Evaluation.objects.filter(cycle=cycle).values_list("child_ref", flat=True)) == ["AB123", "CD456"]


def test_a_sample_needs_a_positive_number_and_an_evaluator(cycle, team, evaluator, practice_hub):
    cases = [OpenCase("A1", "SW-1", team)]
    with pytest.raises(EvaluationError, match="at least one case"):
        services.evaluations_allocate_sample(
            cycle=cycle, open_cases=cases, per_team=0, evaluators=[evaluator], due_date=None, actor=practice_hub
        )
    with pytest.raises(EvaluationError, match="evaluator"):
        services.evaluations_allocate_sample(
            cycle=cycle, open_cases=cases, per_team=1, evaluators=[], due_date=None, actor=practice_hub
        )


def test_reassigning_moves_an_unreturned_evaluation_and_tells_the_new_evaluator(
    cycle, team, evaluator, practice_hub, make_user, delivered
):
    evaluation = services.evaluation_allocate(cycle=cycle, request=request_for(team, evaluator), actor=practice_hub)
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    with delivered():
        services.evaluation_reassign(evaluation=evaluation, evaluator=other, due_date=SOON, actor=practice_hub)
    evaluation.refresh_from_db()
    assert (evaluation.evaluator, evaluation.due_date, evaluation.version) == (other, SOON, 2)
    assert mail.outbox[0].to == [other.email]


def test_a_returned_evaluation_cannot_be_reassigned(cycle, team, evaluator, practice_hub):
    evaluation = EvaluationFactory(
        cycle=cycle, team=team, evaluator=evaluator, status=Status.RETURNED, overall_grade="good"
    )
    with pytest.raises(EvaluationError, match="not been returned"):
        services.evaluation_reassign(evaluation=evaluation, evaluator=practice_hub, actor=practice_hub)


def test_closing_a_cycle_marks_the_unreturned_as_not_returned_and_a_second_close_is_refused(cycle, team, practice_hub):
    EvaluationFactory(cycle=cycle, team=team, status=Status.ALLOCATED)
    EvaluationFactory(cycle=cycle, team=team, status=Status.IN_PROGRESS)
    returned = EvaluationFactory(cycle=cycle, team=team, status=Status.RETURNED, overall_grade="good")
    assert services.cycle_close(cycle=cycle, actor=practice_hub) == 2
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.CLOSED and cycle.closed_at is not None
    assert sorted(cycle.evaluations.values_list("status", flat=True)) == sorted(
        [Status.NOT_RETURNED, Status.NOT_RETURNED, Status.RETURNED]
    )
    returned.refresh_from_db()
    assert returned.status == Status.RETURNED
    with pytest.raises(EvaluationError, match="already closed"):
        services.cycle_close(cycle=cycle, actor=practice_hub)


# --- Who may see the pages -------------------------------------------------------------------


def cycle_urls(cycle, evaluation):
    return [
        reverse("evaluations:cycle_list"),
        reverse("evaluations:cycle_create"),
        reverse("evaluations:cycle_detail", args=[cycle.pk]),
        reverse("evaluations:allocate_one", args=[cycle.pk]),
        reverse("evaluations:allocate_list", args=[cycle.pk]),
        reverse("evaluations:allocate_sample", args=[cycle.pk]),
        reverse("evaluations:cycle_close", args=[cycle.pk]),
        reverse("evaluations:reassign", args=[evaluation.pk]),
    ]


@pytest.mark.parametrize(
    "role", [Role.EVALUATOR, Role.TEAM_MANAGER, Role.LEADER, Role.MODERATOR, Role.CUSTOMER_RELATIONS]
)
def test_anyone_but_the_practice_hub_gets_not_found_on_every_cycle_page(role, make_user, client_for, cycle, team):
    user = make_user(role)
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=user)
    client = client_for(user)
    for url in cycle_urls(cycle, evaluation):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    cycle.refresh_from_db()
    assert cycle.is_open


def test_someone_signed_out_is_sent_to_sign_in(client, cycle):
    response = client.get(reverse("evaluations:cycle_list"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_the_practice_hub_and_administrators_can_open_every_cycle_page(hub_client, make_user, client_for, cycle, team):
    evaluation = EvaluationFactory(cycle=cycle, team=team)
    for url in cycle_urls(cycle, evaluation):
        assert hub_client.get(url).status_code == 200, url
    admin_client = client_for(make_user(Role.ADMINISTRATOR, username="admin.user"))
    assert admin_client.get(reverse("evaluations:cycle_list")).status_code == 200


# --- Cycle list and detail -------------------------------------------------------------------


def test_the_cycle_list_shows_progress_newest_quarter_first(hub_client, team):
    old = CycleFactory(quarter="2024-25-Q4", title="")
    new = CycleFactory(quarter="2025-26-Q1", title="")
    for status in [Status.RETURNED, Status.RETURNED, Status.RETURNED, Status.IN_PROGRESS]:
        EvaluationFactory(
            cycle=new, team=team, status=status, overall_grade="good" if status == Status.RETURNED else ""
        )
    EvaluationFactory(cycle=new, team=team, status=Status.ALLOCATED, due_date=TODAY - dt.timedelta(days=1))
    response = hub_client.get(reverse("evaluations:cycle_list"))
    cycles = response.context["cycles"]
    assert [item.pk for item in cycles] == [new.pk, old.pk]
    first = cycles[0]
    assert (
        first.allocated,
        first.not_started,
        first.in_progress,
        first.returned,
        first.overdue,
        first.not_returned,
    ) == (5, 1, 1, 3, 1, 0)
    assert first.returns.rate_display == "60%"
    assert cycles[1].returns.rate_display == "–"
    content = response.content.decode()
    assert "60%" in content and reverse("evaluations:cycle_create") in content


def make_cycles(start, count, evaluations_each, team):
    for n in range(start, start + count):
        cycle = CycleFactory(quarter="2025-26-Q1", title=f"Round {n}")
        for _ in range(evaluations_each):
            EvaluationFactory(cycle=cycle, team=team)


def test_the_cycle_list_takes_the_same_number_of_queries_for_3_or_30_cycles(
    hub_client, team, django_assert_max_num_queries
):
    make_cycles(0, 3, 2, team)
    with CaptureQueriesContext(connection) as few:
        hub_client.get(reverse("evaluations:cycle_list"))
    make_cycles(3, 27, 2, team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = hub_client.get(reverse("evaluations:cycle_list"))
    assert len(response.context["cycles"]) == 30


def test_the_cycle_detail_shows_each_evaluation_with_its_status_and_overdue_tag(hub_client, cycle, team, evaluator):
    late = EvaluationFactory(
        cycle=cycle, team=team, evaluator=evaluator, due_date=TODAY - dt.timedelta(days=2), child_ref="C-777"
    )
    EvaluationFactory(cycle=cycle, team=team, status=Status.RETURNED, overall_grade="good")
    response = hub_client.get(reverse("evaluations:cycle_detail", args=[cycle.pk]))
    content = response.content.decode()
    assert "C-777" in content and late.reference in content
    assert "govuk-tag--orange" in content and "Overdue" in content
    assert reverse("evaluations:detail", args=[late.pk]) in content
    assert reverse("evaluations:reassign", args=[late.pk]) in content
    assert response.context["cycle"].returns.rate_display == "50%"
    assert reverse("evaluations:cycle_close", args=[cycle.pk]) in content


def test_a_closed_cycle_offers_no_allocation_or_close_buttons(hub_client, cycle, practice_hub):
    services.cycle_close(cycle=cycle, actor=practice_hub)
    content = hub_client.get(reverse("evaluations:cycle_detail", args=[cycle.pk])).content.decode()
    assert reverse("evaluations:cycle_close", args=[cycle.pk]) not in content
    assert reverse("evaluations:allocate_one", args=[cycle.pk]) not in content


def test_the_cycle_detail_takes_the_same_number_of_queries_for_3_or_30_evaluations(
    hub_client, cycle, team, make_user, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            EvaluationFactory(cycle=cycle, team=TeamFactory(service_area__name="Early Help"), evaluator=make_user())

    add(3)
    url = reverse("evaluations:cycle_detail", args=[cycle.pk])
    with CaptureQueriesContext(connection) as few:
        hub_client.get(url)
    add(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = hub_client.get(url)
    assert len(response.context["rows"]) == 30


def test_the_cycle_detail_shows_fifty_evaluations_a_page(hub_client, cycle, team, evaluator):
    EvaluationFactory.create_batch(51, cycle=cycle, team=team, evaluator=evaluator)
    first = hub_client.get(reverse("evaluations:cycle_detail", args=[cycle.pk]))
    second = hub_client.get(reverse("evaluations:cycle_detail", args=[cycle.pk]), {"page": 2})
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 1
    assert "govuk-pagination" in first.content.decode()


def test_a_cycle_that_does_not_exist_is_not_found(hub_client):
    assert hub_client.get(reverse("evaluations:cycle_detail", args=[999])).status_code == 404


# --- Opening a cycle -------------------------------------------------------------------------


def test_the_new_cycle_form_suggests_the_current_quarter(hub_client):
    response = hub_client.get(reverse("evaluations:cycle_create"))
    assert str(Quarter.containing(TODAY)) in response.content.decode()


def test_the_practice_hub_opens_a_cycle(hub_client, practice_hub):
    response = hub_client.post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q3", "type": CycleType.THEMATIC, "title": "Neglect"}
    )
    cycle = Cycle.objects.get()
    assert response.status_code == 302 and response.url == reverse("evaluations:cycle_detail", args=[cycle.pk])
    assert (cycle.quarter, cycle.type, cycle.title, cycle.opened_by) == (
        "2025-26-Q3",
        CycleType.THEMATIC,
        "Neglect",
        practice_hub,
    )
    follow = hub_client.get(response.url)
    assert "is open" in follow.content.decode()


def test_a_bad_quarter_is_shown_at_the_top_and_beside_the_field(hub_client):
    response = hub_client.post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-27-Q1", "type": CycleType.TRUST_WIDE}
    )
    assert response.status_code == 200
    assert errors_on(response, "quarter") == ["'2025-27-Q1' is not a quarter: 2025 is followed by 26, not 27"]
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert 'href="#id_quarter"' in content
    assert "govuk-form-group--error" in content and "govuk-error-message" in content


def test_a_duplicate_cycle_is_shown_beside_the_quarter(hub_client, cycle):
    response = hub_client.post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q2", "type": CycleType.TRUST_WIDE}
    )
    assert errors_on(response, "quarter")[0].startswith(
        "There is already a trust-wide practice evaluation cycle without a title"
    )
    assert Cycle.objects.count() == 1


def test_a_cycle_opened_by_someone_else_at_the_same_moment_is_shown_beside_the_quarter(
    hub_client, practice_hub, monkeypatch
):
    real_open = services.cycle_open

    def opened_meanwhile(**kwargs):
        real_open(**kwargs)  # the colleague's, a moment earlier
        return real_open(**kwargs)

    monkeypatch.setattr(services, "cycle_open", opened_meanwhile)
    response = hub_client.post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q4", "type": CycleType.TRUST_WIDE}
    )
    assert response.status_code == 200
    assert errors_on(response, "quarter") == ["Cycle with this Quarter, Type and Title already exists."]
    assert Cycle.objects.count() == 1


def test_an_empty_new_cycle_form_says_what_is_missing(hub_client):
    response = hub_client.post(reverse("evaluations:cycle_create"), {})
    assert set(response.context["form"].errors) == {"quarter", "type"}


# --- Allocating one --------------------------------------------------------------------------


def allocate_one_data(team, evaluator, **overrides):
    data = {
        "child_ref": "1234567",
        "practitioner": "SW-1001",
        "team": team.pk,
        "evaluator": evaluator.pk,
        **date_fields("due_date", SOON),
    }
    data.update(overrides)
    return data


def test_the_practice_hub_allocates_one_evaluation(hub_client, cycle, team, evaluator, delivered):
    with delivered():
        response = hub_client.post(
            reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator)
        )
    assert response.status_code == 302 and response.url == reverse("evaluations:cycle_detail", args=[cycle.pk])
    evaluation = Evaluation.objects.get()
    assert (evaluation.child_ref, evaluation.team, evaluation.evaluator, evaluation.due_date) == (
        "1234567",
        team,
        evaluator,
        SOON,
    )
    assert mail.outbox[0].to == [evaluator.email]
    assert "allocated to" in hub_client.get(response.url).content.decode()


def test_the_team_list_is_grouped_by_service_area(hub_client, cycle, team, other_team):
    content = hub_client.get(reverse("evaluations:allocate_one", args=[cycle.pk])).content.decode()
    assert '<optgroup label="Children in Care">' in content and '<optgroup label="Child Protection">' in content


def test_an_evaluator_who_has_left_cannot_be_chosen(hub_client, cycle, team):
    gone = UserFactory(username="gone", is_active=False)
    response = hub_client.post(reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, gone))
    assert errors_on(response, "evaluator")
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("child_ref", ["Jo Bloggs", "Smith", "12 34"])
def test_a_name_as_the_case_id_is_refused_beside_the_field(hub_client, cycle, team, evaluator, child_ref):
    response = hub_client.post(
        reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator, child_ref=child_ref)
    )
    assert "never a name" in errors_on(response, "child_ref")[0]
    content = response.content.decode()
    assert "govuk-error-summary" in content and 'href="#id_child_ref"' in content
    assert not Evaluation.objects.exists()


def test_a_child_already_in_the_cycle_is_refused_beside_the_field(hub_client, cycle, team, evaluator):
    existing = EvaluationFactory(cycle=cycle, team=team, child_ref="1234567")
    response = hub_client.post(reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator))
    assert errors_on(response, "child_ref") == [f"Child 1234567 is already in this cycle ({existing.reference})"]


def test_a_due_date_in_the_past_or_unreal_is_refused(hub_client, cycle, team, evaluator):
    url = reverse("evaluations:allocate_one", args=[cycle.pk])
    past = hub_client.post(
        url, allocate_one_data(team, evaluator, **date_fields("due_date", TODAY - dt.timedelta(days=1)))
    )
    assert errors_on(past, "due_date") == ["The due date must be today or in the future"]
    unreal = hub_client.post(
        url, allocate_one_data(team, evaluator, due_date_0="31", due_date_1="2", due_date_2="2030")
    )
    assert errors_on(unreal, "due_date") == ["The due date must be a real date"]
    partial = hub_client.post(url, allocate_one_data(team, evaluator, due_date_0="", due_date_1="2", due_date_2="2030"))
    assert errors_on(partial, "due_date") == ["Enter the day of the month"]
    assert not Evaluation.objects.exists()


def test_the_due_date_may_be_left_blank(hub_client, cycle, team, evaluator):
    data = allocate_one_data(team, evaluator, due_date_0="", due_date_1="", due_date_2="")
    assert hub_client.post(reverse("evaluations:allocate_one", args=[cycle.pk]), data).status_code == 302
    assert Evaluation.objects.get().due_date is None


def test_allocating_in_a_closed_cycle_is_refused_with_a_message(hub_client, cycle, team, evaluator, practice_hub):
    services.cycle_close(cycle=cycle, actor=practice_hub)
    response = hub_client.post(
        reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator), follow=True
    )
    assert "is closed" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_a_cycle_closed_while_the_form_was_being_filled_in_is_shown_as_a_message(
    hub_client, cycle, team, evaluator, monkeypatch
):
    real_allocate = services.evaluation_allocate

    def closed_meanwhile(**kwargs):
        services.cycle_close(cycle=kwargs["cycle"], actor=kwargs["actor"])
        kwargs["cycle"].refresh_from_db()
        return real_allocate(**kwargs)

    monkeypatch.setattr(services, "evaluation_allocate", closed_meanwhile)
    response = hub_client.post(reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator))
    assert response.status_code == 200
    assert "is closed: open a new cycle" in response.content.decode()
    assert not Evaluation.objects.exists()


# --- Allocating from a list ------------------------------------------------------------------


LIST_HEADER = "child_ref,practitioner,service_area,team,evaluator_email,due_date"


def test_the_practice_hub_allocates_a_pasted_list_from_excel(hub_client, cycle, team, evaluator, make_user, delivered):
    other = make_user(Role.EVALUATOR, username="other.evaluator")
    pasted = (
        f"1111111\tSW-1\tChildren in Care\tCiC Team 1\t{evaluator.email}\t{SOON.isoformat()}\n"
        f"2222222\tSW-2\tChildren in Care\tCiC Team 1\t{other.email}\t\n"
    )
    data = {"rows": pasted, **date_fields("due_date", SOON + dt.timedelta(days=7))}
    with delivered():
        response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), data)
    assert response.status_code == 302
    evaluations = list(Evaluation.objects.order_by("reference"))
    assert [(item.child_ref, item.evaluator, item.due_date) for item in evaluations] == [
        ("1111111", evaluator, SOON),
        ("2222222", other, SOON + dt.timedelta(days=7)),
    ]
    assert len(mail.outbox) == 2
    assert "2 evaluations allocated" in hub_client.get(response.url).content.decode()


def test_the_practice_hub_allocates_an_uploaded_csv_and_a_pasted_list_together(
    hub_client, cycle, team, evaluator, delivered
):
    upload = SimpleUploadedFile(
        "list.csv", f"{LIST_HEADER}\n3333333,SW-3,Children in Care,CiC Team 1,{evaluator.email},\n".encode()
    )
    data = {"rows": f"4444444,SW-4,Children in Care,CiC Team 1,{evaluator.email}\n", "file": upload}
    with delivered():
        response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), data)
    assert response.status_code == 302
    assert sorted(Evaluation.objects.values_list("child_ref", flat=True)) == ["3333333", "4444444"]
    assert len(mail.outbox) == 1  # one e-mail per evaluator, listing both


def test_a_list_with_any_bad_row_allocates_nothing_and_reports_every_row(hub_client, cycle, team, evaluator, delivered):
    upload = SimpleUploadedFile(
        "list.csv",
        (
            f"{LIST_HEADER}\n"
            f"5555555,SW-5,Children in Care,CiC Team 1,{evaluator.email},\n"
            f"Jo Bloggs,SW-5,Children in Care,CiC Team 1,{evaluator.email},\n"
            f"6666666,SW-6,Children in Care,CiC Team 9,{evaluator.email},2025-13-01\n"
        ).encode(),
    )
    with delivered():
        response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), {"file": upload})
    assert response.status_code == 200
    errors = errors_on(response, "file")
    assert [error.split(":")[1].strip() for error in errors] == [
        "row 3, column child_ref",
        "row 4, column team",
        "row 4, column due_date",
    ]
    assert all(error.startswith("list.csv: ") for error in errors)
    content = response.content.decode()
    assert "govuk-error-summary" in content and "row 4, column team" in content
    assert not Evaluation.objects.exists()
    assert mail.outbox == []


def test_a_child_both_pasted_and_uploaded_is_reported(hub_client, cycle, team, evaluator):
    upload = SimpleUploadedFile(
        "list.csv", f"{LIST_HEADER}\n7777777,SW-3,Children in Care,CiC Team 1,{evaluator.email},\n".encode()
    )
    data = {"rows": f"7777777,SW-4,Children in Care,CiC Team 1,{evaluator.email}\n", "file": upload}
    response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), data)
    assert errors_on(response, "file") == [
        "list.csv: row 2, column child_ref: child 7777777 is already in the pasted list (row 1)"
    ]


def test_a_list_naming_a_child_already_in_the_cycle_is_refused(hub_client, cycle, team, evaluator):
    existing = EvaluationFactory(cycle=cycle, team=team, child_ref="8888888")
    data = {"rows": f"8888888,SW-4,Children in Care,CiC Team 1,{evaluator.email}\n"}
    response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), data)
    assert errors_on(response, "rows") == [
        f"Pasted list: row 1, column child_ref: child 8888888 is already in this cycle ({existing.reference})"
    ]


def test_an_empty_list_form_asks_for_a_list(hub_client, cycle):
    response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), {"rows": "  \n"})
    assert errors_on(response, "rows") == ["Paste the list or choose a CSV file"]


def test_an_uploaded_workbook_is_refused_beside_the_file_field(hub_client, cycle):
    upload = SimpleUploadedFile("list.xlsx", b"PK\x03\x04\x00\x00binary")
    response = hub_client.post(reverse("evaluations:allocate_list", args=[cycle.pk]), {"file": upload})
    assert "CSV UTF-8" in errors_on(response, "file")[0]


# --- Allocating a random sample -----------------------------------------------------------


def test_the_practice_hub_allocates_a_random_sample_and_sees_how_many_per_team(
    hub_client, cycle, team, other_team, make_user, delivered
):
    evaluators = [make_user(Role.EVALUATOR, username=f"ev{n}") for n in range(2)]
    cases = (
        "child_ref\tpractitioner\tservice_area\tteam\n"
        + "".join(f"{1000 + n}\tSW-{n}\tChildren in Care\tCiC Team 1\n" for n in range(5))
        + "2001\tSW-9\tChild Protection\tCP Team 1\n"
    )
    data = {
        "cases": cases,
        "per_team": "2",
        "evaluators": [user.pk for user in evaluators],
        **date_fields("due_date", SOON),
    }
    with delivered():
        response = hub_client.post(reverse("evaluations:allocate_sample", args=[cycle.pk]), data)
    assert response.status_code == 302
    assert Evaluation.objects.filter(team=team).count() == 2
    assert Evaluation.objects.filter(team=other_team).count() == 1
    assert {item.evaluator for item in Evaluation.objects.all()} == set(evaluators)
    content = hub_client.get(response.url).content.decode()
    assert "3 evaluations allocated" in content
    assert "CiC Team 1: 2" in content and "CP Team 1: 1" in content
    assert "Fewer than 2 were drawn in CP Team 1" in content
    assert len(mail.outbox) == 2


def test_a_sample_form_reports_bad_cases_and_missing_choices(hub_client, cycle):
    data = {"cases": "Jo Bloggs,SW-1,Children in Care,CiC Team 1\n", "per_team": "0"}
    response = hub_client.post(reverse("evaluations:allocate_sample", args=[cycle.pk]), data)
    form = response.context["form"]
    assert form.errors["cases"][0].startswith("row 1, column child_ref")
    assert form.errors["per_team"] == ["Draw at least 1 case from each team"]
    assert form.errors["evaluators"] == ["Choose at least one evaluator"]
    assert "govuk-error-summary" in response.content.decode()
    assert not Evaluation.objects.exists()


# --- Closing a cycle -----------------------------------------------------------------------


def test_closing_asks_first_saying_how_many_were_never_returned(hub_client, cycle, team):
    EvaluationFactory.create_batch(2, cycle=cycle, team=team)
    EvaluationFactory(cycle=cycle, team=team, status=Status.IN_PROGRESS)
    EvaluationFactory(cycle=cycle, team=team, status=Status.RETURNED, overall_grade="good")
    response = hub_client.get(reverse("evaluations:cycle_close", args=[cycle.pk]))
    assert "3 evaluations were never returned and will be marked not returned" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.is_open


def test_the_practice_hub_closes_a_cycle(hub_client, cycle, team):
    EvaluationFactory(cycle=cycle, team=team)
    response = hub_client.post(reverse("evaluations:cycle_close", args=[cycle.pk]), follow=True)
    cycle.refresh_from_db()
    assert not cycle.is_open
    assert Evaluation.objects.get().status == Status.NOT_RETURNED
    assert "1 evaluation was marked not returned" in response.content.decode()


def test_closing_a_closed_cycle_again_shows_a_message(hub_client, cycle, practice_hub):
    services.cycle_close(cycle=cycle, actor=practice_hub)
    response = hub_client.post(reverse("evaluations:cycle_close", args=[cycle.pk]), follow=True)
    assert response.status_code == 200
    assert "already closed" in response.content.decode()


# --- Reassigning ---------------------------------------------------------------------------


def test_the_practice_hub_reassigns_an_evaluation_with_a_new_due_date(
    hub_client, cycle, team, evaluator, make_user, delivered
):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator, status=Status.IN_PROGRESS)
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    data = {"evaluator": other.pk, **date_fields("due_date", SOON)}
    with delivered():
        response = hub_client.post(reverse("evaluations:reassign", args=[evaluation.pk]), data)
    assert response.url == reverse("evaluations:cycle_detail", args=[cycle.pk])
    evaluation.refresh_from_db()
    assert (evaluation.evaluator, evaluation.due_date) == (other, SOON)
    assert mail.outbox[0].to == [other.email]


def test_reassigning_keeps_the_due_date_when_none_is_given(hub_client, cycle, team, evaluator, make_user):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    due = evaluation.due_date
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    hub_client.post(reverse("evaluations:reassign", args=[evaluation.pk]), {"evaluator": other.pk})
    evaluation.refresh_from_db()
    assert (evaluation.evaluator, evaluation.due_date) == (other, due)


def test_the_current_evaluator_is_not_offered_again(hub_client, cycle, team, evaluator):
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    response = hub_client.post(reverse("evaluations:reassign", args=[evaluation.pk]), {"evaluator": evaluator.pk})
    assert errors_on(response, "evaluator")
    assert "govuk-error-summary" in response.content.decode()


def test_a_returned_evaluation_cannot_be_reassigned_and_says_why(hub_client, cycle, team, evaluator, make_user):
    evaluation = EvaluationFactory(
        cycle=cycle, team=team, evaluator=evaluator, status=Status.RETURNED, overall_grade="good"
    )
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    response = hub_client.post(
        reverse("evaluations:reassign", args=[evaluation.pk]), {"evaluator": other.pk}, follow=True
    )
    assert "cannot be reassigned" in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.evaluator == evaluator


def test_a_service_refusal_during_reassignment_is_shown_as_a_message(
    hub_client, cycle, team, evaluator, make_user, monkeypatch
):
    # The evaluation is returned between the page being opened and the form being sent.
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    real_reassign = services.evaluation_reassign

    def returned_meanwhile(**kwargs):
        Evaluation.objects.filter(pk=evaluation.pk).update(status=Status.RETURNED, overall_grade="good")
        return real_reassign(**kwargs)

    monkeypatch.setattr(services, "evaluation_reassign", returned_meanwhile)
    response = hub_client.post(reverse("evaluations:reassign", args=[evaluation.pk]), {"evaluator": other.pk})
    assert response.status_code == 200
    assert "Only an evaluation that has not been returned can be reassigned" in response.content.decode()


# --- A refusal by the service, after the form's own checks passed ---------------------------


def test_a_refusal_that_comes_from_the_service_is_shown_as_a_form_error(
    hub_client, cycle, team, evaluator, make_user, monkeypatch
):
    """Between the form's checks and the write someone may allocate the same child: the
    service's refusal reaches the person as any other error, summarised at the top and beside
    the field, with "Error:" in the page title, and nothing more is allocated."""
    colleague = make_user(Role.PRACTICE_HUB, username="other.hub")
    real_allocate = services.evaluation_allocate

    def allocated_meanwhile(**kwargs):
        real_allocate(cycle=cycle, request=request_for(team, evaluator, child_ref="1234567"), actor=colleague)
        return real_allocate(**kwargs)

    monkeypatch.setattr(services, "evaluation_allocate", allocated_meanwhile)
    response = hub_client.post(reverse("evaluations:allocate_one", args=[cycle.pk]), allocate_one_data(team, evaluator))

    assert response.status_code == 200
    [error] = errors_on(response, "child_ref")
    assert "already" in error.lower() and "1234567" in error
    content = response.content.decode()
    assert "<title>Error: " in content
    assert "govuk-error-summary" in content and 'href="#id_child_ref"' in content
    assert list(cycle.evaluations.values_list("child_ref", "allocated_by")) == [("1234567", colleague.pk)]


def test_a_reassignment_the_service_refuses_is_shown_beside_the_evaluator(
    hub_client, cycle, team, evaluator, make_user, monkeypatch
):
    # The new evaluator's account is deactivated between the page being opened and the form being sent.
    evaluation = EvaluationFactory(cycle=cycle, team=team, evaluator=evaluator)
    other = make_user(Role.EVALUATOR, username="new.evaluator")
    real_reassign = services.evaluation_reassign

    def deactivated_meanwhile(**kwargs):
        user_deactivate(user=other, actor=None)
        return real_reassign(**kwargs)

    monkeypatch.setattr(services, "evaluation_reassign", deactivated_meanwhile)
    response = hub_client.post(reverse("evaluations:reassign", args=[evaluation.pk]), {"evaluator": other.pk})

    assert errors_on(response, "evaluator") == [f"{other} cannot sign in, so cannot be given an evaluation."]
    assert "<title>Error: " in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.evaluator == evaluator
