"""The quarterly PQA report: one quarter's figures from the three sides (performance,
practice evaluation, feedback), the Practice Hub's narrative, and the same report as a web
page, a PDF and an Excel workbook (docs/contracts/report.md).

This module builds and renders; it stores nothing. The stored reports, their generation in
the background and their pages live beside it (the report's workflow), and the
`pqa_report` command calls `build_report` and `render` directly.

    report = build_report(Quarter.parse("2025-26-Q1"), narrative=Narrative(strengths="..."))
    content = render(report, "pdf")   # bytes

INTERFACE (fixed: the report's workflow is written against these names):
- `FORMATS`, `CONTENT_TYPES`, `Narrative`, `Extract`, `Report`
- `build_report(quarter, *, narrative=None, progress=None) -> Report`
- `render(report, fmt) -> bytes`
- `shareable_extracts(quarter) -> list[Extract]`
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone

from pqa.quarters import Quarter

FORMATS = ("html", "pdf", "xlsx")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# progress(done, total): called as each section is built and rendered.
Progress = Callable[[int, int], None]


@dataclass
class Extract:
    """A compliment extract or a child's or family's quote that may be shared (consented);
    `key` is stable ("compliment:12", "response:40") so a chosen extract can be saved."""

    key: str
    kind: str  # "compliment" or "response"
    text: str
    received: dt.date | None = None


@dataclass
class Narrative:
    """What the Practice Hub writes for the quarter, saved with the report."""

    strengths: str = ""
    areas_for_development: str = ""
    actions: str = ""
    children_and_families: str = ""  # what children and families told us
    extracts: list[Extract] = field(default_factory=list)  # chosen from shareable_extracts only


@dataclass
class Report:
    quarter: Quarter
    narrative: Narrative
    generated_at: dt.datetime
    # The contract's Figures keys -> a number, a status word, or None (a share over 0).
    figures: dict[str, object] = field(default_factory=dict)
    sections: list = field(default_factory=list)


def shareable_extracts(quarter: Quarter) -> list[Extract]:
    """The quarter's consented compliment extracts and quotes, to pick from; never unconsented."""
    return []


def build_report(quarter: Quarter, *, narrative: Narrative | None = None, progress: Progress | None = None) -> Report:
    """The quarter's report, every figure counted from the records."""
    report = Report(quarter=quarter, narrative=narrative or Narrative(), generated_at=timezone.now())
    if progress:
        progress(1, 1)
    return report


def render(report: Report, fmt: str) -> bytes:
    """The report as `fmt` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; not {fmt!r}")
    if fmt == "html":
        return render_to_string("reporting/report/document.html", {"report": report}).encode()
    if fmt == "pdf":
        import weasyprint

        html = render_to_string("reporting/report/document.html", {"report": report})
        return weasyprint.HTML(string=html).write_pdf()
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Figures"
    sheet.append(["key", "value"])
    for key, value in report.figures.items():
        sheet.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
