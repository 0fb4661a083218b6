"""Playwright drives Debian's Chromium (never a downloaded browser) against a live server."""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test` (it installs it) on Debian")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def axe_check():
    """Runs axe-core in the page; returns the serious and critical violations (WCAG 2.2 AA)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm install` (make test does)")
    source = AXE.read_text()

    def check(page):
        # Evaluated through DevTools, which the page's Content Security Policy does not govern,
        # so the tests need no bypass_csp and see the policy exactly as people's browsers do.
        page.evaluate(source)
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
        )
        return [
            {
                "id": item["id"],
                "impact": item["impact"],
                "help": item["help"],
                "targets": [node["target"] for node in item["nodes"]][:5],
            }
            for item in result["violations"]
            if item["impact"] in ("serious", "critical")
        ]

    return check


CSP_WORDS = ("Content Security Policy", "Refused to")


@pytest.fixture
def csp_violations(page):
    """What the browser refused under the Content Security Policy while the test ran: the
    console messages and page errors that say so. A test asserts the list is empty."""
    seen = []

    def note(text):
        if any(word in text for word in CSP_WORDS):
            seen.append(text)

    page.on("console", lambda message: note(message.text))
    page.on("pageerror", lambda error: note(str(error)))
    return seen


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite in a file for the browser tests: the live server answers in several threads, and
    a shared in-memory connection would make them lock each other ("table is locked"), which
    no real deployment does. Each thread gets its own connection to the file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("browser-db") / "test.sqlite3")


def with_authenticator(user):
    """The person's authenticator app, set up (every role needs one): the one they have, or a
    new one. Returns the person."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


def give_code(page, user) -> None:
    """On the code page that follows the password: type the code the person's app shows now
    (the next one not yet used, so two sign-ins within 30 seconds both work)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from pqa.demo import next_unused_code

    page.wait_for_url(re.compile(r"/accounts/two-factor/\?"))
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    field = page.get_by_label("Code from your authenticator app")
    expect(field).to_be_visible()
    field.fill(next_unused_code(device))
    page.get_by_role("button", name="Continue").click()


def open_menu_entry(page, name: str) -> None:
    """Follow an entry of the header's menu as a person does: open the Menu on a narrow screen,
    and the entry's group where the menu is folded into groups, then the entry itself."""
    from playwright.sync_api import expect

    navigation = page.get_by_role("navigation", name="Menu")
    toggle = page.locator(".govuk-js-service-navigation-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    # An entry, not a group's own link (shown instead of its button without JavaScript).
    link = navigation.locator("li:not(.pqa-nav-group)").get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        group = navigation.locator(".pqa-nav-group").filter(
            has=page.get_by_role("link", name=name, exact=True, include_hidden=True)
        )
        group.locator(".pqa-nav-group__toggle").click()
    expect(link).to_be_visible()
    link.click()
