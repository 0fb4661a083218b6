"""Back up the database named by DATABASE_URL to a timestamped file (docs/backup-and-restore.md).

PostgreSQL: `pg_dump --format=custom`, checked readable with `pg_restore --list`.
SQLite: an online, consistent copy through SQLite's backup API (never a file copy, which can
catch a write half done), checked with `PRAGMA integrity_check`.

The file is written under a temporary name and renamed when complete, so a file named
pqa-*.dump or pqa-*.sqlite3 is always a whole backup; it is readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump and pg_restore, with arguments as a list, never a shell
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

PG_SUFFIX = ".dump"
SQLITE_SUFFIX = ".sqlite3"


def engine_of(database: dict) -> str:
    engine = database["ENGINE"]
    if "postgresql" in engine:
        return "postgresql"
    if "sqlite3" in engine:
        return "sqlite"
    raise CommandError(f"Backups are made of PostgreSQL or SQLite databases, not {engine}.")


def pg_environment(database: dict) -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore: the password never appears in `ps`."""
    env = dict(os.environ)
    values = {
        "PGDATABASE": database.get("NAME"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGHOST": database.get("HOST"),
        "PGPORT": str(database.get("PORT") or ""),
        "PGSSLMODE": (database.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({name: value for name, value in values.items() if value})
    return env


def pg_tool(name: str) -> str:
    path = shutil.which(name) or next(
        (str(candidate) for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not path:
        raise CommandError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def sqlite_path(database: dict) -> Path:
    name = str(database["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise CommandError(f"SQLite database {name!r} is not a file that can be backed up or restored.")
    return Path(name)


def sqlite_check(path: Path) -> None:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as check:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    check.close()
    if result != "ok":
        raise CommandError(f"{path} fails SQLite's integrity check: {result}")


class Command(BaseCommand):
    help = "Back up the database (DATABASE_URL) to a timestamped file under backups/."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Which of settings.DATABASES (default: default).")
        parser.add_argument(
            "--output-dir",
            default=str(settings.BASE_DIR / "backups"),
            help="Where to write the backup (default: backups/ in the project, which git ignores).",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="After a successful backup, delete all but the newest KEEP backups in the directory (0: keep all).",
        )

    def handle(self, *args, database, output_dir, keep, **options):
        settings_dict = connections[database].settings_dict
        engine = engine_of(settings_dict)
        directory = Path(output_dir)
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = PG_SUFFIX if engine == "postgresql" else SQLITE_SUFFIX
        target = directory / f"pqa-{engine}-{stamp}{suffix}"
        partial = target.with_name(f".{target.name}.partial")
        # Owner-only from the first byte: a backup holds children's case data.
        partial.touch(mode=0o600, exist_ok=False)
        try:
            if engine == "postgresql":
                self._pg_dump(settings_dict, partial)
            else:
                self._sqlite_backup(settings_dict, partial)
            partial.rename(target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(str(target))
        if keep > 0:
            for old in sorted(directory.glob(f"pqa-{engine}-*{suffix}"))[:-keep]:
                old.unlink()
                self.stderr.write(f"Deleted old backup {old}")

    def _pg_dump(self, database: dict, path: Path) -> None:
        env = pg_environment(database)
        dump = subprocess.run(  # noqa: S603 - fixed arguments, no shell  # nosec B603
            [pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={path}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if dump.returncode != 0:
            raise CommandError(f"pg_dump failed: {dump.stderr.strip()}")
        listing = subprocess.run(  # noqa: S603 - fixed arguments, no shell  # nosec B603
            [pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, check=False
        )
        if listing.returncode != 0 or "TABLE DATA" not in listing.stdout:
            raise CommandError(f"The dump could not be read back: {listing.stderr.strip()}")

    def _sqlite_backup(self, database: dict, path: Path) -> None:
        source_path = sqlite_path(database)
        if not source_path.exists():
            raise CommandError(f"SQLite database {source_path} does not exist.")
        # Read-only source: a backup must never create or change the live database. The API
        # copies a consistent snapshot even while the site keeps writing.
        source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(path)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        sqlite_check(path)
