"""Fixtures shared by every test: one signed-in person per role, and a team to put them in."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from pqa.models import Role
from pqa.sessions import session_touch
from pqa.two_factor import confirmed_device, two_factor_required
from tests.factories import TeamFactory, UserFactory


class PQAClient(Client):
    """The test client, signed in as PQA signs people in.

    `force_login(user)` also gives the session its second factor when the person needs one
    (a confirmed authenticator, and the session key django-otp reads), so a test of a page is
    not a test of two-factor authentication; `force_login(user, verified=False)` leaves the
    session with the first factor only, for the tests that prove nothing opens without it.
    `login(...)` passes a request to authenticate(), as the sign-in page does: django-axes
    refuses an authentication without one."""

    def force_login(self, user, backend=None, verified=True):
        super().force_login(user, backend)
        session = self.session
        # As a real sign-in leaves it: the idle period just started (pqa/sessions.py), so the
        # next request has no session to write.
        session_touch(session, force=True)
        if verified and two_factor_required(user):
            device = confirmed_device(user) or TOTPDevice.objects.create(user=user, name="Test", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def login(self, **credentials):
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, **credentials)
        if user is None:
            return False
        self._login(user)
        session = self.session
        session_touch(session, force=True)
        session.save()
        return True


@pytest.fixture
def client():
    """pytest-django's client fixture, as a PQAClient."""
    return PQAClient()


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
