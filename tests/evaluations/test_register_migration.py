"""Migration 0007: owners typed as text become accounts where one account matches; the rest
keep their text and stay without an owner; recommendations marked done before notes keep
saying so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("evaluations", "0011_moderation_text_limits")]
AFTER = [("evaluations", "0012_recommendation_register")]


@pytest.mark.django_db(transaction=True)
def test_text_owners_are_matched_to_accounts_by_name_username_or_email_in_any_case():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("pqa", "User")
    Area, Team = apps.get_model("pqa", "ServiceArea"), apps.get_model("pqa", "Team")
    Cycle, Evaluation = apps.get_model("evaluations", "Cycle"), apps.get_model("evaluations", "Evaluation")
    Recommendation = apps.get_model("evaluations", "Recommendation")
    team = Team.objects.create(service_area=Area.objects.create(name="Area"), name="Team")
    marcus = User.objects.create(username="mreid", first_name="Marcus", last_name="Reid", email="m.reid@trust.example")
    helen = User.objects.create(username="hmarsh", first_name="Helen", last_name="Marsh", email="h.marsh@trust.example")
    User.objects.create(username="sam1", first_name="Sam", last_name="Lee", email="sam1@trust.example")
    User.objects.create(username="sam2", first_name="Sam", last_name="Lee", email="sam2@trust.example")
    cycle = Cycle.objects.create(quarter="2025-26-Q1", type="trust_wide")
    evaluation = Evaluation.objects.create(
        reference="PE-1", cycle=cycle, team=team, child_ref="CHILD000001", practitioner="SW-1", evaluator=marcus
    )
    owners = {
        "name": "  marcus   REID ",
        "username": "HMARSH",
        "email": "M.Reid@Trust.Example",
        "two people": "Sam Lee",
        "nobody": "Team manager",
    }
    for label, text in owners.items():
        Recommendation.objects.create(evaluation=evaluation, action=label, owner=text)
    Recommendation.objects.create(
        evaluation=evaluation,
        action="done before",
        owner="Team manager",
        status="done",
        completed_at=dt.datetime(2025, 6, 3, 10, 0, tzinfo=dt.UTC),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    after = {item.action: item for item in apps.get_model("evaluations", "Recommendation").objects.all()}
    assert after["name"].owner_id == marcus.pk
    assert after["username"].owner_id == helen.pk
    assert after["email"].owner_id == marcus.pk
    assert after["two people"].owner_id is None and after["two people"].owner_text == "Sam Lee"
    assert after["nobody"].owner_id is None and after["nobody"].owner_text == "Team manager"
    done = after["done before"]
    assert (done.completed_on, done.outcome_note) == (
        dt.date(2025, 6, 3),
        "Marked done before PQA asked what was done.",
    )
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
