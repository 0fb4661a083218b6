"""Every URL against every role. A new URL without an expectation here fails the build, so
nothing reaches production unguarded; another person's record is a 404, never a 403.

Every role needs a second factor. The matrix signs people in with both (tests/conftest.py's
client); test_no_url_opens_with_the_first_factor_alone proves the same URLs give nothing to
a session of any role that has the password but not yet the code."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations import services
from evaluations.models import CycleType, Evaluation, Grade, Moderation
from feedback.models import AdvocacyReferral, Compliment, FeedbackResponse
from pqa.models import ImportJob, Role
from pqa.reporting.models import QuarterlyReport
from tests.factories import CycleFactory, EvaluationFactory, TeamFactory, UserFactory, completed_evaluation

LOGIN = "login"  # expected: redirected to the sign-in page
TWO_FACTOR = "two_factor"  # expected: redirected to give a code from the authenticator app
TWO_FACTOR_SETUP = "two_factor_setup"  # expected: redirected to set up an authenticator app
JSON_403 = "403 json"  # expected: a 403 with a JSON error, for scripts
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
MODERATE = {Role.MODERATOR.value, Role.PRACTICE_HUB.value}
# Everyone signed in: every role needs a second factor (pqa.permissions.role_requires_two_factor).
SECOND_FACTOR_ROLES = set(PEOPLE) - {ANONYMOUS}
# Complaints: customer relations, the Practice Hub and administrators manage them; a team
# manager reads their own team's (the other team's manager gets a 404); leaders read figures only.
COMPLAINTS = {Role.CUSTOMER_RELATIONS.value, Role.PRACTICE_HUB.value, Role.ADMINISTRATOR.value}
COMPLAINTS_READ = COMPLAINTS | {Role.TEAM_MANAGER.value}
VOICE_RECORD = {Role.CUSTOMER_RELATIONS.value, Role.PRACTICE_HUB.value, Role.ADMINISTRATOR.value}
VOICE_LIST = VOICE_RECORD | {Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER}


def only(allowed: set[str], status: int = 200, otherwise: int = 404) -> dict[str, object]:
    return {person: LOGIN if person == ANONYMOUS else (status if person in allowed else otherwise) for person in PEOPLE}


def everyone(status: int = 200) -> dict[str, object]:
    return {person: LOGIN if person == ANONYMOUS else status for person in PEOPLE}


# The BI feed answers a bearer token only (tests/pqa/test_feed.py): a session of any role,
# or none, gets a 401 and nothing else.
TOKEN_ONLY = dict.fromkeys(PEOPLE, 401)


# url name -> (method, how to build its arguments from the world, expected outcome per person)
EXPECTATIONS = {
    "home": ("get", None, everyone(302)),  # where to: tests/pqa/test_registry.py
    # The core's home for a role no app serves yet; open to all, it lists their menu.
    "your_pqa": ("get", None, everyone()),
    # What this person typed that could not be saved where they typed it: their own, for all.
    "kept_texts": ("get", None, everyone()),
    # Every entry of this person's menu under its group: where a group leads without script.
    "menu": ("get", None, everyone()),
    "healthz": ("get", None, dict.fromkeys(PEOPLE, 200)),
    "login": ("get", None, {person: 200 if person == ANONYMOUS else 302 for person in PEOPLE}),
    "logout": ("post", None, dict.fromkeys(PEOPLE, LOGIN)),
    "session_ping": ("get", None, everyone()),
    # Signed in with both factors: the code pages send them on.
    "two_factor": ("get", None, everyone(302)),
    "two_factor_recovery": ("get", None, everyone(302)),
    "two_factor_setup": ("get", None, everyone()),
    "two_factor_recovery_codes": ("get", None, everyone()),
    "evaluations:list": ("get", None, everyone()),
    "evaluations:mine": ("get", None, everyone()),
    "evaluations:detail": (
        "get",
        "returned",
        {**only(READ_ALL | {OWNER, Role.TEAM_MANAGER.value})},
    ),
    # The safeguarding alert's link: whoever reads the evaluation, and the team's manager
    # even while it is a draft.
    "evaluations:safeguarding": ("get", "concern", only(READ_ALL | {OWNER, Role.TEAM_MANAGER.value})),
    # Those who act on concerns: every one for the Practice Hub, their team's for a team
    # manager (another team's manager sees an empty list, and cannot acknowledge this one).
    "evaluations:safeguarding_list": (
        "get",
        None,
        only({Role.PRACTICE_HUB.value, Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER}),
    ),
    "evaluations:safeguarding_acknowledge": (
        "post",
        "concern",
        only({Role.PRACTICE_HUB.value, Role.TEAM_MANAGER.value}, status=302),  # back to the concern page
    ),
    "evaluations:team_home": ("get", None, only({Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER})),
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
    # Revisits: the Practice Hub proposes and allocates them in a revisit cycle; the figures are
    # for those who read every evaluation.
    "evaluations:revisit_propose": ("get", "revisit_cycle", only(HUB)),
    "evaluations:revisit_figures": ("get", None, only(READ_ALL)),
    # Moderation: the queue and blind grading for those who moderate (never their own: the
    # sampled evaluation is the owner's, who is an evaluator); the reveal for the moderator who
    # graded it and the Practice Hub; the sample, panels and new rounds for the Practice Hub.
    "evaluations:moderation_queue": ("get", None, only(MODERATE)),
    "evaluations:moderation_grade": ("get", "sampled", only(MODERATE)),
    "evaluations:moderation_detail": ("get", "confirmed", only(HUB | {Role.MODERATOR.value})),
    "evaluations:moderation_change": ("get", "confirmed", only(HUB)),
    "evaluations:moderation_remove": ("get", "sampled", only(HUB)),
    "evaluations:cycle_moderation": ("get", "cycle", only(HUB)),
    "evaluations:moderation_panel_create": ("get", "cycle", only(HUB)),
    "evaluations:moderation_consistency": ("get", None, only(READ_ALL)),
    # A background import: the person who started it (here the Practice Hub) and administrators.
    "import_job": ("get", "import_job", only(HUB)),
    "import_job_status": ("get", "import_job", only(HUB)),
    # The recommendations register: all of it for those who read everything, their team's part
    # for a team manager; "my actions" for everyone (an owner can be anyone); an action is
    # updated by its owner, their team's manager and the Practice Hub; the Practice Hub's home.
    "evaluations:register": ("get", None, only(READ_ALL | {Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER})),
    "evaluations:register_export": (
        "get",
        "export_format",
        only(READ_ALL | {Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER}),
    ),
    "evaluations:my_actions": ("get", None, everyone()),
    "evaluations:action_update": ("get", "recommendation", only(HUB | {OWNER, Role.TEAM_MANAGER.value})),
    "evaluations:hub_home": ("get", None, only(HUB)),
    "reporting:dashboard": (
        "get",
        None,
        only(READ_ALL | {Role.TEAM_MANAGER.value, OTHER_TEAM_MANAGER}),
    ),
    "reporting:distribution": ("get", None, only(READ_ALL)),
    "reporting:distribution_json": ("get", None, only(READ_ALL)),
    # The KPI scorecard: read with the reports; values entered by the Practice Hub (and administrators).
    "reporting:scorecard": ("get", None, only(READ_ALL)),
    "reporting:scorecard_json": ("get", None, only(READ_ALL)),
    "reporting:scorecard_indicator": ("get", "indicator", only(READ_ALL)),
    "kpis:value": ("get", "indicator", only(HUB)),
    "feedback:complaints:list": ("get", None, only(COMPLAINTS_READ | {OTHER_TEAM_MANAGER})),
    "feedback:complaints:home": ("get", None, only(COMPLAINTS)),
    "feedback:complaints:create": ("get", None, only(COMPLAINTS)),
    "feedback:complaints:register_json": ("get", None, only(COMPLAINTS)),
    "feedback:complaints:detail": ("get", "complaint", only(COMPLAINTS_READ)),
    "feedback:complaints:extend": ("get", "complaint_stage1", only(COMPLAINTS)),
    "feedback:complaints:respond": ("get", "complaint_stage1", only(COMPLAINTS)),
    "feedback:complaints:escalate": ("get", "complaint", only(COMPLAINTS)),
    "feedback:complaints:panel": ("get", "complaint_at_stage3", only(COMPLAINTS)),
    "feedback:complaints:ombudsman": ("get", "complaint", only(COMPLAINTS)),
    "feedback:complaints:learning": ("get", "complaint", only(COMPLAINTS)),
    # Changing what was recorded, and comparing a refused version with the saved one.
    "feedback:complaints:edit": ("get", "complaint", only(COMPLAINTS)),
    "feedback:complaints:conflicts": ("get", "complaint", only(COMPLAINTS)),
    # Compliments, child and family feedback and advocacy: customer relations and the Practice
    # Hub see all and record; a team manager their team's (another team's record is a 404);
    # leaders read the figures only.
    "feedback:compliments": ("get", None, only(VOICE_LIST)),
    "feedback:responses": ("get", None, only(VOICE_LIST)),
    "feedback:advocacy": ("get", None, only(VOICE_LIST)),
    "feedback:shareable_extracts": ("get", None, only(VOICE_LIST)),
    "feedback:compliment_detail": ("get", "compliment", only(VOICE_RECORD | {Role.TEAM_MANAGER.value})),
    "feedback:response_detail": ("get", "response", only(VOICE_RECORD | {Role.TEAM_MANAGER.value})),
    "feedback:referral_detail": ("get", "referral", only(VOICE_RECORD | {Role.TEAM_MANAGER.value})),
    "feedback:compliment_new": ("get", None, only(VOICE_RECORD)),
    "feedback:compliment_change": ("get", "compliment", only(VOICE_RECORD)),
    "feedback:response_change": ("get", "response", only(VOICE_RECORD)),
    "feedback:referral_change": ("get", "referral", only(VOICE_RECORD)),
    "feedback:compliment_conflicts": ("get", "compliment", only(VOICE_RECORD)),
    "feedback:response_conflicts": ("get", "response", only(VOICE_RECORD)),
    "feedback:referral_conflicts": ("get", "referral", only(VOICE_RECORD)),
    "feedback:response_new": ("get", None, only(VOICE_RECORD)),
    "feedback:referral_new": ("get", None, only(VOICE_RECORD)),
    "feedback:voice_import": ("get", None, only(VOICE_RECORD)),
    "reporting:feedback": ("get", None, only(READ_ALL)),
    "reporting:feedback_json": ("get", None, only(READ_ALL)),
    "feed:csv": ("get", "feed_table", TOKEN_ONLY),
    "feed:json": ("get", "feed_table", TOKEN_ONLY),
    # The quarterly report: read with the reports (leaders take it to the Board); its narrative
    # written and the report generated by the Practice Hub (and administrators), on its page.
    "reporting:reports": ("get", None, only(READ_ALL)),
    "reporting:report": ("get", "report_quarter", only(READ_ALL)),
    "reporting:report_status": ("get", "report_quarter", only(READ_ALL)),
    "reporting:report_download": ("get", "report_pdf", only(READ_ALL)),
    "reporting:report_conflicts": ("get", "report_quarter", only(HUB)),
}
QUERY = {
    "reporting:distribution_json": "?quarter=2025-26-Q1",
    "reporting:scorecard_json": "?month=2018-12",
    "reporting:scorecard_indicator": "?month=2018-12",
    "kpis:value": "?month=2018-12",
    "reporting:feedback_json": "?quarter=2025-26-Q1",
}


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
    assert returned.status == Evaluation.Status.RETURNED
    concern = EvaluationFactory(
        cycle=cycle,
        team=team,
        evaluator=people[OWNER],
        safeguarding_concern=True,
        safeguarding_description="Seen on the visit.",
        safeguarding_reported_at=dt.datetime(2025, 5, 1, 9, 0, tzinfo=dt.UTC),
    )
    revisit_cycle = CycleFactory(quarter="2025-26-Q2", type=CycleType.REVISIT)
    sampled = Moderation.objects.create(evaluation=returned, state=Moderation.State.SAMPLED)
    confirmed = services.moderation_record(
        evaluation=completed_evaluation(cycle=cycle, team=team, evaluator=people[OTHER_EVALUATOR]),
        moderated_grade=Grade.GOOD,
        moderator=people[Role.MODERATOR.value],
        rationale="Agreed.",
    )
    import_job = ImportJob.objects.create(importer="evaluations", user=people[Role.PRACTICE_HUB.value])
    recommendation = returned.recommendations.create(
        action="Update the chronology", owner=people[OWNER], due_date=dt.date(2025, 7, 1)
    )
    complaint, at_stage3 = _complaints(team, people[Role.CUSTOMER_RELATIONS.value])
    voice = {"service_area": team.service_area, "team": team}
    compliment = Compliment.objects.create(
        reference="CMP-1",
        received=dt.date(2025, 5, 1),
        from_whom="parent_carer",
        extract="Kind.",
        may_share=True,
        **voice,
    )
    response = FeedbackResponse.objects.create(
        reference="RSP-1", date=dt.date(2025, 5, 1), source="review", respondent="child", **voice
    )
    referral = AdvocacyReferral.objects.create(
        reference="ADV-1", date=dt.date(2025, 5, 1), source="iro", service_area=team.service_area
    )
    # A generated report, its files made small (generating one is tests/pqa/test_report_workflow.py's).
    QuarterlyReport.objects.create(
        quarter="2025-26-Q1",
        state="ready",
        generation=1,
        generated_by=people[Role.PRACTICE_HUB.value],
        html=b"<!DOCTYPE html><html><body><h1>Report</h1></body></html>",
        pdf=b"%PDF-1.7 small",
        xlsx=b"PK small",
    )
    return {
        "complaint": complaint.pk,
        "complaint_stage1": (complaint.pk, 1),
        "complaint_at_stage3": at_stage3.pk,
        "people": people,
        "import_job": import_job.pk,
        "cycle": cycle.pk,
        "draft": draft.pk,
        "returned": returned.pk,
        "concern": concern.pk,
        "revisit_cycle": revisit_cycle.pk,
        "indicator": "KPI01",  # loaded by the migrations
        "sampled": sampled.pk,
        "confirmed": confirmed.pk,
        "recommendation": recommendation.pk,
        "export_format": "xlsx",
        "compliment": compliment.pk,
        "response": response.pk,
        "referral": referral.pk,
        "feed_table": "evaluations",
        "report_quarter": "2025-26-Q1",
        "report_pdf": ("2025-26-Q1", "pdf"),
    }


def _complaints(team, actor):
    """A complaint of the team manager's team at Stage 1 (responded), and one at Stage 3."""
    from feedback.complaints import services as complaints

    made = []
    for reference, stages in (("C-1", 1), ("C-3", 3)):
        complaint = complaints.complaint_record(
            actor=actor,
            reference=reference,
            received=dt.date(2025, 4, 1),
            how_received="email",
            complainant="parent_carer",
            procedure="statutory",
            service_area=team.service_area,
            team=team,
        )
        complaints.complaint_respond(
            actor=actor, complaint=complaint, stage=1, responded=dt.date(2025, 4, 8), outcome="upheld"
        )
        if stages == 3:
            complaints.complaint_escalate(actor=actor, complaint=complaint, requested=dt.date(2025, 4, 10))
            complaints.complaint_respond(
                actor=actor, complaint=complaint, stage=2, responded=dt.date(2025, 5, 1), outcome="upheld"
            )
            complaints.complaint_escalate(actor=actor, complaint=complaint, requested=dt.date(2025, 5, 2))
        made.append(complaint)
    return made


def _args(world, argument):
    if not argument:
        return None
    value = world[argument]
    return list(value) if isinstance(value, tuple) else [value]


def _outcome(response):
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/setup/"):
        return TWO_FACTOR_SETUP
    if response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/"):
        return TWO_FACTOR
    if response.status_code == 403 and response["Content-Type"] == "application/json":
        return JSON_403
    return response.status_code


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_each_role_gets_the_expected_outcome(client, world, name):
    method, argument, expected = EXPECTATIONS[name]
    url = reverse(name, args=_args(world, argument)) + QUERY.get(name, "")
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


# --- The second factor -----------------------------------------------------------------------

# People of every role, with the first factor alone, and whether they have set up their app.
SECOND_FACTOR_PEOPLE = {
    "evaluator, set up": (Role.EVALUATOR, {}, True),
    "moderator, not yet set up": (Role.MODERATOR, {}, False),
    "practice hub, set up": (Role.PRACTICE_HUB, {}, True),
    "team manager, not yet set up": (Role.TEAM_MANAGER, {}, False),
    "team manager, set up": (Role.TEAM_MANAGER, {}, True),
    "customer relations, not yet set up": (Role.CUSTOMER_RELATIONS, {}, False),
    "leader, set up": (Role.LEADER, {}, True),
    "leader, not yet set up": (Role.LEADER, {}, False),
    "administrator, set up": (Role.ADMINISTRATOR, {"is_staff": True}, True),
    "superuser, not yet set up": (Role.EVALUATOR, {"is_staff": True, "is_superuser": True}, False),
}
# With the first factor alone, only these open, and they show nothing of PQA's records.
EXEMPT_FROM_SECOND_FACTOR = {
    "healthz": lambda has_app: 200,
    "login": lambda has_app: 302,  # on to the home page, which asks for the code
    "logout": lambda has_app: LOGIN,
    "two_factor": lambda has_app: 200 if has_app else TWO_FACTOR_SETUP,
    "two_factor_recovery": lambda has_app: 200 if has_app else TWO_FACTOR_SETUP,
    "two_factor_setup": lambda has_app: TWO_FACTOR if has_app else 200,
    # The feed asks for its own token, whatever the session: without one, a 401.
    "feed:csv": lambda has_app: 401,
    "feed:json": lambda has_app: 401,
}
JSON_ENDPOINTS = {
    "session_ping",
    "evaluations:autosave",
    "reporting:distribution_json",
    "reporting:scorecard_json",
    "reporting:feedback_json",
    "import_job_status",
    "feedback:complaints:register_json",
    "reporting:report_status",
}


@pytest.fixture
def first_factor_only(world):
    people = {}
    for label, (role, extra, has_app) in SECOND_FACTOR_PEOPLE.items():
        person = UserFactory(role=role, **extra)
        if has_app:
            TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
        people[label] = (person, has_app)
    return people


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_no_url_opens_with_the_first_factor_alone(client, world, first_factor_only, name):
    method, argument, _ = EXPECTATIONS[name]
    url = reverse(name, args=_args(world, argument)) + QUERY.get(name, "")
    actual, expected = {}, {}
    for label, (person, has_app) in first_factor_only.items():
        client.logout()
        client.force_login(person, verified=False)
        actual[label] = _outcome(getattr(client, method)(url))
        if name in EXEMPT_FROM_SECOND_FACTOR:
            expected[label] = EXEMPT_FROM_SECOND_FACTOR[name](has_app)
        else:
            expected[label] = JSON_403 if name in JSON_ENDPOINTS else TWO_FACTOR
    assert actual == expected


def admin_urls():
    yield reverse("admin:index")
    for model in admin.site._registry:
        yield reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        yield reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def test_the_django_admin_needs_the_second_factor(client, world, first_factor_only):
    for label in ("administrator, set up", "superuser, not yet set up"):
        person, _ = first_factor_only[label]
        client.logout()
        client.force_login(person, verified=False)
        outcomes = {url: _outcome(client.get(url)) for url in admin_urls()}
        assert set(outcomes.values()) == {TWO_FACTOR}, (label, outcomes)


def test_a_script_asking_for_json_gets_a_403_not_a_page(client, world, first_factor_only):
    person, _ = first_factor_only["practice hub, set up"]
    client.force_login(person, verified=False)
    response = client.get(reverse("evaluations:cycle_list"), headers={"accept": "application/json"})
    assert _outcome(response) == JSON_403
    assert "Two-factor authentication is needed" in response.json()["error"]


def test_every_role_is_asked_for_a_second_factor_before_anything_else(client, world):
    for person in set(PEOPLE) - {ANONYMOUS}:
        client.logout()
        client.force_login(world["people"][person], verified=False)
        # No app yet: set-up first, whatever page they asked for.
        assert _outcome(client.get(reverse("evaluations:mine"))) == TWO_FACTOR, person
        assert _outcome(client.get(reverse("two_factor"))) == TWO_FACTOR_SETUP, person
