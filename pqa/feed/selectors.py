"""Reading the feed: which token a request carries, and a table's rows as JSON values."""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal

from pqa.feed.models import FeedToken, token_digest

# A token PQA issues is 51 characters; anything much longer is not one, and is not hashed.
TOKEN_MAX_LENGTH = 200


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, or None when there is none."""
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return token


def feed_token_for(token: str) -> FeedToken | None:
    """The token record whose digest is this token's (in use or revoked), or None. Looked up
    by digest, so the time taken says nothing about the token."""
    digest = token_digest(token)
    record = FeedToken.objects.filter(digest=digest).first()
    if record is None or not hmac.compare_digest(record.digest, digest):
        return None
    return record


def json_value(value):
    """A cell as JSON: dates and times in ISO 8601, a decimal as a number."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def json_row(table, row) -> dict:
    return {column.header: json_value(column.value(row)) for column in table.columns}
