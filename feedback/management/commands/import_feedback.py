"""python manage.py import_feedback KIND PATH [--create-missing] [--dry-run] [--actor EMAIL]

KIND is complaints, compliments, responses or advocacy; PATH a CSV file or an .xlsx workbook
(docs/contracts/feedback-csv.md)."""

import getpass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.complaints.imports import complaints_import
from feedback.voice.imports import KINDS, feedback_import
from pqa.models import User

ALL_KINDS = ("complaints", *KINDS)


class Command(BaseCommand):
    help = (
        "Import complaints, compliments, child and family feedback responses or advocacy referrals from a CSV "
        "file or an .xlsx workbook (docs/contracts/feedback-csv.md): all of the file or none of it. Every "
        "problem is listed as 'row N, column C: reason'."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ALL_KINDS, help="What the file holds.")
        parser.add_argument("path", help="The CSV file or .xlsx workbook, with a header row.")
        parser.add_argument("--create-missing", action="store_true", help="Create unknown service areas and teams.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and say what would change.")
        parser.add_argument("--actor", metavar="EMAIL", help="E-mail of the person the history records.")

    def handle(self, *args, kind, path, create_missing, dry_run, actor, verbosity, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        person = None
        if actor:
            person = User.objects.filter(email__iexact=actor.strip()).first()
            if person is None:
                raise CommandError(f"--actor {actor}: no account has this e-mail address")
        with file.open("rb") as handle:
            if kind == "complaints":
                result = complaints_import(handle, create_missing=create_missing, dry_run=dry_run, actor=person)
            else:
                result = feedback_import(
                    kind=kind,
                    file=handle,
                    actor=person,
                    create_missing=create_missing,
                    dry_run=dry_run,
                    command_user=_server_account(),
                )
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            for line in getattr(result, "problems_note", []):
                self.stderr.write(line)
            raise CommandError(f"{path}: {result.problems_count_text} found, nothing was imported")
        self.stdout.write(result.summary)
        if dry_run or verbosity > 1:
            for line in getattr(result, "also_created", []):
                self.stdout.write(f"{'would create' if dry_run else 'created'} {line}")


def _server_account() -> str:
    """Who ran the command on the server, for the history: nobody signs in to a command."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
