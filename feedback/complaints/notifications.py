"""The daily e-mail to customer relations: complaints due in the next three working days and
the overdue ones, queued through the core's outbox once a day."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse

from feedback.complaints.selectors import due_soon_and_overdue, today
from feedback.models import Complaint, ComplaintDigestSent
from pqa.models import Role, User
from pqa.services import absolute_url, notification_queue

DIGEST_KIND = "complaints_due"
DIGEST_LABEL = "Complaints due soon or overdue"


def _line(item) -> str:
    current = item.current
    when = "overdue since" if current.status == "overdue" else "due"
    url = absolute_url(reverse("feedback:complaints:detail", args=[item.complaint.pk]))
    return f"- {item.complaint.reference}: Stage {current.number} {when} {current.due:%d %B %Y} ({url})"


def complaints_digest_send(*, day: dt.date | None = None) -> str:
    """Queue today's e-mail to every active customer relations account, unless it was queued
    already today (a unique row a day: a second run, even at the same moment, adds nothing).
    Nothing is sent on a day with nothing due or overdue, and that day is marked done too.
    Returns what happened, in words."""
    day = day or today()
    with transaction.atomic():
        try:
            with transaction.atomic():
                sent = ComplaintDigestSent.objects.create(day=day)
        except IntegrityError:
            return f"The complaints e-mail for {day:%d %B %Y} was already sent."
        urgent, _ = due_soon_and_overdue(Complaint.objects.all(), day)
        sent.complaints = len(urgent)
        sent.save(update_fields=["complaints"])
        if not urgent:
            return f"No complaint is due in the next three working days or overdue on {day:%d %B %Y}."
        recipients = User.objects.filter(role=Role.CUSTOMER_RELATIONS, is_active=True).values_list("email", flat=True)
        overdue = sum(item.current.status == "overdue" for item in urgent)
        body = "\n".join(
            [
                f"Complaints due in the next three working days or overdue, {day:%d %B %Y}:",
                "",
                *(_line(item) for item in urgent),
                "",
                f"{overdue} overdue, {len(urgent) - overdue} due soon.",
            ]
        )
        notification_queue(
            kind=DIGEST_KIND,
            recipients=list(recipients),
            subject=f"PQA: {len(urgent)} complaints due soon or overdue",
            body=body,
        )
    return f"Queued the complaints e-mail for {day:%d %B %Y}: {len(urgent)} complaints."
