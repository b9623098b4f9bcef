"""Backups that restore: PostgreSQL's custom-format dump, or SQLite's online backup.

A backup is taken while the gateway runs: `pg_dump` reads one snapshot of the whole
database, and SQLite's backup API copies a consistent image page by page. A restore goes
only into an empty database, so it can never mix two funds' books; the caller then runs
`ledger check` on what it restored.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

PG_MAGIC = b"PGDMP"  # the first bytes of a pg_dump custom-format archive
SQLITE_MAGIC = b"SQLite format 3\x00"
NIGHTLY = re.compile(r"satja-\d{4}-\d{2}-\d{2}\.(dump|sqlite)")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


def is_sqlite(database_url: str) -> bool:
    """True for the embedded database."""
    return make_url(database_url).get_backend_name() == "sqlite"


def suffix(database_url: str) -> str:
    """The file ending of this backend's backups."""
    return ".sqlite" if is_sqlite(database_url) else ".dump"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: nothing to back up")
    return Path(url.database)


def _pg_command(url: URL, program: str) -> tuple[list[str], dict[str, str]]:
    """The program with the connection as options; the password in the environment, not argv."""
    args = [program, "--dbname", url.database or "", "--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{args[0]} is not installed (PostgreSQL's client tools)") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{args[0]} failed: {lines[0] if lines else done.returncode}")


def create_backup(database_url: str, target: Path) -> Path:
    """Write a backup of the database to a new file (never over an existing one)."""
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    url = make_url(database_url)
    partial = target.with_name(target.name + ".partial")  # renamed only when complete
    partial.unlink(missing_ok=True)
    try:
        if is_sqlite(database_url):
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupError(f"{source} does not exist")
            with (
                contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
                contextlib.closing(sqlite3.connect(partial)) as dst,
            ):
                src.backup(dst)
        else:
            args, env = _pg_command(url, "pg_dump")
            _run([*args, "--format=custom", "--file", str(partial)], env)
        partial.chmod(0o600)  # it holds every member's name and number: the owner's only
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _kind_of(source: Path) -> str:
    try:
        with source.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    raise BackupError(f"{source} is not a Satja backup (neither pg_dump nor SQLite)")


def _sqlite_tables(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [name for (name,) in rows]


def _pg_tables(url: URL) -> list[str]:
    engine = create_engine(url)
    try:
        try:
            conn = engine.connect()
        except OperationalError:
            raise BackupError(f"cannot connect to database {url.database}") from None
        with conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                    )
                )
            )
    finally:
        engine.dispose()


def restore_backup(database_url: str, source: Path) -> None:
    """Restore a backup into an empty database of the same backend; refuse anything else."""
    kind = _kind_of(source)
    url = make_url(database_url)
    backend = "sqlite" if is_sqlite(database_url) else "postgresql"
    if kind != backend:
        raise BackupError(f"{source} is a {kind} backup; DATABASE_URL is {backend}")
    if kind == "sqlite":
        target = _sqlite_path(url)
        if "alembic_version" not in _sqlite_tables(source):
            raise BackupError(f"{source} is a SQLite file but not a Satja database")
        if target.exists() and _sqlite_tables(target):
            raise BackupError(f"{target} is not empty: restore only into a new database")
        target.parent.mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
        return
    if _pg_tables(url):
        raise BackupError(f"database {url.database} is not empty: restore only into a new one")
    args, env = _pg_command(url, "pg_restore")
    # One transaction: a restore that fails half-way leaves the database empty again.
    _run(
        [*args, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
         str(source)],
        env,
    )  # fmt: skip


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` nightly backups in the folder; the ones deleted."""
    nightly = sorted(p for p in folder.iterdir() if NIGHTLY.fullmatch(p.name))
    gone = nightly[:-keep] if keep > 0 else nightly
    for path in gone:
        path.unlink()
    return gone
