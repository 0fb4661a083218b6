"""Which process used the machine's CPU during `make loadtest`: gunicorn, PostgreSQL, Locust.

Locust runs on the same cores as the server it measures, and so does PostgreSQL, so the load
test's throughput is shared among them. This samples every process's CPU time from
/proc/PID/stat once a second while the load test runs, then gives the cores each kind of
process used in the steady part of each phase (the ceiling's Locust, then the scenario's):

    .venv/bin/python scripts/cpu_by_process.py record /tmp/cpu.jsonl &   # then: make loadtest
    kill %1
    .venv/bin/python scripts/cpu_by_process.py report /tmp/cpu.jsonl

The steady part is approximate: the first 35% of each Locust process's life (its users
signing in, about 0.45 s of CPU each) and its last 2 seconds are left out. Linux only.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from pathlib import Path

KINDS = ("locust", "gunicorn", "postgres", "celery", "redis")


def _kind(command: str) -> str:
    return next((kind for kind in KINDS if kind in command), "other")


def record(path: Path) -> None:
    ticks = os.sysconf("SC_CLK_TCK")
    with path.open("w") as out:
        while True:
            processes = {}
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    command = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:200]
                except OSError:
                    continue  # the process ended while it was read
                fields = stat.rsplit(")", 1)[1].split()
                processes[pid] = ((int(fields[11]) + int(fields[12])) / ticks, command)  # utime + stime
            out.write(json.dumps({"t": time.time(), "p": processes}) + "\n")
            out.flush()
            time.sleep(1)


def report(path: Path) -> None:
    samples = [json.loads(line) for line in path.read_text().splitlines() if line]
    locusts: list[str] = []
    for sample in samples:
        for pid, (_, command) in sample["p"].items():
            if "bin/locust" in command and pid not in locusts:
                locusts.append(pid)
    for phase, locust in zip(("ceiling", "scenario"), locusts, strict=False):
        alive = [sample for sample in samples if locust in sample["p"]]
        if len(alive) < 5:
            print(f"{phase}: too few samples")
            continue
        first, last = alive[int(len(alive) * 0.35)], alive[-3]
        used = collections.Counter()
        for pid, (cpu, command) in last["p"].items():
            used[_kind(command)] += cpu - first["p"].get(pid, (0.0, ""))[0]
        seconds = last["t"] - first["t"]
        cores = ", ".join(f"{kind} {total / seconds:.2f}" for kind, total in used.most_common())
        print(f"{phase} ({seconds:.0f} s): cores used: {cores}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["record", "report"])
    parser.add_argument("file", type=Path)
    options = parser.parse_args()
    if options.action == "record":
        record(options.file)
    else:
        report(options.file)


if __name__ == "__main__":
    main()
