"""Optimistic locking for any app's records (docs/decisions/0003-optimistic-locking.md).

A record opts in with a `version = models.PositiveIntegerField(default=1)` field and, for
"who saved last", django-simple-history's `history`. Its services lock the row, call
`version_check` with the version the person started from, change it, call `version_bump`
and save. A save based on an older version is refused with `ConcurrentEditError`, never
written over the newer one; the web kit (`pqa.conflicts`) and the admin kit (`pqa.admin`)
turn that refusal into something a person can act on."""

from __future__ import annotations

import datetime as dt

from django.db import models


class ConcurrentEditError(Exception):
    """Someone else saved the record after this person opened it."""

    def __init__(self, current_version: int, saved_by: str | None, saved_at: dt.datetime | None):
        self.current_version = current_version
        self.saved_by = saved_by
        self.saved_at = saved_at
        who = saved_by or "someone else"
        super().__init__(f"{who} saved this record after you opened it, so your changes were not saved.")


def last_saved(instance: models.Model):
    """The latest history row of `instance` (who saved it and when), or None when its model
    keeps no history or it has none yet."""
    history = getattr(instance, "history", None)
    return history.order_by("-history_date").select_related("history_user").first() if history is not None else None


def history_of(instance: models.Model, limit: int = 20) -> list:
    """Who changed `instance`, when and how, newest first: its django-simple-history rows with
    their users, in one query (templates/includes/history.html draws them)."""
    return list(instance.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit])


def concurrent_edit_error(instance: models.Model) -> ConcurrentEditError:
    """The refusal for `instance` as it stands now, naming who saved it last and when."""
    last = last_saved(instance)
    return ConcurrentEditError(
        instance.version,
        str(last.history_user) if last and last.history_user else None,
        last.history_date if last else None,
    )


def version_check(locked: models.Model, expected_version: int | None) -> None:
    """Refuse (ConcurrentEditError) a change to `locked` based on a version other than the one
    saved. `locked` must have been read under `select_for_update()` in the caller's transaction,
    so nobody can save between this check and the caller's write. `expected_version` None
    means the caller started from no version (a new record, or a workflow step that overwrites
    nothing typed), and is never refused."""
    if expected_version is not None and locked.version != expected_version:
        raise concurrent_edit_error(locked)


def version_bump(instance: models.Model) -> None:
    """Give `instance` the next version: every save of a change makes older copies stale."""
    instance.version += 1


def version_lock(queryset_or_model, pk, expected_version: int | None) -> models.Model:
    """Read the row `pk` under a row lock and check it is still at `expected_version`: the first
    step of every service that changes a versioned record."""
    queryset = (
        queryset_or_model._default_manager.all()
        if isinstance(queryset_or_model, type) and issubclass(queryset_or_model, models.Model)
        else queryset_or_model
    )
    locked = queryset.select_for_update().get(pk=pk)
    version_check(locked, expected_version)
    return locked
