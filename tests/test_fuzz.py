"""Odd values in every field and query parameter of every page, as every role that can open it,
never give a 500 (issue 7: "make the class of bug go away"). Built on the access matrix: for each
URL and each person the matrix lets in, the page is fetched, its forms' fields are read from the
HTML, and Hypothesis sends odd values (huge and negative numbers, NUL and other control
characters, far-past and far-future dates and quarters, very long strings, several values for
one field) as query parameters and as the body of each of the page's forms, on top of the
values the page itself filled in (CSRF token and version included), so the odd value reaches the
form's and the service's own checks.

The number of examples per page and person is small for `make test` (PQA_FUZZ_EXAMPLES, default
4); run longer by hand with, for example, `PQA_FUZZ_EXAMPLES=200`."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_access_matrix import ANONYMOUS, EXPECTATIONS, QUERY, world  # noqa: F401 - world is a fixture

EXAMPLES = int(os.environ.get("PQA_FUZZ_EXAMPLES", "4"))

# Pages a POST-only endpoint takes its fields from (the page whose script or form posts there).
FIELDS_FROM = {
    "evaluations:autosave": "evaluations:form",
    "evaluations:safeguarding_acknowledge": "evaluations:safeguarding",
}
# Query parameters pages read without a form that names them.
KNOWN_PARAMETERS = ["page", "quarter", "service_area", "team", "next", "o", "sort", "status", "format"]
# Signing out would end the session the next examples need; it takes no input anyway.
NOT_FUZZED = {"logout"}

# --- Odd values ---------------------------------------------------------------------------

huge_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(
        [
            "99999999999999999999",
            "-99999999999999999999",
            "2147483648",
            "9223372036854775808",
            "-1",
            "0",
            "1e309",
            "NaN",
            "inf",
            "-0",
            "0x10",
            "1_000",
            "٣",  # an Arabic-Indic digit: a number to str.isdigit, not to a database
        ]
    ),
)
odd_quarters = st.one_of(
    st.sampled_from(["9999-00-Q4", "0001-02-Q1", "2025-26-Q0", "2025-26-Q5", "2025-26-Q99999999999999999999"]),
    st.builds(
        lambda year, quarter: f"{year}-{(year + 1) % 100:02d}-Q{quarter}",
        st.integers(min_value=-9999, max_value=99999),
        st.integers(min_value=-1, max_value=9),
    ),
)
odd_dates = st.sampled_from(
    ["0001-01-01", "9999-12-31", "10000-01-01", "2025-02-30", "31/12/9999", "01/01/0001", "2025-13-01", "1970-01-01"]
)
control_characters = st.sampled_from(["\x00", "a\x00b", "\x01", "\x1b[31m", "\x7f", "\x0b"])
long_strings = st.integers(min_value=1_000, max_value=60_000).map(lambda n: "x" * n)
plain_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=40)
wrong_types = st.sampled_from(["", " ", "true", "None", "null", "[]", "{}", "<b>", "' OR 1=1 --", "../../etc/passwd"])
odd_value = st.one_of(huge_numbers, odd_quarters, odd_dates, control_characters, long_strings, plain_text, wrong_types)
# A field sent once, or several times (a list where the form expects one value).
odd_values = st.one_of(odd_value.map(lambda value: [value]), st.lists(odd_value, min_size=2, max_size=3))


# --- Reading a page's forms -------------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: method, action, and each field's name with the value the page gave it
    (the checked radio, the selected option or the first one, a textarea's text)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None

    @property
    def _form(self):
        if not self.forms:
            self.forms.append({"method": "get", "action": "", "fields": {}})
        return self.forms[-1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            self.forms.append({"method": (attrs.get("method") or "get").lower(), "action": attrs.get("action") or ""})
            self.forms[-1]["fields"] = {}
        elif tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            fields = self._form["fields"]
            if kind in ("radio", "checkbox"):
                fields.setdefault(name, [])
                if "checked" in attrs:
                    fields[name].append(attrs.get("value") or "on")
            elif kind not in ("submit", "button", "file", "image", "reset"):
                fields[name] = [attrs.get("value") or ""]
        elif tag == "select" and name:
            self._select = name
            self._form["fields"][name] = []
        elif tag == "option" and self._select:
            values = self._form["fields"][self._select]
            if "selected" in attrs or not values or values == [""]:
                values[:] = [attrs.get("value") or ""]
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._form["fields"][self._textarea][0] += data


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


# --- The sweep --------------------------------------------------------------------------------


def who_can_open(name: str) -> list[str]:
    """The people the matrix lets reach the view itself (not those sent to sign in or refused)."""
    return [person for person, outcome in EXPECTATIONS[name][2].items() if outcome in (200, 302, 400)]


def _url(name, made, argument=None):
    argument = EXPECTATIONS[name][1] if argument is None else argument
    if not argument:
        return reverse(name)
    value = made[argument]
    # Some views take more than one argument (a complaint and its stage): the world holds a tuple.
    return reverse(name, args=list(value) if isinstance(value, tuple) else [value])


def _sign_in(client, made, person):
    client.logout()
    if person != ANONYMOUS:
        client.force_login(made["people"][person])


def _targets(client, made, name):
    """(method, url, base values) for every form the page posts to itself, or, for a POST-only
    endpoint, the form of the page that posts there; and (get, page url, query values)."""
    method, _, _ = EXPECTATIONS[name]
    url = _url(name, made)
    source = FIELDS_FROM.get(name, name if method == "get" else None)
    found = []
    query = dict.fromkeys(KNOWN_PARAMETERS)
    for pair in QUERY.get(name, "?").lstrip("?").split("&"):
        if "=" in pair:
            query[pair.split("=")[0]] = [pair.split("=", 1)[1]]
    if source:
        response = client.get(_url(source, made, EXPECTATIONS[name][1]) + QUERY.get(source, ""))
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for form in forms_of(response.content.decode()):
                action = urlsplit(form["action"]).path or url
                for field in form["fields"]:
                    query.setdefault(field, None)
                if form["method"] == "post" and (action == url or name in FIELDS_FROM):
                    found.append(("post", url, form["fields"]))
    if method == "post" and not found:
        found.append(("post", url, dict.fromkeys(KNOWN_PARAMETERS)))
    else:
        found.append(("get", url, query))
    return found


def _send_odd_values(client, made, person, method, url, base):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(odd=st.dictionaries(st.sampled_from(sorted(base)), odd_values, min_size=1, max_size=4))
    def sending(odd):
        _sign_in(client, made, person)  # an example may have signed out or changed the account
        data = {key: value for key, value in base.items() if value}
        data.update(odd)
        response = getattr(client, method)(url, data)
        assert response.status_code < 500, (person, method, url, odd)

    sending()


@pytest.mark.parametrize("name", sorted(set(EXPECTATIONS) - NOT_FUZZED))
def test_odd_values_in_any_field_of_any_page_never_give_a_500(client, world, name):  # noqa: F811
    for person in who_can_open(name):
        _sign_in(client, world, person)
        for method, url, base in _targets(client, world, name):
            _send_odd_values(client, world, person, method, url, base)
