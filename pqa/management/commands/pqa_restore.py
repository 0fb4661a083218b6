"""Restore a backup made by pqa_backup into the database named by DATABASE_URL.

Refuses a database that already has tables unless --force: a restore replaces what is there.
PostgreSQL: `pg_restore --clean --if-exists --no-owner` in one transaction (all or nothing)
into an existing database. SQLite: SQLite's backup API, from the backup file into the target.
"""

from __future__ import annotations

import sqlite3
import subprocess  # noqa: S404 - pg_restore with arguments as a list, never a shell
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from pqa.management.commands.pqa_backup import engine_of, pg_environment, pg_tool, sqlite_check, sqlite_path

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class Command(BaseCommand):
    help = "Restore a pqa_backup file into the database (DATABASE_URL). Refuses a non-empty one unless --force."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="The file pqa_backup wrote.")
        parser.add_argument("--database", default="default", help="Which of settings.DATABASES (default: default).")
        parser.add_argument(
            "--force", action="store_true", help="Restore even though the database has tables: they are replaced."
        )

    def handle(self, *args, backup, database, force, **options):
        path = Path(backup)
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        connection = connections[database]
        settings_dict = connection.settings_dict
        engine = engine_of(settings_dict)
        with path.open("rb") as file:
            magic = file.read(len(SQLITE_MAGIC))
        expected = PG_MAGIC if engine == "postgresql" else SQLITE_MAGIC
        if not magic.startswith(expected):
            raise CommandError(f"{path} is not a {engine} backup made by pqa_backup, and the database is {engine}.")

        if engine == "sqlite" and not sqlite_path(settings_dict).exists():
            tables = []  # Django would create the file just to look; there is nothing there.
        else:
            with connection.cursor() as cursor:
                tables = connection.introspection.table_names(cursor)
        connection.close()
        if tables and not force:
            raise CommandError(
                f"The database already has {len(tables)} tables. A restore replaces them: "
                "restore into an empty database, or add --force if replacing them is what you want."
            )

        if engine == "postgresql":
            self._pg_restore(settings_dict, path)
        else:
            self._sqlite_restore(settings_dict, path)
        self.stdout.write(f"Restored {path} into {settings_dict['NAME']}.")

    def _pg_restore(self, database: dict, path: Path) -> None:
        restore = subprocess.run(  # noqa: S603 - fixed arguments, no shell  # nosec B603
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={database['NAME']}",
                str(path),
            ],
            env=pg_environment(database),
            capture_output=True,
            text=True,
            check=False,
        )
        if restore.returncode != 0:
            raise CommandError(f"pg_restore failed, nothing was changed: {restore.stderr.strip()}")

    def _sqlite_restore(self, database: dict, path: Path) -> None:
        sqlite_check(path)
        target_path = sqlite_path(database)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            # Page by page into the target, under its lock: readers never see half a restore.
            source.backup(target)
        finally:
            target.close()
            source.close()
        sqlite_check(target_path)
