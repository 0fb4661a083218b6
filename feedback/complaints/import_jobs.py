"""The complaints import as a background job (pqa.jobs), under the name "complaints"."""

from __future__ import annotations

from feedback.complaints.imports import complaints_import
from pqa.jobs import Outcome

IMPORTER = "complaints"


def run(*, file, actor, options, dry_run, progress) -> Outcome:
    result = complaints_import(
        file, actor=actor, create_missing=bool(options.get("create_missing")), dry_run=dry_run, progress=progress
    )
    if not result.ok:
        return Outcome(
            problems=[str(problem) for problem in result.problems],
            problem_count=max(result.problem_count, len(result.problems)),
            problems_stopped=result.stopped_at_row is not None,
            problems_note=result.problems_note,
        )
    if dry_run:
        counts = f"{result.imported} complaints ({result.created} created, {result.updated} updated)"
        summary = f"The file has no problems. It would import {counts}."
        details = [f"It would also create {line}." for line in result.also_created]
        details.append("Nothing has been changed. To import it, choose the file again without ‘Check the file only’.")
    else:
        summary = f"{result.summary[0].upper()}{result.summary[1:]}."
        details = [f"Also created {line}." for line in result.also_created]
    return Outcome(summary=summary, details=details, rows_written=0 if dry_run else result.imported)
