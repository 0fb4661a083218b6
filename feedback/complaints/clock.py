"""The statutory clock of complaints, in working days (docs/contracts/feedback-csv.md,
"The statutory clock"; docs/complaints.md has worked examples).

A working day is Monday to Friday except England's bank holidays, read from the `holidays`
package (a maintained calendar: substitute days and one-off holidays such as the 2022 state
funeral are in it), never from a typed list. A deadline of N working days from a date D is
the N-th working day after D; D itself never counts.

Everything here is a pure function of dates, so that the register, the pages, the figures
and the daily e-mail all read one clock, and the tests can walk it through any year.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, fields, replace

import holidays

STAGE1_DAYS = 10
STAGE1_EXTENDED_DAYS = 20
STAGE2_DAYS = 25
STAGE2_EXTENDED_DAYS = 65
STAGE3_PANEL_DAYS = 30
STAGE3_RESPONSE_DAYS = 15
NEXT_STAGE_WINDOW_DAYS = 20

# Stage statuses (the register's and the pages' words).
ON_TIME = "on_time"
LATE = "late"
OPEN = "open"
OVERDUE = "overdue"
STATUS_LABELS = {ON_TIME: "Met", LATE: "Late", OPEN: "Open", OVERDUE: "Overdue", "": ""}

# Where a complaint stands (the register's `stage`).
OMBUDSMAN = "ombudsman"
CLOSED = "closed"


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


@functools.lru_cache(maxsize=65536)
def working_days_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (`day` itself never counts). n is at least 1.
    Remembered per (day, n): a pure function of the calendar, and the quarter's figures ask
    it for every stage responded."""
    if n < 1:
        raise ValueError("a deadline is at least one working day")
    current = day
    counted = 0
    while counted < n:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days fall after `start` up to and including `end` (0 when end <= start):
    the inverse of working_days_after, for "due in N working days"."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


# --- Deadlines ----------------------------------------------------------------------------


def stage1_due(received: dt.date, *, extended: bool = False) -> dt.date:
    return working_days_after(received, STAGE1_EXTENDED_DAYS if extended else STAGE1_DAYS)


def stage2_due(requested: dt.date, *, extended: bool = False) -> dt.date:
    return working_days_after(requested, STAGE2_EXTENDED_DAYS if extended else STAGE2_DAYS)


def stage3_panel_due(requested: dt.date) -> dt.date:
    return working_days_after(requested, STAGE3_PANEL_DAYS)


def stage3_response_due(report: dt.date) -> dt.date:
    return working_days_after(report, STAGE3_RESPONSE_DAYS)


def next_stage_by(latest_response: dt.date) -> dt.date:
    """The last day the complainant may ask for the next stage (or the Ombudsman's
    look, by convention the same window) after the latest stage's response."""
    return working_days_after(latest_response, NEXT_STAGE_WINDOW_DAYS)


def status(*, started: bool, due: dt.date | None, responded: dt.date | None, today: dt.date) -> str:
    """A stage's status on `today`: on_time, late, open, overdue, or "" when it never started."""
    if not started or due is None:
        return ""
    if responded is not None:
        return ON_TIME if responded <= due else LATE
    return OPEN if today <= due else OVERDUE


# --- A complaint's clock ---------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the clock needs of a complaint: the contract's dates, and whether Stage 1 and 2
    were extended. Built from a Complaint (`facts_of`) or from a row of a log."""

    received: dt.date
    stage1_extended: bool = False
    stage1_responded: dt.date | None = None
    stage2_requested: dt.date | None = None
    stage2_extended: bool = False
    stage2_responded: dt.date | None = None
    stage3_requested: dt.date | None = None
    stage3_panel: dt.date | None = None
    stage3_report: dt.date | None = None
    stage3_responded: dt.date | None = None
    ombudsman_referred: dt.date | None = None
    ombudsman_decided: dt.date | None = None

    def as_of(self, day: dt.date) -> Facts:
        """These facts as they stood on `day`: every event dated after it is forgotten (an
        extension goes with the stage it belongs to)."""
        changes = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dt.date) and field.name != "received" and value > day:
                changes[field.name] = None
        facts = replace(self, **changes)
        if facts.stage2_requested is None:
            facts = replace(facts, stage2_extended=False)
        return facts


@dataclass(frozen=True)
class StageClock:
    """One stage on one day: when it started, its deadline, its response and status."""

    number: int
    started: dt.date | None
    due: dt.date | None
    responded: dt.date | None
    status: str
    extended: bool = False
    panel_due: dt.date | None = None  # Stage 3 only
    response_due: dt.date | None = None  # Stage 3 only, once there is a report

    @property
    def met(self) -> bool | None:
        """Whether the deadline was met: None until it is known."""
        return {ON_TIME: True, LATE: False, OVERDUE: False}.get(self.status)


@dataclass(frozen=True)
class Register:
    """A complaint as it stood on one day: the register's row."""

    stage: str  # "1", "2", "3", "ombudsman" or "closed"
    stage1: StageClock
    stage2: StageClock
    stage3: StageClock
    next_stage_by: dt.date | None

    @property
    def stages(self) -> tuple[StageClock, StageClock, StageClock]:
        return (self.stage1, self.stage2, self.stage3)

    @property
    def current(self) -> StageClock | None:
        """The stage whose clock is running (not responded), if any."""
        for stage in reversed(self.stages):
            if stage.started is not None:
                return stage if stage.status in (OPEN, OVERDUE) else None
        return None

    def row(self) -> dict[str, str]:
        """The contract's columns, as text (dates YYYY-MM-DD, empty where they do not apply)."""

        def text(value) -> str:
            return value.isoformat() if isinstance(value, dt.date) else (value or "")

        return {
            "stage": self.stage,
            "stage1_due": text(self.stage1.due),
            "stage1_status": self.stage1.status,
            "stage2_due": text(self.stage2.due),
            "stage2_status": self.stage2.status,
            "stage3_panel_due": text(self.stage3.panel_due),
            "stage3_response_due": text(self.stage3.response_due),
            "stage3_status": self.stage3.status,
            "next_stage_by": text(self.next_stage_by),
        }


REGISTER_COLUMNS = (
    "reference",
    "stage",
    "stage1_due",
    "stage1_status",
    "stage2_due",
    "stage2_status",
    "stage3_panel_due",
    "stage3_response_due",
    "stage3_status",
    "next_stage_by",
)


def stage1_clock(facts: Facts, today: dt.date) -> StageClock:
    due = stage1_due(facts.received, extended=facts.stage1_extended)
    return StageClock(
        number=1,
        started=facts.received,
        due=due,
        responded=facts.stage1_responded,
        status=status(started=True, due=due, responded=facts.stage1_responded, today=today),
        extended=facts.stage1_extended,
    )


def stage2_clock(facts: Facts, today: dt.date) -> StageClock:
    if facts.stage2_requested is None:
        return StageClock(number=2, started=None, due=None, responded=None, status="")
    due = stage2_due(facts.stage2_requested, extended=facts.stage2_extended)
    return StageClock(
        number=2,
        started=facts.stage2_requested,
        due=due,
        responded=facts.stage2_responded,
        status=status(started=True, due=due, responded=facts.stage2_responded, today=today),
        extended=facts.stage2_extended,
    )


def stage3_clock(facts: Facts, today: dt.date) -> StageClock:
    """Stage 3 is judged on the panel date until there is a report, then on the trust's response."""
    if facts.stage3_requested is None:
        return StageClock(number=3, started=None, due=None, responded=None, status="")
    panel_due = stage3_panel_due(facts.stage3_requested)
    if facts.stage3_report is not None:
        response_due = stage3_response_due(facts.stage3_report)
        due, done = response_due, facts.stage3_responded
    else:
        response_due = None
        due, done = panel_due, facts.stage3_panel
    return StageClock(
        number=3,
        started=facts.stage3_requested,
        due=due,
        responded=facts.stage3_responded,
        status=status(started=True, due=due, responded=done, today=today),
        panel_due=panel_due,
        response_due=response_due,
    )


def latest_stage(facts: Facts) -> int:
    if facts.stage3_requested is not None:
        return 3
    if facts.stage2_requested is not None:
        return 2
    return 1


def latest_response(facts: Facts) -> dt.date | None:
    """The response of the latest stage started, or None while it has none."""
    return {1: facts.stage1_responded, 2: facts.stage2_responded, 3: facts.stage3_responded}[latest_stage(facts)]


def register(facts: Facts, day: dt.date) -> Register:
    """The complaint as it stood on `day` (events dated after it ignored): the contract's
    register row, with each stage's clock."""
    facts = facts.as_of(day)
    response = latest_response(facts)
    window = next_stage_by(response) if response is not None else None
    if facts.ombudsman_referred is not None:
        stage = CLOSED if facts.ombudsman_decided is not None else OMBUDSMAN
    elif window is not None and day > window:
        stage = CLOSED
    else:
        stage = str(latest_stage(facts))
    return Register(
        stage=stage,
        stage1=stage1_clock(facts, day),
        stage2=stage2_clock(facts, day),
        stage3=stage3_clock(facts, day),
        next_stage_by=window,
    )


def may_ask_next_stage(facts: Facts, on: dt.date) -> str | None:
    """Why the next stage cannot be asked for on `on`, or None when it can: the latest stage
    must have its response, and the request must fall within its window."""
    stage = latest_stage(facts)
    if stage == 3:
        return "Stage 3 is the last stage of the procedure: refer to the Ombudsman instead"
    response = latest_response(facts)
    if response is None:
        return f"Stage {stage} has no response yet: record the response before escalating"
    if on < response:
        return f"The request is dated before the Stage {stage} response ({response:%d %B %Y})"
    window = next_stage_by(response)
    if on > window:
        return (
            f"The request is outside the window: the complainant could ask for Stage {stage + 1} "
            f"until {window:%d %B %Y} (20 working days after the Stage {stage} response)"
        )
    return None
