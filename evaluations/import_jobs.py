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
    if not result.ok:
        return Outcome(
            problems=[str(problem) for problem in result.problems],
            problem_count=max(result.problem_count, len(result.problems)),
            problems_stopped=result.stopped_at_row is not None,
            problems_note=result.problems_note,
        )
    if dry_run:
        counts = f"{result.imported} evaluation{'s' if result.imported != 1 else ''}"
        changes = f"({result.created} created, {result.updated} updated)"
        summary = f"The file has no problems. It would import {counts} {changes}."
        details = [f"It would also create {line}." for line in result.also_created]
        details.append("Nothing has been changed. To import it, choose the file again without ‘Check the file only’.")
    else:
        summary = f"{result.summary[0].upper()}{result.summary[1:]}."
        details = [f"Also created {line}." for line in result.also_created]
    return Outcome(summary=summary, details=details, rows_written=0 if dry_run else result.imported)
