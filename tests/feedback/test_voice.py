"""Compliments, child and family feedback responses and advocacy referrals: the rules, the
import (bad files by row and column), the figures against hand counts, scope and exports."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.figures import FiguresError, feedback_figures
from feedback.models import AdvocacyReferral, Compliment, FeedbackResponse
from feedback.voice import services
from feedback.voice.imports import feedback_import
from pqa.models import Role, ServiceArea, Team
from pqa.versioning import ConcurrentEditError
from tests.factories import TeamFactory

Q1 = "2025-26-Q1"


def _compliment(where, actor=None, **fields):
    values = {
        "reference": "CMP-1",
        "received": dt.date(2025, 5, 1),
        "from_whom": "parent_carer",
        "service_area": where.service_area,
        "team": where,
    }
    return services.compliment_record(actor=actor, **{**values, **fields})


def _response(team, reference, **fields):
    values = {"date": dt.date(2025, 5, 1), "source": "review", "respondent": "child", "service_area": team.service_area}
    return services.feedback_response_record(actor=None, reference=reference, team=team, **{**values, **fields})


def _referral(team, reference, source, day=dt.date(2025, 5, 1)):
    return services.advocacy_referral_record(
        actor=None, reference=reference, date=day, source=source, service_area=team.service_area
    )


# --- Rules -----------------------------------------------------------------------------------


def test_a_compliment_records_who_recorded_it_in_its_history(team, practice_hub):
    compliment = _compliment(team, practice_hub, extract="She listened.", may_share=True)
    assert compliment.history.get().history_user == practice_hub


def test_a_compliment_changed_from_an_old_version_is_refused(team):
    compliment = _compliment(team)
    services.compliment_update(actor=None, compliment=compliment, expected_version=1, themes="kind")
    with pytest.raises(ConcurrentEditError):
        services.compliment_update(actor=None, compliment=compliment, expected_version=1, themes="patient")
    assert Compliment.objects.get().themes == "kind"


def test_a_team_from_another_service_area_is_refused(team, other_team):
    with pytest.raises(ValidationError) as error:
        _compliment(team, team=other_team)
    assert "team" in error.value.message_dict


def test_an_extract_longer_than_its_limit_is_refused_by_the_service_and_the_database(team):
    with pytest.raises(ValidationError):
        _compliment(team, extract="x" * 1001)
    compliment = _compliment(team)
    with pytest.raises(IntegrityError), transaction.atomic():
        Compliment.objects.filter(pk=compliment.pk).update(extract="x" * 1001)


def test_a_response_answer_must_be_yes_partly_or_no(team):
    with pytest.raises(ValidationError):
        _response(team, "R1", listened_to="maybe")


# --- Import ----------------------------------------------------------------------------------


def _csv(text: str) -> io.BytesIO:
    data = io.BytesIO(text.encode("utf-8-sig"))
    data.name = "returns.csv"
    return data


def test_an_import_of_compliments_creates_then_updates_and_names_the_file_in_the_history(team):
    text = (
        "reference,received,from,service_area,team,themes,extract,may_share\n"
        f"C1,2025-04-03,Child,{team.service_area.name},{team.name},kind; listened,She listened,yes\n"
        f"C2,03/05/2025,parent carer,{team.service_area.name},,,,\n"
    )
    result = feedback_import(kind="compliments", file=_csv(text), command_user="ops")
    assert result.summary == "imported 2 compliments (2 created, 0 updated)"
    first = Compliment.objects.get(reference="C1")
    assert (first.from_whom, first.may_share, first.themes, first.team) == ("child", True, "kind; listened", team)
    assert first.history.get().history_change_reason == "import_feedback compliments returns.csv by ops"
    again = feedback_import(kind="compliments", file=_csv(text))
    assert again.summary == "imported 2 compliments (0 created, 2 updated)"
    assert Compliment.objects.count() == 2


def test_a_bad_file_imports_nothing_and_says_row_and_column(team):
    area = team.service_area.name
    text = (
        "reference,date,source,respondent,service_area,listened_to,rating\n"
        f"R1,2025-05-01,review,child,{area},yes,good\n"
        f"R2,2025-13-01,review,child,{area},maybe,good\n"
        f"R3,2025-05-01,survey monkey,child,Nowhere,yes,\n"
        f"R1,2025-05-01,review,child,{area},,\n"
    )
    result = feedback_import(kind="responses", file=_csv(text))
    problems = [str(problem) for problem in result.problems]
    assert "row 3, column date: '2025-13-01' is not a date: there is no month 13" in problems
    assert any(problem.startswith("row 3, column listened_to: 'maybe' is not one of") for problem in problems)
    assert any(problem.startswith("row 4, column source:") for problem in problems)
    assert "row 5, column reference: this reference is also on row 2" in problems
    assert FeedbackResponse.objects.count() == 0


def test_an_unknown_header_and_a_missing_required_column_are_problems_of_row_1(team):
    result = feedback_import(kind="advocacy", file=_csv("reference,date,colour\nA1,2025-05-01,red\n"))
    problems = [str(problem) for problem in result.problems]
    assert any(problem.startswith("row 1, column colour: unknown column") for problem in problems)
    assert "row 1, column source: this required column is missing from the header" in problems
    assert "row 1, column service_area: this required column is missing from the header" in problems


def test_an_unknown_service_area_is_created_only_when_asked(db):
    text = "reference,date,source,service_area\nA1,2025-05-01,Social work team,Early Help\n"
    refused = feedback_import(kind="advocacy", file=_csv(text))
    assert [str(problem) for problem in refused.problems] == [
        "row 2, column service_area: 'Early Help' is not a service area (import with 'create missing' to add it)"
    ]
    dry = feedback_import(kind="advocacy", file=_csv(text), create_missing=True, dry_run=True)
    assert dry.ok and dry.created == 1 and not ServiceArea.objects.exists()
    done = feedback_import(kind="advocacy", file=_csv(text), create_missing=True)
    assert done.summary == "imported 1 advocacy (1 created, 0 updated)"
    assert AdvocacyReferral.objects.get().source == "social_work_team"


def test_the_command_prints_the_contract_line_and_fails_on_problems(team, tmp_path, capsys):
    good = tmp_path / "advocacy.csv"
    good.write_text(f"reference,date,source,service_area\nA1,2025-05-01,iro,{team.service_area.name}\n")
    call_command("import_feedback", "advocacy", str(good))
    assert capsys.readouterr().out.strip() == "imported 1 advocacy (1 created, 0 updated)"
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,date,source,service_area\nA2,tomorrow,iro,Nowhere\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_feedback", "advocacy", str(bad))
    assert "row 2, column date:" in capsys.readouterr().err


def test_the_complaints_kind_goes_to_the_complaints_import(db, tmp_path, capsys):
    path = tmp_path / "complaints.csv"
    path.write_text("reference\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_feedback", "complaints", str(path))
    assert "column" in capsys.readouterr().err


# --- Figures ---------------------------------------------------------------------------------


@pytest.fixture
def quarter_of_feedback(team, other_team):
    _compliment(team, reference="C1", from_whom="child")
    _compliment(team, reference="C2", from_whom="parent_carer")
    _compliment(other_team, reference="C3", from_whom="professional", received=dt.date(2025, 6, 30))
    _compliment(team, reference="C4", from_whom="child", received=dt.date(2025, 7, 1))  # next quarter
    _response(team, "R1", respondent="child", understood_why="yes", listened_to="no", rating="excellent")
    _response(team, "R2", respondent="parent_carer", understood_why="partly", rating="poor")
    _response(other_team, "R3", respondent="parent_carer", understood_why="yes", date=dt.date(2025, 4, 1))
    _response(team, "R4", respondent="professional", date=dt.date(2025, 3, 31))  # previous quarter
    _referral(team, "A1", "social_work_team")
    _referral(team, "A2", "iro")
    _referral(other_team, "A3", "iro")


def test_the_figures_match_hand_counts_with_every_key_present(quarter_of_feedback):
    data = feedback_figures(quarter=Q1)
    assert set(data) == {"quarter", "service_area", "complaints", "compliments", "responses", "advocacy"}
    assert (data["quarter"], data["service_area"]) == (Q1, None)
    assert data["compliments"] == {
        "received": 3,
        "by_from": {"child": 1, "parent_carer": 1, "professional": 1, "other": 0},
    }
    responses = data["responses"]
    assert responses["received"] == 3
    assert responses["by_respondent"] == {"child": 1, "parent_carer": 2, "professional": 0}
    assert list(responses["questions"]) == [
        "understood_why",
        "listened_to",
        "involved_in_decisions",
        "knows_next",
        "things_better",
    ]
    assert responses["questions"]["understood_why"] == {"yes": 2, "partly": 1, "no": 0}
    assert responses["questions"]["listened_to"] == {"yes": 0, "partly": 0, "no": 1}
    assert responses["questions"]["things_better"] == {"yes": 0, "partly": 0, "no": 0}
    assert responses["ratings"] == {"excellent": 1, "good": 0, "fair": 0, "poor": 1}
    assert data["advocacy"] == {
        "referrals": 3,
        "by_source": {"social_work_team": 1, "iro": 2, "self": 0, "family": 0, "other": 0},
        "from_social_work_share": 0.3333,
    }
    complaints = data["complaints"]
    assert set(complaints) == {
        "received",
        "by_complainant",
        "from_children_share",
        "themes",
        "stage1",
        "stage2",
        "stage3",
        "ombudsman",
    }


def test_the_figures_of_one_service_area_count_only_its_records(quarter_of_feedback, team):
    data = feedback_figures(quarter=Q1, service_area=team.service_area.name.upper())
    assert data["service_area"] == team.service_area.name
    assert data["compliments"]["received"] == 2
    assert data["responses"]["received"] == 2
    assert data["advocacy"]["from_social_work_share"] == 0.5


def test_a_share_with_nothing_to_divide_by_is_null(db):
    data = feedback_figures(quarter=Q1)
    assert data["advocacy"] == {
        "referrals": 0,
        "by_source": {"social_work_team": 0, "iro": 0, "self": 0, "family": 0, "other": 0},
        "from_social_work_share": None,
    }


@pytest.mark.parametrize("quarter", ["2025-Q1", "2025-26-Q5", ""])
def test_a_malformed_quarter_is_an_error(db, quarter):
    with pytest.raises(FiguresError):
        feedback_figures(quarter=quarter)


def test_an_unknown_service_area_is_an_error_for_the_command_and_the_json(client_for, leader):
    with pytest.raises(CommandError, match="'Mars' is not a service area"):
        call_command("pqa_feedback", "--quarter", Q1, "--service-area", "Mars")
    response = client_for(leader).get(reverse("reporting:feedback_json"), {"quarter": Q1, "service_area": "Mars"})
    assert response.status_code == 400
    assert response.json() == {"error": "'Mars' is not a service area"}


def test_the_command_and_the_json_give_the_same_object(quarter_of_feedback, client_for, leader, capsys):
    call_command("pqa_feedback", "--quarter", Q1)
    printed = json.loads(capsys.readouterr().out)
    served = client_for(leader).get(reverse("reporting:feedback_json"), {"quarter": Q1}).json()
    assert printed == served
    assert served["advocacy"]["from_social_work_share"] == 0.3333


def test_the_figures_take_a_fixed_number_of_queries(team, other_team):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            feedback_figures(quarter=Q1, service_area=team.service_area.name)
        return len(queries)

    few = count()
    for index in range(20):
        _compliment(team, reference=f"C{index}")
        _response(team, f"R{index}", listened_to="yes")
        _referral(team, f"A{index}", "self")
    # Three for compliments, responses and advocacy, and the complaints' own (their figures).
    assert count() == few <= 8


def test_the_figures_page_shows_the_social_work_share_and_takes_a_fixed_number_of_queries(
    quarter_of_feedback, client_for, leader, team
):
    client = client_for(leader)
    url = reverse("reporting:feedback")
    with CaptureQueriesContext(connection) as first:
        page = client.get(url, {"quarter": Q1})
    assert page.status_code == 200
    text = page.content.decode()
    assert "33%" in text and "came from social work teams" in text
    assert "practice evaluations’ own feedback" in text
    for index in range(10):
        _referral(team, f"MORE{index}", "family")
    with CaptureQueriesContext(connection) as second:
        client.get(url, {"quarter": Q1})
    assert len(second) == len(first)


# --- Pages, scope and exports ----------------------------------------------------------------


def test_customer_relations_records_a_compliment_through_the_form(client_for, make_user, team):
    person = make_user(Role.CUSTOMER_RELATIONS)
    response = client_for(person).post(
        reverse("feedback:compliment_new"),
        {
            "reference": "CMP-9",
            "received_0": "2",
            "received_1": "5",
            "received_2": "2025",
            "from_whom": "child",
            "service_area": team.service_area.pk,
            "team": team.pk,
            "extract": "They listened to me.",
            "may_share": "on",
        },
    )
    compliment = Compliment.objects.get(reference="CMP-9")
    assert response["Location"] == reverse("feedback:compliment_detail", args=[compliment.pk])
    assert compliment.history.get().history_user == person
    extracts = client_for(person).get(reverse("feedback:shareable_extracts")).content.decode()
    assert "They listened to me." in extracts


def test_a_team_manager_sees_only_their_teams_records(client_for, make_user, team, other_team):
    mine = _compliment(team, reference="MINE")
    theirs = _compliment(other_team, reference="THEIRS")
    client = client_for(make_user(Role.TEAM_MANAGER, team=team))
    listed = client.get(reverse("feedback:compliments")).content.decode()
    assert "MINE" in listed and "THEIRS" not in listed
    assert client.get(reverse("feedback:compliment_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("feedback:compliment_detail", args=[theirs.pk])).status_code == 404


def test_the_export_holds_exactly_what_the_filters_show(client_for, practice_hub, team, other_team):
    _compliment(team, reference="KEEP", from_whom="child", extract="=cmd()")
    _compliment(other_team, reference="DROP", from_whom="child")
    _compliment(team, reference="ALSO-DROP", from_whom="professional")
    client = client_for(practice_hub)
    query = {"service_area": team.service_area.pk, "from_whom": "child", "format": "csv"}
    text = b"".join(client.get(reverse("feedback:compliments"), query).streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "reference,received,from,service_area,team,staff_named,themes,extract,may_share"
    assert len(lines) == 2 and lines[1].startswith("KEEP,2025-05-01,child,")
    assert "'=cmd()" in lines[1]  # a formula is written as text
    workbook = client.get(reverse("feedback:compliments"), {**query, "format": "xlsx"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_leader_reads_the_figures_but_no_list_with_comments(client_for, leader, team):
    client = client_for(leader)
    assert client.get(reverse("feedback:responses")).status_code == 404
    assert client.get(reverse("reporting:feedback"), {"quarter": Q1}).status_code == 200


def test_the_demo_has_a_year_of_each_with_about_30_percent_of_referrals_from_social_work(db):
    from feedback.voice.demo import voice_demo_load

    TeamFactory(), TeamFactory()
    made = voice_demo_load(today=dt.date(2026, 6, 30))
    assert made == "120 compliments, 600 responses, 160 advocacy"
    assert voice_demo_load(today=dt.date(2026, 6, 30)) == ""  # run again, nothing is added
    share = AdvocacyReferral.objects.filter(source="social_work_team").count() / 160
    assert 0.2 < share < 0.4
    assert Team.objects.count() == 2


def test_a_change_saved_from_an_old_version_is_refused_on_the_page_and_keeps_what_was_typed(
    client_for, practice_hub, make_user, team
):
    compliment = _compliment(team, themes="kind")
    form = {
        "version": "1",
        "reference": "CMP-1",
        "received_0": "1",
        "received_1": "5",
        "received_2": "2025",
        "from_whom": "parent_carer",
        "service_area": team.service_area.pk,
        "team": team.pk,
        "themes": "patient",
    }
    url = reverse("feedback:compliment_change", args=[compliment.pk])
    first = client_for(practice_hub).post(url, form)
    assert first.status_code == 302
    second = client_for(make_user(Role.CUSTOMER_RELATIONS)).post(url, {**form, "themes": "reliable"})
    assert second.status_code == 409
    assert "saved this record after you opened it" in second.text
    assert 'value="reliable"' in second.text
    compliment.refresh_from_db()
    assert (compliment.themes, compliment.version) == ("patient", 2)


def test_the_web_import_runs_in_the_background_and_lists_problems_by_row_and_column(client_for, make_user, team):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(make_user(Role.CUSTOMER_RELATIONS))
    area = team.service_area.name
    good = f"reference,date,source,service_area\nA1,2025-05-01,Self-referral,{area}\n".encode()
    response = client.post(
        reverse("feedback:voice_import"),
        {"kind": "advocacy", "file": SimpleUploadedFile("advocacy.csv", good, "text/csv")},
        follow=True,
    )
    assert "Imported 1 advocacy (1 created, 0 updated)." in response.text
    referral = AdvocacyReferral.objects.get()
    assert referral.history.get().history_change_reason == "web import of advocacy advocacy.csv"
    bad = f"reference,date,source,service_area\nA2,2025-05-01,postcard,{area}\n".encode()
    response = client.post(
        reverse("feedback:voice_import"),
        {"kind": "advocacy", "file": SimpleUploadedFile("advocacy.csv", bad, "text/csv")},
        follow=True,
    )
    assert "row 2, column source: &#x27;postcard&#x27; is not one of" in response.text
    assert AdvocacyReferral.objects.count() == 1


@pytest.mark.parametrize("name", ["feedback:compliments", "feedback:responses", "feedback:advocacy"])
def test_a_list_takes_the_same_number_of_queries_however_many_records(client_for, practice_hub, team, name):
    client = client_for(practice_hub)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        return len(queries)

    _compliment(team, reference="C-first")
    _response(team, "R-first")
    _referral(team, "A-first", "iro")
    few = count()
    for index in range(15):
        _compliment(team, reference=f"C{index}")
        _response(team, f"R{index}")
        _referral(team, f"A{index}", "self")
    assert count() == few


def test_the_lists_filter_by_dates_typed_as_day_month_and_year(client_for, practice_hub, team):
    _compliment(team, reference="MAY", received=dt.date(2025, 5, 1))
    _compliment(team, reference="JULY", received=dt.date(2025, 7, 1))
    typed = {"received_after_0": "1", "received_after_1": "6", "received_after_2": "2025"}
    page = client_for(practice_hub).get(reverse("feedback:compliments"), typed).content.decode()
    assert "JULY" in page and ">MAY<" not in page
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">From</legend>' in page
    assert 'type="date"' not in page  # no browser date picker: the GOV.UK date input
