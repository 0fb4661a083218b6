"""Every free-text field has a limit that fits its purpose (evaluations/limits.py), checked by
the form (with a GOV.UK character count), the services, the import and the database; an
autosave of the same page again writes no history."""

import datetime as dt
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.forms.evaluation import SitAlongsideForms
from evaluations.imports import evaluations_import
from evaluations.limits import PASTED_LIST_CHARACTERS, TEXT_LIMITS
from evaluations.models import (
    Evaluation,
    EvaluationFeedback,
    Grade,
    Moderation,
    ModerationPanel,
    ModerationRound,
    Pillar,
    PillarGrade,
    Recommendation,
    Respondent,
    RevisitFinding,
)
from tests.evaluations.test_imports import completed_row, csv_text
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import EvaluationFactory

pytestmark = pytest.mark.django_db

# Text a person never types: ids with their own rule, codes chosen from a list, and tokens.
NOT_FREE_TEXT = {
    ("Cycle", "quarter"),
    ("Evaluation", "reference"),
    ("Evaluation", "child_ref"),
    # An id from the Practice Hub's tracker, checked as one.
    ("Recommendation", "tracker_reference"),
}
# The owner as typed before owners were accounts: kept as it was written, never typed again.
OWNED_ELSEWHERE = {("Recommendation", "owner_text")}


def typed_text_fields():
    """(model, field) for every CharField and TextField people type into, in every model of
    the app except the history tables."""
    for model in apps.get_app_config("evaluations").get_models():
        if model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, models.CharField | models.TextField) or field.choices or not field.editable:
                continue
            key = (model.__name__, field.name)
            if key not in NOT_FREE_TEXT | OWNED_ELSEWHERE:
                yield key


def test_every_free_text_field_has_its_limit_in_the_model():
    fields = sorted(typed_text_fields())
    assert fields == sorted((limit.model, limit.field) for limit in TEXT_LIMITS.all)
    for model, name in fields:
        assert apps.get_model("evaluations", model)._meta.get_field(name).max_length == TEXT_LIMITS(model, name)


def test_the_history_tables_keep_text_of_any_length():
    """What was written before the limits is a record of the past: no constraint cuts or refuses it."""
    for model in {limit.model for limit in TEXT_LIMITS.all}:
        history = apps.get_model("evaluations", f"Historical{model}")
        assert not [c for c in history._meta.constraints if "text_within_limits" in c.name]


# --- The database ----------------------------------------------------------------------


@pytest.fixture
def rows(evaluator, team):
    """One row of every model that holds free text."""
    evaluation = EvaluationFactory(evaluator=evaluator, team=team, overall_grade=Grade.GOOD)
    return {
        "Cycle": evaluation.cycle,
        "Evaluation": evaluation,
        "PillarGrade": PillarGrade.objects.create(evaluation=evaluation, pillar=Pillar.PLANNING),
        "EvaluationFeedback": EvaluationFeedback.objects.create(evaluation=evaluation, respondent=Respondent.CHILD),
        "Moderation": (
            moderation := Moderation.objects.create(
                evaluation=evaluation, moderated_grade=Grade.GOOD, outcome=Moderation.Outcome.AGREED
            )
        ),
        "Recommendation": (
            recommendation := Recommendation.objects.create(
                evaluation=evaluation, action="Update the plan", owner_text="TM"
            )
        ),
        "RevisitFinding": RevisitFinding.objects.create(revisit=evaluation, recommendation=recommendation),
        "ModerationPanel": ModerationPanel.objects.create(cycle=evaluation.cycle, held_on=dt.date(2025, 5, 1)),
        "ModerationRound": ModerationRound.objects.create(
            moderation=moderation,
            number=1,
            moderated_grade=Grade.GOOD,
            outcome=Moderation.Outcome.AGREED,
            replaced_at=timezone.now(),
            replaced_because="A new round",
        ),
    }


@pytest.mark.parametrize("limit", TEXT_LIMITS.all, ids=lambda limit: f"{limit.model}.{limit.field}")
def test_the_database_refuses_text_longer_than_its_limit_written_around_the_model(rows, limit):
    row = rows[limit.model]
    manager = type(row).objects.filter(pk=row.pk)
    manager.update(**{limit.field: "x" * limit.max_length})  # at the limit: kept
    # The check constraint (IntegrityError), or on PostgreSQL a varchar's own length (DataError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        manager.update(**{limit.field: "x" * (limit.max_length + 1)})
    assert len(getattr(type(row).objects.get(pk=row.pk), limit.field)) == limit.max_length


def test_the_limit_counts_characters_not_bytes(rows):
    """'é' is two bytes in UTF-8 and one character: a page of accented text fits its page."""
    evaluation = rows["Evaluation"]
    Evaluation.objects.filter(pk=evaluation.pk).update(strengths="é" * TEXT_LIMITS("Evaluation", "strengths"))


# --- The services ------------------------------------------------------------------------


def test_the_services_refuse_text_longer_than_its_limit_and_write_nothing(rows, moderator, evaluator):
    evaluation = rows["Evaluation"]
    evaluation.status = Evaluation.Status.RETURNED
    evaluation.save()
    moderation = rows["Moderation"]
    too_long = "x" * (TEXT_LIMITS("Moderation", "rationale") + 1)
    with pytest.raises(ValidationError) as refused:
        services.moderation_record(
            evaluation=evaluation,
            moderated_grade=Grade.GOOD,
            moderator=moderator,
            rationale=too_long,
            expected_version=moderation.version,
        )
    assert refused.value.message_dict == {"rationale": ["Ensure this value has at most 2000 characters (it has 2001)."]}
    assert Moderation.objects.get(pk=moderation.pk).rationale == ""

    with pytest.raises(ValidationError) as refused:
        services.recommendation_add(
            evaluation=evaluation, values={"action": "x" * 1001, "owner": evaluator}, actor=evaluator
        )
    assert list(refused.value.message_dict) == ["action"]
    with pytest.raises(ValidationError):
        services.cycle_open(quarter="2025-26-Q1", type="thematic", title="t" * 121, actor=evaluator)


# --- The sit-alongside form and its autosave ---------------------------------------------


@pytest.fixture
def evaluation(evaluator, team):
    return EvaluationFactory(evaluator=evaluator, team=team)


def history_rows() -> int:
    return sum(
        apps.get_model("evaluations", f"Historical{model}").objects.count()
        for model in ("Evaluation", "PillarGrade", "EvaluationFeedback", "Recommendation")
    )


def test_an_autosave_of_ten_megabytes_is_refused_with_a_clear_message_and_writes_nothing(
    client_for, evaluator, evaluation
):
    before = history_rows()
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="x" * 10_400_000)
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "Nothing was saved: shorten the longest answers (each box shows its limit)" in response.json()["error"]
    evaluation.refresh_from_db()
    assert (evaluation.version, evaluation.strengths, evaluation.status) == (1, "", Evaluation.Status.ALLOCATED)
    assert history_rows() == before


def test_an_autosave_a_character_over_the_limit_names_the_field_and_writes_nothing(client_for, evaluator, evaluation):
    before = history_rows()
    limit = TEXT_LIMITS("PillarGrade", "tell_me")
    data = form_data(evaluation, strengths="Kept", **{"pillar-planning-tell_me": "x" * (limit + 1)})
    response = client_for(evaluator).post(reverse("evaluations:autosave", args=[evaluation.pk]), data)
    assert response.status_code == 400
    assert response.json() == {
        "error": "Some answers could not be saved yet.",
        "problems": ["Tell me for planning must be 4,000 characters or less"],
    }
    evaluation.refresh_from_db()
    assert (evaluation.version, evaluation.strengths) == (1, "")
    assert history_rows() == before


def test_text_at_its_limit_is_saved_whole(client_for, evaluator, evaluation):
    limit = TEXT_LIMITS("Evaluation", "strengths")
    response = client_for(evaluator).post(
        reverse("evaluations:autosave", args=[evaluation.pk]), form_data(evaluation, strengths="é" * limit)
    )
    assert response.status_code == 200
    evaluation.refresh_from_db()
    assert evaluation.strengths == "é" * limit


def test_an_over_long_answer_is_an_error_beside_the_field_and_in_the_summary(client_for, evaluator, evaluation):
    quote = "x" * (TEXT_LIMITS("EvaluationFeedback", "quote") + 1)
    response = client_for(evaluator).post(
        reverse("evaluations:form", args=[evaluation.pk]), form_data(evaluation, **{"feedback-child-quote": quote})
    )
    assert response.status_code == 400
    assert response.text.count("What the child or young person said must be 600 characters or less") == 2
    summary = response.text.split('class="govuk-error-summary', 1)[1].split("</div>\n</div>", 1)[0]
    assert 'href="#id_feedback-child-quote"' in summary
    beside = re.search(r'<p id="id_feedback-child-quote-error" class="govuk-error-message">(.*?)</p>', response.text)
    assert "must be 600 characters or less" in beside.group(1)
    assert quote in response.text  # what was typed stays in the box, to be shortened
    assert response.text.startswith("<!DOCTYPE html>") and "<title>Error: " in response.text
    evaluation.refresh_from_db()
    assert evaluation.version == 1


def test_every_box_on_the_form_shows_its_limit_as_a_character_count(client_for, evaluator, evaluation):
    page = client_for(evaluator).get(reverse("evaluations:form", args=[evaluation.pk])).text
    forms = SitAlongsideForms.build(evaluation)
    for form in forms.all_forms():
        for name, field in form.fields.items():
            if getattr(field, "max_length", None) and name != "version":
                field_id = form[name].auto_id
                group = re.search(rf'<div class="govuk-form-group[^"]*" id="group-{field_id}"[^>]*>', page).group()
                assert 'class="govuk-form-group govuk-character-count"' in group, name
                assert f'data-maxlength="{field.max_length}"' in group
                assert f'<div id="{field_id}-info" class="govuk-hint govuk-character-count__message">' in page
                assert f"You can enter up to {field.max_length:,} characters" in page
    # Four pillars of two, six on the evaluation, three people of two, two empty recommendations of
    # one (the owner is chosen from the accounts, not typed).
    assert page.count('data-module="govuk-character-count"') == 4 * 2 + 6 + 3 * 2 + 2 * 1


def every_box_at_its_limit(evaluation) -> dict:
    data = form_data(evaluation, **{"recommendations-0-due_date": "2030-01-01"})
    for form in SitAlongsideForms.build(evaluation).all_forms()[:-1]:
        for name, field in form.fields.items():
            if getattr(field, "max_length", None) and name != "version":
                data[form.add_prefix(name)] = "é" * field.max_length
    return data


def test_the_same_autosave_again_writes_no_history_and_keeps_the_version(client_for, evaluator, evaluation):
    client = client_for(evaluator)
    url = reverse("evaluations:autosave", args=[evaluation.pk])
    data = every_box_at_its_limit(evaluation)
    first = client.post(url, data).json()
    assert Evaluation.objects.get(pk=evaluation.pk).recommendations.get().action == "é" * 1000
    after_first = history_rows()
    for _ in range(20):
        again = client.post(url, {**data, "version": first["version"]})
        assert again.status_code == 200
        assert again.json()["version"] == first["version"]
    assert history_rows() == after_first


def test_a_change_writes_history_only_for_the_row_it_changes(client_for, evaluator, evaluation):
    """So 20 autosaves of a page at its limits add at most 20 copies of what changed."""
    client = client_for(evaluator)
    url = reverse("evaluations:autosave", args=[evaluation.pk])
    version = client.post(url, form_data(evaluation)).json()["version"]
    pillars = PillarGrade.history.count()
    evaluations = Evaluation.history.count()
    changed = form_data(evaluation, **{"pillar-planning-tell_me": "More about the plan"})
    assert client.post(url, {**changed, "version": version}).status_code == 200
    assert PillarGrade.history.count() == pillars + 1
    assert Evaluation.history.count() == evaluations + 1  # its version and when it was saved


def test_the_largest_sit_alongside_form_fits_the_request_limit_many_times(settings, evaluation):
    """Every box at its limit, each character percent-encoded as four UTF-8 bytes (12 bytes), is
    still a form PQA reads: a refusal for size only ever means text far over its limits."""
    forms = SitAlongsideForms.build(evaluation)
    rows = forms.recommendations.max_num

    def most(form) -> int:
        return sum(getattr(field, "max_length", None) or 40 for field in form.fields.values())

    characters = sum(most(form) for form in forms.all_forms()[:-2]) + rows * most(forms.recommendations.empty_form)
    assert characters * 12 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert PASTED_LIST_CHARACTERS * 12 < settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# --- The import ----------------------------------------------------------------------------


def test_the_import_refuses_an_over_long_value_at_its_row_and_column(team, evaluator, practice_hub):
    limit = TEXT_LIMITS("Evaluation", "child_ethnicity")
    text = csv_text(completed_row(), completed_row(reference="PE-2024-0002", child_ethnicity="x" * (limit + 1)))
    result = evaluations_import(file=text, actor=practice_hub)
    assert [str(problem) for problem in result.problems] == [
        f"row 3, column child_ethnicity: ensure this value has at most {limit} characters (it has {limit + 1})",
    ]
    assert not Evaluation.objects.exists()


def test_a_cycle_title_over_its_limit_is_refused_on_the_page(client_for, practice_hub):
    response = client_for(practice_hub).post(
        reverse("evaluations:cycle_create"), {"quarter": "2025-26-Q1", "type": "thematic", "title": "t" * 121}
    )
    assert response.status_code == 200
    assert "The title must be 120 characters or less" in response.text
    assert 'data-module="govuk-character-count" data-maxlength="120" data-threshold="75"' in response.text
    assert ' maxlength="120"' not in response.text  # the browser would cut a pasted title silently


# --- The docs ------------------------------------------------------------------------------


def test_the_docs_table_of_limits_is_the_codes():
    text = (settings.BASE_DIR / "docs" / "practice-evaluations.md").read_text()
    table = text.split("checked by tests/evaluations/test_text_limits.py -->\n", 1)[1].split("\n<!-- end", 1)[0]
    assert table == TEXT_LIMITS.markdown(), "regenerate the table with TEXT_LIMITS.markdown()"


def test_the_history_bound_in_the_security_docs_follows_from_the_limits():
    evaluation = sum(TEXT_LIMITS.of("Evaluation").values())
    pillar = sum(TEXT_LIMITS.of("PillarGrade").values())
    feedback = sum(TEXT_LIMITS.of("EvaluationFeedback").values())
    recommendation = TEXT_LIMITS("Recommendation", "action")  # the owner is an account, not text
    form = evaluation + 4 * pillar + 3 * feedback + 20 * recommendation
    text = " ".join((settings.BASE_DIR / "docs" / "security.md").read_text().split())
    assert f"at most {evaluation:,} characters of text) and the changed part (a pillar at most {pillar:,}" in text
    assert f"feedback {feedback:,}, a recommendation {recommendation:,})" in text
    assert f"20 × {form:,} characters" in text
