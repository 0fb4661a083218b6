"""The notification outbox end to end: a real Celery worker, a real Redis, a shared database.

`make test` starts a throwaway Redis and exports PQA_TEST_REDIS_URL; the worker test needs a
database another process can open too, so it runs in the PostgreSQL pass (in the SQLite pass
the test database is in memory, and it is skipped with that reason). Without
PQA_TEST_REDIS_URL it is skipped, except under CI=true, where it fails: CI must run it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import mail
from django.db import connection, transaction

from pqa import services
from pqa.celery import app
from pqa.models import Notification

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
WORKER_WAIT_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_broker_pools() -> None:
    """Forget the app's cached broker connections, so the next publish uses broker_url as set now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def celery_broker(url: str):
    """Send tasks to a real broker (not eagerly) for the duration, then put things back."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    _reset_broker_pools()
    try:
        yield
    finally:
        _reset_broker_pools()
        app.conf.broker_url = saved["broker_url"]
        app.conf.task_always_eager = saved["task_always_eager"]


def _queue(subject: str) -> Notification:
    with transaction.atomic():
        notification = services.notification_queue(
            kind=Notification.Kind.OTHER,
            recipients=["hub@example.org", "manager@example.org"],
            subject=subject,
            body="An evaluation needs your attention.",
        )
    assert notification is not None
    return notification


def _database_url_for_another_process() -> str:
    """DATABASE_URL of the test database this test runs on (pytest-django's test_* name)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(db["NAME"]):
            pytest.skip(
                "the Celery worker is another process and cannot open this in-memory SQLite test database; "
                "this test runs in the PostgreSQL pass of `make test`"
            )
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    pytest.skip(f"no DATABASE_URL form known for {connection.vendor}")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("PQA_TEST_REDIS_URL", "")
    if not url:
        reason = "PQA_TEST_REDIS_URL is not set (start a Redis: `make services-up`, or run `make test`)"
        if IN_CI:
            pytest.fail(f"{reason}; under CI=true this test must run, not be skipped")
        pytest.skip(reason)
    return url


@pytest.fixture
def celery_worker(redis_url, tmp_path):
    """A real `celery -A pqa worker` (solo pool) on the test database; yields the mail folder."""
    database_url = _database_url_for_another_process()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # The test settings, with e-mail written to files this test can read.
    (tmp_path / "pqa_worker_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        'EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"\n'
        f"EMAIL_FILE_PATH = {str(mail_dir)!r}\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="pqa_worker_settings",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "pqa",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"pqa-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield worker, mail_dir, log_path
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


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
    messages = [path.read_text() for path in mail_dir.iterdir()]
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

    assert took < 1.0, f"queuing took {took:.2f}s with the broker down: the user's action waited on it"
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
        services.notification_queue(
            kind=Notification.Kind.OTHER, recipients=["hub@example.org"], subject="Rolled back", body="-"
        )
        raise Abort

    assert not Notification.objects.filter(subject="Rolled back").exists()
