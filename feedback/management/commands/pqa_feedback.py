"""python manage.py pqa_feedback --quarter 2025-26-Q1 [--service-area NAME]"""

import json

from django.core.management.base import BaseCommand, CommandError

from feedback.figures import FiguresError, feedback_figures
from pqa import audit


class Command(BaseCommand):
    help = (
        "Print a quarter's feedback figures as one JSON object (docs/contracts/feedback-csv.md), "
        "the same object /pqa/feedback.json serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="The quarter, YYYY-YY-QN, e.g. 2025-26-Q1.")
        parser.add_argument("--service-area", help="Only this service area (its name).")

    def handle(self, *args, quarter, service_area, **options):
        try:
            data = feedback_figures(quarter=quarter, service_area=service_area or None)
        except FiguresError as error:
            raise CommandError(str(error)) from error
        audit.event(
            audit.EXPORT,
            user="command",
            what="feedback_figures",
            format="json",
            quarter=quarter,
            service_area=service_area,
        )
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
