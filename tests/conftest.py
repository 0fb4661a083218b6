"""Fixtures shared by every test: one signed-in person per role, and a team to put them in."""

import pytest

from pqa.models import Role
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(service_area__name="Children in Care", name="CiC Team 1")


@pytest.fixture
def other_team(db):
    return TeamFactory(service_area__name="Child Protection", name="CP Team 1")


@pytest.fixture
def make_user(db, team):
    def make(role: str = Role.EVALUATOR, **kwargs):
        if role == Role.TEAM_MANAGER:
            kwargs.setdefault("team", team)
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def evaluator(make_user):
    return make_user(Role.EVALUATOR, username="eve.evaluator")


@pytest.fixture
def practice_hub(make_user):
    return make_user(Role.PRACTICE_HUB, username="hub.user")


@pytest.fixture
def team_manager(make_user):
    return make_user(Role.TEAM_MANAGER, username="tom.manager")


@pytest.fixture
def leader(make_user):
    return make_user(Role.LEADER, username="lee.leader")


@pytest.fixture
def moderator(make_user):
    return make_user(Role.MODERATOR, username="mo.moderator")


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
