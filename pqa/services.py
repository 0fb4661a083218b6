"""Writes of the PQA core. The notification outbox lives here so every app sends mail the
same dependable way."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from pqa import audit, registry
from pqa.models import (
    EditConflict,
    Notification,
    RecoveryCode,
    RecoveryCodeDevice,
    User,
    recovery_code_digest,
)

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """A link for an e-mail: e-mails are read outside the site, so they need the host."""
    return f"{settings.PQA_BASE_URL.rstrip('/')}{path}"


def notification_queue(*, kind: str, recipients: Iterable[str], subject: str, body: str) -> Notification | None:
    """Write a notification to the outbox in the caller's transaction and ask a worker to
    deliver it once that transaction commits. If the broker is down the row simply waits
    for the periodic sweep; the caller's action never fails because of it. `kind` must be
    registered (pqa.registry.notification_kind) by the app that sends it."""
    if kind not in dict(registry.notification_kind_choices()):
        raise ValueError(f"'{kind}' is not a registered notification kind: register it in the app's ready()")
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
        # The cause with it, as the job kit logs it: an operator needs to know why the broker refused.
        logger.warning("Could not enqueue notification %s; it stays in the outbox", notification_id, exc_info=True)


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


# --- Edit conflicts -------------------------------------------------------------------------


class EditConflictError(Exception):
    """A refused version that cannot be resolved (someone else's, or already resolved)."""


@transaction.atomic
def edit_conflict_keep(
    *,
    user: User,
    instance,
    based_on_version: int,
    data: Mapping[str, object],
    winning_version: int | None = None,
) -> EditConflict:
    """Keep a version of `instance` that `user` tried to save from `based_on_version` and that
    was refused because a newer version had been saved. `data` is what they sent, as JSON.

    Autosave keeps sending from the same stale version while the person types, so a refusal
    from a version already kept replaces that copy's data instead of adding another: one
    refused version per starting point, always the latest words. `winning_version` defaults
    to the version in the database now."""
    if winning_version is None:
        winning_version = type(instance)._base_manager.filter(pk=instance.pk).values_list("version", flat=True).get()
    content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
    conflict = (
        EditConflict.objects.select_for_update()
        .filter(
            user=user,
            content_type=content_type,
            object_id=instance.pk,
            based_on_version=based_on_version,
            resolved_at__isnull=True,
        )
        .first()
    ) or EditConflict(user=user, content_type=content_type, object_id=instance.pk, based_on_version=based_on_version)
    conflict.winning_version = winning_version
    conflict.data = dict(data)
    conflict.refused_at = timezone.now()
    conflict.save()
    return conflict


@transaction.atomic
def edit_conflict_resolve(*, conflict: EditConflict, user: User, resolution: str) -> EditConflict:
    """Mark a refused version as dealt with: its owner applied it (through the record's own
    save service, in the same transaction) or kept the saved version. Only the person whose
    version it is may resolve it, and only once."""
    if resolution not in EditConflict.Resolution.values:
        raise EditConflictError(f"'{resolution}' is not a way to resolve a refused version.")
    locked = EditConflict.objects.select_for_update().get(pk=conflict.pk)
    if locked.user_id != user.pk:
        raise EditConflictError("Only the person whose version was refused can resolve it.")
    if locked.resolved_at is not None:
        raise EditConflictError("This version has already been dealt with.")
    locked.resolved_at = timezone.now()
    locked.resolution = resolution
    locked.save(update_fields=["resolved_at", "resolution"])
    return locked


# --- People: deactivation and sessions ----------------------------------------------------


def user_sessions_end(*, user: User) -> int:
    """Delete every stored session of this person, so each browser they are signed in on is
    signed out at its next request. Returns how many were ended."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.models import Session

    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get(SESSION_KEY) == str(user.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None) -> int:
    """Deactivate an account and end all its sessions at once, so a leaver cannot carry on
    in a browser that is still open. Safe to call for an account already inactive (the admin
    change form saves the flag before calling this). Returns how many sessions were ended."""
    if user.is_active:
        user.is_active = False
        if actor is not None:
            user._history_user = actor
        user.save(update_fields=["is_active"])
    ended = user_sessions_end(user=user)
    audit.event(audit.ACCOUNT_DEACTIVATED, user=user.pk, by=audit.user_id(actor), sessions_ended=ended)
    return ended


# --- Two-factor authentication (TOTP devices of django-otp) ------------------------------


def two_factor_setup_start(*, user: User):
    """The person's authenticator not yet confirmed: the same one on every visit to the set-up
    page (so the QR code they scanned stays valid), a new one the first time."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def two_factor_setup_confirm(*, device, token: str) -> bool:
    """Confirm a new authenticator with a code from it. Only a correct code confirms it; every
    other authenticator of the person is then removed (a new phone replaces the old one).
    Returns whether the code was right."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not device.verify_token(token):
        audit.event(audit.TWO_FACTOR_FAILED, user=device.user_id, stage="setup")
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    audit.event(audit.TWO_FACTOR_ENROLLED, user=device.user_id)
    return True


@transaction.atomic
def two_factor_reset(*, user: User, actor: User | None) -> int:
    """For a lost or replaced phone: remove every authenticator of the person, and their
    recovery codes, and end their sessions. At their next sign-in they set up a new app (and
    get new codes). Returns how many authenticators were removed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    user_sessions_end(user=user)
    audit.event(audit.TWO_FACTOR_RESET, user=user.pk, by=audit.user_id(actor), devices_removed=removed)
    return removed


# Ten codes, each 16 characters from an alphabet of 31 without look-alikes (0/o, 1/l/i): about
# 79 bits of chance each, so a stored SHA-256 digest cannot be searched back to its code.
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_CODE_LENGTH = 16
# From this many codes left down, the pages warn and suggest a new set.
RECOVERY_CODES_FEW = 3


def _new_recovery_code() -> str:
    code = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def recovery_codes_left(*, user: User) -> int:
    """How many unused recovery codes the person has (0 when they have none)."""
    return RecoveryCode.objects.filter(device__user=user).count()


@transaction.atomic
def two_factor_recovery_codes_generate(*, user: User) -> list[str]:
    """Give the person a new set of recovery codes, voiding any earlier set. The codes are
    returned to be shown once; only their digests are kept (pqa.models.RecoveryCodeDevice)."""
    device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
    if device is None:
        device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    device.codes.all().delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, digest=recovery_code_digest(code)) for code in codes)
    audit.event(audit.RECOVERY_CODES_GENERATED, user=user.pk, codes=len(codes))
    return codes


def two_factor_recovery_code_use(*, device: RecoveryCodeDevice, code: str) -> bool:
    """Sign-in with a recovery code instead of the app's: True if it is one of the person's
    unused codes, which is then used up (each works once). A wrong code counts towards the
    slowing down, as a wrong app code does. Both outcomes are audited."""
    if device.verify_token(code):
        audit.event(audit.RECOVERY_CODE_USED, user=device.user_id, left=device.codes_left())
        return True
    audit.event(audit.TWO_FACTOR_FAILED, user=device.user_id, stage="recovery")
    return False


# --- Housekeeping: what is kept no longer than it is needed -------------------------------


@dataclass(frozen=True)
class HousekeepingResult:
    expired_sessions: int
    sign_in_logs: int
    sign_in_failure_logs: int


def housekeeping_run(*, now: dt.datetime | None = None) -> HousekeepingResult:
    """Delete what PQA keeps only for a while: sessions past their end (Django never deletes
    them itself) and django-axes' records of sign-ins and failed sign-ins (usernames, IP
    addresses, browsers) older than PQA_SIGN_IN_LOG_DAYS. Lockout counters are axes' own
    business and end with their cool-off. Safe to run at any time, as often as wanted: beat
    runs it daily, `manage.py pqa_housekeeping` by hand."""
    from axes.models import AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    now = now or timezone.now()
    # PQA keeps sessions in the database (the default engine), so they are deleted here.
    expired, _ = Session.objects.filter(expire_date__lt=now).delete()
    keep_from = now - dt.timedelta(days=settings.PQA_SIGN_IN_LOG_DAYS)
    logs, _ = AccessLog.objects.filter(attempt_time__lt=keep_from).delete()
    failure_logs, _ = AccessFailureLog.objects.filter(attempt_time__lt=keep_from).delete()
    result = HousekeepingResult(expired_sessions=expired, sign_in_logs=logs, sign_in_failure_logs=failure_logs)
    logger.info("housekeeping: %s", result)
    return result
