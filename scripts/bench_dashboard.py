"""`make bench`: the grade distribution and the leaders' dashboard at national scale, each
against hand-written SQL computing the same figures. Not part of `make test`.

    DATABASE_URL=sqlite:////tmp/pqa-bench.sqlite3 .venv/bin/python scripts/bench_dashboard.py --rows 100000
    DATABASE_URL=$PQA_SERVICES_PG_URL .venv/bin/python scripts/bench_dashboard.py --rows 100000 1000000

For each size it empties the evaluation tables, writes N evaluations over 40 quarters (two
cycles a quarter, nine service areas, 90% returned) with their four pillar grades, a
confirmed moderation (with its pillar grades) for one returned evaluation in ten, and a
recommendation for one in four, straight into the database: COPY on PostgreSQL, executemany
in large transactions on SQLite. Then, in this process on the same connection, it times
(median of --repeat runs after one warm-up):

(a) evaluations.selectors.grade_distribution for one quarter, against ONE hand-written SQL
    statement computing the same figures (asserted equal);
(b) GET /pqa/dashboard/?quarter=Q through Django's test client as a leader (session, menu,
    template and all), against the hand-written SQL computing the same figure sets (the
    evaluation figures per quarter, pillars, service areas, types, recommendations, open
    cycles, quarters, revisits), asserted equal to what the dashboard's selector returns.

Complaints and feedback are not generated yet: the feedback app has not landed.
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
from pqa.models import Role, ServiceArea, Team, User  # noqa: E402

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
    models = [ModeratedPillarGrade, Moderation, PillarGrade, Recommendation, Evaluation, Cycle]
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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Evaluation, Moderation):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                )
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"  wrote {pk:,} evaluations in {time.perf_counter() - started:.1f}s", flush=True)


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


def bare_dashboard(trend: list[str], quarter: str) -> dict:
    """The dashboard's figure sets, each one hand-written statement for every quarter at once."""
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
            f"SELECT c.quarter, {', '.join(columns)} {base} WHERE c.quarter IN ({marks}) GROUP BY c.quarter",
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
    found = {}
    with connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            cursor.execute(sql, params)
            found[name] = cursor.fetchall()
    return found


def check_dashboard(found: dict, trend: list[str], quarter: str) -> None:
    figures = dashboard_figures(quarters=trend, quarter=quarter)
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


# --- Timing ----------------------------------------------------------------------------------


def timed(function, repeat: int) -> float:
    function()  # warm-up: caches, the first plan
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def measure(rows: int, repeat: int, skip_generate: bool) -> dict:
    if not skip_generate:
        generate(rows)
    all_quarters = quarters()
    quarter = all_quarters[-5]
    trend = [q for q in all_quarters if q <= quarter][-TREND:]

    assert from_selector(grade_distribution(quarter=quarter)) == bare_distribution(quarter), "distribution differs"
    check_dashboard(bare_dashboard(trend, quarter), trend, quarter)

    from tests.conftest import PQAClient

    leader, _ = User.objects.get_or_create(username="bench-leader", defaults={"role": Role.LEADER})
    client = PQAClient()
    client.force_login(leader)
    url = f"/pqa/dashboard/?quarter={quarter}"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert "Return rate by quarter" in response.content.decode()

    results = {
        "distribution": timed(lambda: grade_distribution(quarter=quarter), repeat),
        "distribution_bare": timed(lambda: bare_distribution(quarter), repeat),
        "dashboard": timed(lambda: client.get(url), repeat),
        "dashboard_bare": timed(lambda: bare_dashboard(trend, quarter), repeat),
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
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
