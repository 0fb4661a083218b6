"""The core stands on its own: it names no app, and each app tells it, through pqa.registry,
what it brings (menu entries, role homes, JSON endpoints, notification kinds)."""

import ast
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from pqa import registry
from pqa.models import Notification, Role
from pqa.services import notification_queue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "pqa"
APPS = ("evaluations", "feedback")
# Django's wiring names the apps as module strings ("evaluations.urls", INSTALLED_APPS): the
# root URLconf and the settings may, and nothing else in the core.
WIRING = {CORE / "urls.py", CORE / "settings.py"}
NAMESPACE = re.compile(r"^(evaluations|feedback):")
MODULE = re.compile(r"^(evaluations|feedback)\.")


def core_modules():
    for path in sorted(CORE.rglob("*.py")):
        if (CORE / "reporting") in path.parents:
            continue
        yield path


def _names_an_app(module: str | None) -> bool:
    return module is not None and any(module == app or module.startswith(f"{app}.") for app in APPS)


def _names_an_app_url_or_module(value, path: Path) -> bool:
    if not isinstance(value, str):
        return False
    return bool(NAMESPACE.match(value) or (path not in WIRING and MODULE.match(value)))


def app_references(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names if _names_an_app(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _names_an_app(node.module):
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Constant) and _names_an_app_url_or_module(node.value, path):
            found.append(repr(node.value))
    return [f"{path.name}:{reference}" for reference in found]


def test_the_core_imports_no_app_and_names_none_of_their_urls():
    modules = list(core_modules())
    assert CORE / "context_processors.py" in modules and CORE / "registry.py" in modules
    found = [f"{path.relative_to(ROOT)}: {ref}" for path in modules for ref in app_references(path)]
    assert found == []


# The reporting layer triangulates the apps, reading them only through their read side.
READ_SIDE = re.compile(r"^(evaluations|feedback)(\.[a-z_]+)*\.(selectors|figures)$")


def app_imports_beside_the_read_side(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module]
        else:
            continue
        found += [module for module in modules if _names_an_app(module) and not READ_SIDE.match(module)]
    return found


def test_the_reporting_layer_reads_the_apps_only_through_their_selectors_and_figures(tmp_path):
    found = [
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((CORE / "reporting").rglob("*.py"))
        for module in app_imports_beside_the_read_side(path)
    ]
    assert found == []
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from feedback.models import Theme\nfrom feedback.voice.selectors import x\nimport evaluations.services\n"
    )
    assert app_imports_beside_the_read_side(sneaky) == ["feedback.models", "evaluations.services"]


def test_the_check_of_the_core_would_catch_an_import_and_a_url_name(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from evaluations.models import Evaluation\nimport feedback\nURL = 'evaluations:mine'\n"
        "LATER = 'feedback.selectors'\nFINE = 'Practice evaluations: what evaluations are'\n"
    )
    assert len(app_references(sneaky)) == 4


def test_the_core_templates_name_no_app_url():
    core_templates = [ROOT / "templates" / "base.html", ROOT / "templates" / "404.html"]
    for folder in ("registration", "includes", "pqa", "gds"):
        core_templates += sorted((ROOT / "templates" / folder).rglob("*.html"))
    offending = [
        str(path.relative_to(ROOT))
        for path in core_templates
        if re.search(r"""['"](evaluations|feedback):""", path.read_text())
    ]
    assert offending == []


# --- Menus and homes per role -----------------------------------------------------------------

# Each role's menu as the header shows it: an entry's label, or a group (label, its entries).
# Flat while a role has MENU_TOP_LEVEL entries or fewer; else folded into the apps' groups.
EVALUATIONS, MODERATION, RECOMMENDATIONS, FEEDBACK, REPORTS = (
    "Evaluations",
    "Moderation",
    "Recommendations",
    "Feedback",
    "Reports",
)
ALL_REPORTS = (REPORTS, ["Dashboard", "Grade distribution", "KPI scorecard", "Feedback figures", "Quarterly reports"])
MENUS = {
    Role.EVALUATOR: ["My evaluations", "My actions", "Evaluations", "Two-factor authentication"],
    Role.MODERATOR: [
        (EVALUATIONS, ["My evaluations", "Evaluations", "Revisits"]),
        (RECOMMENDATIONS, ["My actions", "Recommendations"]),
        (MODERATION, ["Moderation", "Moderation consistency"]),
        ALL_REPORTS,
        "Two-factor authentication",
    ],
    Role.PRACTICE_HUB: [
        "Overview",
        (EVALUATIONS, ["My evaluations", "Evaluations", "Safeguarding concerns", "Cycles", "Import", "Revisits"]),
        (RECOMMENDATIONS, ["My actions", "Recommendations"]),
        (MODERATION, ["Moderation", "Moderation consistency"]),
        (
            FEEDBACK,
            [
                "Complaints due",
                "Complaints",
                "Compliments",
                "Child and family feedback",
                "Advocacy referrals",
                "Import feedback",
            ],
        ),
        ALL_REPORTS,
        "Two-factor authentication",
    ],
    Role.TEAM_MANAGER: [
        "Your team",
        (EVALUATIONS, ["My evaluations", "Evaluations", "Safeguarding concerns"]),
        (RECOMMENDATIONS, ["My actions", "Recommendations"]),
        (FEEDBACK, ["Complaints", "Compliments", "Child and family feedback", "Advocacy referrals"]),
        "Dashboard",  # the only report a team manager has: a group of one is its entry
        "Two-factor authentication",
    ],
    Role.CUSTOMER_RELATIONS: [
        "Complaints due",
        "Complaints",
        "Compliments",
        "Child and family feedback",
        "Advocacy referrals",
        "Import feedback",
        "Two-factor authentication",
    ],
    Role.LEADER: [
        (RECOMMENDATIONS, ["My actions", "Recommendations"]),
        (EVALUATIONS, ["Evaluations", "Revisits"]),
        "Moderation consistency",
        ALL_REPORTS,
        "Two-factor authentication",
    ],
    Role.ADMINISTRATOR: [
        (EVALUATIONS, ["Evaluations", "Cycles", "Import", "Revisits"]),
        "Recommendations",
        "Moderation consistency",
        (
            FEEDBACK,
            [
                "Complaints due",
                "Complaints",
                "Compliments",
                "Child and family feedback",
                "Advocacy referrals",
                "Import feedback",
            ],
        ),
        ALL_REPORTS,
        "Admin",
        "Two-factor authentication",
    ],
}


def shown(navigation) -> list:
    """The menu as the header shows it, in MENUS' terms."""
    return [
        (item["label"], [entry["label"] for entry in item["entries"]]) if item["entries"] else item["label"]
        for item in navigation
    ]


def every_entry(menu) -> list[str]:
    return [label for item in menu for label in ([item] if isinstance(item, str) else item[1])]


HOMES = {
    Role.EVALUATOR: "/evaluations/mine/",
    Role.MODERATOR: "/evaluations/moderation/",  # their queue
    Role.PRACTICE_HUB: "/evaluations/hub/",  # overdue actions by team, and the cycles
    Role.TEAM_MANAGER: "/evaluations/team/",
    Role.CUSTOMER_RELATIONS: "/feedback/complaints/due/",
    Role.LEADER: "/pqa/dashboard/",
    Role.ADMINISTRATOR: "/evaluations/cycles/",
}


def _person(role, team=None):
    return UserFactory(role=role, team=team if role == Role.TEAM_MANAGER else None, is_staff=role == Role.ADMINISTRATOR)


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_the_menu_its_apps_registered_for_it(client, team, role):
    client.force_login(_person(role, team))
    response = client.get(reverse("two_factor_setup"))
    navigation = response.context["navigation"]
    assert shown(navigation) == MENUS[role]
    assert all(set(item) == {"label", "url", "active", "entries", "id"} for item in navigation)
    assert [item["label"] for item in navigation if item["active"]] == ["Two-factor authentication"]


@pytest.mark.parametrize("role", Role.values)
def test_no_role_sees_more_than_seven_items_at_the_top_of_its_menu(client, team, role):
    client.force_login(_person(role, team))
    navigation = client.get(reverse("two_factor_setup")).context["navigation"]
    assert len(navigation) <= registry.MENU_TOP_LEVEL == 7


@pytest.mark.parametrize("role", Role.values)
def test_every_entry_of_a_role_is_still_reachable_from_its_menu_and_the_menu_page(client, team, role):
    person = _person(role, team)
    client.force_login(person)
    page = client.get(reverse("two_factor_setup")).content.decode()
    entries = registry.menu_for(person)
    assert sorted(every_entry(MENUS[role])) == sorted(entry.label for entry in entries)
    for entry in entries:
        assert f'href="{entry.url}"' in page, entry.label
        assert client.get(entry.url).status_code == 200, entry.label
    menu_page = client.get(reverse("menu"))
    assert menu_page.status_code == 200
    listed = menu_page.content.decode()
    for entry in entries:
        assert f'href="{entry.url}">{entry.label}</a>' in listed
    for item in client.get(reverse("two_factor_setup")).context["navigation"]:
        if item["entries"]:
            assert f'<h2 class="govuk-heading-m" id="{item["id"]}">{item["label"]}</h2>' in listed


def test_a_group_is_a_disclosure_button_for_its_list_and_a_link_to_the_menu_page_without_script(client):
    client.force_login(_person(Role.PRACTICE_HUB))
    page = client.get(reverse("your_pqa")).content.decode()
    assert (
        '<button type="button" class="pqa-nav-group__toggle" aria-expanded="false" aria-controls="menu-reports" hidden>'
        "Reports</button>"
    ) in page
    assert '<ul class="pqa-nav-group__list" id="menu-reports" hidden>' in page
    assert 'href="/your-pqa/menu/#menu-reports">Reports</a>' in page
    assert "pqa/js/menu-groups.js" in page


def test_the_current_pages_group_is_marked_current_and_so_is_its_entry(client):
    client.force_login(_person(Role.PRACTICE_HUB))
    response = client.get(reverse("reporting:scorecard"))
    navigation = response.context["navigation"]
    assert [item["label"] for item in navigation if item["active"]] == [REPORTS]
    [reports] = [item for item in navigation if item["active"]]
    assert [entry["label"] for entry in reports["entries"] if entry["active"]] == ["KPI scorecard"]
    page = response.content.decode()
    assert 'aria-controls="menu-reports" hidden aria-current="true">Reports</button>' in page
    assert 'href="/pqa/scorecard/" aria-current="page">KPI scorecard</a>' in page
    assert page.count('aria-current="page"') == 1


@pytest.mark.parametrize("role", Role.values)
def test_each_role_lands_on_its_home(client, team, role):
    client.force_login(_person(role, team))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == HOMES[role]
    assert client.get(response["Location"]).status_code == 200


def test_a_superuser_counts_as_an_administrator_for_menu_and_home(client):
    client.force_login(UserFactory(role=Role.EVALUATOR, is_superuser=True, is_staff=True))
    assert client.get(reverse("home"))["Location"] == HOMES[Role.ADMINISTRATOR]
    assert shown(client.get(reverse("your_pqa")).context["navigation"]) == MENUS[Role.ADMINISTRATOR]


def test_a_page_is_marked_in_the_menu_under_its_closest_entry(client, team):
    client.force_login(_person(Role.TEAM_MANAGER, team))
    for path, label in (("/evaluations/mine/", "My evaluations"), ("/evaluations/", "Evaluations")):
        navigation = client.get(path).context["navigation"]
        [group] = [item for item in navigation if item["active"]]
        assert group["label"] == EVALUATIONS
        assert [entry["label"] for entry in group["entries"] if entry["active"]] == [label]


def test_customer_relations_land_on_the_complaints_due(client):
    client.force_login(UserFactory(role=Role.CUSTOMER_RELATIONS))
    response = client.get(reverse("home"), follow=True)
    page = response.content.decode()
    assert "Due in the next three working days or overdue" in page
    assert "not in PQA yet" not in page


def test_someone_with_a_home_of_their_own_is_not_told_their_pages_are_missing(client):
    client.force_login(UserFactory(role=Role.EVALUATOR))
    page = client.get(reverse("your_pqa")).content.decode()
    assert "not in PQA yet" not in page
    assert "My evaluations" in page


# --- Registering: a new app plugs in without touching the core ----------------------------------


@pytest.fixture
def clean_registry():
    """Whatever a test registers is gone afterwards: the registry is the process's."""
    saved = (
        dict(registry._menu),
        dict(registry._homes),
        set(registry._json_endpoints),
        dict(registry._notification_kinds),
    )
    yield registry
    registry._menu.clear()
    registry._menu.update(saved[0])
    registry._homes.clear()
    registry._homes.update(saved[1])
    registry._json_endpoints.clear()
    registry._json_endpoints.update(saved[2])
    registry._notification_kinds.clear()
    registry._notification_kinds.update(saved[3])


def test_a_new_app_adds_a_menu_entry_and_a_home_for_a_role_no_app_served(client, clean_registry):
    # As feedback did for customer relations; "healthz" stands in for its page.
    clean_registry._homes.pop(Role.CUSTOMER_RELATIONS)
    for key in [key for key in clean_registry._menu if key[0].startswith("feedback:")]:
        clean_registry._menu.pop(key)
    clean_registry.menu(label="Complaints", url_name="healthz", roles=[Role.CUSTOMER_RELATIONS], order=15)
    clean_registry.home(role=Role.CUSTOMER_RELATIONS, url_name="healthz", query={"stage": "1"})
    client.force_login(UserFactory(role=Role.CUSTOMER_RELATIONS))
    assert client.get(reverse("home"))["Location"] == "/healthz?stage=1"
    labels = [item["label"] for item in client.get(reverse("your_pqa")).context["navigation"]]
    # Only the core's own entry is left beside it once feedback's are taken away.
    assert labels == ["Complaints", "Two-factor authentication"]


def test_a_menu_entry_can_be_narrowed_by_a_permission(clean_registry):
    clean_registry.menu(
        label="Only Ann",
        url_name="healthz",
        roles=clean_registry.ALL_ROLES,
        order=1,
        permission=lambda u: u.username == "ann",
    )
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    assert "Only Ann" in [entry.label for entry in clean_registry.menu_for(ann)]
    assert "Only Ann" not in [entry.label for entry in clean_registry.menu_for(bob)]


def test_a_menu_group_must_be_named_in_words(clean_registry):
    with pytest.raises(ImproperlyConfigured, match="in words"):
        clean_registry.menu(label="X", url_name="healthz", roles=[Role.LEADER], order=1, group="--")


def test_a_short_menu_stays_flat_and_a_long_one_folds_only_its_groups_of_two_or_more(clean_registry):
    leader = UserFactory(role=Role.LEADER)
    assert [item.label for item in clean_registry.navigation_for(UserFactory(role=Role.EVALUATOR), "/")] == [
        "My evaluations",
        "My actions",
        "Evaluations",
        "Two-factor authentication",
    ]
    # An entry registered without a group (as before groups) stays at the top, where its order puts it.
    clean_registry.menu(label="Quarterly reports", url_name="healthz", roles=[Role.LEADER], order=70)
    top = clean_registry.navigation_for(leader, "/healthz")
    assert [(item.label, item.is_group, item.active) for item in top][-3:] == [
        (REPORTS, True, False),
        ("Quarterly reports", False, True),
        ("Two-factor authentication", False, False),
    ]


def test_two_homes_for_one_role_are_refused_at_start_up(clean_registry):
    with pytest.raises(ImproperlyConfigured, match="already"):
        clean_registry.home(role=Role.EVALUATOR, url_name="healthz")
    clean_registry.home(role=Role.EVALUATOR, url_name="evaluations:mine")  # the same again is harmless


def test_a_menu_entry_for_an_unknown_role_is_refused(clean_registry):
    with pytest.raises(ImproperlyConfigured):
        clean_registry.menu(label="X", url_name="healthz", roles=["complaints_officer"], order=1)


def test_a_notification_kind_keeps_its_label(clean_registry):
    with pytest.raises(ImproperlyConfigured):
        clean_registry.notification_kind("allocation", "Something else")


def test_nobody_signed_out_has_a_menu():
    from django.contrib.auth.models import AnonymousUser

    assert registry.menu_for(AnonymousUser()) == []


# --- JSON endpoints and notification kinds ------------------------------------------------------


def test_the_registered_json_endpoints_are_the_apps_and_the_cores():
    for name in ("session_ping", "evaluations:autosave", "reporting:distribution_json"):
        assert registry.is_json_endpoint(name)
    assert not registry.is_json_endpoint("evaluations:list")


def test_a_registered_json_endpoint_gets_a_json_403_when_a_second_factor_is_owed(client, clean_registry):
    hub = UserFactory(role=Role.PRACTICE_HUB)
    client.force_login(hub, verified=False)
    # Not registered: a page, so the person is sent to give their code.
    response = client.get(reverse("evaluations:cycle_list"))
    assert response.status_code == 302
    clean_registry.json_endpoint("evaluations:cycle_list")
    response = client.get(reverse("evaluations:cycle_list"))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "Two-factor authentication is needed" in response.json()["error"]


def test_the_notification_kinds_are_those_the_apps_registered():
    assert dict(registry.notification_kind_choices()) == {
        "allocation": "Evaluation allocated",
        "safeguarding_concern": "Safeguarding concern",
        "moderation_confirmed": "Moderation confirmed",
        "recommendation_reminder": "Recommendations due or overdue",
        "recommendation_escalation": "Team's recommendations long overdue",
        "complaints_due": "Complaints due soon or overdue",
        "other": "Other",
    }


def test_an_unknown_notification_kind_is_refused_and_nothing_is_queued(db):
    with pytest.raises(ValueError, match="not a registered notification kind"):
        notification_queue(kind="complaint_escalated", recipients=["a@trust.example"], subject="S", body="B")
    assert not Notification.objects.exists()


def test_a_registered_kind_is_queued_and_shown_by_its_label(db):
    notification = notification_queue(
        kind="safeguarding_concern", recipients=["a@trust.example"], subject="S", body="B"
    )
    assert str(notification) == "Safeguarding concern: S"


def test_demo_loaders_run_in_their_order(monkeypatch):
    monkeypatch.setattr(registry, "_demo_loaders", {})
    registry.demo_loader("second", lambda **kwargs: "b", order=20)
    registry.demo_loader("first", lambda **kwargs: "a", order=10)
    assert [label for label, _ in registry.demo_loaders()] == ["first", "second"]
