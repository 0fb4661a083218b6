"""python manage.py import_recommendations PATH [--create-missing] [--dry-run] [--actor EMAIL]

PATH is the Practice Hub's tracker, a CSV file or an .xlsx workbook (shared contract
recommendations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.management.commands.import_evaluations import _server_account
from evaluations.recommendation_imports import recommendations_import
from pqa.models import User


class Command(BaseCommand):
    help = (
        "Import the recommendations tracker from a CSV file or an .xlsx workbook (shared contract "
        "recommendations.md): all of the file or none of it. Every problem is listed as 'row N, column C: reason'."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV file or .xlsx workbook, with a header row.")
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create an inactive account for an owner e-mail address no account has.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change; change nothing."
        )
        parser.add_argument(
            "--actor", metavar="EMAIL", help="E-mail of the person the history records as having made the import."
        )

    def handle(self, *args, path, create_missing, dry_run, actor, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        person = None
        if actor:
            person = User.objects.filter(email__iexact=actor.strip()).first()
            if person is None:
                raise CommandError(f"--actor {actor}: no account has this e-mail address")
        with file.open("rb") as handle:
            result = recommendations_import(
                file=handle,
                actor=person,
                create_missing=create_missing,
                dry_run=dry_run,
                command_user=_server_account(),
            )
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            if result.unlisted:
                self.stderr.write(f"... and {result.unlisted} more problem(s)")
            raise CommandError(f"{path}: {result.problem_count} problem(s) found, nothing was imported")
        self.stdout.write(result.summary)
        if result.new_owners:
            verb = "would create" if dry_run else "created"
            self.stdout.write(
                f"{verb} {len(result.new_owners)} inactive owner account(s): {', '.join(result.new_owners)}"
            )
