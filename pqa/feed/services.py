"""Issuing and revoking the feed's tokens, and logging each request made with one. The admin,
the pqa_feed_token command and the views all write through these."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from pqa import audit
from pqa.feed.models import FeedRequest, FeedToken, token_digest

# 32 random bytes (256 bits) from the operating system's generator, URL-safe base64, after a
# prefix that tells a secret scanner (and a person) what it is.
TOKEN_PREFIX = "pqafeed_"  # noqa: S105 # nosec B105 - a prefix, not a secret
TOKEN_BYTES = 32


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


@transaction.atomic
def feed_token_issue(*, name: str, actor=None) -> tuple[FeedToken, str]:
    """A new token named `name` (no other token in use may have that name). Returns the
    record and the token itself, to be shown once: only its digest is kept."""
    token = _new_token()
    record = FeedToken(name=(name or "").strip(), digest=token_digest(token), created_by=actor)
    record.full_clean()
    record.save()
    audit.event(audit.FEED_TOKEN_ISSUED, token=record.name, by=audit.user_id(actor))
    return record, token


@transaction.atomic
def feed_token_revoke(*, token: FeedToken, actor=None) -> FeedToken:
    """Stop the token working, from its next request on. Revoking a revoked token changes nothing."""
    record = FeedToken.objects.select_for_update().get(pk=token.pk)
    if record.revoked_at is None:
        record.revoked_at = timezone.now()
        record.revoked_by = actor
        record.full_clean()
        record.save()
        audit.event(audit.FEED_TOKEN_REVOKED, token=record.name, by=audit.user_id(actor))
    return record


def feed_request_log(*, token: FeedToken, table: str, format: str, page: int | None, status: int, rows=None):
    """Write down a request made with a valid token, and when the token was last used."""
    now = timezone.now()
    FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    logged = FeedRequest.objects.create(
        token=token, token_name=token.name, table=table[:40], format=format, page=page, status=status, rows=rows
    )
    audit.event(audit.FEED, token=token.name, table=table, format=format, page=page, status=status, rows=rows)
    return logged


def feed_request_rows_counted(*, logged: FeedRequest, rows: int) -> None:
    """How many rows a streamed CSV gave, once it has been sent to the end."""
    FeedRequest.objects.filter(pk=logged.pk).update(rows=rows)


def feed_request_refused(*, reason: str, token: FeedToken | None = None) -> None:
    """A request without a valid token: only the audit log hears of it (reason: missing,
    unknown, revoked; a revoked token is named)."""
    audit.event(audit.FEED_REFUSED, reason=reason, token=token.name if token else None)
