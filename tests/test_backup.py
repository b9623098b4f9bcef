"""Backups that restore: taken under load, restored into a fresh database, same figures."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid

import pytest
from people import send
from sqlalchemy import create_engine, func, make_url, select, text

from config.settings import load_settings
from gateway import create_app
from models.backup import prune, suffix
from models.ledger import Transfer
from workers import runtime
from workers.backups import nightly_backup
from workers.schedule import due_jobs

pytestmark = pytest.mark.clock
SERVICE_DATABASE = os.environ.get("DATABASE_URL")


@pytest.fixture
def fresh_url(tmp_path):
    """The URL of a new, empty database on the suite's backend (never migrated)."""
    if not SERVICE_DATABASE:
        yield f"sqlite:///{tmp_path / 'restored' / 'satja.db'}"
        return
    admin = make_url(load_settings({"DATABASE_URL": SERVICE_DATABASE}).database_url)
    name = f"satja_restore_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield admin.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


def app_on(url: str, settings):
    """Another gateway app on the given database (the same Redis)."""
    return create_app(settings.with_(database_url=url))


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def journal(url: str) -> list[tuple]:
    engine = create_engine(load_settings({"DATABASE_URL": url}).database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(Transfer.__table__).order_by("id"))]
    finally:
        engine.dispose()


def test_a_backup_taken_under_load_restores_with_the_same_figures(
    app, client, db, busy_day, fund, settings, fresh_url, tmp_path
):
    stop, posted, errors = threading.Event(), [0], []

    def load() -> None:  # NAKLANG keeps paying while the backup is taken
        payer = app.test_client()
        while not stop.is_set():
            reply = send(payer, fund["outsider_collector"][2], f"PAY {fund['outsider'][1]} 1 AGAIN")
            if reply.status_code != 200:
                errors.append(reply.status_code)
            posted[0] += 1

    source_figures = run(app, "report", "group", "BANNA", "--json").output
    thread = threading.Thread(target=load)
    thread.start()
    try:
        while posted[0] < 5:  # the load is on before the backup starts
            threading.Event().wait(0.01)
        # A small SQLite file is copied in a few milliseconds: take backups until one
        # overlapped a payment being posted (on PostgreSQL the first one does).
        for attempt in range(50):
            at_start = posted[0]
            file = tmp_path / f"satja-{attempt}{suffix(settings.database_url)}"
            created = run(app, "backup", "create", str(file))
            assert created.exit_code == 0, created.output
            if posted[0] > at_start:
                break
    finally:
        stop.set()
        thread.join()
    assert errors == [] and posted[0] > at_start  # payments were posted while it ran

    restored_app = app_on(fresh_url, settings)
    try:
        restored = run(restored_app, "backup", "restore", str(file))
        assert restored.exit_code == 0, restored.output
        assert "ledger check ok" in restored.output
        assert run(restored_app, "ledger", "check").exit_code == 0
        figures = run(restored_app, "report", "group", "BANNA", "--json").output
        assert json.loads(figures) == json.loads(source_figures)
    finally:
        restored_app.extensions["satja.db"].dispose()
    # The group under load: a consistent cut, every restored entry as it is in the source.
    source, copy = journal(settings.database_url), journal(fresh_url)
    assert copy and copy == source[: len(copy)]


def test_a_restore_refuses_a_database_that_is_not_empty(app, db, fund, settings, tmp_path):
    file = tmp_path / f"b{suffix(settings.database_url)}"
    assert run(app, "backup", "create", str(file)).exit_code == 0
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Transfer))
    refused = run(app, "backup", "restore", str(file))
    assert refused.exit_code == 1
    assert "is not empty: restore only into a new" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not a backup at all", "is not a Satja backup"),
        (None, "cannot read"),
    ],
)
def test_a_restore_refuses_what_is_not_a_backup(settings, fresh_url, tmp_path, content, expected):
    file = tmp_path / "odd.bin"
    if content is not None:
        file.write_bytes(content)
    target = app_on(fresh_url, settings)
    try:
        refused = run(target, "backup", "restore", str(file))
    finally:
        target.extensions["satja.db"].dispose()
    assert refused.exit_code == 1 and expected in refused.output
    assert len(refused.output.strip().splitlines()) == 1


def test_a_backup_never_overwrites_a_file(app, db, tmp_path):
    file = tmp_path / "kept.dump"
    file.write_text("an older backup")
    refused = run(app, "backup", "create", str(file))
    assert refused.exit_code == 1 and "exists already" in refused.output
    assert file.read_text() == "an older backup"
    missing = run(app, "backup", "create", str(tmp_path / "no" / "such" / "x.dump"))
    assert missing.exit_code == 1 and "is not a folder" in missing.output


def test_the_nightly_backup_keeps_the_configured_number(settings, db, redis_conn, tmp_path, today):
    folder = tmp_path / "nightly"
    folder.mkdir()
    end = suffix(settings.database_url)
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        (folder / f"satja-{day}{end}").write_text("old")
    (folder / "notes.txt").write_text("not a backup: never pruned")
    runtime.install(settings.with_(backup_dir=folder, backup_keep=2))
    try:
        assert nightly_backup(today.isoformat()) == f"satja-{today}{end}"
        assert nightly_backup(today.isoformat()) == "done already"
    finally:
        runtime.uninstall()
    assert {p.name for p in folder.iterdir()} == {
        f"satja-2026-01-03{end}",
        f"satja-{today}{end}",
        "notes.txt",
    }
    assert (folder / f"satja-{today}{end}").stat().st_mode & 0o077 == 0  # personal data
    assert prune(folder, 1) == [folder / f"satja-2026-01-03{end}"]


def test_the_cron_asks_for_a_backup_once_a_night_only_when_configured():
    at = dt.datetime(2026, 11, 30, 18, 30)  # 01:30 in Bangkok on 1 December
    (backup,) = [d for d in due_jobs(at, [], "Asia/Bangkok", backup=True) if "backup" in d.job_id]
    assert backup.job_id == "backup-2026-12-01"
    assert backup.timeout > 180  # RQ's default would kill a large dump
    early = dt.datetime(2026, 11, 30, 17, 30)  # 00:30: last night's is still the one due
    assert "backup-2026-11-30" in {
        d.job_id for d in due_jobs(early, [], "Asia/Bangkok", backup=True)
    }
    assert not [d for d in due_jobs(at, [], "Asia/Bangkok") if d.job_id.startswith("backup")]


def test_backup_settings_are_checked_in_one_line():
    from config.settings import SettingsError

    with pytest.raises(SettingsError, match="SATJA_BACKUP_KEEP must be a whole number"):
        load_settings({"SATJA_BACKUP_KEEP": "a week"})


@pytest.mark.skipif(not SERVICE_DATABASE, reason="a server that answers, but not this database")
def test_a_restore_into_a_database_that_is_not_there_is_one_line(settings, tmp_path):
    file = tmp_path / "b.dump"
    file.write_bytes(b"PGDMP and the rest")
    url = make_url(settings.database_url).set(database="satja_no_such_database")
    target = app_on(url.render_as_string(hide_password=False), settings)
    try:
        refused = run(target, "backup", "restore", str(file))
    finally:
        target.extensions["satja.db"].dispose()
    assert refused.exit_code == 1
    assert refused.output.strip() == "Error: cannot connect to database satja_no_such_database"
