"""Writes of the PQA core. The notification outbox lives here so every app sends mail the
same dependable way."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from pqa.models import Notification

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """A link for an e-mail: e-mails are read outside the site, so they need the host."""
    return f"{settings.PQA_BASE_URL.rstrip('/')}{path}"


def notification_queue(*, kind: str, recipients: Iterable[str], subject: str, body: str) -> Notification | None:
    """Write a notification to the outbox in the caller's transaction and ask a worker to
    deliver it once that transaction commits. If the broker is down the row simply waits
    for the periodic sweep; the caller's action never fails because of it."""
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return None
    notification = Notification.objects.create(kind=kind, recipients=addresses, subject=subject, body=body)
    transaction.on_commit(lambda: _enqueue_delivery(notification.pk))
    return notification


def _enqueue_delivery(notification_id: int) -> None:
    from pqa.tasks import deliver_notification

    try:
        deliver_notification.apply_async(args=[notification_id], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure: the outbox sweep delivers it later
        logger.warning("Could not enqueue notification %s; it stays in the outbox", notification_id)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification unless it has been sent already. Safe to run twice at once:
    the row is locked while sending, and a sent row is skipped. Returns True if sent now."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id, sent_at__isnull=True).first()
        if notification is None:
            return False
        notification.attempts += 1
        try:
            send_mail(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                notification.recipients,
                fail_silently=False,
            )
        except Exception as error:  # noqa: BLE001 - recorded on the row and retried by the sweep
            notification.last_error = f"{type(error).__name__}: {error}"[:1000]
            notification.save(update_fields=["attempts", "last_error"])
            return False
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "sent_at", "last_error"])
        return True


def notifications_deliver_pending(*, limit: int = 200) -> int:
    """Deliver what is still waiting in the outbox, oldest first. Returns how many were sent."""
    pending = list(
        Notification.objects.filter(sent_at__isnull=True).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    return sum(notification_deliver(notification_id=pk) for pk in pending)
