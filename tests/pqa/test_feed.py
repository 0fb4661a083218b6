"""The read-only feed for the trust's own BI (docs/contracts/report.md, "The feed";
docs/feed.md): each table at /api/feed/TABLE.csv and TABLE.json to a bearer token, and to
nothing else; no free text that could name a child; JSON in pages with a Link to the next,
CSV streamed whole; every request logged with the token's name."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluations import services as evaluation_services
from evaluations.models import Grade, PillarGrade
from feedback.complaints import services as complaints
from feedback.models import AdvocacyReferral, Compliment, FeedbackResponse
from pqa import registry
from pqa.feed import services
from pqa.feed.models import FeedRequest, FeedToken, token_digest
from pqa.kpis.models import Indicator
from pqa.kpis.services import indicator_value_record
from pqa.models import Role
from tests.factories import CycleFactory, UserFactory, completed_evaluation

pytestmark = pytest.mark.django_db

TABLES = [
    "evaluations",
    "pillar_grades",
    "moderations",
    "recommendations",
    "complaints",
    "compliments",
    "responses",
    "advocacy",
    "kpi_values",
]
# Free text planted in every record, none of which may reach the feed.
CHILD = "Jayden Okafor"
PLANTED = {
    "tell me": f"{CHILD} told me about school",
    "show me": f"Showed me {CHILD}'s plan",
    "strengths": f"Good work with {CHILD}",
    "rationale": f"Moderated: {CHILD}'s voice is clear",
    "action": f"Update {CHILD}'s chronology",
    "outcome note": f"Done for {CHILD}",
    "complaint summary": f"{CHILD}'s mother complained",
    "complaint learning": f"Learning from {CHILD}",
    "compliment extract": f"Thank you from {CHILD}",
    "staff named": "Social worker Priya Raman",
    "response comment": f"{CHILD} said it helped",
}
CHILD_REF = "CASE990011"


def feed_url(table: str, format: str) -> str:
    return reverse(f"feed:{format}", args=[table])


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def token():
    return services.feed_token_issue(name="Power BI – performance team")[1]


@pytest.fixture
def records(team):
    """One record of every table, each carrying the planted free text where it has a field for it."""
    hub = UserFactory(role=Role.PRACTICE_HUB)
    cycle = CycleFactory(quarter="2025-26-Q1")
    evaluation = completed_evaluation(
        reference="PE-FEED-1",
        cycle=cycle,
        team=team,
        child_ref=CHILD_REF,
        strengths=PLANTED["strengths"],
        submitted_at=dt.datetime(2025, 5, 2, 23, 30, tzinfo=dt.UTC),
    )
    PillarGrade.objects.filter(evaluation=evaluation, pillar="childs_voice").update(
        tell_me=PLANTED["tell me"], show_me=PLANTED["show me"]
    )
    moderated = completed_evaluation(reference="PE-FEED-2", cycle=cycle, team=team, grade=Grade.GOOD)
    evaluation_services.moderation_record(
        evaluation=moderated,
        moderated_grade=Grade.REQUIRES_IMPROVEMENT,
        moderator=UserFactory(role=Role.MODERATOR),
        rationale=PLANTED["rationale"],
    )
    evaluation.recommendations.create(
        action=PLANTED["action"], outcome_note=PLANTED["outcome note"], due_date=dt.date(2025, 7, 1)
    )
    complaint = complaints.complaint_record(
        actor=hub,
        reference="C-FEED-1",
        received=dt.date(2025, 4, 1),
        how_received="email",
        complainant="parent_carer",
        procedure="statutory",
        service_area=team.service_area,
        team=team,
        child_ref=CHILD_REF,
        themes=["delay", "communication"],
        summary=PLANTED["complaint summary"],
    )
    complaints.complaint_respond(
        actor=hub, complaint=complaint, stage=1, responded=dt.date(2025, 4, 8), outcome="partly_upheld"
    )
    where = {"service_area": team.service_area, "team": team}
    Compliment.objects.create(
        reference="CMP-FEED-1",
        received=dt.date(2025, 5, 1),
        from_whom="parent_carer",
        extract=PLANTED["compliment extract"],
        staff_named=PLANTED["staff named"],
        may_share=True,
        **where,
    )
    FeedbackResponse.objects.create(
        reference="RSP-FEED-1",
        date=dt.date(2025, 5, 1),
        source="review",
        respondent="child",
        understood_why="yes",
        comment=PLANTED["response comment"],
        may_quote=False,
        **where,
    )
    AdvocacyReferral.objects.create(
        reference="ADV-FEED-1", date=dt.date(2025, 5, 1), source="iro", service_area=team.service_area
    )
    indicator_value_record(
        indicator=Indicator.objects.get(code="KPI01"),
        month=dt.date(2018, 12, 1),
        values={
            "numerator": Decimal(423),
            "denominator": Decimal(548),
            "value": None,
            "national": Decimal("79.5"),
            "statistical_neighbours": None,
            "commentary": "Fewer referrals waited over the holidays.",
        },
        actor=hub,
    )
    return {"evaluation": evaluation, "complaint": complaint}


# --- Tokens -------------------------------------------------------------------------------


def test_every_table_of_the_contract_is_in_the_feed():
    assert [table.name for table in registry.feed_tables()] == sorted(TABLES)


@pytest.mark.parametrize("headers", [{}, bearer("pqafeed_not-a-token"), {"Authorization": "Basic dXNlcjpwYXNz"}])
@pytest.mark.parametrize("format", ["csv", "json"])
def test_without_a_valid_token_the_feed_answers_401_and_nothing_else(client, records, headers, format):
    response = client.get(feed_url("evaluations", format), headers=headers)
    assert response.status_code == 401
    assert response.content == b""
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert FeedRequest.objects.count() == 0


def test_a_revoked_token_answers_401(client, records, token):
    services.feed_token_revoke(token=FeedToken.objects.get())
    response = client.get(feed_url("evaluations", "json"), headers=bearer(token))
    assert response.status_code == 401
    assert response.content == b""


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.LEADER, Role.PRACTICE_HUB])
def test_a_signed_in_session_opens_nothing_without_a_token(client_for, records, make_user, role):
    client = client_for(make_user(role, is_staff=True, is_superuser=role == Role.ADMINISTRATOR))
    for format in ("csv", "json"):
        response = client.get(feed_url("evaluations", format))
        assert response.status_code == 401, format
        assert response.content == b""


def test_a_session_still_owing_its_second_factor_gets_the_401_not_the_code_page(client, records, make_user):
    client.force_login(make_user(Role.LEADER), verified=False)
    response = client.get(feed_url("evaluations", "json"))
    assert response.status_code == 401


def test_without_a_token_nothing_about_the_request_is_answered(client):
    # Not an unknown table, not a wrong method, not a bad page or a control character: a 401.
    for method, url in (
        ("get", feed_url("no_such_table", "json")),
        ("post", feed_url("evaluations", "csv")),
        ("delete", feed_url("evaluations", "json")),
        ("get", feed_url("evaluations", "json") + "?page=0"),
        ("get", feed_url("evaluations", "json") + "?page=%00"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 401, (method, url)


def test_the_token_is_kept_only_as_its_sha256(token):
    stored = FeedToken.objects.get()
    assert stored.digest == token_digest(token)
    assert re.fullmatch(r"[0-9a-f]{64}", stored.digest)
    assert len(token) >= 40
    every_value = " ".join(str(value) for value in FeedToken.objects.values().get().values())
    assert token not in every_value


def test_the_command_prints_a_new_token_once_and_stores_only_its_hash(client, records, capsys):
    call_command("pqa_feed_token", "Data warehouse")
    out, err = capsys.readouterr()
    printed = out.strip()
    assert "\n" not in printed and printed.startswith("pqafeed_")
    assert printed not in err
    stored = FeedToken.objects.get(name="Data warehouse")
    assert stored.digest == token_digest(printed)
    assert client.get(feed_url("advocacy", "json"), headers=bearer(printed)).status_code == 200


def test_the_command_refuses_a_second_token_in_use_with_the_same_name(token):
    with pytest.raises(CommandError, match="A token in use already has this name"):
        call_command("pqa_feed_token", "Power BI – performance team")


def test_the_command_revokes_a_token_by_name(client, records, token, capsys):
    call_command("pqa_feed_token", "--revoke", "Power BI – performance team")
    assert "revoked Power BI – performance team" in capsys.readouterr().out
    assert FeedToken.objects.get().revoked_at is not None
    assert client.get(feed_url("advocacy", "json"), headers=bearer(token)).status_code == 401
    # Its name may now be given to a replacement.
    call_command("pqa_feed_token", "Power BI – performance team")
    assert FeedToken.objects.active().count() == 1


def test_revoking_an_unknown_name_is_an_error():
    with pytest.raises(CommandError, match="No token in use is named"):
        call_command("pqa_feed_token", "--revoke", "Nobody")


def _admin(client, make_user):
    administrator = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(administrator)
    return administrator


def test_an_administrator_issues_a_token_in_the_admin_and_sees_it_once(client, make_user):
    administrator = _admin(client, make_user)
    response = client.post(reverse("admin:feed_feedtoken_add"), {"name": "Power BI"}, follow=True)
    assert response.status_code == 200
    shown = re.findall(r"pqafeed_[A-Za-z0-9_-]+", response.content.decode())
    assert len(shown) == 1
    stored = FeedToken.objects.get()
    assert stored.digest == token_digest(shown[0])
    assert stored.created_by == administrator
    # Never again: not on the list, not on the token's own page, not in its history.
    for url in (
        reverse("admin:feed_feedtoken_changelist"),
        reverse("admin:feed_feedtoken_change", args=[stored.pk]),
        reverse("admin:feed_feedtoken_history", args=[stored.pk]),
    ):
        page = client.get(url).content.decode()
        assert shown[0] not in page and stored.digest not in page, url


def test_an_administrator_revokes_tokens_with_the_action(client, make_user, token):
    administrator = _admin(client, make_user)
    stored = FeedToken.objects.get()
    response = client.post(
        reverse("admin:feed_feedtoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert "1 token(s) revoked." in response.content.decode()
    stored.refresh_from_db()
    assert stored.revoked_at is not None and stored.revoked_by == administrator
    assert client.get(feed_url("advocacy", "json"), headers=bearer(token)).status_code == 401


def test_the_token_list_filters_tokens_in_use_from_revoked_ones(client, make_user, token):
    _admin(client, make_user)
    services.feed_token_revoke(token=FeedToken.objects.get())
    services.feed_token_issue(name="Warehouse")
    url = reverse("admin:feed_feedtoken_changelist")
    in_use = client.get(url, {"in_use": "yes"}).content.decode()
    revoked = client.get(url, {"in_use": "no"}).content.decode()
    assert "Warehouse" in in_use and "performance team" not in in_use
    assert "performance team" in revoked and "Warehouse" not in revoked


def test_a_token_cannot_be_deleted_so_the_log_keeps_its_name(client, make_user, token):
    _admin(client, make_user)
    stored = FeedToken.objects.get()
    assert client.get(reverse("admin:feed_feedtoken_delete", args=[stored.pk])).status_code == 403


# --- The tables ----------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_each_table_is_served_as_json_and_as_csv_with_the_same_columns_and_rows(client, records, token, table):
    json_response = client.get(feed_url(table, "json"), headers=bearer(token))
    assert json_response.status_code == 200
    assert json_response["Content-Type"] == "application/json"
    rows = json_response.json()
    assert rows, table
    columns = registry.feed_table_named(table).headers
    assert all(list(row) == columns for row in rows)

    csv_response = client.get(feed_url(table, "csv"), headers=bearer(token))
    assert csv_response.status_code == 200
    assert csv_response.streaming
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    from_csv = csv_rows(csv_response)
    assert [list(row) for row in from_csv] == [columns] * len(rows)
    as_text = [{key: "" if value is None else str(value) for key, value in row.items()} for row in rows]
    assert from_csv == as_text


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("format", ["csv", "json"])
def test_no_table_carries_free_text_or_a_childs_case_id(client, records, token, table, format):
    response = client.get(feed_url(table, format), headers=bearer(token))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert CHILD not in text and "Priya" not in text and CHILD_REF not in text


def test_an_evaluation_row_joins_by_reference_with_codes_and_iso_dates(client, records, token):
    rows = client.get(feed_url("evaluations", "json"), headers=bearer(token)).json()
    row = next(row for row in rows if row["reference"] == "PE-FEED-1")
    assert row["quarter"] == "2025-26-Q1"
    assert row["status"] == "completed"
    assert row["overall_grade"] == row["final_grade"] == "good"
    assert row["evaluation_date"] == "2025-05-01"
    assert row["submitted"] == "2025-05-03"  # 23:30 UTC on 2 May is 3 May in London (BST)
    assert row["record_reflects_work"] == "partly"
    assert row["safeguarding_concern"] == "no"
    assert row["service_area"] == "Children in Care" and row["team"] == "CiC Team 1"
    moderated = next(row for row in rows if row["reference"] == "PE-FEED-2")
    assert (moderated["overall_grade"], moderated["final_grade"]) == ("good", "requires_improvement")


def test_pillar_grades_moderations_and_recommendations_name_their_evaluation(client, records, token):
    get = lambda table: client.get(feed_url(table, "json"), headers=bearer(token)).json()  # noqa: E731
    pillars = [row for row in get("pillar_grades") if row["evaluation"] == "PE-FEED-1"]
    assert sorted(row["pillar"] for row in pillars) == ["assessment", "childs_voice", "oversight", "planning"]
    assert {row["grade"] for row in pillars} == {"good"}
    [moderation] = get("moderations")
    assert moderation["evaluation"] == "PE-FEED-2"
    assert (moderation["state"], moderation["moderated_grade"], moderation["outcome"]) == (
        "confirmed",
        "requires_improvement",
        "downgraded",
    )
    [recommendation] = get("recommendations")
    assert recommendation["evaluation"] == "PE-FEED-1"
    assert (recommendation["status"], recommendation["due_date"]) == ("open", "2025-07-01")


def test_a_moderation_still_blind_shows_no_grade(client, records, token):
    from evaluations.models import Moderation

    Moderation.objects.update(state=Moderation.State.GRADED_BLIND)
    [moderation] = client.get(feed_url("moderations", "json"), headers=bearer(token)).json()
    assert moderation["state"] == "graded_blind"
    assert moderation["moderated_grade"] is None and moderation["outcome"] is None


def test_a_complaint_row_has_its_stages_flattened_and_its_themes_as_codes(client, records, token):
    [row] = csv_rows(client.get(feed_url("complaints", "csv"), headers=bearer(token)))
    assert row["reference"] == "C-FEED-1"
    assert row["received"] == "2025-04-01"
    assert row["themes"] == "communication;delay"
    assert (row["stage1_requested"], row["stage1_extended"]) == ("2025-04-01", "no")
    assert (row["stage1_responded"], row["stage1_outcome"]) == ("2025-04-08", "partly_upheld")
    assert row["stage2_requested"] == "" and row["stage3_outcome"] == ""


def test_feedback_tables_carry_their_codes(client, records, token):
    get = lambda table: client.get(feed_url(table, "json"), headers=bearer(token)).json()  # noqa: E731
    [compliment] = get("compliments")
    assert (compliment["reference"], compliment["from"], compliment["may_share"]) == (
        "CMP-FEED-1",
        "parent_carer",
        "yes",
    )
    [response] = get("responses")
    assert (response["respondent"], response["understood_why"], response["listened_to"]) == ("child", "yes", None)
    [referral] = get("advocacy")
    assert (referral["source"], referral["service_area"]) == ("iro", "Children in Care")


def test_a_kpi_value_carries_its_figures_band_status_and_commentary(client, records, token):
    [row] = client.get(feed_url("kpi_values", "json"), headers=bearer(token)).json()
    assert row == {
        "indicator": "KPI01",
        "month": "2018-12-01",
        "unit": "percent",
        "good": "high",
        "value": 77.2,
        "numerator": 423,
        "denominator": 548,
        "national": 79.5,
        "statistical_neighbours": None,
        "target": 85,
        "tolerance_low": 75,
        "tolerance_high": 95,
        "status": "within_tolerance",
        "commentary": "Fewer referrals waited over the holidays.",
    }


def test_a_cell_that_looks_like_a_formula_is_written_as_text_in_the_csv(client, records, token):
    from pqa.kpis.models import IndicatorValue

    IndicatorValue.objects.update(commentary='=HYPERLINK("http://evil")', national=Decimal("-1.5"))
    [row] = csv_rows(client.get(feed_url("kpi_values", "csv"), headers=bearer(token)))
    assert row["commentary"].startswith("'=")
    assert row["national"] == "-1.5"  # a negative number stays a number


# --- Pages, streaming, methods ------------------------------------------------------------------


@pytest.fixture
def many_referrals(team):
    AdvocacyReferral.objects.bulk_create(
        AdvocacyReferral(
            reference=f"ADV-{n:03d}", date=dt.date(2025, 5, 1), source="iro", service_area=team.service_area
        )
        for n in range(25)
    )


def test_json_comes_in_pages_with_a_link_to_the_next(client, many_referrals, token, settings):
    settings.PQA_FEED_PAGE_SIZE = 10
    seen, url, pages = [], feed_url("advocacy", "json"), 0
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200
        rows = response.json()
        assert len(rows) <= 10
        seen += [row["reference"] for row in rows]
        pages += 1
        link = response.get("Link")
        if link is None:
            url = None
        else:
            match = re.fullmatch(r'<(http://testserver(/api/feed/advocacy\.json\?page=\d+))>; rel="next"', link)
            assert match, link
            url = match[2]
    assert pages == 3
    assert seen == [f"ADV-{n:03d}" for n in range(25)]  # each once, in a stable order


def test_a_page_past_the_end_is_an_empty_list(client, many_referrals, token):
    response = client.get(feed_url("advocacy", "json") + "?page=2", headers=bearer(token))
    assert response.status_code == 200 and response.json() == []
    assert "Link" not in response


def test_the_page_size_never_exceeds_the_contracts_10000(settings):
    from pqa.feed.views import page_size

    settings.PQA_FEED_PAGE_SIZE = 50_000
    assert page_size() == 10_000


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5", "", "٣", "100001", "99999999999999999999", "1e3"])
def test_a_bad_page_is_a_400_with_a_json_error(client, token, page):
    response = client.get(feed_url("advocacy", "json"), {"page": page}, headers=bearer(token))
    assert response.status_code == 400
    assert "page must be a whole number" in response.json()["error"]


def test_an_unknown_table_is_a_404_naming_the_tables(client, token):
    response = client.get(feed_url("children", "json"), headers=bearer(token))
    assert response.status_code == 404
    assert "evaluations" in response.json()["error"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_feed_is_read_only(client, token, method):
    response = getattr(client, method)(feed_url("advocacy", "csv"), headers=bearer(token))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_head_is_answered(client, records, token):
    assert client.head(feed_url("advocacy", "json"), headers=bearer(token)).status_code == 200


def test_the_csv_is_streamed_from_the_database_as_it_is_sent(client, many_referrals, token):
    with CaptureQueriesContext(connection) as before_sending:
        response = client.get(feed_url("advocacy", "csv"), headers=bearer(token))
    assert response.streaming
    # Nothing of the table has been read yet: the rows are read (CSV_CHUNK at a time, by a
    # database iterator) as the answer is sent, so the whole table never sits in memory.
    assert not any("advocacyreferral" in query["sql"] for query in before_sending.captured_queries)
    with CaptureQueriesContext(connection) as while_sending:
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert sum("advocacyreferral" in query["sql"] for query in while_sending.captured_queries) == 1
    assert lines[:2] == ["reference,date,source,service_area", "ADV-000,2025-05-01,iro,Children in Care"]
    assert len(lines) == 26


def test_a_large_csv_is_sent_in_blocks_not_a_line_at_a_time(client, many_referrals, token, monkeypatch):
    from pqa.feed import views

    monkeypatch.setattr(views, "CSV_BLOCK", 200)
    blocks = list(client.get(feed_url("advocacy", "csv"), headers=bearer(token)).streaming_content)
    assert 1 < len(blocks) < 26
    assert b"".join(blocks).decode("utf-8-sig").count("\r\n") == 26


@pytest.mark.parametrize("count", [1, 30])
def test_a_json_page_takes_the_same_number_of_queries_whatever_its_rows(
    client, records, token, count, django_assert_num_queries, team
):
    for n in range(count):
        completed_evaluation(reference=f"PE-MORE-{n}", team=team)
    for table in ("evaluations", "pillar_grades", "complaints", "kpi_values", "moderations"):
        with django_assert_num_queries(QUERIES[table]):
            assert client.get(feed_url(table, "json"), headers=bearer(token)).status_code == 200


# token lookup, last used, the log row, the page; then each prefetch.
QUERIES = {"evaluations": 4, "pillar_grades": 4, "moderations": 5, "complaints": 6, "kpi_values": 5}


# --- The log ---------------------------------------------------------------------------------


def test_every_request_is_logged_with_the_tokens_name(client, many_referrals, token, settings, caplog):
    caplog.set_level("INFO", logger="pqa.audit")
    settings.PQA_FEED_PAGE_SIZE = 10
    client.get(feed_url("advocacy", "json") + "?page=3", headers=bearer(token))
    response = client.get(feed_url("advocacy", "csv"), headers=bearer(token))
    b"".join(response.streaming_content)
    client.get(feed_url("nothing", "csv"), headers=bearer(token))
    logged = list(
        FeedRequest.objects.order_by("pk").values_list("token_name", "table", "format", "page", "status", "rows")
    )
    assert logged == [
        ("Power BI – performance team", "advocacy", "json", 3, 200, 5),
        ("Power BI – performance team", "advocacy", "csv", None, 200, 25),
        ("Power BI – performance team", "nothing", "csv", None, 404, None),
    ]
    assert FeedToken.objects.get().last_used_at is not None
    lines = [record.getMessage() for record in caplog.records if record.name == "pqa.audit"]
    assert any(
        line.startswith("feed token=Power_BI_–_performance_team table=advocacy format=json page=3") for line in lines
    )


def test_a_refused_request_is_in_the_audit_log_without_the_token(client, caplog):
    caplog.set_level("INFO", logger="pqa.audit")
    client.get(feed_url("advocacy", "csv"), headers=bearer("pqafeed_guessed"))
    lines = [record.getMessage() for record in caplog.records if record.name == "pqa.audit"]
    assert "feed_refused reason=unknown token=-" in lines
    assert not any("guessed" in line for line in lines)


# --- Odd values --------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    page=st.one_of(st.text(max_size=30), st.integers(min_value=-(10**30), max_value=10**30).map(str)),
    table=st.one_of(
        st.sampled_from(TABLES), st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.%0", min_size=1, max_size=50)
    ),
    authorization=st.one_of(st.just(None), st.text(max_size=300)),
)
def test_odd_values_never_give_a_500(client, token, page, table, authorization):
    headers = (
        bearer(token)
        if authorization is None
        else {"Authorization": authorization.replace("\n", " ").replace("\r", " ")}
    )
    for format in ("csv", "json"):
        url = f"/api/feed/{table}.{format}"
        response = client.get(url, {"page": page}, headers=headers)
        assert response.status_code in (200, 400, 401, 404), (url, page)


def test_the_documentation_lists_every_column_of_every_table():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "feed.md").read_text()
    for table in registry.feed_tables():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{table.name}` |"))
        columns = re.sub(r"\([^)]*\)", "", row.split("|")[3]).split("; ")[0]  # without the values in brackets
        assert re.findall(r"`([a-z0-9_]+)`", columns) == table.headers, table.name
