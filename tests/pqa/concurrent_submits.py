"""Five evaluators submit at the same moment, each through the whole web stack in a thread of
its own (as `make run`'s server answers), on the SQLite file named by DATABASE_URL. Prints one
JSON line: each submit's status, and the evaluations' statuses afterwards.

Run by tests/pqa/test_sqlite_concurrency.py in a subprocess, so the database is a real file
with one connection per thread, not the test run's in-memory database."""

import json
import os
import sys
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"  # the test client's host
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.urls import reverse  # noqa: E402

from evaluations.models import Evaluation  # noqa: E402
from pqa.models import Role  # noqa: E402
from tests.conftest import PQAClient  # noqa: E402
from tests.evaluations.test_sit_alongside_form import form_data  # noqa: E402
from tests.factories import EvaluationFactory, TeamFactory, UserFactory  # noqa: E402

PEOPLE = 5

call_command("migrate", verbosity=0)
team = TeamFactory()
clients, evaluations = [], []
for _ in range(PEOPLE):
    evaluator = UserFactory(role=Role.EVALUATOR)
    evaluation = EvaluationFactory(evaluator=evaluator, team=team)
    client = PQAClient()
    client.force_login(evaluator)
    clients.append(client)
    evaluations.append(evaluation)
with connection.cursor() as cursor:
    journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
connection.close()

start = threading.Barrier(PEOPLE)
results = [None] * PEOPLE


def submit(index: int) -> None:
    evaluation = evaluations[index]
    data = form_data(evaluation, submit="1")
    start.wait()
    try:
        response = clients[index].post(reverse("evaluations:form", args=[evaluation.pk]), data)
        results[index] = response.status_code
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        results[index] = f"{type(error).__name__}: {error}"
    finally:
        connections.close_all()


threads = [threading.Thread(target=submit, args=(index,)) for index in range(PEOPLE)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
statuses = sorted(Evaluation.objects.values_list("status", flat=True))
json.dump({"journal_mode": journal_mode, "responses": results, "statuses": statuses}, sys.stdout)
