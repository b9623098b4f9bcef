"""The ledger's rules: idempotency, two-phase, reversals, limits, references."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from people import BY
from sqlalchemy import func, select

from models.ledger import (
    Account,
    Code,
    IdempotencyConflict,
    InvalidTransfer,
    Phase,
    Refusal,
    RefusedTransfer,
    Transfer,
    TransferSpec,
    create_transfer,
    post_pending,
    reverse_transfer,
    void_pending,
)
from models.offices import Office

DAY = dt.date(2026, 11, 16)


@pytest.fixture
def fund(session, make_group, make_member):
    """A group with one collector and one member."""
    group = make_group()
    collector = make_member(group, Office.COLLECTOR)
    member = make_member(group)
    session.flush()
    return group, collector, member


def pay(group, collector, member, key="k1", amount=3000, **changes):
    spec = TransferSpec(
        by=BY,
        key=key,
        group_id=group.id,
        debit=f"collector_cash:{collector.id}",
        credit=f"member:{member.id}",
        amount=amount,
        code=Code.CONTRIBUTION,
        business_date=DAY,
        member_id=member.id,
        collector_id=collector.id,
    )
    return dataclasses.replace(spec, **changes)


def handover(group, collector, key, amount):
    return TransferSpec(
        by=BY,
        key=key,
        group_id=group.id,
        debit="fund_bank",
        credit=f"collector_cash:{collector.id}",
        amount=amount,
        code=Code.HANDOVER,
        business_date=DAY,
        collector_id=collector.id,
    )


def account(session, group, key):
    return session.scalars(
        select(Account).where(Account.group_id == group.id, Account.key == key)
    ).one()


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_posting_moves_both_running_totals(session, fund):
    group, collector, member = fund
    outcome = create_transfer(session, pay(group, collector, member, amount=3000))
    assert outcome.ok and not outcome.replayed
    assert outcome.transfer.phase == Phase.SINGLE
    assert account(session, group, f"member:{member.id}").credit_balance == 3000
    assert account(session, group, f"collector_cash:{collector.id}").debit_balance == 3000


def test_same_key_same_body_replays_and_writes_nothing(session, fund):
    group, collector, member = fund
    first = create_transfer(session, pay(group, collector, member))
    session.commit()
    again = create_transfer(session, pay(group, collector, member))
    assert again.replayed and again.transfer.id == first.transfer.id
    assert count(session, Transfer) == 1
    assert account(session, group, f"member:{member.id}").credit_balance == 3000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 6000}, "amount"),
        ({"business_date": DAY + dt.timedelta(days=1)}, "business_date"),
        ({"code": Code.OPENING}, "code"),
        ({"note": "อื่น"}, "note"),
        ({"member_id": None}, "member_id"),
    ],
)
def test_same_key_different_body_names_the_field(session, fund, change, field):
    group, collector, member = fund
    create_transfer(session, pay(group, collector, member))
    session.commit()
    with pytest.raises(IdempotencyConflict) as err:
        create_transfer(session, pay(group, collector, member, **change))
    assert err.value.field == field
    assert count(session, Transfer) == 1


def test_same_key_different_accounts_is_a_conflict(session, fund, make_member):
    group, collector, member = fund
    other = make_member(group)
    create_transfer(session, pay(group, collector, member))
    with pytest.raises(IdempotencyConflict) as err:
        create_transfer(session, pay(group, collector, other))
    assert err.value.field == "credit"


def test_same_key_pending_versus_posted_is_a_conflict(session, fund):
    group, collector, member = fund
    create_transfer(session, pay(group, collector, member), pending=True)
    with pytest.raises(IdempotencyConflict) as err:
        create_transfer(session, pay(group, collector, member))
    assert err.value.field == "pending"


def test_overdraft_is_refused_and_stays_refused(session, fund):
    group, collector, member = fund
    refused = create_transfer(session, handover(group, collector, "h1", 5000))
    assert refused.refused == Refusal.OVERDRAFT
    assert refused.detail == f"collector_cash:{collector.id}"
    session.commit()
    # The collector now holds enough cash, but the refused key stays refused.
    assert create_transfer(session, pay(group, collector, member, amount=9000)).ok
    again = create_transfer(session, handover(group, collector, "h1", 5000))
    assert again.refused == Refusal.OVERDRAFT and again.replayed
    assert create_transfer(session, handover(group, collector, "h2", 5000)).ok
    assert count(session, RefusedTransfer) == 1
    assert account(session, group, f"collector_cash:{collector.id}").debit_balance == 4000


def test_refused_key_with_a_different_body_is_a_conflict(session, fund):
    group, collector, _member = fund
    create_transfer(session, handover(group, collector, "h1", 5000))
    with pytest.raises(IdempotencyConflict) as err:
        create_transfer(session, handover(group, collector, "h1", 6000))
    assert err.value.field == "amount"


def test_member_account_never_goes_negative(session, fund):
    group, collector, member = fund
    create_transfer(session, pay(group, collector, member, amount=3000))
    refund = TransferSpec(
        by=BY,
        key="refund",
        group_id=group.id,
        debit=f"member:{member.id}",
        credit="fund_bank",
        amount=3001,
        code=Code.WELFARE,
        business_date=DAY,
    )
    outcome = create_transfer(session, refund)
    assert outcome.refused == Refusal.OVERDRAFT
    assert outcome.detail == f"member:{member.id}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": 0}, "positive"),
        ({"amount": -100}, "positive"),
        ({"amount": 30.0}, "positive"),
        ({"amount": True}, "positive"),
        ({"key": ""}, "key"),
        ({"key": "x" * 65}, "key"),
        ({"code": "gift"}, "code"),
        ({"credit": "member:abc"}, "account"),
        ({"credit": "savings"}, "account"),
    ],
)
def test_malformed_transfers_raise_and_write_nothing(session, fund, change, message):
    group, collector, member = fund
    with pytest.raises(InvalidTransfer, match=message):
        create_transfer(session, pay(group, collector, member, **change))
    assert count(session, Transfer) == 0
    assert count(session, RefusedTransfer) == 0


def test_same_debit_and_credit_is_malformed(session, fund):
    group, collector, _member = fund
    spec = handover(group, collector, "h", 100)
    with pytest.raises(InvalidTransfer):
        create_transfer(session, dataclasses.replace(spec, credit="fund_bank"))


def test_pending_reserves_then_posts_once(session, fund):
    group, collector, member = fund
    declared = create_transfer(session, pay(group, collector, member), pending=True)
    member_account = account(session, group, f"member:{member.id}")
    assert member_account.credits_pending == 3000 and member_account.credits_posted == 0
    posted = post_pending(session, "ok-1", declared.transfer.id, DAY, by=BY)
    assert posted.ok and posted.transfer.phase == Phase.POST
    member_account = account(session, group, f"member:{member.id}")
    assert (member_account.credits_pending, member_account.credits_posted) == (0, 3000)
    assert post_pending(session, "ok-1", declared.transfer.id, DAY, by=BY).replayed
    second = post_pending(session, "ok-2", declared.transfer.id, DAY, by=BY)
    assert second.refused == Refusal.ALREADY_RESOLVED
    voided = void_pending(session, "no-1", declared.transfer.id, DAY, by=BY)
    assert voided.refused == Refusal.ALREADY_RESOLVED
    assert account(session, group, f"member:{member.id}").credits_posted == 3000


def test_pending_voids_once_and_moves_no_money(session, fund):
    group, collector, member = fund
    declared = create_transfer(session, pay(group, collector, member), pending=True)
    voided = void_pending(session, "no-1", declared.transfer.id, DAY, by=BY)
    assert voided.ok and voided.transfer.phase == Phase.VOID
    acct = account(session, group, f"member:{member.id}")
    assert (acct.credits_pending, acct.credits_posted) == (0, 0)
    assert post_pending(session, "ok-1", declared.transfer.id, DAY, by=BY).refused == (
        Refusal.ALREADY_RESOLVED
    )


def test_only_pending_transfers_resolve(session, fund):
    group, collector, member = fund
    single = create_transfer(session, pay(group, collector, member))
    assert post_pending(session, "p", single.transfer.id, DAY, by=BY).refused == Refusal.NOT_PENDING
    assert void_pending(session, "v", 999_999, DAY, by=BY).refused == Refusal.PENDING_NOT_FOUND


def test_pending_counts_against_the_limit(session, fund):
    group, collector, member = fund
    create_transfer(session, pay(group, collector, member, amount=3000))
    first = create_transfer(session, handover(group, collector, "h1", 2000), pending=True)
    assert first.ok
    # Only 1000 is free: the other 2000 is reserved by the pending hand-over.
    assert create_transfer(session, handover(group, collector, "h2", 1500)).refused == (
        Refusal.OVERDRAFT
    )
    assert create_transfer(session, handover(group, collector, "h3", 1000)).ok


def test_reversal_mirrors_once(session, fund):
    group, collector, member = fund
    original = create_transfer(session, pay(group, collector, member))
    undo = reverse_transfer(session, "undo-1", original.transfer.id, DAY, note="พิมพ์ผิด", by=BY)
    assert undo.ok and undo.transfer.code == Code.REVERSAL
    assert undo.transfer.debit_account_id == original.transfer.credit_account_id
    assert account(session, group, f"member:{member.id}").credit_balance == 0
    assert reverse_transfer(
        session, "undo-1", original.transfer.id, DAY, note="พิมพ์ผิด", by=BY
    ).replayed
    again = reverse_transfer(session, "undo-2", original.transfer.id, DAY, by=BY)
    assert again.refused == Refusal.ALREADY_REVERSED
    assert reverse_transfer(session, "undo-3", undo.transfer.id, DAY, by=BY).refused == (
        Refusal.NOT_REVERSIBLE
    )


def test_reversal_of_pending_or_void_is_refused(session, fund):
    group, collector, member = fund
    declared = create_transfer(session, pay(group, collector, member), pending=True)
    assert reverse_transfer(session, "r1", declared.transfer.id, DAY, by=BY).refused == (
        Refusal.NOT_REVERSIBLE
    )
    voided = void_pending(session, "v1", declared.transfer.id, DAY, by=BY)
    assert reverse_transfer(session, "r2", voided.transfer.id, DAY, by=BY).refused == (
        Refusal.NOT_REVERSIBLE
    )
    assert reverse_transfer(session, "r3", 424242, DAY, by=BY).refused == Refusal.NOT_REVERSIBLE


def test_posted_pending_can_be_reversed(session, fund):
    group, collector, member = fund
    declared = create_transfer(session, pay(group, collector, member), pending=True)
    posted = post_pending(session, "ok", declared.transfer.id, DAY, by=BY)
    assert reverse_transfer(session, "undo", posted.transfer.id, DAY, by=BY).ok
    assert account(session, group, f"member:{member.id}").credit_balance == 0


def test_reversal_that_would_overdraw_is_refused(session, fund):
    group, collector, member = fund
    paid = create_transfer(session, pay(group, collector, member, amount=3000))
    create_transfer(session, handover(group, collector, "h", 3000))
    # The cash is with the treasurer now: undoing the payment would leave the
    # collector below zero.
    undo = reverse_transfer(session, "undo", paid.transfer.id, DAY, by=BY)
    assert undo.refused == Refusal.OVERDRAFT
    assert undo.detail == f"collector_cash:{collector.id}"


def test_accounts_of_another_group_are_not_touched(session, make_group, make_member):
    first, second = make_group(), make_group()
    collector = make_member(first, Office.COLLECTOR)
    member = make_member(first)
    spec = pay(first, collector, member)
    with pytest.raises(InvalidTransfer, match="no account"):
        create_transfer(session, dataclasses.replace(spec, group_id=second.id))
    assert count(session, Transfer) == 0
