"""python manage.py import_evaluations PATH [--create-missing] [--dry-run] [--actor EMAIL]

PATH is a CSV file or an .xlsx workbook (docs/contracts/evaluations-csv.md)."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.imports import evaluations_import
from pqa.models import User


class Command(BaseCommand):
    help = (
        "Import practice evaluations from a CSV file or an .xlsx workbook (docs/contracts/evaluations-csv.md): "
        "all of the file "
        "or none of it. Every problem is listed as 'row N, column C: reason' (the first 100, with the count; "
        "checking stops after 1000)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="The CSV file (UTF-8, or Windows-1252 as Excel saves it) or .xlsx workbook, with a header row."
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create unknown service areas, teams and evaluators (evaluator accounts are created inactive).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change; change nothing."
        )
        parser.add_argument(
            "--actor", metavar="EMAIL", help="E-mail of the person the history records as having made the import."
        )

    def handle(self, *args, path, create_missing, dry_run, actor, verbosity, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        person = None
        if actor:
            person = User.objects.filter(email__iexact=actor.strip()).first()
            if person is None:
                raise CommandError(f"--actor {actor}: no account has this e-mail address")
        with file.open("rb") as handle:
            result = evaluations_import(
                file=handle,
                actor=person,
                create_missing=create_missing,
                dry_run=dry_run,
                command_user=_server_account(),
            )
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            for line in result.problems_note:  # the list is bounded: say what it leaves out
                self.stderr.write(line)
            raise CommandError(f"{path}: {result.problems_count_text} found, nothing was imported")
        self.stdout.write(result.summary)
        if dry_run or verbosity > 1:
            for line in result.also_created:
                self.stdout.write(f"{'would create' if dry_run else 'created'} {line}")


def _server_account() -> str:
    """Who ran the command on the server, for the history: nobody signs in to a command."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry, e.g. in some containers
        return "unknown"
