"""Locust scenario for PQA (run by scripts/loadtest.sh, i.e. `make loadtest`).

Every user signs in as a person does: the login page (CSRF), the password, then the code of
its account's authenticator (loadtest/totp.py), since every role gives a second factor.

User classes, chosen on the command line:
- EvaluatorUser (weight 4): signs in, lists and filters evaluations, opens one allocated
  to them, autosaves a draft, submits it complete and valid (one evaluation per allocation; each
  user takes the evaluations allocated to its own account) and reads it back.
- LeaderUser (weight 1): signs in, opens the dashboard (the grade distribution page), its JSON and
  the whole-trust evaluation list filtered to returned evaluations.
- CeilingUser: signs in, then only the session ping (/accounts/session/), the cheapest signed-in
  page: run alone, it measures the ceiling of the same server.

Every request uses catch_response and checks the status, the redirect target or the body, so any
unexpected answer is a Locust failure. Successful submissions are the request named
"submit evaluation"; scripts/loadtest.sh reconciles their count with the database.

Accounts come from loadtest/prepare.py: loadtest-evaluator-1..N and loadtest-leader-1..M with
the password PQA_LOADTEST_PASSWORD. PQA_LOADTEST_EVALUATORS (N) and PQA_LOADTEST_LEADERS (M)
say how many exist; PQA_LOADTEST_WAIT="MIN,MAX" is the think time in seconds (default 0,0: the
users drive the server as fast as it answers, so the throughput is the server's capacity).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import statistics
import threading
import time
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

from loadtest import totp
from loadtest.formdata import answers

PASSWORD = os.environ.get("PQA_LOADTEST_PASSWORD", "loadtest-pqa-2025!")
EVALUATORS = int(os.environ.get("PQA_LOADTEST_EVALUATORS", "50"))
LEADERS = int(os.environ.get("PQA_LOADTEST_LEADERS", "10"))
WAIT_MIN, WAIT_MAX = (float(part) for part in os.environ.get("PQA_LOADTEST_WAIT", "0,0").split(","))

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PILLAR_GRADE_INPUT = re.compile(r'name="pillar-([a-z_]+)-grade"')
# The first account offered as a recommendation's owner (the options after "Choose who owns it").
OWNER_OPTION = re.compile(r'name="recommendations-0-owner".*?<option value="(\d+)"', re.DOTALL)
NEXT_INPUT = re.compile(r'name="next" value="([^"]*)"')
TWO_FACTOR_PATH = "/accounts/two-factor/"
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
DETAIL_LINK = re.compile(r'href="/evaluations/(\d+)/"')
JSON_LINK = re.compile(r'href="/pqa/distribution\.json\?quarter=([0-9]{4}-[0-9]{2}-Q[1-4])')


# Where the steady-state summary goes (scripts/loadtest.sh sets it per run).
SUMMARY_PATH = os.environ.get("PQA_LOADTEST_SUMMARY", "")
# If set, the run stops this many seconds after the last user has signed in.
STEADY_SECONDS = float(os.environ.get("PQA_LOADTEST_STEADY_SECONDS", "0"))

_lock = threading.Lock()
_evaluator_numbers = itertools.count(1)
_any_numbers = itertools.count(0)
_leader_numbers = itertools.count(0)


def _next(counter) -> int:
    with _lock:
        return next(counter)


# --- A steady-state summary -------------------------------------------------------------
# Signing in costs ~0.45 s of CPU (PBKDF2, 1,000,000 iterations), so 50 sign-ins take the
# first ~10 s of a run on 2 cores. Locust's own CSVs cover the whole run, sign-ins included;
# this records every request too, and summarises the window from the moment the last user
# has signed in until the run's end, so a scenario and the ceiling compare like with like.

_samples: list[tuple[float, str, float, bool]] = []  # (finished at, name, milliseconds, ok)
_window: dict[str, float] = {}
_signed_in = 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    global _signed_in
    now = time.time()
    _samples.append((now, name, response_time, exception is None))
    if name == "log in" and exception is None:
        _signed_in += 1
        target = _target_users()
        if target and _signed_in >= target and "start" not in _window:
            _window["start"] = now
            _window["users"] = target
            if STEADY_SECONDS > 0:
                # The measured time starts once every user is signed in; --run-time is only a cap.
                environment = _environment["env"]
                gevent.spawn_later(STEADY_SECONDS, environment.runner.quit)


_environment = {}


@events.init.add_listener
def _keep_environment(environment, **kwargs):
    _environment["env"] = environment


def _target_users() -> int:
    environment = _environment.get("env")
    runner = getattr(environment, "runner", None)
    return int(getattr(runner, "target_user_count", 0) or 0)


@events.test_stopping.add_listener
def _stopping(**kwargs):
    _window.setdefault("end", time.time())


@events.quitting.add_listener
def _summarise(environment, **kwargs):
    if not SUMMARY_PATH or not _samples:
        return
    end = _window.get("end", _samples[-1][0])
    start = _window.get("start")
    steady = start is not None and end > start
    if not steady:
        start = _samples[0][0]
    in_window = [sample for sample in _samples if start <= sample[0] <= end]
    seconds = max(end - start, 0.001)

    def rows(samples):
        names = sorted({sample[1] for sample in samples})
        table = {}
        for name in [*names, "Aggregated"]:
            times = [s[2] for s in samples if name in ("Aggregated", s[1])]
            failures = sum(1 for s in samples if name in ("Aggregated", s[1]) and not s[3])
            table[name] = {
                "requests": len(times),
                "failures": failures,
                "rps": round(len(times) / seconds, 1),
                "median_ms": round(statistics.median(times)) if times else None,
                "p95_ms": round(_percentile(times, 0.95)) if times else None,
            }
        return table

    whole = rows(_samples)
    for entry in whole.values():
        entry.pop("rps")  # a whole-run rate would mix the sign-in phase in; see Locust's CSV
    summary = {
        "users": _window.get("users"),
        "steady_window_seconds": round(seconds, 1),
        "steady_window_found": steady,
        "steady": rows(in_window),
        "whole_run": whole,
    }
    Path(SUMMARY_PATH).parent.mkdir(parents=True, exist_ok=True)
    Path(SUMMARY_PATH).write_text(json.dumps(summary, indent=2) + "\n")


class PQAUser(HttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)
    username = ""

    def on_start(self) -> None:
        self.login()

    # --- helpers ---------------------------------------------------------------------------

    def csrf_from(self, text: str) -> str:
        match = CSRF_INPUT.search(text)
        return match.group(1) if match else self.client.cookies.get("csrftoken", "")

    def login(self) -> None:
        with self.client.get("/accounts/login/", name="login page", catch_response=True) as page:
            token = CSRF_INPUT.search(page.text or "")
            if page.status_code != 200 or not token:
                page.failure(f"login page: HTTP {page.status_code}, CSRF token {'found' if token else 'missing'}")
                raise StopUser()
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="password",
            catch_response=True,
        ) as response:
            # Every role gives a second factor: redirected (followed) to the code page.
            if response.status_code != 200 or TWO_FACTOR_PATH not in response.url:
                response.failure(f"password for {self.username}: HTTP {response.status_code} at {response.url}")
                raise StopUser()
            page_text, code_url = response.text, response.url
        # The code of this 30-second step; if another sign-in of the same account has just used
        # it (django-otp takes each step's code once), the next step's, which it accepts too,
        # after the one second it makes a device wait after a refused code.
        for steps_ahead in (0, 1):
            with self.client.post(
                code_url,
                data={
                    "code": totp.code(self.username, steps_ahead=steps_ahead),
                    "next": html.unescape(next_input.group(1)) if (next_input := NEXT_INPUT.search(page_text)) else "",
                    "csrfmiddlewaretoken": self.csrf_from(page_text),
                },
                headers={"Referer": code_url},
                name="log in",
                catch_response=True,
            ) as response:
                # Signed in: redirected (followed) from the code page to the person's home.
                if response.status_code == 200 and "/accounts/" not in response.url:
                    return
                if steps_ahead == 0 and response.status_code == 200 and TWO_FACTOR_PATH in response.url:
                    # Not counted as a failure, nor as a sign-in (the steady window waits for those).
                    response.request_meta["name"] = "log in: code already used, next step's"
                    response.success()
                    page_text = response.text
                    gevent.sleep(1.1)
                    continue
                response.failure(f"log in as {self.username}: HTTP {response.status_code} at {response.url}")
                raise StopUser()

    def get_ok(self, path: str, name: str, must_contain: str | None = None):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{name}: HTTP {response.status_code} {response.headers.get('Location', '')}")
                return None
            if must_contain and must_contain not in response.text:
                response.failure(f"{name}: the page lacks {must_contain!r}")
                return None
            return response


class CeilingUser(PQAUser):
    """The cheapest signed-in page, alone: the ceiling of this server."""

    def on_start(self) -> None:
        number = _next(_any_numbers)
        self.username = f"loadtest-evaluator-{number % EVALUATORS + 1}"
        self.login()

    @task
    def session_ping(self) -> None:
        with self.client.get("/accounts/session/", name="session ping", catch_response=True) as response:
            if response.status_code != 200 or not response.json().get("ok"):
                response.failure(f"session ping: HTTP {response.status_code}")


class EvaluatorUser(PQAUser):
    weight = 4

    def on_start(self) -> None:
        number = _next(_evaluator_numbers)
        if number > EVALUATORS:
            raise StopUser()  # more evaluator users than prepared accounts: prepare more
        self.username = f"loadtest-evaluator-{number}"
        self.login()

    @task
    def evaluate_one(self) -> None:
        """One whole sit-alongside, as one task so that a graceful stop (--stop-timeout) lets it
        finish: a submit in flight at the end is then counted by Locust as well as the database."""
        self.get_ok("/evaluations/", "evaluation list", must_contain="govuk-table")
        listing = self.get_ok("/evaluations/?status=allocated&reference=LT", "evaluation list filtered")
        if listing is None:
            return
        found = DETAIL_LINK.findall(listing.text)
        if not found:
            self.environment.events.request.fire(
                request_type="CHECK",
                name="allocated evaluation available",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"{self.username} has no allocated evaluation left: allocate more"),
                context={},
            )
            raise StopUser()
        pk = random.choice(found[:5])
        form_path = f"/evaluations/{pk}/form/"

        page = self.get_ok(form_path, "open evaluation form", must_contain="-grade")
        if page is None:
            return
        version = VERSION_INPUT.search(page.text)
        token = self.csrf_from(page.text)
        if version is None:
            return
        editor_token = f"{self.username}-{pk}-{random.getrandbits(32):08x}"
        pillars = list(dict.fromkeys(PILLAR_GRADE_INPUT.findall(page.text)))
        owner = OWNER_OPTION.search(page.text)
        data = answers(
            version=int(version.group(1)),
            editor_token=editor_token,
            owner=owner.group(1) if owner else "",
            pillars=pillars,
        )
        headers = {"X-CSRFToken": token, "Referer": f"{self.host}{form_path}"}

        # Autosave while typing: everything but the overall grade. The recommendation is in the
        # draft already, as it is when an evaluator types it before choosing the grade.
        draft = {key: value for key, value in data.items() if key != "overall_grade"}
        with self.client.post(
            f"/evaluations/{pk}/autosave/", data=draft, headers=headers, name="autosave draft", catch_response=True
        ) as response:
            body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
            if response.status_code != 200 or "version" not in body:
                response.failure(f"autosave {pk}: HTTP {response.status_code} {body}")
                return
            data["version"] = str(body["version"])

        data["submit"] = "1"
        with self.client.post(
            form_path, data=data, headers=headers, name="submit evaluation", catch_response=True, allow_redirects=False
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or location.rstrip("/").split("/")[-1] != str(pk) or "form" in location:
                response.failure(f"submit {pk}: HTTP {response.status_code} to {location!r}")
                return
        self.get_ok(f"/evaluations/{pk}/", "evaluation detail (submitted)", must_contain="submitted. Thank you")


class LeaderUser(PQAUser):
    weight = 1

    def on_start(self) -> None:
        self.username = f"loadtest-leader-{_next(_leader_numbers) % LEADERS + 1}"
        self.quarter = ""
        self.login()

    @task(3)
    def dashboard(self) -> None:
        page = self.get_ok("/pqa/distribution/", "dashboard (distribution page)", must_contain="<svg")
        if page is None:
            return
        match = JSON_LINK.search(page.text)
        if not match:
            self.quarter = ""
            return
        self.quarter = match.group(1)
        with self.client.get(
            f"/pqa/distribution.json?quarter={self.quarter}", name="distribution.json", catch_response=True
        ) as response:
            if response.status_code != 200 or response.json().get("quarter") != self.quarter:
                response.failure(f"distribution.json: HTTP {response.status_code}")

    @task(1)
    def returned_list(self) -> None:
        self.get_ok("/evaluations/?status=completed", "evaluation list filtered (leader)", must_contain="govuk-table")
