"""A reconciliation killed with SIGKILL at any point, then rerun, equals an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from models.clock import local_today
from models.outbox import OutboundMessage
from models.reconcile import ReconcileItem, ReconcileRun, RunStatus, Window, findings, run_items
from models.registry import Group
from workers.reconcile import run_night

ROOT = Path(__file__).resolve().parents[1]


def start_run(settings):
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SATJA_INSTANCE_PATH": str(settings.instance_path),
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "gateway",
            "reconcile",
            "run",
            "--date",
            local_today().isoformat(),
            "--group",
            "BANNA",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def kill(process):
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def frozen(db):
    """The BANNA run as the killed process left it, and what its window holds."""
    with db.transaction() as session:
        run = session.scalars(select(ReconcileRun)).one()
        group = session.get(Group, run.group_id)
        w = Window.of(run, group, session.get_bind().dialect.name)
        query = findings(w.dialect).subquery()
        expected = sorted(
            (row.kind, row.subject, row.amount, row.age_days)
            for row in session.execute(select(query), w.params()).all()
        )
        items = session.scalar(select(func.count()).select_from(ReconcileItem))
        return run.status, items, expected


def after_rerun(db):
    run_night(db, local_today(), group_code="BANNA")
    with db.transaction() as session:
        run = session.scalars(select(ReconcileRun)).one()
        found = sorted((f.kind, f.subject, f.amount, f.age_days) for f in run_items(session, run))
        keys = session.scalars(
            select(OutboundMessage.key).where(OutboundMessage.key.like("recon:%"))
        ).all()
        return run.status, found, keys


def stall_item_writes(db, is_postgres):
    """Make the first write of a run's items hang, so a kill lands between freeze and compute.

    A trigger, not a table lock: it works on SQLite too, whose locks cover the whole file.
    """
    with db.engine.begin() as conn:
        if is_postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION stall() RETURNS trigger AS $$"
                    " BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER stall BEFORE INSERT ON reconcile_items"
                    " FOR EACH ROW EXECUTE FUNCTION stall()"
                )
            )
        else:  # no sleep in SQLite: a join of a billion rows keeps it busy as long
            conn.execute(text("CREATE TABLE spin (x INTEGER)"))
            conn.execute(text("INSERT INTO spin VALUES " + ",".join(["(1)"] * 1000)))
            conn.execute(
                text(
                    "CREATE TRIGGER stall BEFORE INSERT ON reconcile_items BEGIN"
                    " SELECT count(*) FROM spin a, spin b, spin c; END"
                )
            )


def unstall(db, is_postgres):
    with db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER stall" + (" ON reconcile_items" if is_postgres else "")))
        conn.execute(text("DROP FUNCTION stall()" if is_postgres else "DROP TABLE spin"))


@pytest.mark.slow
def test_killed_after_the_freeze_then_rerun(settings, db, busy_day, is_postgres):
    stall_item_writes(db, is_postgres)
    process = start_run(settings)

    reader = create_engine(db.engine.url)  # plain reads: the stalled run holds the write lock

    def run_made():
        with reader.connect() as conn:
            return conn.scalar(select(func.count()).select_from(ReconcileRun)) > 0

    try:
        assert wait_for(run_made), "the run never froze its day"
    finally:
        kill(process)
        reader.dispose()
    unstall(db, is_postgres)
    status, items, expected = frozen(db)
    assert (status, items) == (RunStatus.RUNNING, 0)  # killed between freeze and compute
    status, found, keys = after_rerun(db)
    assert status == RunStatus.DONE and found == expected
    assert len(keys) == len(set(keys)) == 3  # two collectors and the treasurer, once each


@pytest.mark.service
@pytest.mark.parametrize(
    ("table", "mode", "stage"),
    [
        ("reconcile_items", "ACCESS EXCLUSIVE", "before any item is written"),
        ("outbound_messages", "EXCLUSIVE", "after the items, before the messages"),
    ],
)
def test_killed_mid_transaction_then_rerun(settings, db, busy_day, is_postgres, table, mode, stage):
    if not is_postgres:
        pytest.skip("holds a PostgreSQL table lock to stop the run at a chosen statement")
    blocker = db.engine.connect()
    transaction = blocker.begin()
    blocker.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))
    process = start_run(settings)

    def waiting_on_the_lock():
        with db.engine.connect() as conn:
            # Only this test's database: other work on the server must not count.
            waiting = text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            return conn.scalar(waiting) > 0

    try:
        assert wait_for(waiting_on_the_lock), f"the run never reached {stage}"
    finally:
        kill(process)
        transaction.rollback()
        blocker.close()
    status, items, expected = frozen(db)
    assert (status, items) == (RunStatus.RUNNING, 0)  # the killed transaction left nothing
    status, found, keys = after_rerun(db)
    assert status == RunStatus.DONE and found == expected
    assert len(keys) == len(set(keys)) == 3
