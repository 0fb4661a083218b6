"""The complaints import as a background job (pqa.jobs), under the name "complaints"."""

from __future__ import annotations

from feedback.complaints.imports import complaints_import
from pqa.jobs import Outcome

IMPORTER = "complaints"


def run(*, file, actor, options, dry_run, progress) -> Outcome:
    result = complaints_import(
        file, actor=actor, create_missing=bool(options.get("create_missing")), dry_run=dry_run, progress=progress
    )
    return result.outcome()
