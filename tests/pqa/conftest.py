"""Real Celery processes for the end-to-end tests of the outbox (test_celery_worker.py,
test_broker_outage.py): a worker (and beat) started by the test on the test database, with
e-mail written to files the test can count.

The worker is another process, so it needs a database it can open too: the PostgreSQL pass
of `make test` (in the SQLite pass the test database is in memory, and such tests are
skipped with that reason). A Redis is needed as well; under CI=true a missing one fails the
test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import pools as kombu_pools

from pqa.celery import app

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
WORKER_WAIT_SECONDS = 30


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs a missing service; under CI=true that is a failure instead."""
    if IN_CI:
        pytest.fail(f"{reason}; under CI=true this test must run, not be skipped")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_broker_pools() -> None:
    """Forget the app's cached broker connections, so the next publish uses broker_url as set now."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    # kombu keeps its pools in a registry by broker URL: a closed one would be handed out again
    # to the next test using the same Redis ("Acquire on closed pool").
    kombu_pools.reset()
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Send tasks to a real broker (not eagerly) for the duration, then put things back."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    reset_broker_pools()
    try:
        yield
    finally:
        reset_broker_pools()
        app.conf.broker_url = saved["broker_url"]
        app.conf.task_always_eager = saved["task_always_eager"]


def database_url_for_another_process() -> str:
    """DATABASE_URL of the test database this test runs on (pytest-django's test_* name)."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(db["NAME"]):
            pytest.skip(
                "a Celery worker is another process and cannot open this in-memory SQLite test database; "
                "this test runs in the PostgreSQL pass of `make test`"
            )
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    pytest.skip(f"no DATABASE_URL form known for {connection.vendor}")


def read_mail(mail_dir: Path) -> list[str]:
    """Every message Django's file e-mail backend wrote into `mail_dir`, one string each.

    The backend names a file by the second and its own id(); two forked pool processes can
    share both and append to one file. Each message ends with a line of 79 dashes, so split
    on that line rather than count files.
    """
    separator = "-" * 79 + "\n"
    messages: list[str] = []
    for path in sorted(mail_dir.iterdir()):
        messages += [part for part in path.read_text(errors="replace").split(separator) if part.strip()]
    return sorted(messages)


def stop_process(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class CeleryProcesses:
    """Starts `celery -A pqa worker|beat` on the test database; stops them all at the end."""

    tmp_path: Path
    redis_url: str
    database_url: str
    mail_dir: Path
    processes: list[tuple[subprocess.Popen, Path]]

    def start(self, command: str, args: Sequence[str] = (), env: dict[str, str] | None = None) -> subprocess.Popen:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "PYTEST_"))}
        environment.update(
            DJANGO_SETTINGS_MODULE="pqa_worker_settings",
            PYTHONPATH=os.pathsep.join([str(self.tmp_path), str(ROOT)]),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            PYTHONUNBUFFERED="1",
            **(env or {}),
        )
        log_path = self.tmp_path / f"{command}-{len(self.processes)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed arguments, our own interpreter
                [sys.executable, "-m", "celery", "-A", "pqa", command, "--loglevel", "INFO", *args],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append((process, log_path))
        return process

    def worker(self, *, pool: str = "solo", concurrency: int = 1, env: dict[str, str] | None = None):
        return self.start(
            "worker",
            [
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"pqa-test-{os.getpid()}-{len(self.processes)}@%h",
            ],
            env,
        )

    def beat(self, *, env: dict[str, str] | None = None):
        return self.start("beat", ["--schedule", str(self.tmp_path / "beat-schedule"), "--max-interval", "1"], env)

    def log(self, process: subprocess.Popen) -> str:
        for candidate, path in self.processes:
            if candidate is process:
                return path.read_text(errors="replace")
        return ""

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')}" for _, path in self.processes)

    def check_alive(self) -> None:
        for process, path in self.processes:
            if process.poll() is not None:
                pytest.fail(f"{path.stem} exited with {process.returncode}:\n{path.read_text(errors='replace')}")

    def mail(self) -> list[str]:
        return read_mail(self.mail_dir)

    def stop(self) -> None:
        for process, _ in reversed(self.processes):
            stop_process(process)


@pytest.fixture
def celery_processes(tmp_path) -> Iterator[CeleryProcesses]:
    """A factory for real Celery processes; the test sets `redis_url` before starting any."""
    database_url = database_url_for_another_process()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    # The test settings, with e-mail written to files this test can read.
    (tmp_path / "pqa_worker_settings.py").write_text(
        "from tests.settings import *  # noqa: F403\n"
        'EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"\n'
        f"EMAIL_FILE_PATH = {str(mail_dir)!r}\n"
    )
    processes = CeleryProcesses(tmp_path, "", database_url, mail_dir, [])
    try:
        yield processes
    finally:
        processes.stop()


@pytest.fixture
def redis_url() -> str:
    """The throwaway Redis of `make test` (PQA_TEST_REDIS_URL)."""
    url = os.environ.get("PQA_TEST_REDIS_URL", "")
    if not url:
        skip_or_fail("PQA_TEST_REDIS_URL is not set (start a Redis: `make services-up`, or run `make test`)")
    return url


@pytest.fixture
def celery_worker(redis_url, celery_processes):
    """A real `celery -A pqa worker` (solo pool) on the test database; yields the process,
    the mail folder and the worker's log file."""
    celery_processes.redis_url = redis_url
    worker = celery_processes.worker()
    return worker, celery_processes.mail_dir, celery_processes.processes[-1][1]


class RedisServer:
    """A redis-server of the test's own on a fixed loopback port, to stop and start at will
    without disturbing the shared one. Nothing is persisted, as with a crash."""

    def __init__(self, directory: Path):
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, wait: float = 10) -> None:
        assert self.binary, "redis-server is not installed"
        self.starts += 1
        log = self.directory / f"redis-{self.starts}.log"
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.answers():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        text = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"redis-server did not answer on port {self.port} within {wait}s:\n{text}")

    def kill(self) -> None:
        """Stop it the hard way, as a crash or an outage would: no shutdown, no save."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        deadline = time.monotonic() + 5
        while self.answers():
            assert time.monotonic() < deadline, "Redis still answers after being killed"
            time.sleep(0.05)


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    """A Redis of this test's own (started), stopped at the end whatever happened."""
    if shutil.which("redis-server") is None:
        skip_or_fail("redis-server is not installed (scripts/install-system-deps.sh installs it, as root)")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()
