"""Customer relations records a compliment with a shareable extract and a child's response in a
real Chromium; the extract is listed for reports and a leader's figures page counts both.
Two people change the same response: the second save is refused, compared with the saved one
and applied. The pages pass axe-core and the Content Security Policy and fit 1280 and 390 px.
Screenshots go to test-artifacts/browser/voice-*.png."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from feedback.models import FeedbackResponse
from feedback.voice import services
from pqa.models import EditConflict, Role
from pqa.quarters import Quarter
from tests.browser.test_role_homes import no_wider_than_the_screen
from tests.browser.test_security import sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)


def _date(page: Page, legend: str, day) -> None:
    group = page.get_by_role("group", name=re.compile(legend))
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _shots(page: Page, artifacts, name: str, axe_check) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"voice-{name}-{width}.png"), full_page=True)
        assert no_wider_than_the_screen(page), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert axe_check(page) == []


def test_customer_relations_records_a_compliment_and_a_childs_response_and_the_figures_show_them(
    page: Page, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    UserFactory(username="cara", first_name="Cara", last_name="Tester", role=Role.CUSTOMER_RELATIONS)
    UserFactory(username="lee", first_name="Lee", last_name="Tester", role=Role.LEADER)
    today = timezone.localdate()

    sign_in(page, live_server.url, "cara")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Compliments").click()
    page.get_by_role("link", name="Record a compliment").click()
    page.get_by_label("Reference").fill("CMP-2026-001")
    _date(page, "Date received", today)
    page.get_by_role("group", name="From").get_by_label("Child or young person").check()
    page.get_by_label("Service area").select_option(label=team.service_area.name)
    page.get_by_label("Team").select_option(label=str(team))
    page.get_by_label("Extract").fill("My social worker listened to me and explained everything.")
    page.get_by_label("May be shared in reports").check()
    _shots(page, artifacts, "compliment-form", axe_check)
    page.get_by_role("button", name="Save the compliment").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("CMP-2026-001"))).to_be_visible()
    _shots(page, artifacts, "compliment", axe_check)

    page.goto(f"{live_server.url}/feedback/compliments/shareable/")
    expect(page.get_by_text("My social worker listened to me and explained everything.")).to_be_visible()

    page.goto(f"{live_server.url}/feedback/responses/new/")
    page.get_by_label("Reference").fill("RSP-2026-001")
    _date(page, "Date", today)
    page.get_by_role("group", name="Source").get_by_label("Review", exact=True).check()
    page.get_by_role("group", name="Respondent").get_by_label("Child or young person").check()
    page.get_by_label("Service area").select_option(label=team.service_area.name)
    page.get_by_role("group", name="Did you feel listened to?").get_by_label("Yes").check()
    page.get_by_role("group", name="Rating").get_by_label("Excellent").check()
    page.get_by_role("button", name="Save the response").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("RSP-2026-001"))).to_be_visible()
    page.goto(f"{live_server.url}/feedback/responses/")
    expect(page.get_by_role("link", name="RSP-2026-001")).to_be_visible()
    _shots(page, artifacts, "responses", axe_check)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "lee")
    quarter = Quarter.containing(today)
    page.goto(f"{live_server.url}/pqa/feedback/?quarter={quarter}")
    expect(page.locator("#advocacy-share")).to_contain_text("came from social work teams")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text(re.compile(r"Compliments received\s*1"))
    expect(summary).to_contain_text(re.compile(r"Feedback responses\s*1"))
    questions = page.get_by_role("table", name="The standard questions")
    expect(questions.get_by_role("row", name=re.compile("Did you feel listened to"))).to_contain_text("1")
    expect(page.get_by_role("heading", name=re.compile("practice evaluations’ own feedback"))).to_be_visible()
    _shots(page, artifacts, "figures", axe_check)
    assert csp_violations == []


def test_a_second_change_to_a_response_is_refused_compared_and_used_over_the_first(
    page: Page, browser: Browser, live_server, artifacts, axe_check, csp_violations
):
    team = TeamFactory(service_area__name="Children in Care", name="CiC Team 1")
    UserFactory(username="cara", first_name="Cara", last_name="Relations", role=Role.CUSTOMER_RELATIONS)
    hub = UserFactory(username="hana", first_name="Hana", last_name="Hub", role=Role.PRACTICE_HUB)
    response = services.feedback_response_record(
        actor=None,
        reference="RSP-2026-002",
        date=dt.date.today() - dt.timedelta(days=2),
        source="review",
        respondent="child",
        service_area=team.service_area,
        team=team,
        comment="They listened.",
    )
    change = f"/feedback/responses/{response.pk}/change/"

    # The Practice Hub opens the change page and types...
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "hana", f"/feedback/responses/{response.pk}/")
    page.get_by_role("link", name="Change the response").click()
    page.get_by_label("Comment").fill("They listened and rang back the next day.")

    # ...while customer relations, in their own session, change the same response and save.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    cara = other.new_page()
    sign_in(cara, live_server.url, "cara", change)
    cara.get_by_label("Comment").fill("They listened, in the end.")
    cara.get_by_role("button", name="Save the changes").click()
    expect(cara.get_by_text("Response RSP-2026-002 saved.")).to_be_visible()
    other.close()

    page.get_by_role("button", name="Save the changes").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Cara Relations saved this record after you opened it")
    assert page.title().startswith("Error: ")
    expect(page.get_by_label("Comment")).to_have_value("They listened and rang back the next day.")
    _shots(page, artifacts, "response-refused", axe_check)

    page.get_by_role("link", name="compare your version with the saved one").click()
    expect(page.get_by_role("heading", level=1, name="Your version that was not saved")).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Comment")).to_have_count(2)  # the one answer that differs
    expect(page.get_by_text("They listened and rang back the next day.")).to_be_visible()
    expect(page.get_by_text("They listened, in the end.")).to_be_visible()
    _shots(page, artifacts, "response-compare", axe_check)

    page.get_by_role("button", name="Use my version").click()
    expect(page.get_by_text("Your version has been saved.")).to_be_visible()
    expect(page.get_by_label("Comment")).to_have_value("They listened and rang back the next day.")
    response = FeedbackResponse.objects.get(pk=response.pk)
    assert (response.comment, response.version) == ("They listened and rang back the next day.", 3)
    assert response.history.latest().history_user == hub
    assert not EditConflict.objects.filter(resolved_at__isnull=True).exists()

    # The response's page says who changed it: Hana last, Cara before her.
    page.goto(f"{live_server.url}/feedback/responses/{response.pk}/")
    history = page.get_by_role("region", name="History")
    expect(history.get_by_role("row").nth(1)).to_contain_text("Hana Hub")
    expect(history.get_by_role("row").nth(2)).to_contain_text("Cara Relations")
    _shots(page, artifacts, "response-history", axe_check)
    assert csp_violations == []
