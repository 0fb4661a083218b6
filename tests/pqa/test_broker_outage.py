"""Broker down: nothing is lost, nothing waits, nothing is sent twice.

A Redis of the test's own (on a free loopback port), a real `celery -A pqa worker` and a real
`celery -A pqa beat` sweeping the outbox every PQA_OUTBOX_SWEEP_SECONDS. Redis is killed;
through the test client, as real users, people sign in, save a draft with a safeguarding
concern and submit it, and the Practice Hub allocates evaluations (service): each action
succeeds within a second and its notifications wait in the outbox. Redis is started again
on the same port, and every notification is delivered exactly once, although the sweep and
a late per-notification task both try.

Complaints are not covered yet: the feedback app has no complaints (a later issue); when it
has, its escalation belongs here too.

Like test_celery_worker.py it needs a database the worker can open: it runs in the
PostgreSQL pass of `make test` and is skipped in the in-memory SQLite pass. A missing
redis-server fails it under CI=true.
"""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations import services as evaluation_services
from evaluations.models import Evaluation
from evaluations.notifications import NotificationKind
from pqa import services
from pqa.models import Notification, Role
from pqa.tasks import deliver_notification
from tests.evaluations.test_sit_alongside_form import form_data
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory
from tests.pqa.conftest import celery_broker
from tests.test_security import current_code

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ACTION_SECONDS = 1.0  # the most any action may take with the broker down
SWEEP_SECONDS = 2  # beat's outbox sweep interval in this test (60 s in production)
DELIVERY_SECONDS = 60  # bound for delivering everything once Redis is back
PASSWORD = "correct-horse-battery-staple"  # UserFactory's

SUCCEEDED = re.compile(r"Task (pqa\.tasks\.deliver_\w+)\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (\w+)")


def _timed(timings: dict[str, float], name: str, action):
    started = time.monotonic()
    result = action()
    timings[name] = took = time.monotonic() - started
    assert took < ACTION_SECONDS, f"{name} took {took:.2f}s with Redis down"
    return result


def _wait_for(condition, seconds: float, what: str, processes) -> float:
    started = time.monotonic()
    while not condition():
        processes.check_alive()
        if time.monotonic() - started > seconds:
            pytest.fail(f"{what}: not within {seconds}s\n{processes.logs()}")
        time.sleep(0.2)
    return time.monotonic() - started


def _sent_by_worker(log: str) -> tuple[int, int, int]:
    """From the worker's log: notifications sent by deliver_notification, by the sweeps, and
    how many deliver_notification tasks found theirs already sent."""
    by_task = by_sweep = skipped = 0
    for task, result in SUCCEEDED.findall(log):
        if task == "pqa.tasks.deliver_notification":
            by_task += result == "True"
            skipped += result == "False"
        else:
            by_sweep += int(result)
    return by_task, by_sweep, skipped


def test_with_redis_down_actions_succeed_at_once_and_each_notification_is_sent_once_when_it_is_back(
    own_redis, celery_processes, client, settings, record_property
):
    # As in production with REDIS_URL set, the cache is on the same Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": own_redis.url}}
    team = TeamFactory(name="Outage Team")
    evaluator = UserFactory(username="eve.outage", role=Role.EVALUATOR)
    manager = UserFactory(username="tom.outage", role=Role.TEAM_MANAGER, team=team)
    hub = UserFactory(username="hub.outage", role=Role.PRACTICE_HUB)
    colleague = UserFactory(username="ola.outage", role=Role.EVALUATOR)
    cycle = CycleFactory()
    evaluation = EvaluationFactory(evaluator=evaluator, team=team, cycle=cycle)

    celery_processes.redis_url = own_redis.url
    sweep_env = {"PQA_OUTBOX_SWEEP_SECONDS": str(SWEEP_SECONDS)}
    worker = celery_processes.worker(pool="prefork", concurrency=2, env=sweep_env)
    celery_processes.beat(env=sweep_env)

    with celery_broker(own_redis.url):
        # Redis up: the evaluator signs in and opens the form; a first notification goes
        # through the worker, so the whole chain is known to work before the outage.
        response = client.post(reverse("login"), {"username": evaluator.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        # Every role gives a second factor: the code from the evaluator's authenticator app.
        device = TOTPDevice.objects.create(user=evaluator, name="Phone", confirmed=True)
        response = client.post(reverse("two_factor"), {"code": current_code(device)})
        assert response.status_code == 302, response.content[:500]
        assert client.get(reverse("evaluations:form", args=[evaluation.pk])).status_code == 200
        warm_up = services.notification_queue(
            kind="other", recipients=[hub.email], subject="Before the outage", body="-"
        )
        _wait_for(
            lambda: Notification.objects.get(pk=warm_up.pk).sent_at, 60, "delivery before the outage", celery_processes
        )

        own_redis.kill()
        down_at = time.monotonic()
        timings: dict[str, float] = {}

        other_client = type(client)()
        response = _timed(
            timings,
            "sign in",
            lambda: other_client.post(reverse("login"), {"username": colleague.username, "password": PASSWORD}),
        )
        assert response.status_code == 302

        response = _timed(timings, "open form", lambda: client.get(reverse("evaluations:form", args=[evaluation.pk])))
        assert response.status_code == 200

        concern = form_data(
            evaluation, safeguarding_concern="on", safeguarding_description="Unexplained bruising seen during visit."
        )
        response = _timed(
            timings,
            "autosave with safeguarding concern",
            lambda: client.post(reverse("evaluations:autosave", args=[evaluation.pk]), concern),
        )
        assert response.status_code == 200, response.content[:500]
        version = response.json()["version"]

        submitted = form_data(
            evaluation,
            version=version,
            safeguarding_concern="on",
            safeguarding_description="Unexplained bruising seen during visit.",
            submit="1",
        )
        response = _timed(
            timings, "submit", lambda: client.post(reverse("evaluations:form", args=[evaluation.pk]), submitted)
        )
        assert response.status_code == 302, response.content[:500]
        evaluation.refresh_from_db()
        assert evaluation.status == Evaluation.Status.RETURNED

        requests = [
            evaluation_services.AllocationRequest(
                child_ref=f"OUT{index:04d}", practitioner="SW-2001", team=team, evaluator=person
            )
            for index, person in enumerate([evaluator, colleague, colleague])
        ]
        allocated = _timed(
            timings,
            "allocate 3 evaluations",
            lambda: evaluation_services.evaluations_allocate(cycle=cycle, requests=requests, actor=hub),
        )
        assert len(allocated) == 3

        # Everything the actions caused is in the outbox, committed, not sent.
        waiting = list(Notification.objects.filter(sent_at__isnull=True).order_by("pk"))
        kinds = sorted(notification.kind for notification in waiting)
        assert kinds == sorted(
            [NotificationKind.SAFEGUARDING_CONCERN, NotificationKind.ALLOCATION, NotificationKind.ALLOCATION]
        ), [(n.kind, n.subject) for n in waiting]
        concern_row = next(n for n in waiting if n.kind == NotificationKind.SAFEGUARDING_CONCERN)
        assert concern_row.recipients == sorted([manager.email, hub.email])
        assert all(n.attempts == 0 for n in waiting)

        # The outage lasts a few sweeps: beat's failed publishes must not stop it, nor the worker.
        while time.monotonic() - down_at < 2 * SWEEP_SECONDS:
            time.sleep(0.2)
        celery_processes.check_alive()
        assert not Notification.objects.filter(pk__in=[n.pk for n in waiting], sent_at__isnull=False).exists()
        outage_seconds = time.monotonic() - down_at

        # Redis is back on the same port (empty: what it held died with it).
        own_redis.start()
        back_at = time.monotonic()
        # A late per-notification task (as an on-commit enqueue that got through would be),
        # twice, races beat's sweep for the first notification; the others have nothing but
        # the sweep, as after a real outage.
        raced = waiting[:1]
        published = 0
        deadline = back_at + 15
        for notification in raced * 2:
            while True:
                try:
                    deliver_notification.apply_async(args=[notification.pk], retry=False)
                    published += 1
                    break
                except Exception:  # noqa: BLE001 - the pool may still hold a dead connection
                    assert time.monotonic() < deadline, "could not publish to the restarted Redis"
                    time.sleep(0.2)

    delivered_in = _wait_for(
        lambda: not Notification.objects.filter(sent_at__isnull=True).exists(),
        DELIVERY_SECONDS,
        "every notification delivered after Redis came back",
        celery_processes,
    )
    # Let the duplicate tasks run out, and one more sweep pass.
    _wait_for(
        lambda: sum(_sent_by_worker(celery_processes.log(worker))[::2]) >= published + 1,
        30,
        "the worker ran every late task",
        celery_processes,
    )
    time.sleep(SWEEP_SECONDS * 1.5)

    by_task, by_sweep, skipped = _sent_by_worker(celery_processes.log(worker))
    everything = list(Notification.objects.order_by("pk"))
    assert len(everything) == len(waiting) + 1
    # Exactly once: one sending each, one attempt each, one message file each.
    assert by_task + by_sweep == len(everything), (by_task, by_sweep, celery_processes.logs())
    assert by_sweep >= len(waiting) - len(raced), "the sweep did not deliver what only it could"
    for notification in everything:
        assert notification.sent_at is not None
        assert notification.attempts == 1, (notification.subject, notification.attempts)
        assert notification.last_error == ""
    messages = celery_processes.mail()
    assert len(messages) == len(everything), messages
    for notification in everything:
        assert sum(f"Subject: {notification.subject}" in message for message in messages) == 1, notification.subject
    assert any(f"/evaluations/{evaluation.pk}/safeguarding/" in message for message in messages)
    # Nothing is left for another sweep, here either.
    assert services.notifications_deliver_pending() == 0
    assert mail.outbox == []

    figures = {
        **{f"{name} (s)": round(took, 3) for name, took in timings.items()},
        "outage (s)": round(outage_seconds, 1),
        "all delivered after restart (s)": round(delivered_in, 1),
        "sent by sweep": by_sweep,
        "sent by task": by_task,
        "duplicate tasks that found it sent": skipped,
    }
    for name, value in figures.items():
        record_property(name, value)
    print("broker outage figures:", figures)
