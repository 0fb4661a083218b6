"""The three feedback imports as background jobs (pqa.jobs), one importer each."""

from __future__ import annotations

import functools

from feedback.voice.imports import KINDS, feedback_import
from pqa.jobs import Outcome

IMPORTERS = {kind: f"feedback_{kind}" for kind in KINDS}


def run(*, kind: str, file, actor, options, dry_run, progress) -> Outcome:
    result = feedback_import(
        kind=kind,
        file=file,
        actor=actor,
        create_missing=bool(options.get("create_missing")),
        dry_run=dry_run,
        progress=progress,
    )
    return result.outcome()


# One runner per kind, made once: registering them again (a second ready()) is the same thing.
RUNNERS = {kind: functools.partial(run, kind=kind) for kind in KINDS}
