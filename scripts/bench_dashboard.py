"""`make bench`: the grade distribution and the leaders' dashboard at national scale, each
against hand-written SQL computing the same figures. Not part of `make test`.

    DATABASE_URL=sqlite:////tmp/pqa-bench.sqlite3 .venv/bin/python scripts/bench_dashboard.py --rows 100000
    DATABASE_URL=$PQA_SERVICES_PG_URL .venv/bin/python scripts/bench_dashboard.py --rows 100000 1000000

For each size it empties the evaluation and feedback tables, writes N evaluations over 40
quarters (two cycles a quarter, nine service areas, 90% returned) with their four pillar
grades, a confirmed moderation (with its pillar grades) for one returned evaluation in ten,
and a recommendation for one in four, and, in proportion, complaints (stages, responses,
outcomes, themes, the Ombudsman), compliments, child and family feedback responses and
advocacy referrals (PER_EVALUATION), straight into the database: COPY on PostgreSQL,
executemany in large transactions on SQLite. Then, in this process on the same connection:

(a) it checks that evaluations.selectors.grade_distribution for one quarter gives exactly the
    figures of the hand-written SQL (two shapes of ONE statement each), that the dashboard's
    selector gives those of the dashboard's hand-written statements, and that
    feedback.figures.feedback_figures gives those of the feedback statements (PARTS);
(b) it times, in turns (median of --repeat rounds after one warm-up), the distribution
    against its bare statements, and GET /pqa/dashboard/?quarter=Q through Django's test
    client as a leader (session, menu, template and all) against the bare statements of what
    the page shows (the feedback part once pqa.reporting.dashboard.FEEDBACK_PANELS has any).
    The bare time is the faster bare shape. docs/benchmarks.md has the method and figures.
"""

# ruff: noqa: S608 -- the SQL here is built from table names and choice values, never from input

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from evaluations.models import (  # noqa: E402
    Answer,
    Cycle,
    CycleType,
    Evaluation,
    FathersIncluded,
    Grade,
    HeadlineQuestion,
    ModeratedPillarGrade,
    Moderation,
    Pillar,
    PillarGrade,
    Recommendation,
)
from evaluations.selectors import dashboard_figures, grade_distribution  # noqa: E402
from feedback.complaints import clock  # noqa: E402
from feedback.figures import feedback_figures  # noqa: E402
from feedback.models import (  # noqa: E402
    STANDARD_QUESTIONS,
    AdvocacyReferral,
    AdvocacySource,
    Complainant,
    Complaint,
    ComplaintStage,
    ComplaintTheme,
    Compliment,
    ComplimentFrom,
    FeedbackAnswer,
    FeedbackRespondent,
    FeedbackResponse,
    FeedbackSource,
    HowReceived,
    OmbudsmanDecision,
    Outcome,
    Procedure,
    Rating,
    Theme,
)
from pqa.models import Role, ServiceArea, Team, User  # noqa: E402
from pqa.quarters import Quarter  # noqa: E402
from pqa.reporting import dashboard as dashboard_view  # noqa: E402

QUARTER_COUNT = 40
SERVICE_AREAS = 9
TEAMS_PER_AREA = 3
TREND = 8
Status = Evaluation.Status
CONFIRMED = Moderation.State.CONFIRMED
GRADES = Grade.values
ANSWERS = Answer.values
OUTCOMES = Moderation.Outcome.values


def quarters() -> list[str]:
    """40 quarters ending with 2025-26-Q4, oldest first."""
    found, year, number = [], 2025, 4
    while len(found) < QUARTER_COUNT:
        found.append(f"{year}-{(year + 1) % 100:02d}-Q{number}")
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return found[::-1]


# --- Writing the data --------------------------------------------------------------------


def _fields(model, values: dict) -> list:
    """The concrete fields, less an automatic primary key not given (the database numbers it)."""
    return [field for field in model._meta.concrete_fields if not (field.primary_key and field.attname not in values)]


def _columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column of `model` with `values` or its default (auto dates: now)."""
    now = timezone.now()
    names, defaults = [], []
    for field in _fields(model, values):
        names.append(field.column)
        if field.attname in values:
            defaults.append(values[field.attname])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults.append(now)
        else:
            defaults.append(field.get_default())
    return names, defaults


def _sqlite_value(value):
    """As Django stores it on SQLite: an aware datetime as naive UTC text."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Writer:
    """Rows straight into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, model, varying: list[str], fixed: dict):
        self.model = model
        columns, defaults = _columns(model, {**dict.fromkeys(varying), **fixed})
        attnames = [field.attname for field in _fields(model, {**dict.fromkeys(varying), **fixed})]
        self.columns = columns
        self.template = defaults
        self.positions = [attnames.index(name) for name in varying]
        self.rows: list[tuple] = []

    def add(self, *values) -> None:
        row = list(self.template)
        for position, value in zip(self.positions, values, strict=True):
            row[position] = value
        self.rows.append(tuple(row))
        if len(self.rows) >= 50_000:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = self.model._meta.db_table
        connection.ensure_connection()
        raw = connection.connection
        if connection.vendor == "postgresql":
            columns = ", ".join(self.columns)
            with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in self.columns)
            raw.executemany(
                f'INSERT INTO "{table}" ({", ".join(self.columns)}) VALUES ({marks})',
                [tuple(map(_sqlite_value, row)) for row in self.rows],
            )
        self.rows = []


def empty_tables() -> None:
    models = [
        ModeratedPillarGrade,
        Moderation,
        PillarGrade,
        Recommendation,
        Evaluation,
        Cycle,
        ComplaintTheme,
        ComplaintStage,
        Complaint,
        Compliment,
        FeedbackResponse,
        AdvocacyReferral,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{model._meta.db_table}"' for model in models)
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        else:
            for model in models:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')


def generate(rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    evaluator, _ = User.objects.get_or_create(
        username="bench-evaluator", defaults={"role": Role.EVALUATOR, "email": "bench@example.org"}
    )
    teams = []
    for area_number in range(SERVICE_AREAS):
        area, _ = ServiceArea.objects.get_or_create(name=f"Bench service {area_number + 1}")
        for team_number in range(TEAMS_PER_AREA):
            teams.append(Team.objects.get_or_create(service_area=area, name=f"Bench team {team_number + 1}")[0])
    team_ids = [team.pk for team in teams]
    empty_tables()
    cycles = []
    for quarter in quarters():
        for type in (CycleType.TRUST_WIDE, CycleType.SERVICE):
            cycles.append(
                Cycle.objects.create(quarter=quarter, type=type, title="Bench", status=Cycle.Status.CLOSED).pk
            )
    per_cycle = rows // len(cycles)
    today = dt.date(2026, 1, 15)
    evaluations = Writer(
        Evaluation,
        [
            "id",
            "reference",
            "cycle_id",
            "team_id",
            "child_ref",
            "status",
            "overall_grade",
            *HeadlineQuestion.values,
            "edi_considered",
            "fathers_included",
            "safeguarding_concern",
            "safeguarding_reported_at",
        ],
        {"evaluator_id": evaluator.pk, "due_date": today, "evaluation_date": today},
    )
    pillars = Writer(PillarGrade, ["evaluation_id", "pillar", "grade"], {})
    moderations = Writer(
        Moderation,
        ["id", "evaluation_id", "moderated_grade", "outcome"],
        {"state": CONFIRMED, "confirmed_at": timezone.now()},
    )
    moderated_pillars = Writer(ModeratedPillarGrade, ["moderation_id", "pillar", "grade", "outcome"], {})
    recommendations = Writer(
        Recommendation, ["evaluation_id", "status", "due_date", "revisit_found_done"], {"action": "Update the plan"}
    )
    grade_weights = [10, 50, 33, 7]
    started = time.perf_counter()
    with transaction.atomic():
        pk = moderation_pk = 0
        for cycle in cycles:
            for _ in range(per_cycle):
                pk += 1
                returned = rng.random() < 0.9
                grade = rng.choices(GRADES, grade_weights)[0] if returned else ""
                answers = [rng.choice(ANSWERS) if returned else "" for _ in range(4)]
                concern = returned and rng.random() < 0.02
                evaluations.add(
                    pk,
                    f"BENCH-{pk:07d}",
                    cycle,
                    team_ids[pk % len(team_ids)],
                    f"BC{pk:07d}",
                    Status.RETURNED if returned else Status.NOT_RETURNED,
                    grade,
                    *answers,
                    rng.choice(FathersIncluded.values) if returned else "",
                    concern,
                    timezone.now() if concern else None,
                )
                if not returned:
                    continue
                for pillar in Pillar.values:
                    pillars.add(pk, pillar, rng.choices(GRADES, grade_weights)[0])
                if pk % 10 == 0:
                    moderation_pk += 1
                    outcome = rng.choices(OUTCOMES, [80, 12, 8])[0]
                    rank = GRADES.index(grade)
                    moved = {"agreed": rank, "upgraded": max(rank - 1, 0), "downgraded": min(rank + 1, 3)}[outcome]
                    moderations.add(moderation_pk, pk, GRADES[moved], outcome)
                    for pillar in Pillar.values:
                        moderated_pillars.add(
                            moderation_pk, pillar, GRADES[moved], rng.choices(OUTCOMES, [80, 12, 8])[0]
                        )
                if pk % 4 == 0:
                    status = rng.choice(Recommendation.Status.values)
                    recommendations.add(
                        pk, status, today + dt.timedelta(days=rng.randint(-200, 200)), rng.choice([None, True, False])
                    )
        # The parents first: on SQLite the foreign keys are checked at the end of the transaction anyway.
        for writer in (evaluations, pillars, moderations, moderated_pillars, recommendations):
            writer.flush()
        feedback = generate_feedback(rows, rng, teams)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Evaluation, Moderation, Complaint):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                )
        # What autovacuum does on a live database soon after a bulk load: the visibility map
        # lets PostgreSQL answer from a covering index alone, and the statistics plan the queries.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"  wrote {pk:,} evaluations and {', '.join(f'{n:,} {kind}' for kind, n in feedback.items())} "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )


# Complaints and the voice of children and families, per evaluation written: a trust of this
# size logs about one complaint for every 20 evaluations, a compliment for every 25, a
# feedback response for every 5 and an advocacy referral for every 25.
PER_EVALUATION = {"complaints": 1 / 20, "compliments": 1 / 25, "responses": 1 / 5, "advocacy": 1 / 25}


def generate_feedback(rows: int, rng: random.Random, teams: list[Team]) -> dict[str, int]:
    """Complaints (stages 1 to 3 with responses, outcomes and extensions; themes; Ombudsman
    referrals and decisions), compliments, child and family feedback responses and advocacy
    referrals, over the 40 quarters' dates, proportional to `rows`. Straight into the database."""
    first, last = Quarter.parse(quarters()[0]).start, Quarter.parse(quarters()[-1]).end
    span = (last - first).days + 1

    def day() -> dt.date:
        return first + dt.timedelta(days=rng.randrange(span))

    def some(values: list[str], blank: float = 0.0) -> str:
        return "" if blank and rng.random() < blank else rng.choice(values)

    areas = [(team.service_area_id, team.pk) for team in teams]
    complaints = Writer(
        Complaint,
        [
            "id",
            "reference",
            "received",
            "how_received",
            "complainant",
            "procedure",
            "service_area_id",
            "team_id",
            "ombudsman_referred",
            "ombudsman_decided",
            "ombudsman_decision",
        ],
        {},
    )
    stages = Writer(
        ComplaintStage,
        ["complaint_id", "number", "requested", "extension_reason", "responded", "outcome", "panel", "report"],
        {},
    )
    themes = Writer(ComplaintTheme, ["complaint_id", "theme"], {})
    # Outcomes weighted as trusts' logs show them: mostly not upheld.
    outcomes = [Outcome.NOT_UPHELD] * 5 + [Outcome.PARTLY_UPHELD] * 3 + [Outcome.UPHELD] * 2 + [Outcome.WITHDRAWN]
    complainants = [Complainant.PARENT_CARER] * 12 + [c for c in Complainant.values if c != Complainant.PARENT_CARER]
    counted = dict.fromkeys(("complaints", "stages", "themes", "compliments", "responses", "advocacy"), 0)

    def stage(pk: int, number: int, requested: dt.date, *, extendable: bool) -> dt.date | None:
        """Write one stage; its response date (None while it has none)."""
        reason = "Complex: more time agreed" if extendable and rng.random() < 0.15 else ""
        responded = requested + dt.timedelta(days=rng.randint(2, 95 if number > 1 else 35))
        if rng.random() < 0.05:
            responded = None
        panel = report = None
        if number == 3:
            panel = requested + dt.timedelta(days=rng.randint(15, 60)) if rng.random() < 0.9 else None
            report = panel + dt.timedelta(days=rng.randint(1, 10)) if panel and rng.random() < 0.9 else None
            responded = report + dt.timedelta(days=rng.randint(5, 30)) if report else None
        outcome = rng.choice(outcomes) if responded and rng.random() < 0.95 else ""
        stages.add(pk, number, requested, reason, responded, outcome, panel, report)
        counted["stages"] += 1
        return responded

    for pk in range(1, round(rows * PER_EVALUATION["complaints"]) + 1):
        received = day()
        area, team = rng.choice(areas)
        latest = stage(pk, 1, received, extendable=True)
        if latest and rng.random() < 0.12:
            latest = stage(pk, 2, latest + dt.timedelta(days=rng.randint(1, 25)), extendable=True)
            if latest and rng.random() < 0.25:
                latest = stage(pk, 3, latest + dt.timedelta(days=rng.randint(1, 25)), extendable=False)
        referred = decided = None
        decision = ""
        if latest and rng.random() < 0.03:
            referred = latest + dt.timedelta(days=rng.randint(5, 60))
            if rng.random() < 0.8:
                decided = referred + dt.timedelta(days=rng.randint(30, 200))
                decision = rng.choice(OmbudsmanDecision.values)
        complaints.add(
            pk,
            f"BENCH-C-{pk:07d}",
            received,
            some(HowReceived.values),
            rng.choice(complainants),
            Procedure.STATUTORY if rng.random() < 0.7 else Procedure.CORPORATE,
            area,
            team if rng.random() < 0.8 else None,
            referred,
            decided,
            decision,
        )
        for theme in rng.sample(Theme.values, rng.choice((1, 1, 2, 2, 3))):
            themes.add(pk, theme)
            counted["themes"] += 1
        counted["complaints"] += 1
    compliments = Writer(Compliment, ["reference", "received", "from_whom", "service_area_id", "team_id"], {})
    for pk in range(1, round(rows * PER_EVALUATION["compliments"]) + 1):
        area, team = rng.choice(areas)
        compliments.add(f"BENCH-K-{pk:07d}", day(), rng.choice(ComplimentFrom.values), area, team)
        counted["compliments"] += 1
    questions = [field for field, _ in STANDARD_QUESTIONS]
    responses = Writer(
        FeedbackResponse,
        ["reference", "date", "source", "respondent", "service_area_id", "team_id", *questions, "rating"],
        {},
    )
    for pk in range(1, round(rows * PER_EVALUATION["responses"]) + 1):
        area, team = rng.choice(areas)
        responses.add(
            f"BENCH-F-{pk:07d}",
            day(),
            rng.choice(FeedbackSource.values),
            rng.choice(FeedbackRespondent.values),
            area,
            team if rng.random() < 0.7 else None,
            *(some(FeedbackAnswer.values, blank=0.1) for _ in questions),
            some(Rating.values, blank=0.2),
        )
        counted["responses"] += 1
    advocacy = Writer(AdvocacyReferral, ["reference", "date", "source", "service_area_id"], {})
    for pk in range(1, round(rows * PER_EVALUATION["advocacy"]) + 1):
        advocacy.add(f"BENCH-A-{pk:07d}", day(), rng.choice(AdvocacySource.values), rng.choice(areas)[0])
        counted["advocacy"] += 1
    for writer in (complaints, stages, themes, compliments, responses, advocacy):
        writer.flush()
    return counted


# --- The bare SQL ----------------------------------------------------------------------------

T = {
    "evaluation": Evaluation._meta.db_table,
    "cycle": Cycle._meta.db_table,
    "pillar": PillarGrade._meta.db_table,
    "moderation": Moderation._meta.db_table,
    "modpillar": ModeratedPillarGrade._meta.db_table,
    "recommendation": Recommendation._meta.db_table,
    "team": Team._meta.db_table,
    "area": ServiceArea._meta.db_table,
}
FINAL = f"CASE WHEN m.state = '{CONFIRMED}' THEN m.moderated_grade ELSE e.overall_grade END"
QUESTIONS = [*HeadlineQuestion.values, "edi_considered", "fathers_included"]


def distribution_sql() -> str:
    """One statement: the quarter's evaluations once (a CTE), grouped several ways."""
    completed = f"status = '{Status.RETURNED}'"
    parts = [
        "SELECT 'status', status, '', COUNT(*) FROM scope GROUP BY status",
        f"SELECT 'evaluator', overall_grade, '', COUNT(*) FROM scope WHERE {completed} GROUP BY overall_grade",
        f"SELECT 'final', final, '', COUNT(*) FROM scope WHERE {completed} GROUP BY final",
        f"SELECT 'moderation', outcome, '', COUNT(*) FROM scope WHERE {completed} AND state = '{CONFIRMED}' "
        "GROUP BY outcome",
        *(
            f"SELECT '{question}', {question}, '', COUNT(*) FROM scope WHERE {completed} GROUP BY {question}"
            for question in HeadlineQuestion.values
        ),
        f"SELECT 'pillar', p.pillar, p.grade, COUNT(*) FROM {T['pillar']} p JOIN scope s ON s.id = p.evaluation_id "
        f"WHERE s.{completed} GROUP BY p.pillar, p.grade",
        f"SELECT 'modpillar', mp.pillar, mp.outcome, COUNT(*) FROM {T['modpillar']} mp "
        f"JOIN scope s ON s.moderation_id = mp.moderation_id WHERE s.{completed} AND s.state = '{CONFIRMED}' "
        "GROUP BY mp.pillar, mp.outcome",
    ]
    questions = ", ".join(f"e.{question}" for question in HeadlineQuestion.values)
    return (
        f"WITH scope AS (SELECT e.id, e.status, e.overall_grade, {questions}, "
        f"m.id AS moderation_id, m.state, m.outcome, {FINAL} AS final "
        f"FROM {T['evaluation']} e JOIN {T['cycle']} c ON c.id = e.cycle_id "
        f"LEFT JOIN {T['moderation']} m ON m.evaluation_id = e.id WHERE c.quarter = %s) " + " UNION ALL ".join(parts)
    )


def _grouped_evaluations(key: str, questions: list[str], *, where: str, safeguarding: bool = False) -> str:
    """The evaluations grouped by the columns that decide their place in every count (a few
    dozen groups), with the answers counted per group: the shape evaluations.selectors uses."""
    sums = [_sum(f"e.{question} = '{answer}'") for question in questions for answer in _answers(question)]
    if safeguarding:
        sums.append(_sum("e.safeguarding_concern"))
    return (
        f"SELECT {key}, e.status, e.overall_grade, m.state, m.moderated_grade, m.outcome, COUNT(*), {', '.join(sums)} "
        f"FROM {T['evaluation']} e JOIN {T['cycle']} c ON c.id = e.cycle_id "
        f"LEFT JOIN {T['moderation']} m ON m.evaluation_id = e.id WHERE {where} "
        f"GROUP BY {'' if key.startswith(chr(39)) else key + ', '}"
        "e.status, e.overall_grade, m.state, m.moderated_grade, m.outcome"
    )


def _answers(question: str) -> list[str]:
    return FathersIncluded.values if question == "fathers_included" else ANSWERS


def _fold(rows, questions: list[str], *, safeguarding: bool = False) -> dict:
    """Grouped rows (key, status, grade, state, moderated grade, outcome, n, answer counts...)
    summed per key into the figures the selectors give."""
    found: dict = {}
    for key, status, grade, state, moderated_grade, outcome, n, *answers in rows:
        f = found.setdefault(
            key,
            {
                "completed": 0,
                "not_returned": 0,
                "still_out": 0,
                "moderated": 0,
                "safeguarding": 0,
                "evaluator": dict.fromkeys(GRADES, 0),
                "final": dict.fromkeys(GRADES, 0),
                "outcomes": dict.fromkeys(OUTCOMES, 0),
                "questions": {q: dict.fromkeys(_answers(q), 0) for q in questions},
            },
        )
        if safeguarding:
            f["safeguarding"] += answers.pop()
        if status == Status.NOT_RETURNED:
            f["not_returned"] += n
        elif status in (Status.ALLOCATED, Status.IN_PROGRESS):
            f["still_out"] += n
        if status != Status.RETURNED:
            continue
        f["completed"] += n
        if grade in GRADES:
            f["evaluator"][grade] += n
        final = moderated_grade if state == CONFIRMED else grade
        if final in GRADES:
            f["final"][final] += n
        if state == CONFIRMED:
            f["moderated"] += n
            if outcome in OUTCOMES:
                f["outcomes"][outcome] += n
        counts = iter(answers)
        for q in questions:
            for a in _answers(q):
                f["questions"][q][a] += next(counts)
    return found


def distribution_grouped_sql() -> str:
    """One statement, the other shape: the evaluations grouped by what decides every count,
    the pillar grades and moderated pillars joined straight to them (UNION ALL)."""
    questions = HeadlineQuestion.values
    pad = ", ".join(["NULL"] * 3)
    zeros = ", ".join(["0"] * (len(questions) * len(ANSWERS)))
    completed = f"e.status = '{Status.RETURNED}'"
    joined = f"JOIN {T['evaluation']} e ON e.id = {{}} JOIN {T['cycle']} c ON c.id = e.cycle_id"
    return " UNION ALL ".join(
        [
            _grouped_evaluations("'evaluation'", questions, where="c.quarter = %s"),
            f"SELECT 'pillar', p.pillar, p.grade, {pad}, COUNT(*), {zeros} FROM {T['pillar']} p "
            f"{joined.format('p.evaluation_id')} WHERE c.quarter = %s AND {completed} GROUP BY p.pillar, p.grade",
            f"SELECT 'modpillar', mp.pillar, mp.outcome, {pad}, COUNT(*), {zeros} FROM {T['modpillar']} mp "
            f"JOIN {T['moderation']} m ON m.id = mp.moderation_id {joined.format('m.evaluation_id')} "
            f"WHERE c.quarter = %s AND {completed} AND m.state = '{CONFIRMED}' GROUP BY mp.pillar, mp.outcome",
        ]
    )


def bare_distribution_grouped(quarter: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(distribution_grouped_sql(), [quarter] * 3)
        rows = cursor.fetchall()
    questions = HeadlineQuestion.values
    f = _fold([row for row in rows if row[0] == "evaluation"], questions).get("evaluation")
    pillars = {p: dict.fromkeys(GRADES, 0) for p in Pillar.values}
    by_pillar = {p: {"moderated": 0, **dict.fromkeys(OUTCOMES, 0)} for p in Pillar.values}
    for kind, pillar, value, _, _, _, n, *_ in rows:
        if kind == "pillar" and value in GRADES:
            pillars[pillar][value] += n
        elif kind == "modpillar" and value in OUTCOMES:
            by_pillar[pillar][value] += n
            by_pillar[pillar]["moderated"] += n
    return {
        "completed": f["completed"],
        "allocated": f["completed"] + f["not_returned"],
        "evaluator": f["evaluator"],
        "final": f["final"],
        "moderated": f["moderated"],
        "outcomes": f["outcomes"],
        "questions": f["questions"],
        "pillars": pillars,
        "by_pillar": by_pillar,
    }


def bare_distribution(quarter: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(distribution_sql(), [quarter])
        rows = cursor.fetchall()
    found: dict = {}
    for kind, key, key2, count in rows:
        found[(kind, key, key2)] = count

    def get(kind: str, key: str, key2: str = "") -> int:
        return found.get((kind, key, key2), 0)

    moderated = sum(count for (kind, _, _), count in found.items() if kind == "moderation")
    by_pillar = {}
    for pillar in Pillar.values:
        figures = {outcome: get("modpillar", pillar, outcome) for outcome in OUTCOMES}
        by_pillar[pillar] = {"moderated": sum(figures.values()), **figures}
    return {
        "completed": get("status", Status.RETURNED),
        "allocated": get("status", Status.RETURNED) + get("status", Status.NOT_RETURNED),
        "evaluator": {grade: get("evaluator", grade, "") for grade in GRADES},
        "final": {grade: get("final", grade, "") for grade in GRADES},
        "moderated": moderated,
        "outcomes": {outcome: get("moderation", outcome, "") for outcome in OUTCOMES},
        "questions": {q: {a: get(q, a, "") for a in ANSWERS} for q in HeadlineQuestion.values},
        "pillars": {p: {g: get("pillar", p, g) for g in GRADES} for p in Pillar.values},
        "by_pillar": by_pillar,
    }


def from_selector(data: dict) -> dict:
    return {
        "completed": data["completed"],
        "allocated": data["allocated"],
        "evaluator": data["overall"]["evaluator"],
        "final": data["overall"]["final"],
        "moderated": data["moderation"]["moderated"],
        "outcomes": {outcome: data["moderation"][outcome] for outcome in OUTCOMES},
        "questions": {q: data[q] for q in HeadlineQuestion.values},
        "pillars": data["pillars"],
        "by_pillar": {
            p: {k: v for k, v in figures.items() if k != "agreement_rate"}
            for p, figures in data["moderation"]["by_pillar"].items()
        },
    }


def _sum(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def evaluation_statements(trend: list[str], quarter: str, shape: str) -> dict[str, tuple[str, list]]:
    """The dashboard's evaluation figure sets, each one hand-written statement for every quarter
    at once. The per-quarter counts in one of two shapes: "sums" (a conditional sum per figure,
    grouped by quarter) or "grouped" (grouped by what decides every count, summed by _fold)."""
    marks = ", ".join(["%s"] * len(trend))
    completed = f"e.status = '{Status.RETURNED}'"
    columns = [
        _sum(completed),
        _sum(f"e.status = '{Status.NOT_RETURNED}'"),
        _sum(f"e.status IN ('{Status.ALLOCATED}', '{Status.IN_PROGRESS}')"),
        _sum(f"{completed} AND m.state = '{CONFIRMED}'"),
        _sum("e.safeguarding_concern"),
        *(_sum(f"{completed} AND e.overall_grade = '{grade}'") for grade in GRADES),
        *(_sum(f"{completed} AND {FINAL} = '{grade}'") for grade in GRADES),
        *(_sum(f"{completed} AND m.state = '{CONFIRMED}' AND m.outcome = '{o}'") for o in OUTCOMES),
        *(_sum(f"{completed} AND e.{q} = '{a}'") for q in QUESTIONS[:-1] for a in ANSWERS),
        *(_sum(f"{completed} AND e.fathers_included = '{a}'") for a in FathersIncluded.values),
    ]
    base = (
        f"FROM {T['evaluation']} e JOIN {T['cycle']} c ON c.id = e.cycle_id "
        f"LEFT JOIN {T['moderation']} m ON m.evaluation_id = e.id"
    )
    active = _sum("r.status IN ('open', 'in_progress')")
    overdue = _sum("r.status IN ('open', 'in_progress') AND r.due_date < %s")
    done, not_achieved = _sum("r.status = 'done'"), _sum("r.status = 'not_achieved'")
    verified = _sum("r.revisit_found_done")
    statements = {
        "quarters": (f"SELECT DISTINCT quarter FROM {T['cycle']} ORDER BY quarter DESC", []),
        "per_quarter": (
            f"SELECT c.quarter, {', '.join(columns)} {base} WHERE c.quarter IN ({marks}) GROUP BY c.quarter"
            if shape == "sums"
            else _grouped_evaluations("c.quarter", QUESTIONS, where=f"c.quarter IN ({marks})", safeguarding=True),
            trend,
        ),
        "pillars": (
            f"SELECT c.quarter, p.pillar, p.grade, COUNT(*) FROM {T['pillar']} p "
            f"JOIN {T['evaluation']} e ON e.id = p.evaluation_id JOIN {T['cycle']} c ON c.id = e.cycle_id "
            f"WHERE c.quarter IN ({marks}) AND {completed} GROUP BY c.quarter, p.pillar, p.grade",
            trend,
        ),
        "areas": (
            f"SELECT a.name, {FINAL}, COUNT(*) {base} JOIN {T['team']} t ON t.id = e.team_id "
            f"JOIN {T['area']} a ON a.id = t.service_area_id WHERE c.quarter = %s AND {completed} GROUP BY 1, 2",
            [quarter],
        ),
        "types": (
            f"SELECT c.type, {FINAL}, COUNT(*) {base} WHERE c.quarter = %s AND {completed} GROUP BY 1, 2",
            [quarter],
        ),
        "recommendations": (
            f"SELECT c.quarter, COUNT(*), {active}, {overdue}, {done}, {not_achieved}, {verified} "
            f"FROM {T['recommendation']} r "
            f"JOIN {T['evaluation']} e ON e.id = r.evaluation_id JOIN {T['cycle']} c ON c.id = e.cycle_id "
            f"WHERE c.quarter IN ({marks}) GROUP BY c.quarter",
            [timezone.localdate(), *trend],
        ),
        "open": (f"SELECT DISTINCT quarter FROM {T['cycle']} WHERE status = 'open' AND quarter IN ({marks})", trend),
        "revisits": (
            f"SELECT COUNT(*), {_sum(completed)} FROM {T['evaluation']} e JOIN {T['cycle']} c ON c.id = e.cycle_id "
            "WHERE c.quarter = %s AND e.revisit_of_id IS NOT NULL",
            [quarter],
        ),
    }
    return statements


def check_evaluations(found: dict, trend: list[str], quarter: str) -> None:
    """The bare rows equal what evaluations.selectors.dashboard_figures returns."""
    figures = dashboard_figures(quarters=trend, quarter=quarter)
    if isinstance(found["per_quarter"], dict):  # the grouped shape, folded
        for q, bare in found["per_quarter"].items():
            mine = figures["quarters"][q]
            assert bare == {
                **{k: mine[k] for k in ("completed", "not_returned", "still_out", "moderated", "safeguarding")},
                "evaluator": mine["evaluator"],
                "final": mine["final"],
                "outcomes": {o: mine["moderation"][o] for o in OUTCOMES},
                "questions": {question: mine[question] for question in QUESTIONS},
            }, q
        found = {**found, "per_quarter": []}
    for row in found["per_quarter"]:
        q, completed, not_returned, still_out, moderated, safeguarding, *rest = row
        mine = figures["quarters"][q]
        assert (completed, not_returned, still_out, moderated, safeguarding) == (
            mine["completed"],
            mine["not_returned"],
            mine["still_out"],
            mine["moderated"],
            mine["safeguarding"],
        ), q
        assert list(rest[:4]) == [mine["evaluator"][g] for g in GRADES], q
        assert list(rest[4:8]) == [mine["final"][g] for g in GRADES], q
        assert list(rest[8:11]) == [mine["moderation"][o] for o in OUTCOMES], q
        answers = iter(rest[11:])
        assert {question: {a: next(answers) for a in _answers(question)} for question in QUESTIONS} == {
            question: mine[question] for question in QUESTIONS
        }, q
    for q, pillar, grade, count in found["pillars"]:
        assert figures["pillars"][q][pillar][grade] == count
    for name, grade, count in found["areas"]:
        assert figures["by_service_area"][name][grade] == count
    for type, grade, count in found["types"]:
        assert figures["by_type"][type][grade] == count
    for q, raised, open, overdue, done, not_achieved, verified in found["recommendations"]:
        mine = figures["recommendations"][q]
        assert (raised, open, overdue, done, not_achieved, verified) == tuple(
            mine[k] for k in ("raised", "open", "overdue", "done", "not_achieved", "verified")
        )


# The feedback figures (feedback.figures.feedback_figures, complaints from
# feedback.complaints.selectors.complaint_figures): one statement for complaints, stages and
# themes, one for compliments, responses and advocacy referrals, per quarter shown.

F = {
    "complaint": Complaint._meta.db_table,
    "stage": ComplaintStage._meta.db_table,
    "theme": ComplaintTheme._meta.db_table,
    "compliment": Compliment._meta.db_table,
    "response": FeedbackResponse._meta.db_table,
    "advocacy": AdvocacyReferral._meta.db_table,
    "calendar": "bench_working_days",
}


def create_calendar() -> None:
    """The statutory clock's working days as a date table, read from the same calendar as
    feedback.complaints.clock (England's bank holidays): for each day, how many working days
    fall before it and up to it. The N-th working day after D is on or after a response R
    exactly when fewer than N working days fall after D and before R:
    calendar(R).before - calendar(D).upto < N."""
    first, last = dt.date(2010, 1, 1), dt.date(2035, 12, 31)
    rows, upto, day = [], 0, first
    while day <= last:
        before = upto
        upto += clock.is_working_day(day)
        rows.append((day, before, upto))
        day += dt.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {F['calendar']}")
        cursor.execute(f"CREATE TABLE {F['calendar']} (day date PRIMARY KEY, before_n integer, upto_n integer)")
        cursor.executemany(f"INSERT INTO {F['calendar']} VALUES (%s, %s, %s)", rows)


def _on_time() -> str:
    """Whether a responded stage met its deadline (feedback.complaints.clock), in SQL: Stage 1
    from the complaint's receipt, 10 working days (20 extended); Stage 2 from its request, 25
    (65 extended); Stage 3 on the panel (30 from the request) until there is a report, then on
    the response (15 from the report)."""
    extended = "s.extension_reason <> ''"
    limit = (
        f"CASE WHEN s.number = 1 THEN CASE WHEN {extended} THEN {clock.STAGE1_EXTENDED_DAYS} "
        f"ELSE {clock.STAGE1_DAYS} END "
        f"WHEN s.number = 2 THEN CASE WHEN {extended} THEN {clock.STAGE2_EXTENDED_DAYS} ELSE {clock.STAGE2_DAYS} END "
        f"WHEN s.report IS NULL THEN {clock.STAGE3_PANEL_DAYS} ELSE {clock.STAGE3_RESPONSE_DAYS} END"
    )
    return f"CASE WHEN done.before_n - start.upto_n < {limit} THEN 1 ELSE 0 END"


def feedback_statements(quarter: str) -> dict[str, tuple[str, list]]:
    """A quarter's feedback figures in two statements of (kind, key, key2, count, on time) rows."""
    period = Quarter.parse(quarter)
    within = [period.start, period.end]
    complaints = " UNION ALL ".join(
        [
            f"SELECT 'received', complainant, '', COUNT(*), 0 FROM {F['complaint']} "
            "WHERE received BETWEEN %s AND %s GROUP BY complainant",
            f"SELECT 'referred', '', '', COUNT(*), 0 FROM {F['complaint']} WHERE ombudsman_referred BETWEEN %s AND %s",
            f"SELECT 'decided', ombudsman_decision, '', COUNT(*), 0 FROM {F['complaint']} "
            "WHERE ombudsman_decided BETWEEN %s AND %s GROUP BY ombudsman_decision",
            f"SELECT 'theme', t.theme, '', COUNT(*), 0 FROM {F['theme']} t "
            f"JOIN {F['complaint']} c ON c.id = t.complaint_id WHERE c.received BETWEEN %s AND %s GROUP BY t.theme",
            f"SELECT 'requested', CAST(number AS text), '', COUNT(*), 0 FROM {F['stage']} "
            "WHERE number IN (2, 3) AND requested BETWEEN %s AND %s GROUP BY number",
            f"SELECT 'responded', CAST(s.number AS text), s.outcome, COUNT(*), SUM({_on_time()}) "
            f"FROM {F['stage']} s JOIN {F['complaint']} c ON c.id = s.complaint_id "
            f"JOIN {F['calendar']} start ON start.day = CASE WHEN s.number = 1 THEN c.received "
            "WHEN s.number = 3 AND s.report IS NOT NULL THEN s.report ELSE s.requested END "
            f"LEFT JOIN {F['calendar']} done ON done.day = "
            "CASE WHEN s.number = 3 AND s.report IS NULL THEN s.panel ELSE s.responded END "
            "WHERE s.responded BETWEEN %s AND %s GROUP BY s.number, s.outcome",
        ]
    )
    questions = [field for field, _ in STANDARD_QUESTIONS]
    voice = " UNION ALL ".join(
        [
            f"SELECT 'compliment', from_whom, '', COUNT(*), 0 FROM {F['compliment']} "
            "WHERE received BETWEEN %s AND %s GROUP BY from_whom",
            f"SELECT 'advocacy', source, '', COUNT(*), 0 FROM {F['advocacy']} "
            "WHERE date BETWEEN %s AND %s GROUP BY source",
        ]
    )
    # The quarter's responses in one pass: a conditional count per respondent, rating and answer.
    counted = [
        *(_sum(f"respondent = '{value}'") for value in FeedbackRespondent.values),
        *(_sum(f"rating = '{value}'") for value in Rating.values),
        *(_sum(f"{field} = '{answer}'") for field in questions for answer in FeedbackAnswer.values),
    ]
    responses = f"SELECT {', '.join(counted)} FROM {F['response']} WHERE date BETWEEN %s AND %s"
    return {
        f"complaints {quarter}": (complaints, within * 6),
        f"voice {quarter}": (voice, within * 2),
        f"responses {quarter}": (responses, within),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def feedback_from_rows(quarter: str, complaints: list[tuple], voice: list[tuple], responses: list[tuple]) -> dict:
    """The contract's `pqa_feedback` object out of the bare rows."""
    count: dict = {}
    on_time: dict = {}
    for kind, key, key2, n, met in complaints:
        count[(kind, key, key2)] = count.get((kind, key, key2), 0) + n
        if kind == "responded":
            on_time[key] = on_time.get(key, 0) + met

    def stage(number: int) -> dict:
        responded = sum(n for (kind, key, _), n in count.items() if kind == "responded" and key == str(number))
        figures = {} if number == 1 else {"requested": count.get(("requested", str(number), ""), 0)}
        met = on_time.get(str(number), 0)
        figures.update(
            responded=responded,
            on_time=met,
            timeliness=_share(met, responded),
            outcomes={o: count.get(("responded", str(number), o), 0) for o in Outcome.values},
        )
        return figures

    by_complainant = {c: count.get(("received", c, ""), 0) for c in Complainant.values}
    received = sum(by_complainant.values())
    questions = [field for field, _ in STANDARD_QUESTIONS]
    kinds = {(kind, key): n for kind, key, _, n, _ in voice}
    counts = iter(responses[0])
    by_respondent = {value: next(counts) or 0 for value in FeedbackRespondent.values}
    ratings = {value: next(counts) or 0 for value in Rating.values}
    answers = {field: {answer: next(counts) or 0 for answer in FeedbackAnswer.values} for field in questions}
    compliments = {c: kinds.get(("compliment", c), 0) for c in ComplimentFrom.values}
    advocacy = {a: kinds.get(("advocacy", a), 0) for a in AdvocacySource.values}
    return {
        "quarter": quarter,
        "service_area": None,
        "complaints": {
            "received": received,
            "by_complainant": by_complainant,
            "from_children_share": _share(
                by_complainant[Complainant.CHILD] + by_complainant[Complainant.ADVOCATE], received
            ),
            "themes": {t: count.get(("theme", t, ""), 0) for t in Theme.values},
            "stage1": stage(1),
            "stage2": stage(2),
            "stage3": stage(3),
            "ombudsman": {
                "referred": count.get(("referred", "", ""), 0),
                "decided": sum(n for (kind, _, _), n in count.items() if kind == "decided"),
                "decisions": {d: count.get(("decided", d, ""), 0) for d in OmbudsmanDecision.values},
            },
        },
        "compliments": {"received": sum(compliments.values()), "by_from": compliments},
        "responses": {
            "received": sum(by_respondent.values()),
            "by_respondent": by_respondent,
            "questions": answers,
            "ratings": ratings,
        },
        "advocacy": {
            "referrals": sum(advocacy.values()),
            "by_source": advocacy,
            "from_social_work_share": _share(advocacy[AdvocacySource.SOCIAL_WORK_TEAM], sum(advocacy.values())),
        },
    }


def feedback_quarters(trend: list[str], quarter: str) -> list[str]:
    """The quarters whose feedback figures the dashboard shows. The chosen one for now: if the
    feedback panels come to show a trend, return `trend` here and the bare SQL follows."""
    return [quarter]


def feedback_part_statements(trend: list[str], quarter: str, shape: str) -> dict[str, tuple[str, list]]:
    return {name: sql for q in feedback_quarters(trend, quarter) for name, sql in feedback_statements(q).items()}


def check_feedback(found: dict, trend: list[str], quarter: str) -> None:
    """The bare rows equal what feedback.figures.feedback_figures returns, for each quarter shown."""
    for q in feedback_quarters(trend, quarter):
        mine = feedback_figures(quarter=q)
        bare = feedback_from_rows(q, *(found[f"{name} {q}"] for name in ("complaints", "voice", "responses")))
        assert bare == mine, f"feedback figures differ for {q}:\n{bare}\n{mine}"


@dataclass(frozen=True)
class Part:
    """A part of the dashboard: its hand-written statements, the check that they give the
    app's own figures, and whether the page shows it (only what the page shows is timed).
    A new panel's figures: write their statements and check, and add a Part to PARTS."""

    name: str
    statements: Callable[[list[str], str, str], dict[str, tuple[str, list]]]
    check: Callable[[dict, list[str], str], None]
    shown: Callable[[], bool] = lambda: True


PARTS = [
    Part("evaluations", evaluation_statements, check_evaluations),
    # Feedback's panels plug into pqa.reporting.dashboard.FEEDBACK_PANELS: timed once there are any.
    Part("feedback", feedback_part_statements, check_feedback, shown=lambda: bool(dashboard_view.FEEDBACK_PANELS)),
]


def bare_dashboard(trend: list[str], quarter: str, parts: list[Part], shape: str = "grouped") -> dict:
    """Run the parts' statements on the same connection: {statement name: rows}, the grouped
    per-quarter counts folded."""
    found = {}
    with connection.cursor() as cursor:
        for part in parts:
            for name, (sql, params) in part.statements(trend, quarter, shape).items():
                cursor.execute(sql, params)
                found[name] = cursor.fetchall()
    if shape == "grouped" and "per_quarter" in found:
        found["per_quarter"] = _fold(found["per_quarter"], QUESTIONS, safeguarding=True)
    return found


# --- Timing ----------------------------------------------------------------------------------


def timed(functions: dict, repeat: int) -> dict[str, float]:
    """The median time of each function, run in turns (each round runs every one once, the
    order rotating), so that a neighbour's load on a shared machine falls on all of them alike."""
    for function in functions.values():
        function()  # warm-up: caches, the first plan
    runs: dict[str, list[float]] = {name: [] for name in functions}
    names = list(functions)
    for round in range(repeat):
        for name in names[round % len(names) :] + names[: round % len(names)]:
            started = time.perf_counter()
            functions[name]()
            runs[name].append(time.perf_counter() - started)
    return {name: statistics.median(times) for name, times in runs.items()}


def measure(rows: int, repeat: int, skip_generate: bool) -> dict:
    if not skip_generate:
        generate(rows)
    all_quarters = quarters()
    quarter = all_quarters[-5]
    trend = [q for q in all_quarters if q <= quarter][-TREND:]

    # The figures first: each function against its bare SQL, exactly, before anything is timed.
    mine = from_selector(grade_distribution(quarter=quarter))
    assert mine == bare_distribution(quarter), "distribution differs from the bare query (CTE)"
    assert mine == bare_distribution_grouped(quarter), "distribution differs from the bare query (grouped)"
    create_calendar()
    for shape in ("sums", "grouped"):
        found = bare_dashboard(trend, quarter, PARTS, shape)
        for part in PARTS:
            part.check(found, trend, quarter)
    shown = [part for part in PARTS if part.shown()]
    print(f"  figures equal; the dashboard's bare SQL covers: {', '.join(part.name for part in shown)}", flush=True)

    from tests.conftest import PQAClient

    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"role": Role.LEADER})
    client = PQAClient()
    client.force_login(leader)
    url = f"/pqa/dashboard/?quarter={quarter}"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert "Return rate by quarter" in response.content.decode()

    results = timed(
        {
            "distribution": lambda: grade_distribution(quarter=quarter),
            "distribution_bare_cte": lambda: bare_distribution(quarter),
            "distribution_bare_grouped": lambda: bare_distribution_grouped(quarter),
        },
        repeat,
    )
    results |= timed(
        {
            "dashboard": lambda: client.get(url),
            "dashboard_bare_sums": lambda: bare_dashboard(trend, quarter, shown, "sums"),
            "dashboard_bare_grouped": lambda: bare_dashboard(trend, quarter, shown, "grouped"),
        },
        repeat,
    )
    # The bare query is the faster of the two hand-written shapes.
    results["distribution_bare"] = min(results["distribution_bare_cte"], results["distribution_bare_grouped"])
    results["dashboard_bare"] = min(results["dashboard_bare_sums"], results["dashboard_bare_grouped"])
    print(
        f"  bare distribution: CTE {results['distribution_bare_cte'] * 1000:.1f} ms, "
        f"grouped {results['distribution_bare_grouped'] * 1000:.1f} ms; bare dashboard: "
        f"sums {results['dashboard_bare_sums'] * 1000:.1f} ms, "
        f"grouped {results['dashboard_bare_grouped'] * 1000:.1f} ms",
        flush=True,
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-generate", action="store_true", help="measure the data already there")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(
        f"PQA bench on {connection.vendor} ({connection.settings_dict['NAME']}); "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        flush=True,
    )
    table = io.StringIO()
    table.write("| rows | distribution | bare query | ratio | dashboard | bare queries | ratio |\n")
    table.write("|---:|---:|---:|---:|---:|---:|---:|\n")
    measured = {}
    for rows in args.rows:
        print(f"{rows:,} evaluations:", flush=True)
        r = measure(rows, args.repeat, args.skip_generate)
        measured[rows] = r
        line = (
            f"| {rows:,} | {r['distribution'] * 1000:.1f} ms | {r['distribution_bare'] * 1000:.1f} ms | "
            f"{r['distribution'] / r['distribution_bare']:.2f}× | {r['dashboard'] * 1000:.1f} ms | "
            f"{r['dashboard_bare'] * 1000:.1f} ms | {r['dashboard'] / r['dashboard_bare']:.2f}× |"
        )
        print(line, flush=True)
        table.write(line + "\n")
    sizes = sorted(measured)
    for small, large in zip(sizes, sizes[1:], strict=False):
        for name in ("distribution", "dashboard"):
            growth = measured[large][name] / measured[small][name]
            print(f"{name}: {large:,} rows take {growth:.2f}× the time of {small:,}", flush=True)
    print(table.getvalue())


if __name__ == "__main__":
    main()
