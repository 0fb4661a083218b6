"""Delete expired sessions and sign-in records past their keeping time, now.

Celery beat does this every night (pqa.tasks.housekeeping); this is for a deployment without
beat, or to see what it does. See docs/security.md.
"""

from django.core.management.base import BaseCommand

from pqa import services


class Command(BaseCommand):
    help = "Delete expired sessions and sign-in records older than PQA_SIGN_IN_LOG_DAYS."

    def handle(self, *args, **options):
        result = services.housekeeping_run()
        self.stdout.write(
            f"deleted {result.expired_sessions} expired sessions, {result.sign_in_logs} sign-in records "
            f"and {result.sign_in_failure_logs} failed sign-in records"
        )
