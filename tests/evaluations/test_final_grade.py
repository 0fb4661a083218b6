"""The grade that stands is the one a reader sees: the moderated grade where there is one, in
its own colour, with the evaluator's grade beside it when moderation changed it."""

import re

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Evaluation, Grade
from evaluations.templatetags.evaluations_tags import GRADE_COLOURS
from tests.factories import CycleFactory, EvaluationFactory, completed_evaluation


@pytest.fixture
def cycle(db):
    return CycleFactory(quarter="2025-26-Q2")


@pytest.fixture
def lowered(cycle, team, evaluator, moderator):
    """Returned as good; the moderator lowered it to requires improvement."""
    evaluation = completed_evaluation(cycle=cycle, team=team, evaluator=evaluator, grade=Grade.GOOD, reference="PE-1")
    services.moderation_record(evaluation=evaluation, moderated_grade=Grade.REQUIRES_IMPROVEMENT, moderator=moderator)
    return evaluation


@pytest.fixture
def agreed(cycle, team, evaluator, moderator):
    evaluation = completed_evaluation(
        cycle=cycle, team=team, evaluator=evaluator, grade=Grade.OUTSTANDING, reference="PE-2"
    )
    services.moderation_record(evaluation=evaluation, moderated_grade=Grade.OUTSTANDING, moderator=moderator)
    return evaluation


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" )", ")")


def row_of(html: str, reference: str) -> str:
    match = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{reference}(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, f"no row for {reference}"
    return match.group(0)


def tag_colour(html: str, label: str) -> str:
    match = re.search(rf'<strong class="govuk-tag govuk-tag--([a-z-]+)">{label}</strong>', html)
    assert match, f"no tag {label!r}"
    return match.group(1)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("moderator", lambda evaluation: reverse("evaluations:list")),
        ("evaluator", lambda evaluation: reverse("evaluations:mine")),
        ("practice_hub", lambda evaluation: reverse("evaluations:cycle_detail", args=[evaluation.cycle_id])),
    ],
)
def test_a_list_shows_the_final_grade_in_its_colour_and_the_evaluators_grade_beside_it(
    client_for, request, lowered, agreed, who, url
):
    html = client_for(request.getfixturevalue(who)).get(url(lowered)).content.decode()

    row = row_of(html, "PE-1")
    final = Grade.REQUIRES_IMPROVEMENT.label
    assert f"{final} (evaluator: {Grade.GOOD.label})" in text(row)
    assert tag_colour(row, final) == GRADE_COLOURS[Grade.REQUIRES_IMPROVEMENT] == "orange"
    assert f">{Grade.GOOD.label}</strong>" not in row  # the evaluator's grade is words, not a tag

    agreed_row = row_of(html, "PE-2")
    assert tag_colour(agreed_row, Grade.OUTSTANDING.label) == "green"
    assert "evaluator:" not in agreed_row


def test_an_evaluation_that_is_not_returned_shows_no_final_grade(client_for, moderator, cycle, team, evaluator):
    EvaluationFactory(
        cycle=cycle,
        team=team,
        evaluator=evaluator,
        reference="PE-3",
        status=Evaluation.Status.IN_PROGRESS,
        overall_grade=Grade.GOOD,
    )
    row = row_of(client_for(moderator).get(reverse("evaluations:list")).content.decode(), "PE-3")
    assert "Not returned yet" in text(row)
    assert Grade.GOOD.label not in row


def test_the_detail_page_shows_the_final_grade_and_the_evaluators(client_for, moderator, lowered):
    html = client_for(moderator).get(reverse("evaluations:detail", args=[lowered.pk])).content.decode()
    page = text(html)
    assert f"Final grade {Grade.REQUIRES_IMPROVEMENT.label} (evaluator: {Grade.GOOD.label})" in page
    assert f"Evaluator’s overall grade {Grade.GOOD.label}" in page
    assert tag_colour(html, Grade.GOOD.label) == "turquoise"


def test_status_tags_take_their_colours_from_the_one_map(client_for, moderator, lowered):
    html = client_for(moderator).get(reverse("evaluations:list")).content.decode()
    assert tag_colour(row_of(html, "PE-1"), "Returned") == "green"


def test_filtering_by_grade_finds_the_final_grade_not_the_evaluators(client_for, moderator, lowered, agreed):
    def listed(grade):
        response = client_for(moderator).get(reverse("evaluations:list"), {"grade": grade})
        return {evaluation.reference for evaluation in response.context["page"].object_list}

    assert listed(Grade.REQUIRES_IMPROVEMENT) == {"PE-1"}
    assert listed(Grade.GOOD) == set()
    assert listed(Grade.OUTSTANDING) == {"PE-2"}
