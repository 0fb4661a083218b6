"""The evaluations import as a background job (pqa.jobs): the web's "check only" and
"import" both run through here; the command runs evaluations_import directly."""

from __future__ import annotations

from evaluations.imports import evaluations_import
from pqa.jobs import Outcome

IMPORTER = "evaluations"


def run(*, file, actor, options, dry_run, progress) -> Outcome:
    result = evaluations_import(
        file=file,
        actor=actor,
        create_missing=bool(options.get("create_missing")),
        dry_run=dry_run,
        progress=progress,
    )
    # A check only says "1 evaluation", where the command's summary keeps the contract's plural.
    counts = f"{result.imported} evaluation{'s' if result.imported != 1 else ''}"
    return result.outcome(counts=f"{counts} ({result.created} created, {result.updated} updated)")
