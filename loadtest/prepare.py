"""Data for `make loadtest`: the demo year (for the leaders' dashboard) plus load-test accounts
and their allocated evaluations in an open cycle. A plain script (no app code changes):

    DATABASE_URL=... DJANGO_SECRET_KEY=... python loadtest/prepare.py --evaluators 50 --per-evaluator 40

Creates loadtest-evaluator-1..N (role evaluator) each with K evaluations allocated to them in
the open cycle "<this quarter> Thematic audit or dip sample: Load test", and
loadtest-leader-1..M (role leader). All share one known password (PQA_LOADTEST_PASSWORD).
Every role signs in with a second factor, so each account has a confirmed authenticator whose
key is derived from its username (loadtest/totp.py: the Locust users compute its codes) and a
set of recovery codes, as anyone who has set up two-factor authentication has.
Running it again tops up what is missing and adds nothing else. Everything is written through
the same services a person would use (evaluations.services), so history and outbox are real.

Never run against a database anyone keeps: these accounts have a published password.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pqa.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from evaluations import services  # noqa: E402
from evaluations.models import Cycle, CycleType, Evaluation  # noqa: E402
from loadtest import totp  # noqa: E402
from pqa import services as core_services  # noqa: E402
from pqa.models import Role, Team, User  # noqa: E402
from pqa.quarters import Quarter  # noqa: E402

PASSWORD = os.environ.get("PQA_LOADTEST_PASSWORD", "loadtest-pqa-2025!")
EVALUATOR_PREFIX = "loadtest-evaluator-"
LEADER_PREFIX = "loadtest-leader-"
CYCLE_TITLE = "Load test"
DEVICE_NAME = "Load-test authenticator"
_password_hash: list[str] = []


def _account(username: str, role: str, team: Team | None) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            first_name="Load",
            last_name=username.removeprefix("loadtest-").replace("-", " ").title(),
            email=f"{username}@loadtest.example",
            role=role,
            team=team,
        )
        # One hash for every account (PBKDF2 takes ~0.45 s each): the same password anyway.
        if not _password_hash:
            user.set_password(PASSWORD)
            _password_hash.append(user.password)
        user.password = _password_hash[0]
        user.save()
    if not TOTPDevice.objects.filter(user=user, name=DEVICE_NAME, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=totp.key_hex(username), confirmed=True)
        core_services.two_factor_recovery_codes_generate(user=user)
    return user


def prepare(*, evaluators: int, per_evaluator: int, leaders: int) -> dict[str, int]:
    # The demo year feeds the dashboard; it is idempotent, and --force because DEBUG is off.
    call_command("load_demo", force=True, verbosity=0)
    hub = User.objects.get(username="demo-practice-hub")
    teams = list(Team.objects.order_by("pk"))
    if not teams:
        raise SystemExit("no teams: load_demo did not load the organisation")

    quarter = str(Quarter.containing(timezone.localdate()))
    cycle = Cycle.objects.filter(quarter=quarter, type=CycleType.THEMATIC, title=CYCLE_TITLE).first()
    if cycle is None or not cycle.is_open:
        cycle = services.cycle_open(quarter=quarter, type=CycleType.THEMATIC, title=CYCLE_TITLE, actor=hub)

    allocated = 0
    due = timezone.localdate() + dt.timedelta(days=28)
    for index in range(1, evaluators + 1):
        evaluator = _account(f"{EVALUATOR_PREFIX}{index}", Role.EVALUATOR, teams[index % len(teams)])
        have = Evaluation.objects.filter(cycle=cycle, evaluator=evaluator, status=Evaluation.Status.ALLOCATED).count()
        taken = Evaluation.objects.filter(cycle=cycle, evaluator=evaluator).count()
        requests = [
            services.AllocationRequest(
                child_ref=f"LT{index:03d}-{number:05d}",
                practitioner=f"SW-LT-{index}",
                team=teams[(index + number) % len(teams)],
                evaluator=evaluator,
                due_date=due,
            )
            for number in range(taken + 1, taken + 1 + max(0, per_evaluator - have))
        ]
        if requests:
            services.evaluations_allocate(cycle=cycle, requests=requests, actor=hub)
            allocated += len(requests)
    for index in range(1, leaders + 1):
        _account(f"{LEADER_PREFIX}{index}", Role.LEADER, None)
    return {
        "evaluators": evaluators,
        "leaders": leaders,
        "allocated_now": allocated,
        "allocated_open": Evaluation.objects.filter(
            cycle=cycle, evaluator__username__startswith=EVALUATOR_PREFIX, status=Evaluation.Status.ALLOCATED
        ).count(),
        "evaluations_total": Evaluation.objects.count(),
    }


def submitted_count() -> int:
    """Evaluations returned (completed) by the load-test evaluators: what reconciles with Locust."""
    return Evaluation.objects.filter(
        evaluator__username__startswith=EVALUATOR_PREFIX, status=Evaluation.Status.RETURNED
    ).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--evaluators", type=int, default=50)
    parser.add_argument("--per-evaluator", type=int, default=40)
    parser.add_argument("--leaders", type=int, default=5)
    parser.add_argument(
        "--count-submitted", action="store_true", help="Only print how many load-test evaluations are completed."
    )
    options = parser.parse_args()
    if options.count_submitted:
        print(submitted_count())
        return
    started = time.monotonic()
    # Allocation e-mails go through the outbox; keep them off the console here.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
        summary = prepare(evaluators=options.evaluators, per_evaluator=options.per_evaluator, leaders=options.leaders)
    summary_text = ", ".join(f"{key} {value}" for key, value in summary.items())
    print(f"loadtest data ready in {time.monotonic() - started:.1f}s: {summary_text}")


if __name__ == "__main__":
    main()
