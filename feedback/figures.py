"""A quarter's feedback figures: exactly the `pqa_feedback` object of
docs/contracts/feedback-csv.md, for the command, /pqa/feedback.json and the figures page.

Counted by the database: one aggregate query per kind of record (with the service area's
look-up, a fixed number whatever the quarter holds). The complaints part is the complaints
module's (`feedback.complaints.selectors.complaint_figures`)."""

from __future__ import annotations

from django.db.models import Count, Q

from feedback.complaints.selectors import complaint_figures
from feedback.models import (
    STANDARD_QUESTIONS,
    AdvocacyReferral,
    AdvocacySource,
    Compliment,
    ComplimentFrom,
    FeedbackAnswer,
    FeedbackRespondent,
    FeedbackResponse,
    Rating,
)

# The words the reporting layer (pqa/reporting) draws these figures with: it reads this app
# through this module and the selectors only, so the enums it needs are offered here too.
from feedback.models import Complainant as Complainant
from feedback.models import Outcome as Outcome
from feedback.models import Theme as Theme
from pqa.models import ServiceArea
from pqa.quarters import Quarter


class FiguresError(ValueError):
    """A malformed quarter or an unknown service area: the message says which."""


def share(count: int, total: int) -> float | None:
    """A fraction rounded to 4 places; None (JSON null) when there is nothing to divide by."""
    return round(count / total, 4) if total else None


def _counts(model, date_field: str, scope: Q, groups: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """One query: the records in scope, and per (field, value) how many hold that value."""
    aggregates = {"total": Count("pk")}
    for field, values in groups.items():
        for value in values:
            aggregates[f"{field}__{value}"] = Count("pk", filter=Q(**{field: value}))
    return model.objects.filter(scope).aggregate(**aggregates)


def resolve(*, quarter: str, service_area: str | None) -> tuple[Quarter, ServiceArea | None]:
    """The quarter and service area asked for, or FiguresError saying what is wrong."""
    try:
        period = Quarter.parse((quarter or "").strip())
    except ValueError as error:
        raise FiguresError(str(error)) from error
    area = None
    if service_area:
        area = ServiceArea.objects.filter(name__iexact=service_area.strip()).first()
        if area is None:
            raise FiguresError(f"'{service_area}' is not a service area")
    return period, area


def _in(period: Quarter, field: str, area: ServiceArea | None) -> Q:
    scope = Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})
    return scope & Q(service_area=area) if area is not None else scope


def voice_figures(period: Quarter, area: ServiceArea | None) -> dict:
    """Compliments, responses and advocacy: three queries."""
    compliments = _counts(
        Compliment, "received", _in(period, "received", area), {"from_whom": tuple(ComplimentFrom.values)}
    )
    answers = tuple(FeedbackAnswer.values)
    groups = {"respondent": tuple(FeedbackRespondent.values), "rating": tuple(Rating.values)}
    groups.update({field: answers for field, _ in STANDARD_QUESTIONS})
    responses = _counts(FeedbackResponse, "date", _in(period, "date", area), groups)
    advocacy = _counts(AdvocacyReferral, "date", _in(period, "date", area), {"source": tuple(AdvocacySource.values)})
    return {
        "compliments": {
            "received": compliments["total"],
            "by_from": {value: compliments[f"from_whom__{value}"] for value in ComplimentFrom.values},
        },
        "responses": {
            "received": responses["total"],
            "by_respondent": {value: responses[f"respondent__{value}"] for value in FeedbackRespondent.values},
            "questions": {
                field: {answer: responses[f"{field}__{answer}"] for answer in answers}
                for field, _ in STANDARD_QUESTIONS
            },
            "ratings": {value: responses[f"rating__{value}"] for value in Rating.values},
        },
        "advocacy": {
            "referrals": advocacy["total"],
            "by_source": {value: advocacy[f"source__{value}"] for value in AdvocacySource.values},
            "from_social_work_share": share(advocacy["source__social_work_team"], advocacy["total"]),
        },
    }


def feedback_figures(*, quarter: str, service_area: str | None = None) -> dict:
    """The contract's `pqa_feedback` object for a quarter (and a service area, by name, any
    letter case). FiguresError for a malformed quarter or an unknown service area."""
    period, area = resolve(quarter=quarter, service_area=service_area)
    complaints = complaint_figures(quarter=str(period), service_area=area.name if area else None)
    return {
        "quarter": str(period),
        "service_area": area.name if area else None,
        "complaints": complaints,
        **voice_figures(period, area),
    }
