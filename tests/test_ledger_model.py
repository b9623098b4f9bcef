"""A Hypothesis state machine: a plain-Python model predicts every ledger result."""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from people import BY
from sqlalchemy import select

from models.ledger import (
    Account,
    Code,
    IdempotencyConflict,
    Refusal,
    TransferSpec,
    create_transfer,
    post_pending,
    reverse_transfer,
    void_pending,
)
from models.offices import Office
from models.registry import add_group, add_member

DAY = dt.date(2026, 11, 16)
KEYS = st.sampled_from("abcdefgh")
AMOUNTS = st.sampled_from([100, 3000, 9000, 36500, 1])
EXAMPLES = int(os.environ.get("SATJA_MODEL_EXAMPLES", "60"))
_runs = itertools.count(1)


class Model:
    """What the ledger should hold: four totals per account, and every key's fate."""

    def __init__(self) -> None:
        self.totals: dict[str, list[int]] = {}  # key -> [dp, cp, dpe, cpe]
        self.keys: dict[str, tuple[tuple, object]] = {}  # key -> (body, result)
        self.resolved: set[int] = set()
        self.reversed: set[int] = set()
        self.moved: dict[int, tuple[str, str, int, str]] = {}  # id -> (dr, cr, amount, phase)

    def limit_ok(self, key: str) -> bool:
        dp, cp, dpe, cpe = self.totals.setdefault(key, [0, 0, 0, 0])
        if key.startswith("member:"):
            return dp + dpe <= cp
        if key.startswith("collector_cash:") or key == "fund_bank":
            return cp + cpe <= dp
        return True

    def move(self, debit: str, credit: str, amount: int, phase: str) -> bool:
        """Apply a movement if both limits hold; say whether it was applied."""
        posted = amount if phase in ("single", "post") else 0
        pending = {"single": 0, "pending": amount}.get(phase, -amount)
        before = {k: list(self.totals.setdefault(k, [0, 0, 0, 0])) for k in (debit, credit)}
        self.totals[debit][0] += posted
        self.totals[debit][2] += pending
        self.totals[credit][1] += posted
        self.totals[credit][3] += pending
        if self.limit_ok(debit) and self.limit_ok(credit):
            return True
        self.totals.update(before)
        return False


def make_machine(db):
    class LedgerMachine(RuleBasedStateMachine):
        """Each example is a fresh group; every step is its own transaction."""

        transfers = Bundle("transfers")
        pendings = Bundle("pendings")

        def __init__(self) -> None:
            super().__init__()
            self.model = Model()
            self.run = next(_runs)
            with db.transaction() as session:
                group = add_group(session, f"M{self.run}", "model")
                people = [
                    add_member(
                        session,
                        group,
                        name=f"p{i}",
                        phone=f"09{self.run:05d}{i:03d}",
                        office=role,
                        joined_on=DAY,
                    )
                    for i, role in enumerate([Office.COLLECTOR, Office.COLLECTOR, None])
                ]
                self.group_id = group.id
                self.collectors = [f"collector_cash:{p.id}" for p in people[:2]]
                self.members = [f"member:{p.id}" for p in people]

        def key(self, name: str) -> str:
            return f"m{self.run}-{name}"

        def call(self, key: str, body: tuple, action):
            """Run one request in its own transaction and check it against the model."""
            known = self.model.keys.get(key)
            with db.sessions() as session:
                try:
                    outcome = action(session)
                except IdempotencyConflict:
                    session.rollback()
                    assert known is not None and known[0] != body
                    return None
                session.commit()
            if known is not None:
                assert known[0] == body, "a different body must be a conflict"
                assert outcome.replayed
                expected = known[1]
                got = outcome.transfer.id if outcome.ok else outcome.refused
                assert got == expected
                return None
            assert not outcome.replayed
            return outcome

        def record(self, key: str, body: tuple, outcome) -> None:
            result = outcome.transfer.id if outcome.ok else outcome.refused
            self.model.keys[key] = (body, result)

        def create(self, name: str, debit: str, credit: str, amount: int, pending: bool):
            key = self.key(name)
            body = ("create", debit, credit, amount, pending)
            spec = TransferSpec(
                by=BY,
                key=key,
                group_id=self.group_id,
                debit=debit,
                credit=credit,
                amount=amount,
                code=Code.CONTRIBUTION,
                business_date=DAY,
            )
            outcome = self.call(key, body, lambda s: create_transfer(s, spec, pending=pending))
            if outcome is None:
                return None
            phase = "pending" if pending else "single"
            applied = self.model.move(debit, credit, amount, phase)
            assert outcome.ok == applied, (outcome, self.model.totals)
            if not applied:
                assert outcome.refused == Refusal.OVERDRAFT
            self.record(key, body, outcome)
            if applied:
                self.model.moved[outcome.transfer.id] = (debit, credit, amount, phase)
                return outcome.transfer.id
            return None

        @rule(target=transfers, name=KEYS, m=st.integers(0, 2), c=st.integers(0, 1), amount=AMOUNTS)
        def pay(self, name, m, c, amount):
            tid = self.create(name, self.collectors[c], self.members[m], amount, pending=False)
            return tid if tid is not None else -1

        @rule(target=pendings, name=KEYS, m=st.integers(0, 2), c=st.integers(0, 1), amount=AMOUNTS)
        def declare(self, name, m, c, amount):
            tid = self.create(name, self.collectors[c], self.members[m], amount, pending=True)
            return tid if tid is not None else -1

        @rule(target=transfers, name=KEYS, c=st.integers(0, 1), amount=AMOUNTS)
        def hand_over(self, name, c, amount):
            tid = self.create(name, "fund_bank", self.collectors[c], amount, pending=False)
            return tid if tid is not None else -1

        @rule(target=transfers, name=KEYS, m=st.integers(0, 2), amount=AMOUNTS)
        def correct_member(self, name, m, amount):
            tid = self.create(name, self.members[m], "fund_bank", amount, pending=False)
            return tid if tid is not None else -1

        @rule(target=transfers, name=KEYS, pending=pendings, post=st.booleans())
        def resolve(self, name, pending, post):
            if pending < 0:
                return -1
            key = self.key(name)
            phase = "post" if post else "void"
            body = (phase, pending)
            action = post_pending if post else void_pending
            outcome = self.call(key, body, lambda s: action(s, key, pending, DAY, by=BY))
            if outcome is None:
                return -1
            if pending in self.model.resolved:
                assert outcome.refused == Refusal.ALREADY_RESOLVED
            else:
                debit, credit, amount, _ = self.model.moved[pending]
                assert self.model.move(debit, credit, amount, phase)
                assert outcome.ok
                self.model.resolved.add(pending)
                self.model.moved[outcome.transfer.id] = (debit, credit, amount, phase)
            self.record(key, body, outcome)
            return outcome.transfer.id if outcome.ok else -1

        @rule(target=transfers, name=KEYS, original=consumes(transfers))
        def reverse(self, name, original):
            if original < 0:
                return -1
            key = self.key(name)
            body = ("reverse", original)
            outcome = self.call(key, body, lambda s: reverse_transfer(s, key, original, DAY, by=BY))
            if outcome is None:
                return -1
            debit, credit, amount, phase = self.model.moved[original]
            if phase not in ("single", "post") or original in self.model.reversed:
                expected = (
                    Refusal.ALREADY_REVERSED
                    if original in self.model.reversed
                    else Refusal.NOT_REVERSIBLE
                )
                assert outcome.refused == expected
            elif self.model.move(credit, debit, amount, "single"):
                assert outcome.ok
                self.model.reversed.add(original)
                # A reversal is not itself reversible: mark it so.
                self.model.moved[outcome.transfer.id] = (credit, debit, amount, "reversal")
            else:
                assert outcome.refused == Refusal.OVERDRAFT
            self.record(key, body, outcome)
            return outcome.transfer.id if outcome.ok else -1

        @invariant()
        def totals_match_the_model(self):
            with db.sessions() as session:
                rows = session.scalars(
                    select(Account).where(Account.group_id == self.group_id)
                ).all()
                actual = {
                    a.key: [a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending]
                    for a in rows
                }
            for key, totals in self.model.totals.items():
                assert actual.get(key, [0, 0, 0, 0]) == totals, key

    return LedgerMachine


@pytest.mark.slow
def test_ledger_agrees_with_its_model(db):
    machine = make_machine(db)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
