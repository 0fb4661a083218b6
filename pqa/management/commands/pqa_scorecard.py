"""python manage.py pqa_scorecard --month YYYY-MM"""

import json

from django.core.management.base import BaseCommand, CommandError

from pqa import audit
from pqa.kpis import rules
from pqa.kpis.selectors import scorecard_data


class Command(BaseCommand):
    help = (
        "Print a month's KPI scorecard as one JSON object (shared contract kpis.md), the same object "
        "/pqa/scorecard.json serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, YYYY-MM, e.g. 2018-12.")

    def handle(self, *args, month, **options):
        try:
            chosen = rules.parse_month(month)
        except rules.MonthError as error:
            raise CommandError(str(error)) from error
        data = scorecard_data(chosen)
        # No person signs in to a command: "command" stands for whoever ran it on the server.
        audit.event(audit.EXPORT, user="command", what="kpi_scorecard", format="json", month=data["month"])
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
