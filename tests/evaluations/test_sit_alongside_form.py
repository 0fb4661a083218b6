"""The evaluator's sit-alongside form: drafts, autosave, submission and what others see."""

import datetime as dt
import re
from html import escape

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation, Grade, Pillar, Recommendation
from pqa.models import Role
from tests.factories import EvaluationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def form_data(evaluation, **overrides):
    """What the browser posts for a fully answered evaluation graded good."""
    data = {
        "version": evaluation.version,
        "evaluation_date": "2025-05-01",
        "overall_grade": "good",
        "intervention_appropriate": "yes",
        "positive_difference": "yes",
        "record_reflects_work": "partly",
        "edi_considered": "yes",
        "fathers_included": "not_applicable",
        "strengths": "Strong relationship with the child.",
        "areas_for_development": "Chronology needs updating.",
        "recommendations-TOTAL_FORMS": "2",
        "recommendations-INITIAL_FORMS": "0",
        "recommendations-MIN_NUM_FORMS": "0",
        "recommendations-MAX_NUM_FORMS": "20",
    }
    for pillar in Pillar.values:
        data[f"pillar-{pillar}-tell_me"] = f"Told about {pillar}"
        data[f"pillar-{pillar}-show_me"] = f"Shown {pillar} in the record"
        data[f"pillar-{pillar}-grade"] = "good"
    data["feedback-child-spoken_to"] = "yes"
    data["feedback-child-understood_why"] = "yes"
    data["feedback-child-quote"] = "She listens to me."
    data.update(overrides)
    return as_date_inputs({key: value for key, value in data.items() if value is not None})


def as_date_inputs(data: dict) -> dict:
    """Dates as the GOV.UK date input posts them: NAME_0, NAME_1, NAME_2 for day, month, year."""
    posted = {}
    for key, value in data.items():
        if key == "evaluation_date" or key.endswith("-due_date"):
            day = month = year = ""
            if value:
                date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
                day, month, year = str(date.day), str(date.month), str(date.year)
            posted.update({f"{key}_0": day, f"{key}_1": month, f"{key}_2": year})
        else:
            posted[key] = value
    return posted


@pytest.fixture
def evaluation(evaluator, team):
    return EvaluationFactory(evaluator=evaluator, team=team)


def test_my_evaluations_lists_what_is_allocated_to_me_with_its_due_date(client_for, evaluator, evaluation):
    other = EvaluationFactory(evaluator=UserFactory())
    response = client_for(evaluator).get(reverse("evaluations:mine"))
    assert response.status_code == 200
    assert evaluation.reference in response.text
    assert evaluation.due_date.strftime("%-d %b %Y") in response.text
    assert other.reference not in response.text


def test_the_form_shows_the_four_pillars_with_grade_descriptors(client_for, evaluator, evaluation):
    response = client_for(evaluator).get(reverse("evaluations:form", args=[evaluation.pk]))
    assert response.status_code == 200
    for pillar in Pillar:
        assert escape(pillar.label) in response.text
    assert "Tell me" in response.text and "Show me" in response.text
    assert "could be used as an example for others" in response.text  # the Outstanding descriptor


def test_saving_a_draft_keeps_everything_typed_even_when_incomplete(client_for, evaluator, evaluation):
    data = form_data(evaluation, overall_grade=None, **{"pillar-planning-grade": None})
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.IN_PROGRESS
    assert evaluation.strengths == "Strong relationship with the child."
    assert evaluation.pillar_grades.get(pillar="childs_voice").tell_me == "Told about childs_voice"
    assert evaluation.feedback_gathered.get(respondent="child").quote == "She listens to me."
    page = client_for(evaluator).get(reverse("evaluations:form", args=[evaluation.pk]))
    assert "Chronology needs updating." in page.text


def test_autosave_saves_the_draft_and_returns_the_new_version(client_for, evaluator, evaluation):
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="Typed so far")
    )
    assert response.status_code == 200
    body = response.json()
    evaluation.refresh_from_db()
    assert body["version"] == evaluation.version == 2
    assert evaluation.strengths == "Typed so far"
    assert "Draft saved" in body["message"]


def test_an_autosave_based_on_an_old_version_is_refused_not_overwritten(client_for, evaluator, evaluation):
    client = client_for(evaluator)
    client.post(reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="First tab"))
    stale = form_data(evaluation, strengths="Second tab")  # still carries version 1
    response = client.post(reverse("evaluations:autosave", args=[evaluation.pk]), stale)
    assert response.status_code == 409
    assert "after you opened it" in response.json()["error"]
    evaluation.refresh_from_db()
    assert evaluation.strengths == "First tab"


def test_a_conflicting_save_keeps_the_typed_version_on_the_page(client_for, evaluator, evaluation):
    client = client_for(evaluator)
    client.post(
        reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="Saved elsewhere")
    )
    response = client.post(
        reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, strengths="My own words")
    )
    assert response.status_code == 409
    assert "My own words" in response.text
    assert "have not been saved yet" in response.text
    evaluation.refresh_from_db()
    assert evaluation.strengths == "Saved elsewhere"


def test_submitting_with_a_missing_grade_lists_the_problem_at_the_top_and_beside_the_field(
    client_for, evaluator, evaluation
):
    data = form_data(evaluation, overall_grade=None, **{"pillar-assessment-grade": None}, submit="1")
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    assert response.status_code == 400
    text = response.text
    assert "There is a problem" in text
    assert 'href="#id_overall_grade_0"' in text
    assert 'href="#id_pillar-assessment-grade_0"' in text
    assert 'id="id_pillar-assessment-grade-error"' in text
    assert "Select a grade for assessment" in text
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.IN_PROGRESS  # saved as a draft, not submitted
    assert evaluation.strengths == "Strong relationship with the child."


def test_requires_improvement_cannot_be_submitted_without_a_recommendation(client_for, evaluator, evaluation):
    data = form_data(evaluation, overall_grade="requires_improvement", submit="1")
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    assert response.status_code == 400
    assert "Add at least one recommendation" in response.text

    data.update(
        {
            "version": Evaluation.objects.get(pk=evaluation.pk).version,
            "recommendations-0-action": "Update the chronology",
            "recommendations-0-owner": evaluator.pk,
            **as_date_inputs({"recommendations-0-due_date": "2025-07-01"}),
        }
    )
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.RETURNED
    assert list(Recommendation.objects.filter(evaluation=evaluation).values_list("action", flat=True)) == [
        "Update the chronology"
    ]


def test_a_submitted_evaluation_can_be_read_but_not_changed_by_its_evaluator(client_for, evaluator, evaluation):
    client = client_for(evaluator)
    response = client.post(reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, submit="1"))
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.RETURNED
    assert evaluation.submitted_at is not None
    assert client.get(reverse("evaluations:form", args=[evaluation.pk])).status_code == 302
    assert client.post(reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation)).status_code == 409
    detail = client.get(reverse("evaluations:detail", args=[evaluation.pk]))
    assert detail.status_code == 200
    assert "Told about planning" in detail.text
    assert "Continue the evaluation" not in detail.text


def test_the_team_manager_sees_a_submitted_evaluation_but_not_a_draft(client_for, evaluator, evaluation, team):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    assert client_for(manager).get(reverse("evaluations:detail", args=[evaluation.pk])).status_code == 404
    client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, submit="1"))
    assert client_for(manager).get(reverse("evaluations:detail", args=[evaluation.pk])).status_code == 200


def test_another_evaluators_evaluation_is_not_found(client_for, evaluation):
    stranger = UserFactory(role=Role.EVALUATOR)
    client = client_for(stranger)
    assert client.get(reverse("evaluations:detail", args=[evaluation.pk])).status_code == 404
    assert client.get(reverse("evaluations:form", args=[evaluation.pk])).status_code == 404
    assert client.post(reverse("evaluations:autosave", args=[evaluation.pk]), {}).status_code == 404


def test_a_safeguarding_concern_notifies_the_team_manager_and_practice_hub_once(
    client_for, evaluator, evaluation, team, django_capture_on_commit_callbacks
):
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team, email="manager@trust.example")
    UserFactory(role=Role.TEAM_MANAGER, team=None, email="elsewhere@trust.example")
    UserFactory(role=Role.PRACTICE_HUB, email="hub@trust.example")
    data = form_data(evaluation, safeguarding_concern="on", safeguarding_description="Unexplained bruising seen.")
    client = client_for(evaluator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evaluations:autosave", args=[evaluation.pk]), data)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["hub@trust.example", manager.email]
    assert evaluation.reference in message.subject
    assert evaluation.child_ref in message.body
    # What was found stays in PQA; the e-mail links to it.
    assert "Unexplained bruising" not in message.body
    assert f"http://127.0.0.1:8000/evaluations/{evaluation.pk}/safeguarding/" in message.body
    evaluation.refresh_from_db()
    assert evaluation.safeguarding_reported_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evaluations:autosave", args=[evaluation.pk]), {**data, "version": evaluation.version})
    assert len(mail.outbox) == 1  # told once, not on every save


def test_the_alert_links_to_the_concern_as_last_saved_not_as_first_autosaved(
    client_for, evaluator, evaluation, team, django_capture_on_commit_callbacks
):
    """An autosave can catch a sentence half typed: the alert goes at once, and the manager who
    follows its link reads what the evaluator has written since."""
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    evaluator_client = client_for(evaluator)
    half = form_data(evaluation, safeguarding_concern="on", safeguarding_description="Unexplained bru")
    with django_capture_on_commit_callbacks(execute=True):
        version = evaluator_client.post(reverse("evaluations:autosave", args=[evaluation.pk]), half).json()["version"]
    assert len(mail.outbox) == 1
    whole = {**half, "safeguarding_description": "Unexplained bruising on both arms, seen on the home visit."}
    with django_capture_on_commit_callbacks(execute=True):
        evaluator_client.post(reverse("evaluations:autosave", args=[evaluation.pk]), {**whole, "version": version})
    assert len(mail.outbox) == 1

    link = reverse("evaluations:safeguarding", args=[evaluation.pk])
    assert link in mail.outbox[0].body
    page = client_for(manager).get(link)
    assert page.status_code == 200
    assert "Unexplained bruising on both arms, seen on the home visit." in page.text
    assert "still a draft" in page.text
    assert evaluation.child_ref in page.text


def test_the_concern_page_is_for_those_who_must_act_on_it(client_for, evaluator, evaluation, team):
    evaluation.safeguarding_concern = True
    evaluation.safeguarding_description = "Seen."
    evaluation.safeguarding_reported_at = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC)
    evaluation.save()
    link = reverse("evaluations:safeguarding", args=[evaluation.pk])
    allowed = [
        evaluator,
        UserFactory(role=Role.TEAM_MANAGER, team=team),  # a draft, yet the team's manager reads it
        UserFactory(role=Role.PRACTICE_HUB),
        UserFactory(role=Role.MODERATOR),
        UserFactory(role=Role.LEADER),
    ]
    refused = [
        UserFactory(role=Role.EVALUATOR),
        UserFactory(role=Role.TEAM_MANAGER, team=TeamFactory()),
        UserFactory(role=Role.CUSTOMER_RELATIONS),
    ]
    assert [client_for(person).get(link).status_code for person in allowed] == [200] * len(allowed)
    assert [client_for(person).get(link).status_code for person in refused] == [404] * len(refused)


def test_a_concern_never_reported_has_no_page_and_one_taken_back_says_so(client_for, evaluator, evaluation, team):
    link = reverse("evaluations:safeguarding", args=[evaluation.pk])
    manager = UserFactory(role=Role.TEAM_MANAGER, team=team)
    assert client_for(manager).get(link).status_code == 404
    evaluation.safeguarding_reported_at = dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC)
    evaluation.safeguarding_concern = False
    evaluation.save()
    page = client_for(manager).get(link)
    assert page.status_code == 200
    assert "has since removed the safeguarding concern" in page.text


def test_a_future_conversation_date_cannot_be_submitted(client_for, evaluator, evaluation):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    data = form_data(evaluation, evaluation_date=tomorrow, submit="1")
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    assert response.status_code == 400
    assert "must be today or in the past" in response.text


def test_submitted_grades_are_stored_per_pillar(client_for, evaluator, evaluation):
    data = form_data(evaluation, submit="1", **{"pillar-oversight-grade": "requires_improvement"})
    data.update(
        {
            "recommendations-0-action": "Monthly supervision",
            "recommendations-0-owner": evaluator.pk,
            **as_date_inputs({"recommendations-0-due_date": "2025-08-01"}),
        }
    )
    client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), data)
    grades = dict(evaluation.pillar_grades.values_list("pillar", "grade"))
    assert grades == {
        "childs_voice": Grade.GOOD,
        "assessment": Grade.GOOD,
        "planning": Grade.GOOD,
        "oversight": Grade.REQUIRES_IMPROVEMENT,
    }


def test_saving_the_page_shown_after_a_conflict_keeps_my_version_and_settles_the_kept_copy(
    client_for, evaluator, evaluation
):
    from pqa.models import EditConflict

    client = client_for(evaluator)
    client.post(reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="Elsewhere"))
    refused = client.post(reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, strengths="Mine"))
    assert refused.status_code == 409
    kept = EditConflict.objects.get(user=evaluator, resolved_at__isnull=True)
    assert f'name="resolves_conflict" value="{kept.pk}"' in refused.text

    evaluation.refresh_from_db()
    again = form_data(evaluation, strengths="Mine", resolves_conflict=str(kept.pk))
    assert client.post(reverse("evaluations:form", args=[evaluation.pk]), again).status_code == 302
    evaluation.refresh_from_db()
    kept.refresh_from_db()
    assert evaluation.strengths == "Mine"
    assert kept.resolution == EditConflict.Resolution.APPLIED


def test_a_recommendation_saved_by_autosave_is_kept_when_the_same_page_is_submitted(client_for, evaluator, evaluation):
    client = client_for(evaluator)
    data = form_data(
        evaluation,
        overall_grade="requires_improvement",
        **{
            "recommendations-0-action": "Update the chronology",
            "recommendations-0-owner": evaluator.pk,
            **as_date_inputs({"recommendations-0-due_date": "2025-07-01"}),
        },
    )
    assert client.post(reverse("evaluations:autosave", args=[evaluation.pk]), data).status_code == 200
    assert evaluation.recommendations.count() == 1
    again = {**data, "version": Evaluation.objects.get(pk=evaluation.pk).version}
    assert client.post(reverse("evaluations:autosave", args=[evaluation.pk]), again).status_code == 200
    assert evaluation.recommendations.count() == 1  # the page still shows it, so it is still there
    submit = {**again, "version": Evaluation.objects.get(pk=evaluation.pk).version, "submit": "1"}
    assert client.post(reverse("evaluations:form", args=[evaluation.pk]), submit).status_code == 302
    assert list(evaluation.recommendations.values_list("action", flat=True)) == ["Update the chronology"]


def test_the_error_summary_lists_the_problems_in_the_order_of_the_form(client_for, evaluator, evaluation):
    """Submitting an empty form: the summary reads top to bottom as the page does (the date,
    the four pillars, then the overall grade and headline questions), and each link reaches
    a field that is on the page."""
    empty = {
        "version": evaluation.version,
        "submit": "1",
        "recommendations-TOTAL_FORMS": "0",
        "recommendations-INITIAL_FORMS": "0",
        "recommendations-MIN_NUM_FORMS": "0",
        "recommendations-MAX_NUM_FORMS": "20",
    }
    response = client_for(evaluator).post(reverse("evaluations:form", args=[evaluation.pk]), empty)
    page = response.content.decode()
    start = page.index("govuk-error-summary__list")
    end = page.index("</ul>", start)
    anchors = re.findall(r'href="#([^"]+)"', page[start:end])
    assert len(anchors) >= 8, page[start:end]
    body = page[end:]
    positions = [body.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions), anchors
    assert anchors[0] == "id_evaluation_date_0"  # the date is reached through its day
    assert anchors.index("id_pillar-childs_voice-grade_0") < anchors.index("id_overall_grade_0")


@pytest.mark.parametrize("url_name", ["evaluations:autosave", "evaluations:form"])
def test_a_save_reads_the_saved_answers_once_under_the_lock_not_before(client_for, evaluator, evaluation, url_name):
    """The posted page brings every answer, so the view does not read the saved pillar grades,
    feedback and recommendations: only the save service does, under the evaluation's row lock."""
    client = client_for(evaluator)
    client.post(reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="First"))
    evaluation.refresh_from_db()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse(url_name, args=[evaluation.pk]), form_data(evaluation, strengths="Second"))
    assert response.status_code in (200, 302)
    evaluation.refresh_from_db()
    assert evaluation.strengths == "Second"
    for table in ("evaluations_pillargrade", "evaluations_evaluationfeedback", "evaluations_recommendation"):
        reads = [query for query in captured if query["sql"].startswith("SELECT") and f'FROM "{table}"' in query["sql"]]
        assert len(reads) == 1, table


def test_the_form_opens_in_the_same_few_queries_however_many_people_and_recommendations(
    client_for, evaluator, evaluation
):
    """The form is the evaluator's busiest page: its queries do not grow with the people who
    can own a recommendation or with the recommendations already written."""
    client = client_for(evaluator)
    url = reverse("evaluations:form", args=[evaluation.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(20):
        UserFactory(team=evaluation.team if index % 2 else None)
    data = form_data(evaluation)
    for row in range(2):
        data.update(
            as_date_inputs(
                {
                    f"recommendations-{row}-action": f"Action {row}",
                    f"recommendations-{row}-owner": str(evaluator.pk),
                    f"recommendations-{row}-due_date": "2025-07-01",
                }
            )
        )
    assert client.post(reverse("evaluations:autosave", args=[evaluation.pk]), data).status_code == 200
    assert evaluation.recommendations.count() == 2
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.status_code == 200 and "Action 1" in page.text
    assert len(many) == len(few) <= 10, [query["sql"] for query in many]
