"""python manage.py pqa_feed_token NAME: issue a token for the BI feed, printed once.
python manage.py pqa_feed_token --revoke NAME: revoke the token in use with that name."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pqa.feed import services
from pqa.feed.models import FeedToken


class Command(BaseCommand):
    help = (
        "Issue a bearer token for the BI feed (/api/feed/TABLE.csv|json) and print it once: only its "
        "SHA-256 is kept. With --revoke, revoke the token in use with that name."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who or what uses the token, e.g. 'Power BI - performance team'.")
        parser.add_argument("--revoke", action="store_true", help="Revoke the token in use with this name.")

    def handle(self, *args, name, revoke, **options):
        if revoke:
            token = FeedToken.objects.active().filter(name=name.strip()).first()
            if token is None:
                raise CommandError(f"No token in use is named '{name}'.")
            services.feed_token_revoke(token=token)
            self.stdout.write(f"revoked {token.name}")
            return
        try:
            record, token = services.feed_token_issue(name=name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(token)
        self.stderr.write(
            f"Issued a token for '{record.name}'. It is printed once, above; PQA keeps only its SHA-256. "
            "Send it as the header  Authorization: Bearer TOKEN"
        )
