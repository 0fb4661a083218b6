"""`manage.py complaints_register --as-of YYYY-MM-DD`: the complaints register as it stood
on a day, as CSV on stdout (docs/contracts/feedback-csv.md)."""

import csv
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from feedback.complaints.clock import REGISTER_COLUMNS
from feedback.complaints.selectors import register_rows


class Command(BaseCommand):
    help = "Print the complaints register as it stood on a day, as CSV (one row a complaint, by reference)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="The day, YYYY-MM-DD: events dated after it are ignored.")

    def handle(self, *args, as_of: str, **options):
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError as error:
            raise CommandError(f"--as-of must be a date written YYYY-MM-DD, not '{as_of}'") from error
        writer = csv.DictWriter(self.stdout, fieldnames=REGISTER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in register_rows(day):
            writer.writerow(row)
