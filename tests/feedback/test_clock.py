"""The statutory clock: working days, deadlines, statuses and the register, through the
bank holidays that make it hard (Christmas and Boxing Day on weekends with their substitute
days, Easter, the one-off holidays)."""

import datetime as dt

import pytest

from feedback.complaints import clock
from feedback.complaints.clock import Facts

D = dt.date


@pytest.mark.parametrize(
    "day",
    [
        D(2022, 12, 26),  # Boxing Day, Monday
        D(2022, 12, 27),  # Christmas Day (Sunday) substitute, Tuesday
        D(2021, 12, 27),  # Christmas Day (Saturday) substitute
        D(2021, 12, 28),  # Boxing Day (Sunday) substitute
        D(2020, 12, 28),  # Boxing Day (Saturday) substitute
        D(2023, 1, 2),  # New Year's Day (Sunday) substitute
        D(2023, 4, 7),  # Good Friday
        D(2023, 4, 10),  # Easter Monday
        D(2022, 9, 19),  # the Queen's state funeral (one-off)
        D(2023, 5, 8),  # the coronation (one-off)
        D(2022, 6, 3),  # the Platinum Jubilee (one-off)
    ],
)
def test_bank_holidays_of_england_are_not_working_days(day):
    assert day.weekday() < 5
    assert not clock.is_working_day(day)


def test_weekends_are_not_working_days_and_an_ordinary_weekday_is():
    assert not clock.is_working_day(D(2024, 6, 8))  # Saturday
    assert not clock.is_working_day(D(2024, 6, 9))  # Sunday
    assert clock.is_working_day(D(2024, 6, 10))


def test_the_day_itself_never_counts():
    # Monday 10 June 2024: the 1st working day after is Tuesday.
    assert clock.working_days_after(D(2024, 6, 10), 1) == D(2024, 6, 11)
    # Friday: the 1st working day after is Monday.
    assert clock.working_days_after(D(2024, 6, 14), 1) == D(2024, 6, 17)
    # A complaint received on a Saturday: Monday is the first working day.
    assert clock.working_days_after(D(2024, 6, 15), 1) == D(2024, 6, 17)


def test_ten_working_days_in_an_ordinary_fortnight():
    assert clock.stage1_due(D(2024, 6, 10)) == D(2024, 6, 24)


def test_stage1_over_christmas_2022_skips_boxing_day_and_the_substitute_for_christmas():
    # Received Tuesday 20 Dec 2022: 21,22,23, (26,27 holidays), 28,29,30, (2 Jan holiday), 3,4,5,6.
    assert clock.stage1_due(D(2022, 12, 20)) == D(2023, 1, 6)


def test_stage1_over_christmas_2021_skips_both_substitute_days():
    # Received Friday 17 Dec 2021: 20..24 (5), (27,28 substitutes), 29,30,31 (8), (3 Jan substitute), 4, 5.
    assert clock.stage1_due(D(2021, 12, 17)) == D(2022, 1, 5)


def test_stage1_over_easter_2023_skips_good_friday_and_easter_monday():
    # Received Monday 3 April 2023: 4,5,6, (7 GF), (10 EM), 11,12,13,14,17,18,19.
    assert clock.stage1_due(D(2023, 4, 3)) == D(2023, 4, 19)


def test_the_state_funeral_and_the_coronation_are_skipped():
    # Friday 16 Sep 2022: (19 funeral) 20..23, 26..30 = 9, then 3 Oct.
    assert clock.stage1_due(D(2022, 9, 16)) == D(2022, 10, 3)
    # Friday 5 May 2023: (8 coronation) 9..12, 15..19 = 9, then 22 May.
    assert clock.stage1_due(D(2023, 5, 5)) == D(2023, 5, 22)


def test_an_extended_stage1_has_twenty_working_days():
    assert clock.stage1_due(D(2024, 6, 10), extended=True) == D(2024, 7, 8)


def test_stage2_has_twenty_five_or_sixty_five_working_days():
    assert clock.stage2_due(D(2024, 6, 10)) == D(2024, 7, 15)
    # 65 working days from Mon 10 June 2024, past the late summer bank holiday (26 Aug).
    assert clock.stage2_due(D(2024, 6, 10), extended=True) == D(2024, 9, 10)


def test_stage3_panel_within_thirty_and_response_within_fifteen():
    assert clock.stage3_panel_due(D(2024, 6, 10)) == D(2024, 7, 22)
    # Report Friday 20 Dec 2024: 23,24 (2), (25,26), 27,30,31 (5), (1 Jan), 2,3 (7), 6..10 (12), 13,14,15.
    assert clock.stage3_response_due(D(2024, 12, 20)) == D(2025, 1, 15)


def test_the_next_stage_window_is_twenty_working_days_after_the_response():
    assert clock.next_stage_by(D(2024, 6, 10)) == D(2024, 7, 8)


def test_working_days_between_is_the_inverse_of_working_days_after():
    start = D(2022, 12, 20)
    for n in range(1, 30):
        assert clock.working_days_between(start, clock.working_days_after(start, n)) == n


@pytest.mark.parametrize(
    ("responded", "today", "expected"),
    [
        (D(2024, 6, 24), D(2024, 7, 1), "on_time"),
        (D(2024, 6, 25), D(2024, 7, 1), "late"),
        (None, D(2024, 6, 24), "open"),
        (None, D(2024, 6, 25), "overdue"),
    ],
)
def test_a_stage_is_on_time_late_open_or_overdue(responded, today, expected):
    assert clock.status(started=True, due=D(2024, 6, 24), responded=responded, today=today) == expected


def test_a_stage_that_never_started_has_no_status():
    assert clock.status(started=False, due=None, responded=None, today=D(2024, 6, 24)) == ""


def test_the_register_of_a_new_complaint_is_stage_one_and_open():
    row = clock.register(Facts(received=D(2024, 6, 10)), D(2024, 6, 12)).row()
    assert row == {
        "stage": "1",
        "stage1_due": "2024-06-24",
        "stage1_status": "open",
        "stage2_due": "",
        "stage2_status": "",
        "stage3_panel_due": "",
        "stage3_response_due": "",
        "stage3_status": "",
        "next_stage_by": "",
    }


def test_an_extension_moves_the_stage1_deadline_and_keeps_it_open():
    facts = Facts(received=D(2024, 6, 10), stage1_extended=True)
    register = clock.register(facts, D(2024, 6, 25))
    assert register.stage1.due == D(2024, 7, 8)
    assert register.stage1.status == "open"
    assert clock.register(Facts(received=D(2024, 6, 10)), D(2024, 6, 25)).stage1.status == "overdue"


def test_a_response_opens_the_window_and_the_complaint_closes_when_it_passes():
    facts = Facts(received=D(2024, 6, 10), stage1_responded=D(2024, 6, 20))
    during = clock.register(facts, D(2024, 7, 18))
    assert during.stage == "1"
    assert during.stage1.status == "on_time"
    assert during.next_stage_by == D(2024, 7, 18)
    assert clock.register(facts, D(2024, 7, 19)).stage == "closed"


def test_events_after_the_as_of_day_are_ignored():
    facts = Facts(
        received=D(2024, 6, 10),
        stage1_responded=D(2024, 6, 28),
        stage2_requested=D(2024, 7, 2),
        stage2_responded=D(2024, 8, 1),
    )
    before_response = clock.register(facts, D(2024, 6, 27)).row()
    assert before_response["stage"] == "1"
    assert before_response["stage1_status"] == "overdue"
    assert before_response["stage2_due"] == ""
    assert before_response["next_stage_by"] == ""
    after_response = clock.register(facts, D(2024, 6, 28)).row()
    assert after_response["stage1_status"] == "late"
    assert after_response["next_stage_by"] == "2024-07-26"
    in_stage2 = clock.register(facts, D(2024, 7, 5)).row()
    assert in_stage2["stage"] == "2"
    assert in_stage2["stage2_due"] == "2024-08-06"
    assert in_stage2["stage2_status"] == "open"
    assert in_stage2["next_stage_by"] == ""


def test_an_extension_of_stage2_is_forgotten_before_stage2_started():
    facts = Facts(
        received=D(2024, 6, 10), stage1_responded=D(2024, 6, 20), stage2_requested=D(2024, 7, 1), stage2_extended=True
    )
    assert clock.register(facts, D(2024, 6, 25)).stage2.extended is False
    assert clock.register(facts, D(2024, 7, 1)).stage2.due == clock.stage2_due(D(2024, 7, 1), extended=True)


def test_stage3_is_judged_on_the_panel_until_the_report_then_on_the_trusts_response():
    facts = Facts(
        received=D(2024, 1, 8),
        stage1_responded=D(2024, 1, 19),
        stage2_requested=D(2024, 1, 29),
        stage2_responded=D(2024, 2, 29),
        stage3_requested=D(2024, 3, 4),
        stage3_panel=D(2024, 4, 10),
        stage3_report=D(2024, 4, 17),
        stage3_responded=D(2024, 5, 10),
    )
    panel_due = clock.stage3_panel_due(D(2024, 3, 4))
    # 30 working days from Monday 4 March 2024 skip Good Friday (29 Mar) and Easter Monday (1 Apr).
    assert panel_due == D(2024, 4, 17)
    waiting = clock.register(facts, D(2024, 4, 1)).row()
    assert waiting["stage"] == "3"
    assert waiting["stage3_panel_due"] == "2024-04-17"
    assert waiting["stage3_status"] == "open"
    assert waiting["stage3_response_due"] == ""
    after_panel = clock.register(facts, D(2024, 4, 12)).row()
    assert after_panel["stage3_status"] == "on_time"  # the panel met on time, no report yet
    after_report = clock.register(facts, D(2024, 4, 18)).row()
    assert after_report["stage3_response_due"] == "2024-05-09"
    assert after_report["stage3_status"] == "open"
    assert clock.register(facts, D(2024, 5, 10)).row()["stage3_status"] == "late"
    assert clock.register(facts, D(2024, 5, 10)).row()["next_stage_by"] == "2024-06-10"


def test_a_late_panel_is_late_and_a_missing_one_overdue():
    facts = Facts(
        received=D(2024, 1, 8),
        stage1_responded=D(2024, 1, 19),
        stage2_requested=D(2024, 1, 29),
        stage2_responded=D(2024, 2, 29),
        stage3_requested=D(2024, 3, 4),
    )
    assert clock.register(facts, D(2024, 4, 18)).stage3.status == "overdue"
    late = Facts(**{**facts.__dict__, "stage3_panel": D(2024, 4, 18)})
    assert clock.register(late, D(2024, 4, 19)).stage3.status == "late"


def test_the_ombudsman_holds_the_complaint_until_the_decision():
    facts = Facts(
        received=D(2024, 6, 10),
        stage1_responded=D(2024, 6, 20),
        ombudsman_referred=D(2024, 7, 1),
        ombudsman_decided=D(2024, 11, 1),
    )
    assert clock.register(facts, D(2024, 6, 30)).stage == "1"
    assert clock.register(facts, D(2024, 7, 1)).stage == "ombudsman"
    # Still with the Ombudsman long after the next-stage window passed.
    assert clock.register(facts, D(2024, 10, 31)).stage == "ombudsman"
    assert clock.register(facts, D(2024, 11, 1)).stage == "closed"


def test_escalation_needs_a_response_and_a_request_within_the_window():
    open_stage1 = Facts(received=D(2024, 6, 10))
    assert "no response" in clock.may_ask_next_stage(open_stage1, D(2024, 6, 12))
    responded = Facts(received=D(2024, 6, 10), stage1_responded=D(2024, 6, 20))
    assert clock.may_ask_next_stage(responded, D(2024, 6, 20)) is None
    assert clock.may_ask_next_stage(responded, D(2024, 7, 18)) is None
    assert "outside the window" in clock.may_ask_next_stage(responded, D(2024, 7, 19))
    assert "before the Stage 1 response" in clock.may_ask_next_stage(responded, D(2024, 6, 19))


def test_the_escalation_window_runs_over_christmas():
    # Stage 1 response Friday 13 Dec 2024: 16..20 (5), 23,24 (7), 27,30,31 (10), 2,3 (12), 6..10 (17), 13,14,15 (20).
    assert clock.next_stage_by(D(2024, 12, 13)) == D(2025, 1, 15)


def test_stage3_cannot_be_escalated_further():
    facts = Facts(
        received=D(2024, 1, 8),
        stage1_responded=D(2024, 1, 19),
        stage2_requested=D(2024, 1, 29),
        stage2_responded=D(2024, 2, 29),
        stage3_requested=D(2024, 3, 4),
        stage3_responded=D(2024, 5, 10),
    )
    assert "last stage" in clock.may_ask_next_stage(facts, D(2024, 5, 13))


def test_the_docs_show_the_text_limits_as_they_are():
    from pathlib import Path

    from feedback.limits import TEXT_LIMITS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "complaints.md").read_text()
    assert TEXT_LIMITS.markdown() in docs
