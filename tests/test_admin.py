"""The Django admin: every model reachable by an administrator, with search, filters and
history; workflow writes still go through the services."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations import services
from evaluations.models import (
    Cycle,
    CycleType,
    Evaluation,
    EvaluationFeedback,
    Grade,
    Moderation,
    PillarGrade,
    Recommendation,
    Respondent,
)
from evaluations.notifications import NotificationKind
from pqa.admin import VersionedForm
from pqa.kpis.models import Indicator
from pqa.models import Notification, Role, ServiceArea, Team, User
from tests.conftest import PQAClient
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

Status = Evaluation.Status
OURS = {
    ServiceArea,
    Team,
    User,
    Notification,
    Cycle,
    Evaluation,
    PillarGrade,
    EvaluationFeedback,
    Moderation,
    Recommendation,
}
READ_ONLY = {Notification}


@pytest.fixture
def administrator(db):
    return UserFactory(username="ada.admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)


@pytest.fixture
def admin_for(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def records(db, team, evaluator, moderator):
    """One row of every model, made the way the app makes them where a service exists."""
    evaluation = completed_evaluation(
        grade=Grade.REQUIRES_IMPROVEMENT,
        reference="PE-2025-0001",
        child_ref="CHILD123456",
        practitioner="SW-1234",
        team=team,
        evaluator=evaluator,
        cycle=CycleFactory(quarter="2025-26-Q1", type=CycleType.TRUST_WIDE, title=""),
    )
    EvaluationFeedback.objects.create(evaluation=evaluation, respondent=Respondent.CHILD, spoken_to=True, quote="Fine.")
    recommendation = Recommendation.objects.create(
        evaluation=evaluation, action="Update the chronology.", owner_text="Team manager", due_date=dt.date(2025, 6, 1)
    )
    moderation = services.moderation_record(evaluation=evaluation, moderated_grade=Grade.GOOD, moderator=moderator)
    notification = Notification.objects.create(
        kind=NotificationKind.ALLOCATION, recipients=["a@trust.example"], subject="S", body="B"
    )
    return {
        ServiceArea: team.service_area,
        Team: team,
        User: evaluator,
        Notification: notification,
        Cycle: evaluation.cycle,
        Evaluation: evaluation,
        PillarGrade: evaluation.pillar_grades.first(),
        EvaluationFeedback: evaluation.feedback_gathered.first(),
        Moderation: moderation,
        Recommendation: recommendation,
    }


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_is_registered():
    assert OURS.issubset(admin.site._registry)


@pytest.mark.parametrize(
    "model", sorted(OURS, key=lambda model: model._meta.label), ids=lambda model: model._meta.label
)
def test_administrator_opens_every_page(admin_for, records, model):
    obj = records[model]
    assert admin_for.get(admin_url(model, "changelist")).status_code == 200
    assert admin_for.get(admin_url(model, "add")).status_code == (403 if model in READ_ONLY else 200)
    assert admin_for.get(admin_url(model, "change", obj.pk)).status_code == 200
    history = admin_for.get(admin_url(model, "history", obj.pk))
    assert history.status_code == 200


def test_history_page_shows_who_changed_it(admin_for, records, evaluator):
    evaluation = records[Evaluation]
    draft = EvaluationFactory(evaluator=evaluator, team=evaluation.team, cycle=CycleFactory())
    services.evaluation_save_draft(
        evaluation=draft, actor=evaluator, expected_version=None, fields={"strengths": "Warm."}
    )
    response = admin_for.get(admin_url(Evaluation, "history", draft.pk))
    assert str(evaluator) in response.content.decode()


def test_old_versions_can_be_read_but_not_restored(admin_for, records):
    evaluation = records[Evaluation]
    version = evaluation.history.earliest()
    url = reverse("admin:evaluations_evaluation_simple_history", args=[evaluation.pk, version.history_id])
    assert admin_for.get(url).status_code == 200
    assert admin_for.post(url, {}).status_code == 403


def test_non_staff_is_sent_to_the_admin_login(client, evaluator):
    client.force_login(evaluator)
    response = client.get(admin_url(Evaluation, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def changelist_references(client, **params):
    response = client.get(admin_url(Evaluation, "changelist"), params)
    assert response.status_code == 200
    return {evaluation.reference for evaluation in response.context["cl"].result_list}


@pytest.fixture
def two_evaluations(records, other_team):
    first = records[Evaluation]
    second = EvaluationFactory(
        reference="PE-2025-0002",
        child_ref="CHILD654321",
        practitioner="SW-9999",
        team=other_team,
        evaluator=UserFactory(email="other.evaluator@trust.example"),
        cycle=CycleFactory(quarter="2025-26-Q2", type=CycleType.SERVICE, title=""),
    )
    return first, second


@pytest.mark.parametrize("term", ["PE-2025-0001", "CHILD123456", "SW-1234", "eve.evaluator@trust.example"])
def test_evaluation_search(admin_for, two_evaluations, term):
    assert changelist_references(admin_for, q=term) == {"PE-2025-0001"}


def test_evaluation_filters(admin_for, two_evaluations):
    first, second = two_evaluations
    assert changelist_references(admin_for, cycle__quarter="2025-26-Q2") == {second.reference}
    assert changelist_references(admin_for, cycle__type__exact=CycleType.TRUST_WIDE) == {first.reference}
    assert changelist_references(admin_for, status__exact=Status.RETURNED) == {first.reference}
    area = second.team.service_area_id
    assert changelist_references(admin_for, team__service_area__id__exact=area) == {second.reference}
    assert changelist_references(admin_for, overall_grade__exact=Grade.REQUIRES_IMPROVEMENT) == {first.reference}


def test_evaluation_changelist_queries_do_not_grow_with_rows(admin_for, records, team):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_for.get(admin_url(Evaluation, "changelist")).status_code == 200
        return len(queries)

    before = count()
    for _ in range(5):
        services.moderation_record(
            evaluation=completed_evaluation(team=TeamFactory(), cycle=CycleFactory()),
            moderated_grade=Grade.GOOD,
            moderator=None,
        )
    assert count() == before


def test_close_selected_cycles_uses_the_service(admin_for, administrator, team, evaluator):
    cycle = services.cycle_open(quarter="2025-26-Q3", type=CycleType.TRUST_WIDE, actor=administrator)
    [evaluation] = services.evaluations_allocate(
        cycle=cycle,
        requests=[
            services.AllocationRequest(child_ref="CHILD111111", practitioner="SW-1", team=team, evaluator=evaluator)
        ],
        actor=administrator,
    )
    response = admin_for.post(
        admin_url(Cycle, "changelist"), {"action": "close_selected_cycles", "_selected_action": [cycle.pk]}, follow=True
    )
    assert response.status_code == 200
    cycle.refresh_from_db()
    evaluation.refresh_from_db()
    assert cycle.status == Cycle.Status.CLOSED
    assert evaluation.status == Status.NOT_RETURNED
    assert evaluation.history.latest().history_user == administrator
    assert "1 evaluation(s) marked not returned" in response.content.decode()


def test_status_and_version_are_read_only(admin_for, records):
    evaluation = records[Evaluation]
    form = admin_for.get(admin_url(Evaluation, "change", evaluation.pk)).context["adminform"].form
    assert "status" not in form.fields
    assert "version" not in form.fields


def test_adding_an_evaluation_allocates_it_through_the_service(admin_for, administrator, team, evaluator, mailoutbox):
    cycle = services.cycle_open(quarter="2025-26-Q3", type=CycleType.TRUST_WIDE, actor=administrator)
    response = admin_for.post(
        admin_url(Evaluation, "add"),
        {
            "cycle": cycle.pk,
            "team": team.pk,
            "child_ref": "CHILD222222",
            "practitioner": "SW-2",
            "evaluator": evaluator.pk,
            "due_date": "2025-12-01",
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(child_ref="CHILD222222")
    assert evaluation.reference == "PE-2025-0001"
    assert evaluation.allocated_by == administrator
    assert Notification.objects.filter(kind=NotificationKind.ALLOCATION, recipients=[evaluator.email]).exists()


def test_adding_to_a_closed_cycle_is_refused(admin_for, administrator, team, evaluator):
    cycle = services.cycle_open(quarter="2025-26-Q3", type=CycleType.TRUST_WIDE, actor=administrator)
    services.cycle_close(cycle=cycle, actor=administrator)
    response = admin_for.post(
        admin_url(Evaluation, "add"),
        {"cycle": cycle.pk, "team": team.pk, "child_ref": "CHILD3", "practitioner": "SW-3", "evaluator": evaluator.pk},
    )
    assert response.status_code == 200
    assert "is closed" in response.content.decode()
    assert not Evaluation.objects.filter(child_ref="CHILD3").exists()


def test_moderation_outcome_is_derived_by_the_service(admin_for, records, moderator):
    moderation = records[Moderation]
    response = admin_for.post(
        admin_url(Moderation, "change", moderation.pk),
        {
            "moderated_grade": Grade.INADEQUATE,
            "moderator": moderator.pk,
            "rationale": "Oversight gaps.",
            "based_on_version": 1,
        },
    )
    assert response.status_code == 302
    moderation.refresh_from_db()
    assert moderation.outcome == Moderation.Outcome.DOWNGRADED
    assert moderation.version == 2


def resubmit_data(response) -> dict:
    """The POST a browser would send back from an admin change page, unchanged."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form.instance.pk if name == form.instance._meta.pk.name else form.initial.get(name, field.initial)
            if hasattr(value, "pk"):
                value = value.pk
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.initial_forms:
            add(form)
    return data


def test_saving_the_change_page_keeps_the_workflow_and_bumps_the_version(admin_for, records, administrator):
    evaluation = records[Evaluation]
    url = admin_url(Evaluation, "change", evaluation.pk)
    data = resubmit_data(admin_for.get(url))
    data["strengths"] = "Clear analysis of risk."
    data["status"] = Status.ALLOCATED  # not a field of the form: ignored
    data["moderation-0-moderated_grade"] = Grade.INADEQUATE
    response = admin_for.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors or response.context["errors"]
    evaluation.refresh_from_db()
    assert evaluation.strengths == "Clear analysis of risk."
    assert evaluation.status == Status.RETURNED
    assert evaluation.version == 2
    assert evaluation.history.latest().history_user == administrator
    assert evaluation.moderation.outcome == Moderation.Outcome.DOWNGRADED
    assert evaluation.pillar_grades.count() == 4


def test_administrator_adds_a_team_manager(admin_for, team):
    response = admin_for.post(
        admin_url(User, "add"),
        {
            "username": "tara.manager",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-1",
            "password2": "a-long-enough-passphrase-1",
            "first_name": "Tara",
            "last_name": "Manager",
            "email": "tara.manager@trust.example",
            "role": Role.TEAM_MANAGER,
            "team": team.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="tara.manager")
    assert (user.role, user.team, user.email) == (Role.TEAM_MANAGER, team, "tara.manager@trust.example")
    assert user.check_password("a-long-enough-passphrase-1")


# --- Lost updates: two administrators on the same record -------------------------------------

# For each versioned model, a text field an administrator edits on its change page.
EDITED = {Evaluation: "strengths", Moderation: "rationale", Recommendation: "action"}
VERSIONED = sorted(EDITED, key=lambda model: model._meta.label)


def refused_message(noun: str, version: int) -> str:
    return (
        f"Someone else changed this {noun} after you opened it (it is now version {version}). "
        "Your changes have not been saved: open it again to see theirs, then make your changes again."
    )


@pytest.fixture
def second_admin(db):
    """Another administrator, signed in on their own computer."""
    client = PQAClient()
    client.force_login(UserFactory(username="bo.admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True))
    return client


def open_change_page(client, obj) -> tuple[str, dict]:
    url = admin_url(type(obj), "change", obj.pk)
    return url, resubmit_data(client.get(url))


def both_open_the_change_page(first_admin, second_admin, obj, field) -> tuple[str, dict, dict]:
    """Both administrators open the same page, then each types something different."""
    url, first = open_change_page(first_admin, obj)
    _, second = open_change_page(second_admin, obj)
    first[field] = "Saved by the first administrator."
    second[field] = "Typed by the second administrator."
    return url, first, second


@pytest.mark.parametrize("model", VERSIONED, ids=lambda model: model._meta.label)
def test_the_second_administrators_save_is_refused_and_the_first_ones_is_kept(admin_for, second_admin, records, model):
    obj, field = records[model], EDITED[model]
    url, first, second = both_open_the_change_page(admin_for, second_admin, obj, field)

    assert admin_for.post(url, first).status_code == 302
    response = second_admin.post(url, second)

    assert response.status_code == 200
    assert refused_message(model._meta.verbose_name, 2) in response.content.decode()
    # Shown again with what they typed, to copy before opening it again.
    assert response.context["adminform"].form[field].value() == "Typed by the second administrator."
    obj.refresh_from_db()
    assert getattr(obj, field) == "Saved by the first administrator."
    assert obj.version == 2


@pytest.mark.parametrize("model", VERSIONED, ids=lambda model: model._meta.label)
def test_a_save_that_lands_between_the_check_and_the_write_is_still_refused(
    admin_for, second_admin, records, model, monkeypatch
):
    obj, field = records[model], EDITED[model]
    url, first, second = both_open_the_change_page(admin_for, second_admin, obj, field)
    assert admin_for.post(url, first).status_code == 302

    # The second save's form check runs as if the first save had not yet committed.
    checks = []

    def check_too_early(form):
        checks.append(form)
        return forms.ModelForm.clean(form) if len(checks) == 1 else real_clean(form)

    real_clean = VersionedForm.clean
    monkeypatch.setattr(VersionedForm, "clean", check_too_early)
    response = second_admin.post(url, second)

    assert response.status_code == 200
    assert refused_message(model._meta.verbose_name, 2) in response.content.decode()
    obj.refresh_from_db()
    assert getattr(obj, field) == "Saved by the first administrator."
    assert obj.version == 2


@pytest.mark.parametrize("model", VERSIONED, ids=lambda model: model._meta.label)
def test_a_single_administrators_save_is_kept_and_bumps_the_version(admin_for, records, model):
    obj, field = records[model], EDITED[model]
    url, data = open_change_page(admin_for, obj)
    data[field] = "Saved by the only administrator."
    response = admin_for.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert getattr(obj, field) == "Saved by the only administrator."
    assert obj.version == 2


def test_the_evaluation_page_posts_back_the_versions_it_was_opened_with(admin_for, records):
    services.moderation_record(
        evaluation=records[Evaluation], moderated_grade=Grade.GOOD, moderator=None, expected_version=1
    )
    html = admin_for.get(admin_url(Evaluation, "change", records[Evaluation].pk)).content.decode()
    assert '<input type="hidden" name="based_on_version" value="1"' in html
    assert '<input type="hidden" name="moderation-0-based_on_version" value="2"' in html
    assert '<input type="hidden" name="recommendations-0-based_on_version" value="1"' in html


def test_an_administrators_save_after_the_evaluators_autosave_is_refused(admin_for, team, evaluator):
    draft = EvaluationFactory(evaluator=evaluator, team=team)
    url, data = open_change_page(admin_for, draft)
    services.evaluation_save_draft(
        evaluation=draft, actor=evaluator, expected_version=1, fields={"strengths": "Typed by the evaluator."}
    )
    data["strengths"] = "Typed by the administrator."
    response = admin_for.post(url, data)
    assert refused_message("evaluation", 2) in response.content.decode()
    draft.refresh_from_db()
    assert (draft.strengths, draft.version) == ("Typed by the evaluator.", 2)


@pytest.mark.parametrize(
    ("model", "field", "inline_field"),
    [(Moderation, "rationale", "moderation-0-rationale"), (Recommendation, "action", "recommendations-0-action")],
    ids=["moderation", "recommendation"],
)
def test_an_inline_edit_on_the_evaluation_page_is_refused_if_someone_changed_that_row(
    admin_for, second_admin, records, model, field, inline_field
):
    evaluation, obj = records[Evaluation], records[model]
    url, data = open_change_page(admin_for, evaluation)
    obj_url, theirs = open_change_page(second_admin, obj)
    theirs[field] = "Saved on its own page."
    assert second_admin.post(obj_url, theirs).status_code == 302

    data[inline_field] = "Typed on the evaluation page."
    response = admin_for.post(url, data)

    assert response.status_code == 200
    assert refused_message(model._meta.verbose_name, 2) in response.content.decode()
    obj.refresh_from_db()
    evaluation.refresh_from_db()
    assert getattr(obj, field) == "Saved on its own page."
    assert evaluation.version == 1


@pytest.mark.parametrize(
    ("model", "field", "delete_field"),
    [(Moderation, "rationale", "moderation-0-DELETE"), (Recommendation, "action", "recommendations-0-DELETE")],
    ids=["moderation", "recommendation"],
)
def test_deleting_a_row_someone_changed_since_the_page_was_opened_is_refused(
    admin_for, second_admin, records, model, field, delete_field
):
    evaluation, obj = records[Evaluation], records[model]
    url, data = open_change_page(admin_for, evaluation)
    obj_url, theirs = open_change_page(second_admin, obj)
    theirs[field] = "Saved on its own page."
    assert second_admin.post(obj_url, theirs).status_code == 302

    data[delete_field] = "on"
    response = admin_for.post(url, data)

    assert response.status_code == 200
    assert "so it has not been deleted" in response.content.decode()
    assert model.objects.filter(pk=obj.pk, **{field: "Saved on its own page."}).exists()


@pytest.mark.parametrize(
    ("model", "delete_field"),
    [(Moderation, "moderation-0-DELETE"), (Recommendation, "recommendations-0-DELETE")],
    ids=["moderation", "recommendation"],
)
def test_deleting_an_unchanged_row_on_the_evaluation_page_works(admin_for, records, model, delete_field):
    obj = records[model]
    url, data = open_change_page(admin_for, records[Evaluation])
    data[delete_field] = "on"
    assert admin_for.post(url, data).status_code == 302
    assert not model.objects.filter(pk=obj.pk).exists()


def test_an_inline_recommendation_edit_bumps_its_version(admin_for, records):
    url, data = open_change_page(admin_for, records[Evaluation])
    data["recommendations-0-action"] = "Update the chronology this week."
    assert admin_for.post(url, data).status_code == 302
    recommendation = records[Recommendation]
    recommendation.refresh_from_db()
    assert (recommendation.action, recommendation.version) == ("Update the chronology this week.", 2)


# --- Changing the overall grade ----------------------------------------------------------


def test_changing_the_overall_grade_recomputes_the_moderation_outcome(admin_for, administrator, records, moderator):
    evaluation = records[Evaluation]
    services.moderation_record(
        evaluation=evaluation, moderated_grade=Grade.REQUIRES_IMPROVEMENT, moderator=moderator, expected_version=1
    )
    assert Moderation.objects.get(evaluation=evaluation).outcome == Moderation.Outcome.AGREED
    url, data = open_change_page(admin_for, evaluation)
    data["overall_grade"] = Grade.GOOD
    response = admin_for.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    moderation = Moderation.objects.get(evaluation=evaluation)
    assert moderation.outcome == Moderation.Outcome.DOWNGRADED
    assert (moderation.moderated_grade, moderation.moderator, moderation.version) == (
        Grade.REQUIRES_IMPROVEMENT,
        moderator,
        3,
    )
    assert moderation.history.latest().history_user == administrator


def test_changing_the_grade_and_the_moderation_together_records_the_moderation_once(admin_for, records):
    evaluation = records[Evaluation]
    url, data = open_change_page(admin_for, evaluation)
    data["overall_grade"] = Grade.OUTSTANDING
    data["moderation-0-rationale"] = "Good, not outstanding."
    assert admin_for.post(url, data).status_code == 302
    moderation = Moderation.objects.get(evaluation=evaluation)
    assert moderation.outcome == Moderation.Outcome.DOWNGRADED
    assert moderation.version == 2


def test_a_grade_change_that_keeps_the_outcome_leaves_the_moderation_alone(admin_for, records):
    evaluation = records[Evaluation]  # requires improvement, moderated up to good
    url, data = open_change_page(admin_for, evaluation)
    data["overall_grade"] = Grade.INADEQUATE
    assert admin_for.post(url, data).status_code == 302
    moderation = Moderation.objects.get(evaluation=evaluation)
    assert (moderation.outcome, moderation.version) == (Moderation.Outcome.UPGRADED, 1)


# --- Every save goes through a service that validates the model -----------------------------


def test_an_admin_save_with_a_name_as_case_id_is_refused_and_writes_nothing(admin_for, records):
    evaluation = records[Evaluation]
    url, data = open_change_page(admin_for, evaluation)
    data["child_ref"] = "Jo Bloggs"
    data["strengths"] = "Typed with it."
    response = admin_for.post(url, data)
    assert response.status_code == 200
    assert "&#x27;Jo Bloggs&#x27; is not a case id" in response.content.decode()
    evaluation.refresh_from_db()
    assert (evaluation.child_ref, evaluation.strengths, evaluation.version) == ("CHILD123456", "", 1)


def test_an_admin_save_with_a_pillar_grade_not_in_the_scale_is_refused_and_writes_nothing(admin_for, records):
    evaluation = records[Evaluation]
    url, data = open_change_page(admin_for, evaluation)
    data["pillar_grades-0-grade"] = "excellent"
    data["strengths"] = "Typed with it."
    response = admin_for.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice. excellent is not one of the available choices." in response.content.decode()
    evaluation.refresh_from_db()
    assert (evaluation.strengths, evaluation.version) == ("", 1)
    assert set(evaluation.pillar_grades.values_list("grade", flat=True)) == {Grade.REQUIRES_IMPROVEMENT}


def test_clearing_the_grade_of_a_returned_evaluation_is_refused_by_the_service_with_a_message(admin_for, records):
    # The form does not know the rule (status is not one of its fields): the service does.
    evaluation = records[Evaluation]
    url, data = open_change_page(admin_for, evaluation)
    data["overall_grade"] = ""
    data["strengths"] = "Typed with it."
    response = admin_for.post(url, data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["overall_grade"] == ["A returned evaluation needs its overall grade: choose one."]
    assert form["strengths"].value() == "Typed with it."
    evaluation.refresh_from_db()
    assert (evaluation.overall_grade, evaluation.strengths, evaluation.version) == (Grade.REQUIRES_IMPROVEMENT, "", 1)


def test_adding_a_cycle_opens_it_through_the_service(admin_for, administrator):
    response = admin_for.post(admin_url(Cycle, "add"), {"quarter": "2025-26-Q3", "type": CycleType.SERVICE})
    assert response.status_code == 302, response.context["adminform"].form.errors
    cycle = Cycle.objects.get(quarter="2025-26-Q3")
    assert (cycle.opened_by, cycle.status) == (administrator, Cycle.Status.OPEN)
    assert cycle.history.latest().history_user == administrator


def test_a_pillar_grade_saved_on_its_own_page_is_a_new_version_of_its_evaluation(admin_for, records, administrator):
    planning = records[Evaluation].pillar_grades.get(pillar="planning")
    url, data = open_change_page(admin_for, planning)
    data["grade"] = Grade.INADEQUATE
    assert admin_for.post(url, data).status_code == 302
    planning.refresh_from_db()
    assert planning.grade == Grade.INADEQUATE
    assert planning.history.latest().history_user == administrator
    assert Evaluation.objects.get(pk=planning.evaluation_id).version == 2


@pytest.mark.parametrize("model", [PillarGrade, EvaluationFeedback], ids=lambda model: model._meta.label)
def test_a_part_of_an_evaluation_changed_since_its_page_was_opened_is_not_overwritten(
    admin_for, second_admin, records, model
):
    part = records[model]
    url, data = open_change_page(admin_for, part)
    evaluation_url, theirs = open_change_page(second_admin, records[Evaluation])
    theirs["strengths"] = "Saved on the evaluation's page."
    assert second_admin.post(evaluation_url, theirs).status_code == 302

    data["show_me" if model is PillarGrade else "quote"] = "Typed on its own page."
    response = admin_for.post(url, data)

    assert response.status_code == 200
    assert refused_message("evaluation", 2) in response.content.decode()
    part.refresh_from_db()
    assert "Typed on its own page." not in (getattr(part, "show_me", ""), getattr(part, "quote", ""))


def test_marking_a_recommendation_done_in_the_admin_records_when(admin_for, records):
    recommendation = records[Recommendation]
    url, data = open_change_page(admin_for, recommendation)
    data["status"] = Recommendation.Status.DONE
    refused = admin_for.post(url, data)
    assert refused.status_code == 200
    assert "Enter what was done" in refused.content.decode()
    data.update({"outcome_note": "Chronology brought up to date.", "completed_on": "2025-06-20"})
    assert admin_for.post(url, data).status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.version) == (Recommendation.Status.DONE, 2)
    assert recommendation.completed_at is not None


def test_moderating_an_evaluation_that_is_not_returned_is_refused_in_the_admin(admin_for, team, evaluator, moderator):
    draft = EvaluationFactory(evaluator=evaluator, team=team)
    response = admin_for.post(
        admin_url(Moderation, "add"),
        {"evaluation": draft.pk, "moderated_grade": Grade.GOOD, "moderator": moderator.pk},
    )
    assert response.status_code == 200
    assert "Only a returned evaluation can be moderated." in response.content.decode()
    assert not Moderation.objects.exists()


# --- Deleting goes through the services (ServiceAdmin.delete_through_service) -------------
# On the delete page and in the "delete selected" action, a refused delete says why and
# deletes nothing, and an allowed one records who deleted it.


def delete(client, obj):
    """Confirm the admin's delete page of `obj`, following the redirect to the page it lands on."""
    return client.post(admin_url(type(obj), "delete", obj.pk), {"post": "yes"}, follow=True)


def delete_selected(client, model, *objects):
    return client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk for obj in objects], "post": "yes"},
        follow=True,
    )


def deleted_by(obj):
    """Who the history says deleted `obj` (its last history row is the deletion)."""
    last = type(obj).history.filter(id=obj.pk).latest()
    assert last.history_type == "-"
    return last.history_user


# --- Evaluations ---------------------------------------------------------------------------


def test_an_evaluation_with_a_moderation_and_recommendations_is_not_deleted_and_the_page_says_why(admin_for, records):
    evaluation = records[Evaluation]
    response = delete(admin_for, evaluation)

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "PE-2025-0001 cannot be deleted: it has a moderation (delete the moderation first); it has 1 recommendation "
        "in the central record (delete them first). Nothing was deleted."
    ) in page
    assert response.redirect_chain[-1][0] == admin_url(Evaluation, "change", evaluation.pk)
    assert Evaluation.objects.filter(pk=evaluation.pk).exists()
    assert Moderation.objects.filter(evaluation=evaluation).exists()
    assert evaluation.pillar_grades.count() == 4
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_an_evaluation_nothing_rests_on_is_deleted_with_its_parts_and_the_history_names_who(
    admin_for, administrator, team, evaluator
):
    evaluation = completed_evaluation(team=team, evaluator=evaluator, cycle=CycleFactory())
    feedback = EvaluationFeedback.objects.create(evaluation=evaluation, respondent=Respondent.CHILD, spoken_to=True)
    grade = evaluation.pillar_grades.first()

    response = delete(admin_for, evaluation)

    assert response.status_code == 200
    assert "was deleted successfully" in response.content.decode()
    assert not Evaluation.objects.filter(pk=evaluation.pk).exists()
    assert deleted_by(evaluation) == administrator
    assert deleted_by(grade) == administrator
    assert deleted_by(feedback) == administrator


def test_deleting_selected_evaluations_is_all_or_nothing(admin_for, records, team, evaluator):
    free = EvaluationFactory(team=team, evaluator=evaluator, cycle=CycleFactory())
    response = delete_selected(admin_for, Evaluation, free, records[Evaluation])

    assert response.status_code == 200
    page = response.content.decode()
    assert "PE-2025-0001 cannot be deleted: it has a moderation" in page
    assert "Nothing was deleted." in page
    assert Evaluation.objects.filter(pk__in=[free.pk, records[Evaluation].pk]).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_deleting_selected_evaluations_that_nothing_rests_on_records_who(admin_for, administrator, team, evaluator):
    first, second = (EvaluationFactory(team=team, evaluator=evaluator, cycle=CycleFactory()) for _ in range(2))
    response = delete_selected(admin_for, Evaluation, first, second)

    assert "Successfully deleted 2 evaluations." in response.content.decode()
    assert not Evaluation.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert deleted_by(first) == deleted_by(second) == administrator


def test_an_evaluation_that_is_revisited_is_not_deleted(team, evaluator, administrator):
    first = completed_evaluation(team=team, evaluator=evaluator, cycle=CycleFactory())
    revisit = EvaluationFactory(team=team, evaluator=evaluator, child_ref=first.child_ref, revisit_of=first)
    with pytest.raises(ValidationError, match=f"it is revisited by {revisit.reference}"):
        services.evaluation_delete(evaluation=first, actor=administrator)
    assert Evaluation.objects.filter(pk=first.pk).exists()


# --- Pillar grades and feedback: parts of their evaluation -------------------------------


def test_a_pillar_grade_of_a_returned_evaluation_is_not_deleted_and_the_page_says_why(admin_for, records):
    grade = records[Evaluation].pillar_grades.get(pillar="planning")
    response = delete(admin_for, grade)

    assert (
        "A returned evaluation keeps a grade for every pillar: planning cannot be removed, change its grade instead. "
        "Nothing was deleted."
    ) in response.content.decode()
    assert PillarGrade.objects.filter(pk=grade.pk).exists()
    assert Evaluation.objects.get(pk=grade.evaluation_id).version == 1


def test_removing_a_pillar_grade_row_on_a_returned_evaluations_page_is_refused_too(admin_for, records):
    evaluation = records[Evaluation]
    url, data = open_change_page(admin_for, evaluation)
    data["pillar_grades-0-DELETE"] = "on"
    response = admin_for.post(url, data)

    assert response.status_code == 200
    assert "A returned evaluation keeps a grade for every pillar" in response.content.decode()
    assert evaluation.pillar_grades.count() == 4


def test_a_draft_pillar_grade_is_deleted_as_a_new_version_of_its_evaluation(admin_for, administrator, team, evaluator):
    draft = EvaluationFactory(team=team, evaluator=evaluator, cycle=CycleFactory())
    grade = PillarGrade.objects.create(evaluation=draft, pillar="planning", grade=Grade.GOOD)

    response = delete(admin_for, grade)

    assert "was deleted successfully" in response.content.decode()
    assert not PillarGrade.objects.filter(pk=grade.pk).exists()
    assert deleted_by(grade) == administrator
    draft.refresh_from_db()
    assert draft.version == 2
    assert draft.history.latest().history_user == administrator


def test_deleting_selected_feedback_records_who_and_bumps_each_evaluation(admin_for, administrator, records):
    feedback = records[EvaluationFeedback]
    response = delete_selected(admin_for, EvaluationFeedback, feedback)

    assert "Successfully deleted 1 evaluation feedback" in response.content.decode()
    assert not EvaluationFeedback.objects.filter(pk=feedback.pk).exists()
    assert deleted_by(feedback) == administrator
    assert Evaluation.objects.get(pk=feedback.evaluation_id).version == 2


# --- Cycles --------------------------------------------------------------------------------


def test_a_cycle_with_evaluations_is_refused_by_the_service(records, administrator):
    cycle = records[Cycle]
    with pytest.raises(ValidationError, match="has 1 evaluation, so it cannot be deleted: close it instead"):
        services.cycle_delete(cycle=cycle, actor=administrator)
    assert Cycle.objects.filter(pk=cycle.pk).exists()


def test_a_cycle_with_evaluations_is_not_deleted_in_the_admin(admin_for, records):
    cycle = records[Cycle]
    delete(admin_for, cycle)
    delete_selected(admin_for, Cycle, cycle)
    assert Cycle.objects.filter(pk=cycle.pk).exists()
    assert Evaluation.objects.filter(cycle=cycle).exists()


def test_an_empty_cycle_is_deleted_in_the_admin_and_the_history_names_who(admin_for, administrator):
    cycle = services.cycle_open(quarter="2025-26-Q4", type=CycleType.THEMATIC, actor=administrator)
    other = services.cycle_open(quarter="2025-26-Q4", type=CycleType.SERVICE, actor=administrator)

    assert "was deleted successfully" in delete(admin_for, cycle).content.decode()
    assert "Successfully deleted 1 cycle" in delete_selected(admin_for, Cycle, other).content.decode()

    assert not Cycle.objects.filter(pk__in=[cycle.pk, other.pk]).exists()
    assert deleted_by(cycle) == deleted_by(other) == administrator


# --- Moderations and recommendations, and an admin with no delete service ------------------


@pytest.mark.parametrize("model", [Moderation, Recommendation], ids=lambda model: model._meta.label)
def test_moderations_and_recommendations_are_deleted_through_their_service(admin_for, administrator, records, model):
    obj = records[model]
    assert "was deleted successfully" in delete(admin_for, obj).content.decode()
    assert not model.objects.filter(pk=obj.pk).exists()
    assert deleted_by(obj) == administrator


def test_an_admin_with_no_delete_service_offers_no_delete(admin_for, db):
    indicator = Indicator.objects.first()
    assert indicator is not None
    assert admin_for.get(admin_url(Indicator, "delete", indicator.pk)).status_code == 403
