import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from feedback.complaints import services
from feedback.complaints.selectors import complaint_figures, register_rows
from feedback.models import Complaint, ComplaintStage
from pqa.versioning import ConcurrentEditError
from tests.factories import TeamFactory

D = dt.date
pytestmark = pytest.mark.django_db


def test_recording_a_complaint_starts_stage_one_on_the_day_received(record_complaint, customer_relations):
    complaint = record_complaint(themes=["delay", "communication"], child_ref="AB123")
    stage = complaint.stages.get()
    assert (stage.number, stage.requested) == (1, D(2024, 6, 10))
    assert sorted(complaint.themes.values_list("theme", flat=True)) == ["communication", "delay"]
    assert complaint.history.first().history_user == customer_relations


def test_a_name_is_refused_as_a_case_id(record_complaint):
    with pytest.raises(ValidationError) as error:
        record_complaint(child_ref="Jo Bloggs")
    assert "child_ref" in error.value.message_dict


def test_a_team_of_another_service_area_is_refused(record_complaint, other_team, team):
    with pytest.raises(ValidationError):
        record_complaint(service_area=team.service_area, team=other_team)


def test_an_update_from_an_older_version_is_refused(record_complaint, customer_relations):
    complaint = record_complaint()
    services.complaint_update(actor=customer_relations, complaint=complaint, version=1, summary="First")
    with pytest.raises(ConcurrentEditError):
        services.complaint_update(actor=customer_relations, complaint=complaint, version=1, summary="Second")
    assert Complaint.objects.get().summary == "First"


def test_an_extension_needs_a_reason_and_no_response(record_complaint, customer_relations):
    complaint = record_complaint()
    with pytest.raises(ValidationError):
        services.complaint_stage1_extend(actor=customer_relations, complaint=complaint, reason="  ")
    services.complaint_stage1_extend(actor=customer_relations, complaint=complaint, reason="Waiting for the file")
    assert complaint.stages.get().extended
    assert register_rows(D(2024, 6, 25))[0]["stage1_due"] == "2024-07-08"
    services.complaint_respond(
        actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 7, 1), outcome="upheld"
    )
    with pytest.raises(ValidationError):
        services.complaint_stage1_extend(actor=customer_relations, complaint=complaint, reason="Again")


def test_a_response_before_the_stage_started_is_refused(record_complaint, customer_relations):
    complaint = record_complaint()
    with pytest.raises(ValidationError):
        services.complaint_respond(
            actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 6, 9), outcome="upheld"
        )


def test_escalation_is_refused_before_a_response_and_outside_the_window(record_complaint, customer_relations):
    complaint = record_complaint()
    with pytest.raises(ValidationError, match="no response"):
        services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 6, 20))
    services.complaint_respond(
        actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 6, 20), outcome="not_upheld"
    )
    with pytest.raises(ValidationError, match="outside the window"):
        services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 7, 19))
    stage2 = services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 7, 18))
    assert stage2.number == 2
    assert register_rows(D(2024, 7, 18))[0]["stage"] == "2"


def test_a_full_journey_to_the_ombudsman(record_complaint, customer_relations):
    complaint = record_complaint(received=D(2024, 1, 8))
    respond = services.complaint_respond
    respond(actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 1, 19), outcome="not_upheld")
    services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 1, 29))
    services.complaint_stage_extend(actor=customer_relations, complaint=complaint, stage=2, reason="Investigator ill")
    respond(actor=customer_relations, complaint=complaint, stage=2, responded=D(2024, 2, 29), outcome="partly_upheld")
    services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 3, 4))
    with pytest.raises(ValidationError, match="report"):
        respond(actor=customer_relations, complaint=complaint, stage=3, responded=D(2024, 4, 20), outcome="upheld")
    services.complaint_stage3_panel(
        actor=customer_relations, complaint=complaint, panel=D(2024, 4, 10), report=D(2024, 4, 17)
    )
    respond(actor=customer_relations, complaint=complaint, stage=3, responded=D(2024, 5, 1), outcome="upheld")
    with pytest.raises(ValidationError, match="last stage"):
        services.complaint_escalate(actor=customer_relations, complaint=complaint, requested=D(2024, 5, 2))
    with pytest.raises(ValidationError):
        services.complaint_ombudsman_decide(
            actor=customer_relations, complaint=complaint, decided=D(2024, 9, 1), decision="no_fault"
        )
    services.complaint_ombudsman_refer(actor=customer_relations, complaint=complaint, referred=D(2024, 5, 20))
    services.complaint_ombudsman_decide(
        actor=customer_relations,
        complaint=complaint,
        decided=D(2024, 9, 2),
        decision="fault_injustice",
        remedy="Apologise and pay £250",
    )
    services.complaint_ombudsman_comply(actor=customer_relations, complaint=complaint, complied=D(2024, 9, 30))
    services.complaint_add_learning(
        actor=customer_relations, complaint=complaint, learning="Reply sooner", actions_taken="Training"
    )
    assert register_rows(D(2024, 6, 1))[0]["stage"] == "ombudsman"
    assert register_rows(D(2024, 9, 2))[0]["stage"] == "closed"
    complaint.refresh_from_db()
    assert complaint.version > 5
    assert complaint.ombudsman_complied == D(2024, 9, 30)


def test_the_database_refuses_an_outcome_without_a_response(record_complaint):
    complaint = record_complaint()
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplaintStage.objects.filter(complaint=complaint).update(outcome="upheld")


def test_the_database_refuses_text_over_its_limit(record_complaint):
    complaint = record_complaint()
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(summary="x" * 2001)


def test_the_quarters_figures_count_by_the_contracts_dates(record_complaint, customer_relations, team):
    # 2024-25-Q1 is April to June 2024.
    first = record_complaint(received=D(2024, 4, 2), complainant="child", themes=["delay"])
    services.complaint_respond(
        actor=customer_relations, complaint=first, stage=1, responded=D(2024, 4, 12), outcome="upheld"
    )
    late = record_complaint(received=D(2024, 5, 1), complainant="advocate", themes=["delay", "no_reply"])
    services.complaint_respond(
        actor=customer_relations, complaint=late, stage=1, responded=D(2024, 5, 31), outcome="not_upheld"
    )
    services.complaint_escalate(actor=customer_relations, complaint=late, requested=D(2024, 6, 3))
    record_complaint(received=D(2024, 6, 20), complainant="parent_carer")
    elsewhere = TeamFactory(service_area__name="Elsewhere")
    record_complaint(received=D(2024, 6, 21), service_area=elsewhere.service_area, team=elsewhere)
    record_complaint(received=D(2024, 7, 1))  # next quarter
    figures = complaint_figures(quarter="2024-25-Q1")
    assert figures["received"] == 4
    assert figures["by_complainant"] == {
        "child": 1,
        "advocate": 1,
        "parent_carer": 2,
        "family": 0,
        "professional": 0,
        "other": 0,
    }
    assert figures["from_children_share"] == 0.5
    assert figures["themes"]["delay"] == 2 and figures["themes"]["no_reply"] == 1 and figures["themes"]["other"] == 0
    assert figures["stage1"] == {
        "responded": 2,
        "on_time": 1,
        "timeliness": 0.5,
        "outcomes": {"upheld": 1, "partly_upheld": 0, "not_upheld": 1, "withdrawn": 0},
    }
    assert figures["stage2"]["requested"] == 1 and figures["stage2"]["timeliness"] is None
    assert figures["stage3"]["requested"] == 0
    assert figures["ombudsman"] == {
        "referred": 0,
        "decided": 0,
        "decisions": {"fault_injustice": 0, "fault_no_injustice": 0, "no_fault": 0, "not_investigated": 0},
    }
    assert complaint_figures(quarter="2024-25-Q1", service_area=team.service_area)["received"] == 3
    assert complaint_figures(quarter="2024-25-Q1", service_area="Elsewhere")["received"] == 1


def test_the_figures_take_a_few_queries_whatever_the_data(record_complaint, django_assert_max_num_queries):
    for day in range(1, 20):
        record_complaint(received=D(2024, 5, day))
    with django_assert_max_num_queries(5):
        complaint_figures(quarter="2024-25-Q1")


def test_a_complaint_counts_in_each_quarter_by_the_date_that_quarter_is_about(record_complaint, customer_relations):
    # Received, answered and referred to the Ombudsman in 2024-25-Q1, decided in Q3: each
    # quarter's figures find it by the date they count, whatever quarter it was received in.
    complaint = record_complaint(received=D(2024, 4, 2))
    services.complaint_respond(
        actor=customer_relations, complaint=complaint, stage=1, responded=D(2024, 4, 12), outcome="not_upheld"
    )
    services.complaint_ombudsman_refer(actor=customer_relations, complaint=complaint, referred=D(2024, 5, 3))
    services.complaint_ombudsman_decide(
        actor=customer_relations, complaint=complaint, decided=D(2024, 10, 15), decision="no_fault"
    )
    first, second, third = (complaint_figures(quarter=f"2024-25-Q{n}") for n in (1, 2, 3))
    assert (first["received"], first["stage1"]["responded"], first["ombudsman"]["referred"]) == (1, 1, 1)
    assert (second["received"], second["ombudsman"]["referred"], second["ombudsman"]["decided"]) == (0, 0, 0)
    assert (third["received"], third["ombudsman"]["decided"]) == (0, 1)
    assert third["ombudsman"]["decisions"]["no_fault"] == 1
