"""Error summaries: every page with a form error says so at the top, in the title and beside
the field, and each link in the summary takes the person to a field that is really there."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations import services
from evaluations.models import CycleType

LOGIN_URL = "/accounts/login/"
PASSWORD = "correct-horse-battery-staple"
FORM_CONTROLS = {"input", "textarea", "select"}


class _Page(HTMLParser):
    """The parts of a page an error summary depends on: its title, the tag of every element
    with an id, and the summary's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, tuple[str, dict]] = {}
        self.summaries: list[dict] = []
        self.title = ""
        self._in_title = False
        self._summary_depth = 0  # open elements inside the current summary, 0 when outside
        self._summary: dict | None = None
        self._link: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            assert attrs["id"] not in self.ids, f"the id {attrs['id']} is used twice"
            self.ids[attrs["id"]] = (tag, attrs)
        if tag == "title":
            self._in_title = True
        void = tag in {"input", "br", "img", "meta", "link", "hr"}
        if self._summary_depth:
            if not void:
                self._summary_depth += 1
            if tag == "a":
                self._link = {"href": attrs.get("href", ""), "text": ""}
                self._summary["links"].append(self._link)
            if attrs.get("role") == "alert":
                self._summary["role_alert"] = True
        elif "govuk-error-summary" in (attrs.get("class") or "").split():
            self._summary = {
                "links": [],
                "text": "",
                "role_alert": attrs.get("role") == "alert",
                "module": attrs.get("data-module"),
            }
            self.summaries.append(self._summary)
            self._summary_depth = 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "a":
            self._link = None
        if self._summary_depth:
            self._summary_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._summary_depth:
            self._summary["text"] += data
            if self._link is not None:
                self._link["text"] += data


def parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def assert_summary_links_go_to_fields(response) -> dict[str, str]:
    """One error summary, announced (role=alert, with GOV.UK Frontend's script to focus it), the
    title starting "Error: ", and every link going to a form control on the page. Returns the
    summary's links, target id to message."""
    assert response.status_code == 200
    page = parse(response)
    assert page.title.strip().startswith("Error: "), page.title
    assert len(page.summaries) == 1, "expected one error summary"
    summary = page.summaries[0]
    assert summary["role_alert"] and summary["module"] == "govuk-error-summary"
    assert summary["links"], "the error summary has no links"
    links = {}
    for link in summary["links"]:
        assert link["href"].startswith("#"), link
        target = link["href"][1:]
        assert target in page.ids, f"the summary links to #{target}, which is not on the page"
        tag, attrs = page.ids[target]
        assert tag in FORM_CONTROLS and attrs.get("type") != "hidden", f"#{target} is a {tag}, not a field"
        links[target] = " ".join(link["text"].split())
    return links


# --- Sign in ------------------------------------------------------------------------------------


def _sign_in(client, username, password):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def test_a_wrong_password_is_announced_at_the_top_and_beside_the_username(client, evaluator):
    response = _sign_in(client, evaluator.username, "wrong-password")
    links = assert_summary_links_go_to_fields(response)
    assert list(links) == ["id_username"]
    message = links["id_username"]
    page = parse(response)
    tag, attrs = page.ids["id_username"]
    assert "govuk-input--error" in attrs["class"] and "id_username-error" in attrs["aria-describedby"].split()
    assert page.ids["id_username-error"][0] == "p"
    content = response.content.decode()
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}</p>' in content


def test_the_sign_in_error_never_says_whether_the_account_exists(client, evaluator):
    known = assert_summary_links_go_to_fields(_sign_in(client, evaluator.username, "wrong-password"))
    unknown = assert_summary_links_go_to_fields(_sign_in(client, "nobody.here", "wrong-password"))
    assert known == unknown
    words = known["id_username"].lower()
    assert not any(hint in words for hint in ("exist", "no account", "not found", "unknown", "inactive", "locked"))


def test_an_empty_sign_in_asks_for_each_field_beside_it(client, db):
    links = assert_summary_links_go_to_fields(_sign_in(client, "", ""))
    assert links == {
        "id_username": "Enter your e-mail address or username",
        "id_password": "Enter your password",
    }
    page = parse(response := _sign_in(client, "", ""))
    assert "id_password-error" in page.ids["id_password"][1]["aria-describedby"].split()
    assert "Enter your password</p>" in response.content.decode()


def test_the_sign_in_page_shows_no_error_until_a_sign_in_is_refused(client, db):
    page = parse(client.get(LOGIN_URL))
    assert page.summaries == [] and not page.title.startswith("Error")


def test_the_right_password_still_signs_in(client, evaluator):
    assert _sign_in(client, evaluator.username, PASSWORD).status_code == 302


# --- Two-factor codes ---------------------------------------------------------------------------


def _wrong_code(device: TOTPDevice) -> str:
    right = {f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + n):06d}" for n in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def test_a_wrong_two_factor_code_is_announced_at_the_top_with_a_link_to_the_code(client, practice_hub):
    device = TOTPDevice.objects.create(user=practice_hub, name="Phone", confirmed=True)
    client.force_login(practice_hub, verified=False)
    response = client.post(reverse("two_factor"), {"code": _wrong_code(device)})
    links = assert_summary_links_go_to_fields(response)
    assert list(links) == ["id_code"] and "The code is not right" in links["id_code"]


def test_a_badly_typed_code_at_setup_is_announced_at_the_top_with_a_link_to_the_code(client, practice_hub):
    client.force_login(practice_hub, verified=False)
    assert client.get(reverse("two_factor_setup")).status_code == 200
    response = client.post(reverse("two_factor_setup"), {"code": "12ab"})
    links = assert_summary_links_go_to_fields(response)
    assert links == {"id_code": "Enter the code as 6 numbers, for example 123456"}


def test_a_wrong_code_at_setup_is_announced_at_the_top_with_a_link_to_the_code(client, practice_hub):
    client.force_login(practice_hub, verified=False)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=practice_hub, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"code": _wrong_code(device)})
    assert list(assert_summary_links_go_to_fields(response)) == ["id_code"]


# --- Radios, checkboxes and dates (crispy-forms-gds pages) ----------------------------------------


@pytest.fixture
def hub_client(client_for, practice_hub):
    return client_for(practice_hub)


@pytest.fixture
def cycle(practice_hub):
    return services.cycle_open(quarter="2025-26-Q2", type=CycleType.TRUST_WIDE, actor=practice_hub)


def test_an_empty_new_cycle_links_the_cycle_type_error_to_its_first_radio(hub_client):
    response = hub_client.post(reverse("evaluations:cycle_create"), {})
    links = assert_summary_links_go_to_fields(response)
    radio = next(target for target, message in links.items() if message == "Choose the type of cycle")
    assert parse(response).ids[radio][1]["type"] == "radio"
    assert radio == "id_type_1"


def test_an_empty_random_sample_links_the_evaluators_error_to_the_first_checkbox(hub_client, cycle, evaluator):
    response = hub_client.post(reverse("evaluations:allocate_sample", args=[cycle.pk]), {})
    links = assert_summary_links_go_to_fields(response)
    checkbox = next(target for target, message in links.items() if message == "Choose at least one evaluator")
    assert parse(response).ids[checkbox][1]["type"] == "checkbox"
    assert {"id_cases", "id_per_team"} <= set(links)


def test_a_wrong_due_date_links_to_the_day(hub_client, cycle, evaluator):
    data = {"per_team": "2", "due_date_0": "31", "due_date_1": "2", "due_date_2": "2030"}
    response = hub_client.post(reverse("evaluations:allocate_sample", args=[cycle.pk]), data)
    links = assert_summary_links_go_to_fields(response)
    assert links.get("id_due_date_0") == "The due date must be a real date", links
