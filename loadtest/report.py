"""Read a load test's results (scripts/loadtest.sh), reconcile them with the database count,
and print a Markdown report. Exits 1 if Locust saw any failure, or if the number of successful
"submit evaluation" requests differs from the evaluations completed in the database.

    python loadtest/report.py --artifacts test-artifacts/loadtest --submitted-in-db 123
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

SUBMIT = "submit evaluation"
PING = "session ping"


def locust_stats(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def _version(command: list[str]) -> str:
    if not shutil.which(command[0]) and not Path(command[0]).exists():
        return "not found"
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=False).stdout.strip()  # noqa: S603
    except OSError:
        return "not found"


def machine() -> list[str]:
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("\n")[0].split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    redis = _version(["redis-server", "--version"]).split(" sha=")[0]
    postgres = _version([os.environ.get("PQA_PG_BIN", "/usr/lib/postgresql/15/bin") + "/postgres", "--version"])
    return [
        f"- CPU: {os.cpu_count()} cores ({cpu or platform.processor() or 'unknown'}), memory {memory}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}; {postgres}; {redis}",
        f"- {_version([str(Path(sys.executable).parent / 'locust'), '--version']).split(' from ')[0]} "
        "(on the same 2 cores as the server: its CPU is part of the budget)",
    ]


def table(summary: dict) -> list[str]:
    lines = [
        "| request | steady req/s | steady median ms | steady p95 ms | run requests | run failures "
        "| run median ms | run p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    steady = summary.get("steady", {})
    whole = summary.get("whole_run", {})
    for name in [name for name in whole if name != "Aggregated"] + ["Aggregated"]:
        row = whole[name]
        window = steady.get(name, {})
        label = "**all requests**" if name == "Aggregated" else name
        lines.append(
            f"| {label} | {window.get('rps', '–')} | {window.get('median_ms', '–')} | {window.get('p95_ms', '–')} "
            f"| {row['requests']} | {row['failures']} | {row['median_ms']} | {row['p95_ms']} |"
        )
    return lines


def server_submits(access_log: Path) -> int:
    """Submissions the server answered with a redirect (302), from gunicorn's access log."""
    if not access_log.exists():
        return -1
    pattern = re.compile(r'"POST /evaluations/\d+/form/ HTTP/[0-9.]+" 302 ')
    with access_log.open() as handle:
        return sum(1 for line in handle if pattern.search(line))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artifacts", type=Path, required=True)
    parser.add_argument("--submitted-in-db", type=int, required=True)
    parser.add_argument("--setup", default="")
    options = parser.parse_args()
    art = options.artifacts

    problems = []
    out = ["# PQA load test", "", "## Machine", *machine(), "", f"Setup: {options.setup}", ""]
    results = {}
    for name in ("ceiling", "scenario"):
        stats_path = art / f"{name}_stats.csv"
        summary_path = art / f"{name}_summary.json"
        if not stats_path.exists():
            problems.append(f"{name}: no Locust stats ({stats_path.name} missing: see {name}.log)")
            continue
        stats = locust_stats(stats_path)
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        if not summary:
            problems.append(f"{name}: no summary ({summary_path.name} missing: see {name}.log)")
            continue
        results[name] = summary
        # Every request Locust made, counted by the locustfile's listener up to the very end (the
        # CSV is written before the users' last tasks have finished under --stop-timeout).
        failures = max(summary["whole_run"]["Aggregated"]["failures"], int(stats["Aggregated"]["Failure Count"]))
        if failures:
            problems.append(f"{name}: Locust counted {failures} failures (see {name}_failures.csv)")
        if not summary.get("steady_window_found"):
            problems.append(f"{name}: not every user signed in, so there is no steady-state window")
        window = summary.get("steady_window_seconds", "?")
        out += [
            f"## {name.capitalize()}",
            f"Steady: the {window} s from the last user's sign-in to the end ({summary.get('users', '?')} users "
            "at once). Run: every request of the run, sign-ins and the final tasks included.",
            "",
            *table(summary),
            "",
        ]

    if "ceiling" in results and "scenario" in results:
        ceiling = results["ceiling"].get("steady", {}).get(PING, {})
        scenario = results["scenario"].get("steady", {}).get("Aggregated", {})
        if ceiling.get("rps") and scenario.get("rps"):
            out += [
                "## Ratio",
                f"Scenario {scenario['rps']} req/s ÷ ceiling {ceiling['rps']} req/s = "
                f"**{scenario['rps'] / ceiling['rps']:.2f}** (steady state, same server, same users).",
                "",
            ]

    out.append("## Reconciliation")
    if "scenario" in results:
        row = results["scenario"]["whole_run"].get(SUBMIT)
        ok_submits = row["requests"] - row["failures"] if row else 0
        by_server = server_submits(art / "gunicorn-access.log")
        out.append(
            f"Successful '{SUBMIT}' requests in Locust: {ok_submits}; answered 302 by the server (access log): "
            f"{by_server}; load-test evaluations completed in the database: {options.submitted_in_db}."
        )
        if not ok_submits == options.submitted_in_db == by_server:
            problems.append(
                f"reconciliation: Locust {ok_submits}, server {by_server}, database {options.submitted_in_db}"
            )
        if ok_submits == 0:
            problems.append("reconciliation: no evaluation was submitted")
    out += ["", "## Result", *(f"- FAILED: {problem}" for problem in problems)]
    if not problems:
        out.append("- Passed: zero failures, and every submission Locust counted is in the database.")
    print("\n".join(out))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
