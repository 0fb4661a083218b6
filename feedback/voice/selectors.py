"""Reads of compliments, responses and advocacy referrals, scoped to the person: all for those
who record, their team's for a team manager, nothing for anyone else (a foreign id is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from feedback.models import AdvocacyReferral, Compliment, FeedbackResponse
from feedback.models.voice import STANDARD_QUESTIONS
from feedback.voice.permissions import can_list_voice, can_record_voice
from pqa.feed.columns import Column, code_field, yes_no
from pqa.models import Role
from pqa.permissions import role_of
from pqa.quarters import Quarter


def _scoped(queryset: QuerySet, user, *, by_team: bool = True) -> QuerySet:
    if can_record_voice(user):
        return queryset
    if can_list_voice(user) and role_of(user) == Role.TEAM_MANAGER:
        # Advocacy referrals name no team: a manager sees their service area's.
        if by_team:
            return queryset.filter(team_id=user.team_id)
        return queryset.filter(service_area_id=user.team.service_area_id)
    return queryset.none()


def compliments_for(user) -> QuerySet[Compliment]:
    return _scoped(Compliment.objects.select_related("service_area", "team"), user)


def responses_for(user) -> QuerySet[FeedbackResponse]:
    return _scoped(FeedbackResponse.objects.select_related("service_area", "team"), user)


def referrals_for(user) -> QuerySet[AdvocacyReferral]:
    return _scoped(AdvocacyReferral.objects.select_related("service_area"), user, by_team=False)


def _get(queryset: QuerySet, pk: int):
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as missing:
        raise Http404("No such record") from missing


def compliment_get_for_user(*, user, pk: int) -> Compliment:
    return _get(compliments_for(user), pk)


def response_get_for_user(*, user, pk: int) -> FeedbackResponse:
    return _get(responses_for(user), pk)


def referral_get_for_user(*, user, pk: int) -> AdvocacyReferral:
    return _get(referrals_for(user), pk)


def shareable_extracts(user) -> QuerySet[Compliment]:
    """The compliments whose redacted extract may be shared in reports, newest first."""
    return compliments_for(user).filter(may_share=True).exclude(extract="")


def quarter_shareable_compliments(quarter: Quarter) -> QuerySet[Compliment]:
    """For the quarterly report: the quarter's compliments (by date received) whose redacted
    extract may be shared; never one without consent or without an extract. Oldest first."""
    return (
        Compliment.objects.filter(received__range=(quarter.start, quarter.end), may_share=True)
        .exclude(extract="")
        .only("pk", "received", "extract")
        .order_by("received", "reference")
    )


def quarter_quotable_responses(quarter: Quarter) -> QuerySet[FeedbackResponse]:
    """For the quarterly report: the quarter's responses (by date) whose comment may be
    quoted; never one without consent or without a comment. Oldest first."""
    return (
        FeedbackResponse.objects.filter(date__range=(quarter.start, quarter.end), may_quote=True)
        .exclude(comment="")
        .only("pk", "date", "comment")
        .order_by("date", "reference")
    )


# --- The BI feed (pqa.registry.feed_table, docs/feed.md) ------------------------------------
# No extract, comment, staff named, free themes or age band typed as free text.

_WHERE = [Column("service_area", lambda row: row.service_area.name)]
_TEAM = Column("team", lambda row: row.team.name if row.team else None)


def feed_compliments() -> QuerySet[Compliment]:
    return Compliment.objects.select_related("service_area", "team")


COMPLIMENT_FEED_COLUMNS = [
    Column("reference", lambda row: row.reference),
    Column("received", lambda row: row.received),
    code_field("from_whom", "from"),
    *_WHERE,
    _TEAM,
    Column("may_share", lambda row: yes_no(row.may_share)),
]


def feed_responses() -> QuerySet[FeedbackResponse]:
    return FeedbackResponse.objects.select_related("service_area", "team")


RESPONSE_FEED_COLUMNS = [
    Column("reference", lambda row: row.reference),
    Column("date", lambda row: row.date),
    code_field("source"),
    code_field("respondent"),
    *_WHERE,
    _TEAM,
    *[code_field(question) for question, _ in STANDARD_QUESTIONS],
    code_field("rating"),
    Column("may_quote", lambda row: yes_no(row.may_quote)),
]


def feed_advocacy() -> QuerySet[AdvocacyReferral]:
    return AdvocacyReferral.objects.select_related("service_area")


ADVOCACY_FEED_COLUMNS = [
    Column("reference", lambda row: row.reference),
    Column("date", lambda row: row.date),
    code_field("source"),
    *_WHERE,
]
