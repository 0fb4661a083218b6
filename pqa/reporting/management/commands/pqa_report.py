"""python manage.py pqa_report --quarter 2025-26-Q1 --format html|pdf|xlsx --output PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pqa import audit
from pqa.quarters import Quarter, QuarterError
from pqa.reporting.report import FORMATS, build_report, render
from pqa.reporting.selectors import report_for_quarter
from pqa.reporting.services import narrative_of


class Command(BaseCommand):
    help = (
        "Write a quarter's PQA report (docs/contracts/report.md) as a web page, a PDF or an Excel "
        "workbook, in this process (no broker needed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="The quarter, YYYY-YY-QN, e.g. 2025-26-Q1.")
        parser.add_argument("--format", required=True, help=f"One of {', '.join(FORMATS)}.")
        parser.add_argument("--output", required=True, help="Where to write the report.")

    def handle(self, *args, quarter, format, output, **options):
        try:
            period = Quarter.parse(quarter)
        except QuarterError as error:
            raise CommandError(str(error)) from error
        fmt = (format or "").strip().lower()
        if fmt not in FORMATS:
            raise CommandError(f"'{format}' is not a format: use one of {', '.join(FORMATS)}")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"cannot write {output}: {path.parent} is not a folder")
        # The same report as the web page generates: with the narrative the Practice Hub saved
        # for the quarter, if any (and only the extracts still shareable).
        stored = report_for_quarter(period)
        narrative = narrative_of(stored, period) if stored else None
        content = render(build_report(period, narrative=narrative), fmt)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
        # No person signs in to a command: "command" stands for whoever ran it on the server.
        audit.event(audit.EXPORT, user="command", what="pqa_report", format=fmt, quarter=str(period))
        self.stdout.write(f"wrote {output}")
