"""`manage.py load_demo`: the organisation, one account per role and a year of practice
evaluations, for trying PQA out. Running it again adds nothing."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from evaluations.demo import DEMO_MARKER_USERNAME, PEOPLE, demo_load
from pqa import registry
from pqa.demo import DEMO_PASSWORD
from pqa.kpis.demo import kpi_demo_load
from pqa.models import User


class Command(BaseCommand):
    help = "Load demo data (organisation, demo-* accounts, four closed quarters and an open cycle). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEBUG is off. The demo accounts share a published password: never in production.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates accounts with a published password, so it runs only with DJANGO_DEBUG=1 "
                "(or --force on a machine that is not production)."
            )
        started = time.monotonic()
        # Allocation e-mails go through the outbox and, with no broker, are sent at once; the
        # locmem backend (set here, for this command only) keeps ~40 of them out of the
        # console so `make run` stays readable. They are still marked sent in the outbox.
        # Celery's eager mode also logs a line per task; quiet it for the same reason.
        trace_logger = logging.getLogger("celery.app.trace")
        level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)
        try:
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                summary = demo_load()
        finally:
            trace_logger.setLevel(level)
        # The performance side: two years of KPI values, entered as the Practice Hub would.
        kpi_values = kpi_demo_load(actor=User.objects.filter(username=DEMO_MARKER_USERNAME).first())
        if kpi_values:
            self.stdout.write(f"Loaded {kpi_values} KPI values (two years of months for every indicator).")
        # Other apps' demo data (pqa.registry.demo_loader), each idempotent, after the above.
        demo_actor = User.objects.filter(username=DEMO_MARKER_USERNAME).first()
        for label, loader in registry.demo_loaders():
            added = loader(actor=demo_actor)
            if added:
                self.stdout.write(f"Loaded {label}: {added}")
        if summary.already_loaded:
            self.stdout.write(f"Demo data is already loaded ({DEMO_MARKER_USERNAME} exists); nothing added.")
            return
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo data in {seconds:.1f}s: {summary.service_areas} service areas, {summary.teams} teams, "
                f"{summary.users} accounts, {summary.cycles} cycles, {summary.evaluations} evaluations "
                f"({summary.completed} returned, {summary.moderated} moderated, {summary.revisits} revisits returned); "
                f"closed quarters "
                f"{', '.join(summary.quarters)} and an open cycle this quarter."
            )
        )
        usernames = ", ".join(person.username for person in PEOPLE)
        self.stdout.write(f"Sign in as any of {usernames} with the password {DEMO_PASSWORD}")
