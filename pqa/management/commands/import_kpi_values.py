"""python manage.py import_kpi_values PATH [--dry-run]

PATH is a CSV file or an .xlsx workbook of monthly KPI values (shared contract kpis.md)."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pqa.kpis.imports import kpi_values_import


class Command(BaseCommand):
    help = (
        "Import monthly KPI values from a CSV file or an .xlsx workbook (shared contract kpis.md): all of the file "
        "or none of it. Every problem is listed as 'row N, column C: reason'."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file or .xlsx workbook, with a header row.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change; change nothing."
        )

    def handle(self, *args, path, dry_run, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        with file.open("rb") as handle:
            result = kpi_values_import(file=handle, dry_run=dry_run, command_user=_server_account())
        if not result.ok:
            for line in result.problem_lines:
                self.stderr.write(line)
            raise CommandError(f"{path}: {result.problem_count} problem(s) found, nothing was imported")
        self.stdout.write(result.summary)


def _server_account() -> str:
    """Who ran the command on the server, for the history: nobody signs in to a command."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
