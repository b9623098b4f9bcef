"""Figures for a group: members, contributions, matching, welfare, fund balance."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from models.ledger import Account, Phase, Transfer
from models.registry import Group, Member, Status


def _balances(session: Session, group: Group) -> dict[str, tuple[int, int]]:
    """Posted (debits, credits) per account; member accounts summed under member:*."""
    rows = session.execute(
        select(Account.key, Account.debits_posted, Account.credits_posted).where(
            Account.group_id == group.id, ~Account.key.like("member:%")
        )
    ).all()
    totals = {row.key: (row.debits_posted, row.credits_posted) for row in rows}
    debits, credits = session.execute(
        select(
            func.coalesce(func.sum(Account.debits_posted), 0),
            func.coalesce(func.sum(Account.credits_posted), 0),
        ).where(Account.group_id == group.id, Account.key.like("member:%"))
    ).one()
    totals["member:*"] = (int(debits), int(credits))
    return totals


def _open_pending(session: Session, group: Group) -> tuple[int, int]:
    """Count and amount of pending transfers not yet posted or voided."""
    resolution = aliased(Transfer)
    unresolved = ~select(resolution.id).where(resolution.pending_id == Transfer.id).exists()
    count, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(Transfer.amount), 0)).where(
            Transfer.group_id == group.id, Transfer.phase == Phase.PENDING.value, unresolved
        )
    ).one()
    return int(count), int(amount)


def group_report(session: Session, group: Group) -> dict[str, Any]:
    """The group's figures, all money in satang."""
    totals = _balances(session, group)
    by_status = dict(
        session.execute(
            select(Member.status, func.count())
            .where(Member.group_id == group.id)
            .group_by(Member.status)
        ).all()
    )
    contributions = totals["member:*"][1] - totals["member:*"][0]
    matching = {
        key.split(":", 1)[1]: credits - debits
        for key, (debits, credits) in sorted(totals.items())
        if key.startswith("matching:")
    }
    welfare = {
        key.split(":", 1)[1]: debits - credits
        for key, (debits, credits) in sorted(totals.items())
        if key.startswith("welfare:")
    }
    admin = totals.get("admin_expense", (0, 0))
    bank = totals.get("fund_bank", (0, 0))
    cash = sum(d - c for key, (d, c) in totals.items() if key.startswith("collector_cash:"))
    pending_count, pending_amount = _open_pending(session, group)
    return {
        "group": group.code,
        "name": group.name,
        "members": by_status.get(Status.ACTIVE.value, 0),
        "members_by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "contributions_satang": contributions,
        "matching_satang": matching,
        "welfare_paid_satang": sum(welfare.values()),
        "welfare_by_type_satang": welfare,
        "admin_expense_satang": admin[0] - admin[1],
        "bank_satang": bank[0] - bank[1],
        "cash_with_collectors_satang": cash,
        "fund_balance_satang": bank[0] - bank[1] + cash,
        "pending_declarations": pending_count,
        "pending_declarations_satang": pending_amount,
    }
