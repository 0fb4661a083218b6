import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from feedback.complaints import notifications, services
from feedback.models import Complaint, ComplaintDigestSent
from pqa.models import Notification, Role

D = dt.date
pytestmark = pytest.mark.django_db


def _date(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def test_customer_relations_record_a_complaint_and_see_its_deadline(client_for, customer_relations, team):
    response = client_for(customer_relations).post(
        reverse("feedback:complaints:create"),
        {
            "reference": "CR-2024-001",
            **_date("received", D(2022, 12, 20)),
            "how_received": "phone",
            "complainant": "child",
            "procedure": "statutory",
            "service_area": team.service_area.pk,
            "team": team.pk,
            "themes": ["delay", "communication"],
            "summary": "Calls not returned.",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Complaint CR-2024-001 recorded. Stage 1 is due on 06 January 2023." in page
    assert "6 January 2023" in page  # Christmas 2022 and its substitute days skipped


def test_an_empty_form_is_refused_with_an_error_summary(client_for, customer_relations):
    response = client_for(customer_relations).post(reverse("feedback:complaints:create"), {})
    page = response.content.decode()
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page
    assert "Enter the date received" in page
    assert not Complaint.objects.exists()


def test_escalating_before_a_response_is_refused_on_the_page(client_for, customer_relations, record_complaint):
    complaint = record_complaint()
    response = client_for(customer_relations).post(
        reverse("feedback:complaints:escalate", args=[complaint.pk]), _date("requested", D(2024, 6, 12))
    )
    assert "Stage 1 has no response yet" in response.content.decode()
    assert complaint.stages.count() == 1


def test_a_team_manager_reads_their_teams_complaints_only(client_for, team_manager, record_complaint, other_team):
    mine = record_complaint()
    theirs = record_complaint(service_area=other_team.service_area, team=other_team)
    client = client_for(team_manager)
    page = client.get(reverse("feedback:complaints:list")).content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert client.get(reverse("feedback:complaints:detail", args=[theirs.pk])).status_code == 404
    assert (
        "Record the response" not in client.get(reverse("feedback:complaints:detail", args=[mine.pk])).content.decode()
    )


def test_the_list_filters_by_status_and_exports_what_it_shows(client_for, customer_relations, record_complaint):
    overdue = record_complaint(received=D(2024, 1, 8))
    answered = record_complaint(received=D(2024, 1, 8))
    services.complaint_respond(
        actor=customer_relations, complaint=answered, stage=1, responded=D(2024, 1, 12), outcome="upheld"
    )
    client = client_for(customer_relations)
    page = client.get(reverse("feedback:complaints:list"), {"status": "overdue"}).content.decode()
    assert overdue.reference in page and answered.reference not in page
    csv = client.get(reverse("feedback:complaints:list"), {"status": "on_time", "export": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("reference,received,complainant")
    assert answered.reference in text and overdue.reference not in text
    xlsx = client.get(reverse("feedback:complaints:list"), {"stage": "closed", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert [row[0] for row in rows[1:]] == [answered.reference]


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_and_home_take_the_same_queries_whatever_the_number(
    client_for, customer_relations, record_complaint, django_assert_num_queries, count
):
    client = client_for(customer_relations)
    for _ in range(count):
        record_complaint(received=dt.date.today() - dt.timedelta(days=5))
    client.get(reverse("feedback:complaints:list"))
    with django_assert_num_queries(QUERIES["list"]):
        client.get(reverse("feedback:complaints:list"))
    with django_assert_num_queries(QUERIES["home"]):
        client.get(reverse("feedback:complaints:home"))


QUERIES = {"list": 9, "home": 6}


def test_the_home_puts_due_soon_and_overdue_first(client_for, customer_relations, record_complaint):
    today = dt.date.today()
    record_complaint(reference="LONG-AGO", received=today - dt.timedelta(days=60))
    record_complaint(reference="TODAY", received=today)
    response = client_for(customer_relations).get(reverse("feedback:complaints:home"))
    urgent = [item.complaint.reference for item in response.context["urgent"]]
    others = [item.complaint.reference for item in response.context["others"]]
    assert urgent == ["LONG-AGO"] and others == ["TODAY"]


def test_the_daily_email_is_queued_once_a_day(
    record_complaint, customer_relations, settings, django_capture_on_commit_callbacks
):
    record_complaint(reference="LATE-1", received=D(2024, 6, 10))
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.complaints_digest_send(day=D(2024, 7, 1))
        second = notifications.complaints_digest_send(day=D(2024, 7, 1))
    assert "Queued" in first and "already sent" in second
    assert ComplaintDigestSent.objects.count() == 1
    notification = Notification.objects.get(kind="complaints_due")
    assert notification.recipients == [customer_relations.email]
    assert "LATE-1: Stage 1 overdue since 24 June 2024" in notification.body


def test_the_digest_command_and_task_run_the_same_service(record_complaint, customer_relations):
    from feedback.tasks import complaints_digest

    record_complaint(received=dt.date.today() - dt.timedelta(days=30))
    out = io.StringIO()
    call_command("complaints_digest", stdout=out)
    assert "Queued" in out.getvalue()
    assert "already sent" in complaints_digest()
    assert Notification.objects.filter(kind="complaints_due").count() == 1


def test_the_register_command_prints_the_contracts_csv(record_complaint, customer_relations):
    one = record_complaint(reference="B-2", received=D(2024, 6, 10))
    services.complaint_stage1_extend(actor=customer_relations, complaint=one, reason="Records")
    record_complaint(reference="A-1", received=D(2024, 6, 10))
    record_complaint(reference="C-3", received=D(2024, 6, 13))  # after the day: left out
    out = io.StringIO()
    call_command("complaints_register", "--as-of", "2024-06-12", stdout=out)
    assert out.getvalue().splitlines() == [
        "reference,stage,stage1_due,stage1_status,stage2_due,stage2_status,stage3_panel_due,"
        "stage3_response_due,stage3_status,next_stage_by",
        "A-1,1,2024-06-24,open,,,,,,",
        "B-2,1,2024-07-08,open,,,,,,",
    ]


def test_the_register_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("complaints_register", "--as-of", "12/06/2024")


def test_no_mail_is_sent_to_anyone_but_customer_relations(record_complaint, make_user, settings):
    make_user(Role.PRACTICE_HUB, username="hub2")
    record_complaint(received=D(2024, 6, 10))
    notifications.complaints_digest_send(day=D(2024, 7, 1))
    assert all("hub2" not in address for n in Notification.objects.all() for address in n.recipients)
    assert len(mail.outbox) <= 1


def test_the_ombudsman_page_records_referral_decision_and_compliance(client_for, customer_relations, record_complaint):
    complaint = record_complaint(received=D(2024, 1, 8))
    services.complaint_respond(
        actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 1, 19), outcome="not_upheld"
    )
    client = client_for(customer_relations)
    url = reverse("feedback:complaints:ombudsman", args=[complaint.pk])
    client.post(url, _date("referred", D(2024, 2, 1)))
    response = client.post(
        url,
        {
            **_date("referred", D(2024, 2, 1)),
            **_date("decided", D(2024, 5, 1)),
            "decision": "fault_injustice",
            "remedy": "Apologise",
            **_date("complied", D(2024, 5, 20)),
        },
        follow=True,
    )
    assert "Fault causing injustice, 1 May 2024" in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.ombudsman_referred, complaint.ombudsman_complied) == (D(2024, 2, 1), D(2024, 5, 20))


def test_a_decision_without_its_date_is_refused(client_for, customer_relations, record_complaint):
    complaint = record_complaint()
    response = client_for(customer_relations).post(
        reverse("feedback:complaints:ombudsman", args=[complaint.pk]),
        {**_date("referred", D(2024, 7, 1)), "decision": "no_fault"},
    )
    assert "Enter the date of the Ombudsman&#x27;s decision" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.ombudsman_referred is None


def test_learning_saved_from_an_older_version_is_refused(client_for, customer_relations, record_complaint):
    complaint = record_complaint()
    client = client_for(customer_relations)
    url = reverse("feedback:complaints:learning", args=[complaint.pk])
    client.post(url, {"version": 1, "learning": "First", "actions_taken": ""})
    response = client.post(url, {"version": 1, "learning": "Second", "actions_taken": ""})
    assert "saved this record after you opened it" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.learning == "First"


def test_the_register_json_gives_the_contracts_rows(client_for, customer_relations, record_complaint):
    record_complaint(reference="J-1", received=D(2024, 6, 10))
    data = client_for(customer_relations).get(reverse("feedback:complaints:register_json"), {"as_of": "2024-06-12"})
    assert data.json()["complaints"][0]["stage1_due"] == "2024-06-24"


def test_the_filters_are_labelled_in_words(client_for, customer_relations):
    page = client_for(customer_relations).get(reverse("feedback:complaints:list")).content.decode()
    assert ">Stage</label>" in page and ">Theme</label>" in page
    assert "invalid name" not in page


def test_the_list_filters_by_the_dates_received_typed_as_day_month_and_year(
    client_for, customer_relations, record_complaint
):
    early = record_complaint(received=D(2024, 1, 8))
    late = record_complaint(received=D(2024, 3, 20))
    client = client_for(customer_relations)
    typed = {"received_from_0": "1", "received_from_1": "2", "received_from_2": "2024"}
    page = client.get(reverse("feedback:complaints:list"), typed).content.decode()
    assert late.reference in page and early.reference not in page
    # The GOV.UK date input, with what was typed still in it.
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Received from</legend>' in page
    assert 'name="received_from_1" type="text" inputmode="numeric" value="2"' in page
    typed = {"received_to_0": "31", "received_to_1": "1", "received_to_2": "2024"}
    page = client.get(reverse("feedback:complaints:list"), typed).content.decode()
    assert early.reference in page and late.reference not in page


def test_an_impossible_date_to_filter_by_is_explained_beside_it_and_filters_nothing(
    client_for, customer_relations, record_complaint
):
    complaint = record_complaint(received=D(2024, 1, 8))
    typed = {"received_from_0": "31", "received_from_1": "2", "received_from_2": "2024"}
    response = client_for(customer_relations).get(reverse("feedback:complaints:list"), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<div class="govuk-form-group govuk-form-group--error">' in page
    assert "The &#x27;received from&#x27; date must be a real date" in page
    assert complaint.reference in page
