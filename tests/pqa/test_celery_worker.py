"""The notification outbox end to end: a real Celery worker, a real Redis, a shared database.

`make test` starts a throwaway Redis and exports PQA_TEST_REDIS_URL; the worker test needs a
database another process can open too, so it runs in the PostgreSQL pass (in the SQLite pass
the test database is in memory, and it is skipped with that reason). Without
PQA_TEST_REDIS_URL it is skipped, except under CI=true, where it fails: CI must run it.
"""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.db import transaction

from pqa import services
from pqa.models import Notification
from tests.pqa.conftest import WORKER_WAIT_SECONDS, celery_broker, read_mail
from tests.pqa.conftest import free_port as _free_port


def _queue(subject: str) -> Notification:
    with transaction.atomic():
        notification = services.notification_queue(
            kind="other",
            recipients=["hub@example.org", "manager@example.org"],
            subject=subject,
            body="An evaluation needs your attention.",
        )
    assert notification is not None
    return notification


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_queued_notification_once(celery_worker, redis_url):
    worker, mail_dir, log_path = celery_worker
    subject = f"Worker delivery {time.time_ns()}"

    with celery_broker(redis_url):
        notification = _queue(subject)

    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        notification.refresh_from_db()
        if notification.sent_at is not None:
            break
        if worker.poll() is not None:
            pytest.fail(f"the worker exited with {worker.returncode}:\n{log_path.read_text()}")
        time.sleep(0.2)
    else:
        pytest.fail(f"no delivery within {WORKER_WAIT_SECONDS}s; worker log:\n{log_path.read_text()}")

    assert notification.attempts == 1
    assert notification.last_error == ""
    messages = read_mail(mail_dir)
    assert len(messages) == 1, messages
    assert subject in messages[0]
    assert "hub@example.org" in messages[0]
    assert "manager@example.org" in messages[0]
    # Nothing is left for the sweep, and it sends nothing twice.
    assert services.notifications_deliver_pending() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_queuing_with_the_broker_down_commits_the_row_at_once_and_the_sweep_sends_it_once():
    dead_broker = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there

    with celery_broker(dead_broker):
        started = time.monotonic()
        notification = _queue("Broker down")
        took = time.monotonic() - started

    # A refused connection is given up at once (no publish retries); one that waited on the broker
    # would take Celery's connection timeout (4 s) and its retries. 2.5 s leaves room for a
    # loaded CI machine without letting a wait through.
    assert took < 2.5, f"queuing took {took:.2f}s with the broker down: the user's action waited on it"
    # The row was committed with the caller's transaction: nothing is lost, only delayed.
    notification.refresh_from_db()
    assert notification.sent_at is None
    assert mail.outbox == []

    # The periodic sweep delivers it, and a second sweep (or a late task) sends nothing more.
    assert services.notifications_deliver_pending() == 1
    assert services.notifications_deliver_pending() == 0
    assert services.notification_deliver(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Broker down"
    assert sorted(mail.outbox[0].to) == ["hub@example.org", "manager@example.org"]
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert notification.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_transaction_rolls_back():
    class Abort(Exception):
        pass

    with celery_broker(f"redis://127.0.0.1:{_free_port()}/0"), pytest.raises(Abort), transaction.atomic():
        services.notification_queue(kind="other", recipients=["hub@example.org"], subject="Rolled back", body="-")
        raise Abort

    assert not Notification.objects.filter(subject="Rolled back").exists()
