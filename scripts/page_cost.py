"""What each page of the load-test scenario costs the server, measured in one process.

`make loadtest` gives the throughput of the whole server under load; this gives the cost of
each page alone, repeatably, in a minute and on one core, so that a change can be judged
before the load test is run. It builds a throwaway database with the load test's own data
(loadtest/prepare.py: the demo year, evaluators with allocations in an open cycle, a leader),
signs in through the login page as an evaluator and as a leader, and then times the
scenario's requests through Django's test client, every middleware included, with
production settings (DEBUG off, the cached template loader, a secret key, no SSL redirect on
plain http):

    .venv/bin/python scripts/page_cost.py                      # SQLite in a temporary file
    .venv/bin/python scripts/page_cost.py --rounds 60
    DATABASE_URL=postgres://app@127.0.0.1:5440/pagecost .venv/bin/python scripts/page_cost.py
    .venv/bin/python scripts/page_cost.py --profile /tmp/pqa-pages   # cProfile, one file per page

It prints, per page, the median milliseconds (wall clock; CPU time of this process, which the
other processes on a shared machine disturb less; and the CPU time of that spent drawing
templates) and the database queries of one request, and the cost of the scenario's average
request as a multiple of the session ping (the load test's ceiling): the throughput ratio the
load test would measure if every request were CPU-bound in the server, which under
`make loadtest` they nearly are (docs/benchmarks.md).

Static files are served plainly (PQA_PLAIN_STATIC=1), so no collectstatic is needed; with a
PostgreSQL URL the database is migrated and topped up in place, so give it a throwaway one.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds (each submits one evaluation)")
    parser.add_argument("--warm-up", type=int, default=3, help="rounds run first and not counted")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile file per page (PAGE.prof) to DIR")
    parser.add_argument(
        "--pyinstrument",
        metavar="DIR",
        help="write a pyinstrument report per page (PAGE.txt) to DIR (pip install pyinstrument first)",
    )
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of each page's counted request")
    parser.add_argument(
        "--settings", default="pqa.settings", help="settings module (default pqa.settings), to try a change"
    )
    return parser.parse_args()


# Production settings, as scripts/loadtest.sh gives gunicorn; set before Django reads them.
_temporary = None
if not os.environ.get("DATABASE_URL"):
    _temporary = tempfile.TemporaryDirectory(prefix="pqa-page-cost-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_temporary.name}/db.sqlite3"
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": parse_arguments().settings,
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "PQA_SSL_REDIRECT": "0",
        "PQA_SECURE_COOKIES": "0",
        "PQA_PLAIN_STATIC": "1",
        "PQA_LOG_LEVEL": "WARNING",
    }
)
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.pop("REDIS_URL", None)  # no broker: the outbox's tasks run in-process, as in make run

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.template.backends.django import Template as DjangoTemplate  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from loadtest import totp  # noqa: E402
from loadtest.formdata import answers  # noqa: E402
from loadtest.prepare import PASSWORD, prepare  # noqa: E402

# As loadtest/locustfile.py reads the pages (not imported: it needs Locust installed).
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PILLAR_GRADE_INPUT = re.compile(r'name="pillar-([a-z_]+)-grade"')
NEXT_INPUT = re.compile(r'name="next" value="([^"]*)"')
OWNER_OPTION = re.compile(r'name="recommendations-0-owner".*?<option value="(\d+)"', re.DOTALL)
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
DETAIL_LINK = re.compile(r'href="/evaluations/(\d+)/"')
JSON_LINK = re.compile(r'href="/pqa/distribution\.json\?quarter=([0-9]{4}-[0-9]{2}-Q[1-4])')

# The scenario's requests, in the order an evaluator makes them (loadtest/locustfile.py), then
# the leader's, then the ceiling. Weights: requests of each kind per evaluator round, with 4
# evaluators to 1 leader, whose task is the dashboard and its JSON 3 times in 4 and the
# returned list once in 4.
PAGES = [
    ("list", "GET /evaluations/", 4),
    ("list filtered", "GET /evaluations/?status=allocated&reference=LT", 4),
    ("form", "GET /evaluations/<pk>/form/", 4),
    ("autosave", "POST /evaluations/<pk>/autosave/", 4),
    ("submit", "POST /evaluations/<pk>/form/", 4),
    ("detail", "GET /evaluations/<pk>/", 4),
    ("dashboard", "GET /pqa/distribution/", 0.75),
    ("distribution.json", "GET /pqa/distribution.json", 0.75),
    ("leader list", "GET /evaluations/?status=completed", 0.25),
    ("ping", "GET /accounts/session/", 0),
]


# CPU seconds spent drawing templates (the page's, with everything it includes) in the current
# request, queries run from the template included: what the "template" column shows.
template_cpu: list[float] = []
_render = DjangoTemplate.render


_depth = [0]


def _timed_render(self, context=None, request=None):
    # Only the outermost render counts: form widgets are drawn by nested renders.
    _depth[0] += 1
    started = time.thread_time()
    try:
        return _render(self, context, request)
    finally:
        _depth[0] -= 1
        if not _depth[0]:
            template_cpu.append(time.thread_time() - started)


DjangoTemplate.render = _timed_render


def sign_in(username: str) -> Client:
    """Password, then the second factor every role gives (the account's load-test authenticator)."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = CSRF_INPUT.search(page.content.decode()).group(1)
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}, follow=True
    )
    if not response.redirect_chain or "/accounts/two-factor/" not in response.redirect_chain[-1][0]:
        raise SystemExit(f"signing in as {username} failed: no code page ({response.redirect_chain})")
    code_url = response.redirect_chain[-1][0]
    for steps_ahead in (0, 1):  # the next step's code if an earlier sign-in used this one
        if steps_ahead:
            time.sleep(1.1)  # django-otp makes a device wait a second after a refused code
        text = response.content.decode()
        response = client.post(
            code_url,
            {
                "code": totp.code(username, steps_ahead=steps_ahead),
                "next": html.unescape(NEXT_INPUT.search(text).group(1)),
                "csrfmiddlewaretoken": CSRF_INPUT.search(text).group(1),
            },
            follow=True,
        )
        if response.redirect_chain and "/accounts/" not in response.redirect_chain[-1][0]:
            return client
    raise SystemExit(f"signing in as {username} failed: the code was refused")


class Round:
    """One evaluator's sit-alongside and one leader's visit, each request checked as Locust does."""

    def __init__(self, evaluator: Client, leader: Client, username: str):
        self.evaluator, self.leader, self.username = evaluator, leader, username

    def run(self, measure) -> None:
        ok = measure("list", lambda: self.evaluator.get("/evaluations/"))
        assert b"govuk-table" in ok.content
        listing = measure("list filtered", lambda: self.evaluator.get("/evaluations/?status=allocated&reference=LT"))
        pk = DETAIL_LINK.findall(listing.content.decode())[0]
        form_path = f"/evaluations/{pk}/form/"
        page = measure("form", lambda: self.evaluator.get(form_path))
        text = page.content.decode()
        token = CSRF_INPUT.search(text).group(1)
        pillars = list(dict.fromkeys(PILLAR_GRADE_INPUT.findall(text)))
        data = answers(
            version=int(VERSION_INPUT.search(text).group(1)),
            editor_token=f"{self.username}-{pk}-{secrets.token_hex(4)}",
            owner=owner.group(1) if (owner := OWNER_OPTION.search(text)) else "",
            pillars=pillars,
        )
        headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_REFERER": f"http://testserver{form_path}"}
        draft = {key: value for key, value in data.items() if key != "overall_grade"}
        saved = measure("autosave", lambda: self.evaluator.post(f"/evaluations/{pk}/autosave/", draft, **headers))
        assert saved.status_code == 200, saved.content
        data["version"] = str(saved.json()["version"])
        data["submit"] = "1"
        submitted = measure("submit", lambda: self.evaluator.post(form_path, data, **headers))
        assert submitted.status_code == 302 and submitted["Location"].rstrip("/").endswith(pk), submitted
        detail = measure("detail", lambda: self.evaluator.get(f"/evaluations/{pk}/"))
        assert b"submitted. Thank you" in detail.content
        dashboard = measure("dashboard", lambda: self.leader.get("/pqa/distribution/"))
        quarter = JSON_LINK.search(dashboard.content.decode()).group(1)
        measure("distribution.json", lambda: self.leader.get(f"/pqa/distribution.json?quarter={quarter}"))
        measure("leader list", lambda: self.leader.get("/evaluations/?status=completed"))
        ping = measure("ping", lambda: self.evaluator.get("/accounts/session/"))
        assert ping.json()["ok"]


def main() -> None:
    options = parse_arguments()

    call_command("migrate", verbosity=0)
    needed = options.rounds + options.warm_up + 2
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
        # As many evaluators as the load test (so the leader's pages count the same data), and
        # enough allocations for the first one to submit one per round.
        prepare(evaluators=50, per_evaluator=40, leaders=1)
        prepare(evaluators=1, per_evaluator=needed, leaders=1)
    username = "loadtest-evaluator-1"
    rounds = Round(sign_in(username), sign_in("loadtest-leader-1"), username)

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for _ in range(options.warm_up):
            rounds.run(lambda name, call: call())

        queries: dict[str, int] = {}

        def count(name, call):
            with CaptureQueriesContext(connection) as captured:
                response = call()
            queries[name] = len(captured.captured_queries)
            if options.show_queries:
                print(f"--- {name}: {queries[name]} queries")
                for query in captured.captured_queries:
                    print("   ", query["sql"][:300])
            return response

        rounds.run(count)

        times: dict[str, list[float]] = {name: [] for name, _, _ in PAGES}
        cpu: dict[str, list[float]] = {name: [] for name, _, _ in PAGES}
        profiles = {name: cProfile.Profile() for name, _, _ in PAGES} if options.profile else {}
        if options.pyinstrument:
            from pyinstrument import Profiler

            profiles = {name: Profiler(interval=0.0005) for name, _, _ in PAGES}

        rendering: dict[str, list[float]] = {name: [] for name, _, _ in PAGES}

        def timed(name, call):
            profile = profiles.get(name)
            template_cpu.clear()
            started, started_cpu = time.perf_counter(), time.thread_time()
            if profile:
                profile.start() if options.pyinstrument else profile.enable()
            response = call()
            if profile:
                profile.stop() if options.pyinstrument else profile.disable()
            cpu[name].append((time.thread_time() - started_cpu) * 1000)
            times[name].append((time.perf_counter() - started) * 1000)
            rendering[name].append(sum(template_cpu) * 1000)
            return response

        for _ in range(options.rounds):
            rounds.run(timed)

    print(f"PQA page cost: {options.rounds} rounds, {connection.vendor}, DEBUG off, production settings")
    print(f"{'page':<18} {'request':<48} {'median ms':>9} {'CPU ms':>7} {'template':>8} {'queries':>7}")
    for name, request, _ in PAGES:
        print(
            f"{name:<18} {request:<48} {statistics.median(times[name]):>9.1f} "
            f"{statistics.median(cpu[name]):>7.1f} {statistics.median(rendering[name]):>8.1f} {queries[name]:>7}"
        )
    for label, series in (("median ms", times), ("CPU ms", cpu)):
        average = sum(weight * statistics.median(series[name]) for name, _, weight in PAGES) / sum(
            weight for _, _, weight in PAGES
        )
        ping = statistics.median(series["ping"])
        print(
            f"{label}: the scenario's average request {average:.1f}, the ping {ping:.1f}, "
            f"ping ÷ average = {ping / average:.2f}"
        )

    if options.profile:
        directory = Path(options.profile)
        directory.mkdir(parents=True, exist_ok=True)
        for name, profile in profiles.items():
            profile.dump_stats(directory / f"{re.sub(r'[^a-z0-9]+', '-', name)}.prof")
        print(f"profiles in {directory}/ (python -m pstats FILE, or snakeviz)")
    if options.pyinstrument:
        directory = Path(options.pyinstrument)
        directory.mkdir(parents=True, exist_ok=True)
        for name, profile in profiles.items():
            path = directory / f"{re.sub(r'[^a-z0-9]+', '-', name)}.txt"
            path.write_text(profile.output_text(unicode=True, show_all=False))
        print(f"pyinstrument reports in {directory}/")


if __name__ == "__main__":
    main()
