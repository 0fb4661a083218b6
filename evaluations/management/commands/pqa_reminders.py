"""python manage.py pqa_reminders [--today YYYY-MM-DD]

The daily reminders of the recommendations register (shared contract recommendations.md); the
Celery beat job (evaluations.tasks.send_recommendation_reminders) runs the same service."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from evaluations.services import reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each owner their recommendations due within 7 days or overdue, and each team manager their "
        "team's recommendations overdue by more than 14 days; at most once a person, kind and day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="The day to remind for (default: today).")

    def handle(self, *args, today, **options):
        day = None
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError as error:
                raise CommandError(f"--today {today}: not a date; write it as YYYY-MM-DD") from error
        self.stdout.write(str(reminders_send(today=day)))
