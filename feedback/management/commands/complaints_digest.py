"""`manage.py complaints_digest`: queue today's e-mail of complaints due soon or overdue to
customer relations, by hand (the beat runs it every morning). Once a day, however often run."""

from django.core.management.base import BaseCommand

from feedback.complaints.notifications import complaints_digest_send


class Command(BaseCommand):
    help = "E-mail customer relations the complaints due in the next three working days and the overdue ones."

    def handle(self, *args, **options):
        result = complaints_digest_send()
        self.stdout.write(result)
