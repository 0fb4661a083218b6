"""Every URL against every role. A new URL without an expectation here fails the build, so
nothing reaches production unguarded; another person's record is a 404, never a 403."""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluations.models import Evaluation
from pqa.models import Role
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

LOGIN = "login"  # expected: redirected to the sign-in page
ANONYMOUS = "anonymous"
OWNER = "owner"  # the evaluator the evaluations are allocated to
OTHER_EVALUATOR = "other_evaluator"
OTHER_TEAM_MANAGER = "other_team_manager"
PEOPLE = [
    ANONYMOUS,
    OWNER,
    OTHER_EVALUATOR,
    Role.MODERATOR.value,
    Role.PRACTICE_HUB.value,
    Role.TEAM_MANAGER.value,
    OTHER_TEAM_MANAGER,
    Role.CUSTOMER_RELATIONS.value,
    Role.LEADER.value,
    Role.ADMINISTRATOR.value,
]
READ_ALL = {Role.MODERATOR.value, Role.PRACTICE_HUB.value, Role.LEADER.value, Role.ADMINISTRATOR.value}
HUB = {Role.PRACTICE_HUB.value, Role.ADMINISTRATOR.value}


def only(allowed: set[str], status: int = 200, otherwise: int = 404) -> dict[str, object]:
    return {person: LOGIN if person == ANONYMOUS else (status if person in allowed else otherwise) for person in PEOPLE}


def everyone(status: int = 200) -> dict[str, object]:
    return {person: LOGIN if person == ANONYMOUS else status for person in PEOPLE}


# url name -> (method, how to build its arguments from the world, expected outcome per person)
EXPECTATIONS = {
    "home": ("get", None, everyone(302)),
    "healthz": ("get", None, dict.fromkeys(PEOPLE, 200)),
    "login": ("get", None, {person: 200 if person == ANONYMOUS else 302 for person in PEOPLE}),
    "logout": ("post", None, dict.fromkeys(PEOPLE, LOGIN)),
    "session_ping": ("get", None, everyone()),
    "evaluations:list": ("get", None, everyone()),
    "evaluations:mine": ("get", None, everyone()),
    "evaluations:detail": (
        "get",
        "returned",
        {**only(READ_ALL | {OWNER, Role.TEAM_MANAGER.value})},
    ),
    "evaluations:form": ("get", "draft", only({OWNER})),
    "evaluations:autosave": ("post", "draft", only({OWNER}, status=400)),  # 400: an empty post is not a form
    "evaluations:conflicts": ("get", "draft", only({OWNER})),
    "evaluations:cycle_list": ("get", None, only(HUB)),
    "evaluations:cycle_create": ("get", None, only(HUB)),
    "evaluations:cycle_detail": ("get", "cycle", only(HUB)),
    "evaluations:allocate_one": ("get", "cycle", only(HUB)),
    "evaluations:allocate_list": ("get", "cycle", only(HUB)),
    "evaluations:allocate_sample": ("get", "cycle", only(HUB)),
    "evaluations:cycle_close": ("get", "cycle", only(HUB)),
    "evaluations:reassign": ("get", "draft", only(HUB)),
    "evaluations:import": ("get", None, only(HUB)),
    "reporting:distribution": ("get", None, only(READ_ALL)),
    "reporting:distribution_json": ("get", None, only(READ_ALL)),
}
QUERY = {"reporting:distribution_json": "?quarter=2025-26-Q1"}


def url_names(resolver=None, namespace=""):
    """Every named URL of the project, except the Django admin's (tested below as a whole)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name, so it cannot be checked for access"
            yield f"{namespace}{pattern.name}"


def test_every_url_has_an_access_expectation():
    missing = sorted(set(url_names()) - set(EXPECTATIONS))
    assert not missing, f"Add these URLs to EXPECTATIONS in {__file__}: {missing}"


def test_every_expectation_covers_every_person():
    for name, (_, _, expected) in EXPECTATIONS.items():
        assert set(expected) == set(PEOPLE), name


@pytest.fixture
def world(db):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    other_team = TeamFactory(service_area__name="Child Protection", name="CP Team 1")
    people = {
        OWNER: UserFactory(role=Role.EVALUATOR),
        OTHER_EVALUATOR: UserFactory(role=Role.EVALUATOR),
        Role.MODERATOR.value: UserFactory(role=Role.MODERATOR),
        Role.PRACTICE_HUB.value: UserFactory(role=Role.PRACTICE_HUB),
        Role.TEAM_MANAGER.value: UserFactory(role=Role.TEAM_MANAGER, team=team),
        OTHER_TEAM_MANAGER: UserFactory(role=Role.TEAM_MANAGER, team=other_team),
        Role.CUSTOMER_RELATIONS.value: UserFactory(role=Role.CUSTOMER_RELATIONS),
        Role.LEADER.value: UserFactory(role=Role.LEADER),
        Role.ADMINISTRATOR.value: UserFactory(role=Role.ADMINISTRATOR, is_staff=True),
    }
    cycle = CycleFactory(quarter="2025-26-Q1")
    draft = EvaluationFactory(cycle=cycle, team=team, evaluator=people[OWNER], due_date=dt.date(2025, 6, 30))
    returned = completed_evaluation(cycle=cycle, team=team, evaluator=people[OWNER])
    assert returned.status == Evaluation.Status.COMPLETED
    return {"people": people, "cycle": cycle.pk, "draft": draft.pk, "returned": returned.pk}


def _outcome(response):
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_each_role_gets_the_expected_outcome(client, world, name):
    method, argument, expected = EXPECTATIONS[name]
    url = reverse(name, args=[world[argument]] if argument else None) + QUERY.get(name, "")
    actual = {}
    for person in PEOPLE:
        client.logout()
        if person != ANONYMOUS:
            client.force_login(world["people"][person])
        actual[person] = _outcome(getattr(client, method)(url))
    assert actual == expected


@pytest.mark.parametrize("person", [person for person in PEOPLE if person != Role.ADMINISTRATOR.value])
def test_the_django_admin_is_closed_to_everyone_but_staff(client, world, person):
    if person != ANONYMOUS:
        client.force_login(world["people"][person])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_django_admin_opens_for_an_administrator(client, world):
    admin = world["people"][Role.ADMINISTRATOR.value]
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_inactive_account_is_signed_out(client, world):
    person = world["people"][OWNER]
    client.force_login(person)
    person.is_active = False
    person.save()
    response = client.get(reverse("evaluations:mine"))
    assert _outcome(response) == LOGIN
