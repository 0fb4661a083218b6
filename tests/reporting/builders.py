"""Small feedback datasets for the dashboard and report tests, recorded through the services."""

import datetime as dt

from feedback.complaints import services as complaints
from feedback.voice import services as voice

TELL_ME = "Tell me about Zebedee Quartermain-Fox and his sister"
SUMMARY = "Complaint about Zebedee Quartermain-Fox's placement"
UNCONSENTED = "Zebedee Quartermain-Fox told us this in private"


def complaint(reference, *, team, received, complainant="parent_carer", themes=(), summary=SUMMARY, respond=None):
    """A complaint; `respond` = (date, outcome) for its Stage 1 response."""
    record = complaints.complaint_record(
        actor=None,
        reference=reference,
        received=received,
        how_received="email",
        complainant=complainant,
        procedure="statutory",
        service_area=team.service_area,
        team=team,
        themes=themes,
        summary=summary,
    )
    if respond:
        complaints.complaint_respond(actor=None, complaint=record, stage=1, responded=respond[0], outcome=respond[1])
    return record


def compliment(reference, *, team, received, from_whom="parent_carer", extract="", may_share=False):
    return voice.compliment_record(
        actor=None,
        reference=reference,
        received=received,
        from_whom=from_whom,
        service_area=team.service_area,
        team=team,
        extract=extract,
        may_share=may_share,
    )


def response(reference, *, team, date, respondent="child", comment="", may_quote=False, **answers):
    return voice.feedback_response_record(
        actor=None,
        reference=reference,
        date=date,
        source="end_of_involvement",
        respondent=respondent,
        service_area=team.service_area,
        team=team,
        comment=comment,
        may_quote=may_quote,
        **answers,
    )


def referral(reference, *, team, date, source="social_work_team"):
    return voice.advocacy_referral_record(
        actor=None, reference=reference, date=date, source=source, service_area=team.service_area
    )


def make_feedback(count: int, team, other_team, day=dt.date(2025, 5, 6)):
    """`count` of each kind of feedback in the quarter of `day`, alternating the two teams."""
    for number in range(count):
        where = team if number % 2 else other_team
        complaint(
            f"FB-C-{day:%y%m}-{number}",
            team=where,
            received=day,
            complainant="child" if number % 3 == 0 else "parent_carer",
            themes=["delay"] if number % 2 else ["communication", "delay"],
            respond=(day + dt.timedelta(days=7), "upheld" if number % 2 else "not_upheld"),
        )
        compliment(f"FB-K-{day:%y%m}-{number}", team=where, received=day)
        response(f"FB-R-{day:%y%m}-{number}", team=where, date=day, listened_to="yes" if number % 2 else "no")
        referral(f"FB-A-{day:%y%m}-{number}", team=where, date=day)
