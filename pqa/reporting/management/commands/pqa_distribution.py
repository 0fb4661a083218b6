"""python manage.py pqa_distribution --quarter 2025-26-Q1 [--service-area NAME] [--type TYPE]"""

import json

from django.core.management.base import BaseCommand, CommandError

from evaluations.selectors import DistributionError, grade_distribution
from pqa import audit


class Command(BaseCommand):
    help = (
        "Print a quarter's grade distribution as one JSON object (docs/contracts/evaluations-csv.md), "
        "the same object /pqa/distribution.json serves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="The quarter, YYYY-YY-QN, e.g. 2025-26-Q1.")
        parser.add_argument("--service-area", help="Only this service area (its name).")
        parser.add_argument("--type", help="Only this type: trust_wide, service, thematic or revisit.")

    def handle(self, *args, quarter, service_area, type, **options):
        try:
            data = grade_distribution(quarter=quarter, service_area=service_area or None, type=type or None)
        except DistributionError as error:
            raise CommandError(str(error)) from error
        # No person signs in to a command: "command" stands for whoever ran it on the server.
        audit.event(
            audit.EXPORT,
            user="command",
            what="grade_distribution",
            format="json",
            quarter=quarter,
            service_area=service_area,
            type=type,
        )
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
