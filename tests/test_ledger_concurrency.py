"""Many threads posting at once: duplicated keys, one hot account, deliberate overdrafts.

On PostgreSQL this proves the row locks; on SQLite, the BEGIN IMMEDIATE write lock.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import defaultdict

import pytest
from people import BY
from sqlalchemy import func, select

from models.audit import check_ledger
from models.ledger import (
    Account,
    Code,
    Refusal,
    RefusedTransfer,
    Transfer,
    TransferSpec,
    create_transfer,
    reverse_transfer,
)
from models.offices import Office
from models.registry import add_group, add_member

THREADS = 32
DAY = dt.date(2026, 11, 16)


@pytest.mark.slow
def test_32_threads_keep_the_books(db):
    with db.transaction() as session:
        group = add_group(session, "HOT", "hot")
        collector = add_member(
            session, group, name="c", phone="0811111111", office=Office.COLLECTOR, joined_on=DAY
        )
        members = [
            add_member(session, group, name=f"m{i}", phone=f"08222222{i:02d}", joined_on=DAY)
            for i in range(8)
        ]
        group_id, cash = group.id, f"collector_cash:{collector.id}"
        member_keys = [f"member:{m.id}" for m in members]

    ops = []
    for i in range(240):  # contributions into the one hot cash account
        ops.append(("pay", f"pay-{i}", member_keys[i % 8], 3000))
    for i in range(60):  # hand-overs worth twice the cash: many must be refused
        ops.append(("handover", f"ho-{i}", cash, 24000))
    for i in range(40):  # corrections that overdraw some members
        ops.append(("correct", f"fix-{i}", member_keys[i % 8], 40000 if i % 3 else 500))
    for i in range(0, 240, 6):  # undo some payments, some twice under different keys
        ops.append(("undo", f"undo-{i}", f"pay-{i}", 0))
        ops.append(("undo", f"undo2-{i}", f"pay-{i}", 0))
    rng = random.Random(7)
    # Every request is sent by two different threads: the network repeats itself.
    plans = [[] for _ in range(THREADS)]
    for op in ops:
        for t in rng.sample(range(THREADS), 2):
            plans[t].append(op)
    for plan in plans:
        rng.shuffle(plan)

    results: dict[str, list] = defaultdict(list)
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def spec(kind, key, account, amount):
        debit, credit, code = {
            "pay": (cash, account, Code.CONTRIBUTION),
            "handover": ("fund_bank", account, Code.HANDOVER),
            "correct": (account, "fund_bank", Code.EXPENSE),
        }[kind]
        return TransferSpec(key, group_id, debit, credit, amount, code, DAY, by=BY)

    def work(plan):
        start.wait()
        for kind, key, account, amount in plan:
            try:
                with db.transaction() as session:
                    if kind == "undo":
                        original = session.scalars(
                            select(Transfer.id).where(Transfer.key == account)
                        ).first()
                        if original is None:  # the payment is not in yet: try later
                            outcome = None
                        else:
                            outcome = reverse_transfer(session, key, original, DAY, by=BY)
                    else:
                        outcome = create_transfer(session, spec(kind, key, account, amount))
                    result = None
                    if outcome is not None:
                        result = outcome.transfer.id if outcome.ok else outcome.refused
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                continue
            if result is not None:
                with lock:
                    results[key].append(result)

    threads = [threading.Thread(target=work, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors[:3]
    # Both copies of a request got the same answer.
    assert all(len(set(r)) == 1 for r in results.values()), {
        k: r for k, r in results.items() if len(set(r)) > 1
    }
    with db.transaction() as session:
        assert check_ledger(session).ok
        keys = session.scalars(select(Transfer.key).where(Transfer.group_id == group_id)).all()
        refused = session.scalars(select(RefusedTransfer.key)).all()
        assert len(keys) == len(set(keys)), "one journal row per distinct key"
        assert not set(keys) & set(refused), "a key is either posted or refused"
        assert {f"pay-{i}" for i in range(240)} <= set(keys)
        accounts = {
            a.key: a for a in session.scalars(select(Account).where(Account.group_id == group_id))
        }
        assert accounts[cash].debit_balance >= 0
        assert all(accounts[k].credit_balance >= 0 for k in member_keys)
        handed = session.scalar(
            select(func.count()).where(Transfer.key.like("ho-%"), Transfer.group_id == group_id)
        )
        assert 0 < handed < 60, "some hand-overs must have been refused as overdrafts"
        reversed_pairs = session.scalar(
            select(func.count()).where(Transfer.reversal_of.is_not(None))
        )
        assert reversed_pairs <= 40, "at most one reversal per payment"
    overdrafts = [k for k, r in results.items() if r[0] == Refusal.OVERDRAFT]
    assert any(k.startswith("fix-") for k in overdrafts)
    assert any(k.startswith("ho-") for k in overdrafts)
