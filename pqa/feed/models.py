"""The feed's tokens and the log of every request made with one.

A token is shown once, when it is issued (pqa.feed.services.feed_token_issue); PQA keeps only
its SHA-256 digest, so neither the database, a backup nor the admin can give it back."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from pqa.validators import validate_no_control_characters

TOKEN_NAME_MAX_LENGTH = 80


def token_digest(token: str) -> str:
    """The SHA-256 of a token, as kept and as looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


class FeedTokenQuerySet(models.QuerySet):
    def active(self) -> "FeedTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class FeedToken(models.Model):
    """A bearer token for the BI feed, named for who uses it (e.g. "Power BI, performance team").
    Revoked, never deleted: the log of its requests keeps its name."""

    name = models.CharField(
        max_length=TOKEN_NAME_MAX_LENGTH,
        validators=[validate_no_control_characters],
        help_text="Who or what uses it, e.g. “Power BI – performance team”. Written in the log of every request.",
    )
    digest = models.CharField(
        max_length=64, unique=True, editable=False, help_text="SHA-256 of the token; the token itself is never stored."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    objects = FeedTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-created_at"]
        verbose_name = "feed token"
        constraints = [
            # One token in use per name, so the log's name says which one; a revoked token's name
            # may be given to its replacement.
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(revoked_at__isnull=True),
                name="feed_token_name_in_use",
                violation_error_message=(
                    "A token in use already has this name: revoke it first, or choose another name."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (revoked)" if self.revoked_at else self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class FeedRequest(models.Model):
    """One request to the feed made with a valid token: which token (by name, kept even if the
    token goes), which table, in which format, which page, how many rows it was given."""

    token = models.ForeignKey(FeedToken, on_delete=models.SET_NULL, null=True, related_name="requests")
    token_name = models.CharField(max_length=TOKEN_NAME_MAX_LENGTH)
    table = models.CharField(max_length=40)
    format = models.CharField(max_length=4)
    page = models.PositiveIntegerField(null=True, blank=True)
    status = models.PositiveSmallIntegerField()
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Empty while a CSV is still streaming.")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "feed request"

    def __str__(self) -> str:
        return f"{self.token_name}: {self.table}.{self.format}"
