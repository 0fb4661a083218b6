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
    if not result.ok:
        return Outcome(
            problems=[str(problem) for problem in result.problems],
            problem_count=max(result.problem_count, len(result.problems)),
            problems_stopped=result.stopped_at_row is not None,
            problems_note=result.problems_note,
        )
    if dry_run:
        summary = f"The file has no problems. It {result.summary.replace('; nothing was changed (dry run)', '')}."
        details = [f"It would also create {line}." for line in result.also_created]
        details.append("Nothing has been changed. To import it, choose the file again without ‘Check the file only’.")
    else:
        summary = f"{result.summary[0].upper()}{result.summary[1:]}."
        details = [f"Also created {line}." for line in result.also_created]
    return Outcome(summary=summary, details=details, rows_written=0 if dry_run else result.imported)


# One runner per kind, made once: registering them again (a second ready()) is the same thing.
RUNNERS = {kind: functools.partial(run, kind=kind) for kind in KINDS}
