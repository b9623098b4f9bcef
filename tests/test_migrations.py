"""The Alembic migrations build exactly the schema the models describe, both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models import migrate
from models.base import Base


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(db):
    migrate.downgrade(db.engine, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db.engine)
    assert {"groups", "members", "accounts", "transfers", "transfer_refusals"} <= set(
        inspect(db.engine).get_table_names()
    )


def test_db_upgrade_command_is_idempotent(runner):
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0 and second.exit_code == 0


def test_people_migrate_from_roles_and_free_text_and_back(db):
    """0016: roles become office terms, claims' free text becomes a person where one is named."""
    from sqlalchemy import text

    migrate.downgrade(db.engine, "0015")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO groups (id, code, name, daily_rate_satang, waiting_days, lapse_days,"
                " meeting_day, entrance_fee_satang, reminder_day, pending_alert_days,"
                " cash_age_days, cash_limit_satang, last_member_no, created_at)"
                " VALUES (1, 'OLD', 'กองทุนเก่า', 100, 0, 90, 16, 0, 1, 3, 7, 500000, 3,"
                " '2025-01-01')"
            )
        )
        for number, name, role in ((1, "นางสมศรี ใจดี", "treasurer"), (2, "นายบุญมี", "collector"),
                                   (3, "นางมาลี", "member")):  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO members (id, group_id, number, name, phone, role, lang,"
                    " joined_on, status, pin_tries, reminders_opt_out, created_at)"
                    " VALUES (:n, 1, :n, :name, :phone, :role, 'th', '2025-01-01', 'active', 0,"
                    " false, '2025-01-01')"
                ),
                {"n": number, "name": name, "phone": f"+6681100000{number}", "role": role},
            )
        conn.execute(
            text(
                "INSERT INTO benefit_schedules (id, group_id, version, body, loaded_at)"
                " VALUES (1, 1, 'v', '{}', '2025-01-01')"
            )
        )
        for claim_id, filed, decided in ((1, "member:2", "name:นางสมศรี ใจดี"), (2, "ใครสักคน", None)):
            conn.execute(
                text(
                    "INSERT INTO claims (id, group_id, member_id, schedule_id, benefit, units,"
                    " amount, event_date, status, filed_by, decided_by, created_at)"
                    " VALUES (:i, 1, 3, 1, 'hospital', 1, 10000, '2025-06-01', 'filed', :f, :d,"
                    " '2025-06-01')"
                ),
                {"i": claim_id, "f": filed, "d": decided},
            )
    migrate.upgrade(db.engine)
    with db.engine.connect() as conn:
        offices = conn.execute(
            text("SELECT member_id, office, starts_on, by_job FROM offices ORDER BY member_id")
        ).all()
        claims = conn.execute(
            text(
                "SELECT filed_by_member_id, filed_by_job, decided_by_member_id, decided_by_job"
                " FROM claims ORDER BY id"
            )
        ).all()
    assert [(m, o, j) for m, o, _, j in offices] == [
        (1, "treasurer", "migration"),
        (2, "collector", "migration"),
    ]
    assert [tuple(row) for row in claims] == [(2, None, 1, None), (None, "migration", None, None)]
    migrate.downgrade(db.engine, "0015")
    with db.engine.connect() as conn:
        roles = conn.execute(text("SELECT role FROM members ORDER BY id")).scalars().all()
        filed = conn.execute(text("SELECT filed_by FROM claims ORDER BY id")).scalars().all()
    assert roles == ["treasurer", "collector", "member"]
    assert filed == ["member:2", "ใครสักคน"]
    migrate.upgrade(db.engine)
