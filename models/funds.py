"""Money from outside (matching, donations, interest) and administrative expenses."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actors import Actor
from models.ledger import Account, Code, Outcome, TransferSpec, create_transfer
from models.registry import Group

ADMIN_SHARE_LIMIT = 0.20  # at most a fifth of the fund may go to administration


class Source(enum.StrEnum):
    """Where matching money comes from (CODI's status form asks by source)."""

    LOCAL_GOVERNMENT = "local_government"  # อบต. / เทศบาล
    CODI_SEED = "codi_seed"  # พอช.
    GOVERNMENT_MATCH = "government_match"
    DONATION = "donation"
    INTEREST = "interest"


LOCAL = (Source.LOCAL_GOVERNMENT,)
NATIONAL = (Source.CODI_SEED, Source.GOVERNMENT_MATCH)


def add_funds(
    session: Session,
    group: Group,
    source: Source,
    amount: int,
    day: dt.date,
    key: str,
    *,
    by: Actor,
) -> Outcome:
    """Money received into the bank from a source, under an idempotency key."""
    return create_transfer(
        session,
        TransferSpec(
            key=key,
            group_id=group.id,
            debit="fund_bank",
            credit=f"matching:{source.value}",
            amount=amount,
            code=Code.MATCHING,
            business_date=day,
            note=source.value,
            by=by,
        ),
    )


def add_expense(
    session: Session, group: Group, amount: int, day: dt.date, key: str, note: str, *, by: Actor
) -> Outcome:
    """An administrative expense paid from the bank."""
    return create_transfer(
        session,
        TransferSpec(
            key=key,
            group_id=group.id,
            debit="admin_expense",
            credit="fund_bank",
            amount=amount,
            code=Code.EXPENSE,
            business_date=day,
            note=note[:200],
            by=by,
        ),
    )


def admin_share(session: Session, group: Group) -> tuple[int, int]:
    """(administration spent, all money the fund received), in satang."""
    rows = dict(
        session.execute(
            select(Account.key, Account.debits_posted - Account.credits_posted).where(
                Account.group_id == group.id, Account.key == "admin_expense"
            )
        ).all()
    )
    received = session.execute(
        select(Account.key, Account.credits_posted - Account.debits_posted).where(
            Account.group_id == group.id,
            Account.key.like("member:%") | Account.key.like("matching:%"),
        )
    ).all()
    return int(rows.get("admin_expense", 0)), sum(int(v) for _, v in received)
