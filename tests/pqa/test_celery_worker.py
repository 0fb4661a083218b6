"""The notification outbox end to end: a real Celery worker, a real Redis, a shared database.

`make test` starts a throwaway Redis and exports PQA_TEST_REDIS_URL; the worker test needs a
database another process can open too, so it runs in the PostgreSQL pass (in the SQLite pass
the test database is in memory, and it is skipped with that reason). Without
PQA_TEST_REDIS_URL it is skipped, except under CI=true, where it fails: CI must run it.
"""

from __future__ import annotations

import logging
import socket
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
def test_queuing_with_the_broker_down_commits_the_row_at_once_and_the_sweep_sends_it_once(caplog, monkeypatch):
    port = _free_port()
    dead_broker = f"redis://127.0.0.1:{port}/0"  # nothing listens there: each connection is refused
    # Count the connections made to the broker's address; each is still made, and still refused.
    attempts = []
    connect = socket.socket.connect

    def counted_connect(sock, address):
        if isinstance(address, tuple) and address[:2] == ("127.0.0.1", port):
            attempts.append(address[:2])
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counted_connect)

    with celery_broker(dead_broker), caplog.at_level(logging.WARNING, logger="pqa.services"):
        notification = _queue("Broker down")

    # The publish was tried once, when the caller's transaction committed, and given up at the
    # first refusal: no publish retries (apply_async retry=False) and no reconnection attempts
    # (the transport's max_retries 0), either of which keeps the user's request waiting.
    assert attempts == [("127.0.0.1", port)]
    warnings = [record for record in caplog.records if record.name == "pqa.services"]
    assert [record.getMessage() for record in warnings] == [
        f"Could not enqueue notification {notification.pk}; it stays in the outbox"
    ]
    assert warnings[0].exc_info is not None, "the broker's refusal is logged with it, for the operator"
    # The row was committed with the caller's transaction and waits in the outbox for the sweep:
    # nothing is lost, only delayed.
    assert Notification.objects.filter(pk=notification.pk, sent_at__isnull=True, attempts=0).exists()
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
