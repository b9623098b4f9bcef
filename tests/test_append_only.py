"""The journal is append-only in the database itself, even for raw SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY
from sqlalchemy import exc, text

from models.ledger import Code, TransferSpec, create_transfer
from models.offices import Office


@pytest.fixture
def journal(db, session, make_group, make_member):
    group = make_group()
    collector = make_member(group, Office.COLLECTOR)
    create_transfer(
        session,
        TransferSpec(
            by=BY,
            key="k",
            group_id=group.id,
            debit=f"collector_cash:{collector.id}",
            credit=f"member:{collector.id}",
            amount=3000,
            code=Code.CONTRIBUTION,
            business_date=dt.date(2026, 11, 16),
        ),
    )
    create_transfer(
        session,
        TransferSpec(
            by=BY,
            key="refused",
            group_id=group.id,
            debit="fund_bank",
            credit=f"collector_cash:{collector.id}",
            amount=999_999,
            code=Code.HANDOVER,
            business_date=dt.date(2026, 11, 16),
        ),
    )
    session.commit()
    return db


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transfers SET amount = amount + 100",
        "UPDATE transfers SET note = 'changed'",
        "DELETE FROM transfers",
        "UPDATE transfer_refusals SET reason = 'ok'",
        "DELETE FROM transfer_refusals",
    ],
)
def test_raw_sql_cannot_change_the_journal(journal, statement):
    with pytest.raises(exc.DBAPIError, match="append-only"), journal.engine.begin() as conn:
        conn.execute(text(statement))
    with journal.engine.connect() as conn:
        assert conn.scalar(text("SELECT sum(amount) FROM transfers")) == 3000
        assert conn.scalar(text("SELECT count(*) FROM transfer_refusals")) == 1


def test_truncate_is_refused_on_postgresql(journal, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE (DELETE is covered above)")
    with pytest.raises(exc.DBAPIError, match="append-only"), journal.engine.begin() as conn:
        conn.execute(text("TRUNCATE transfers CASCADE"))
