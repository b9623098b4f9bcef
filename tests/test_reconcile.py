"""Nightly reconciliation from real postings: every outcome, reruns, carried items, the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from people import declare, ref_of, send
from sqlalchemy import select, text, update

from models.clock import local_today
from models.disputes import Dispute
from models.ledger import Account, id_for_ref
from models.outbox import OutboundMessage
from models.reconcile import (
    ReconcileRun,
    Resolution,
    RunStatus,
    open_exceptions,
    run_items,
)
from models.registry import Group
from workers.reconcile import run_night

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def items(db, code="BANNA", day=None):
    day = day or local_today()
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == code)).one()
        run = session.scalars(
            select(ReconcileRun).where(
                ReconcileRun.group_id == group.id, ReconcileRun.business_date == day
            )
        ).one()
        return run_items(session, run)


def kinds(found):
    return sorted((f.kind, f.amount) for f in found)


def messages_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage.text)
            .where(OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id)
        ).all()


def test_every_outcome_from_real_postings(db, busy_day, fund, today):
    result = run_night(db, today)
    assert not result.faults
    found = items(db)
    assert kinds(found) == sorted(
        [
            ("matched", 3000),  # PAY 30
            ("matched", 2000),  # declared, then OK
            ("rejected", 1000),  # declared, then NO
            ("declared", 4000),  # declared, waiting
            ("matched", 1000),  # PAY 10 ...
            ("disputed", 1000),  # ... which the member disputes
            ("matched", 500),  # PAY 5 ...
            ("reversed", 500),  # ... undone
            ("handover_short", 1000),  # 60 in hand, 50 handed over
            ("matched", 9000),  # the second collector's PAY 90 ...
            ("cash_held", 9000),  # ... over the 50 baht limit
        ]
    )
    waiting = next(f for f in found if f.kind == "declared")
    assert waiting.age_days == 0 and not waiting.alert
    assert result.summaries["BANNA"]["matched"] == (5, 3000 + 2000 + 1000 + 500 + 9000)
    # The other group had nothing and is reconciled all the same.
    assert items(db, "NAKLANG") == []


def test_collectors_and_the_treasurer_hear_about_their_day(db, busy_day, fund, today):
    run_night(db, today)
    collector = messages_to(db, fund["collector"][2])[-1]
    # Net: the 5 baht PAY that was undone is not received.
    assert collector.startswith("สรุป ") and "รับ 3 ราย 60 บ." in collector
    assert "เงินในมือ 10 บ. รอยืนยัน 1 ราย" in collector
    english = messages_to(db, fund["collector2"][2])[-1]
    assert "1 payment, 90 baht. Cash in hand 90 baht" in english
    treasurer = messages_to(db, fund["treasurer"][2])[-1]
    assert "รับ 4 ราย 150 บ. ส่งมอบ 50 บ." in treasurer
    assert "รอยืนยัน 1 ทักท้วง 1 เงินค้างมือ 1 ส่งขาด 1" in treasurer
    assert str(today.year + 543) in treasurer
    with db.transaction() as session:
        quiet = session.scalars(
            select(OutboundMessage.kind).where(OutboundMessage.key.like("recon:%"))
        ).all()
    assert quiet and set(quiet) == {"summary"}


def test_a_rerun_is_identical_and_late_entries_fall_into_the_next_run(
    client, db, busy_day, fund, today
):
    run_night(db, today)
    first = items(db)
    sent = len(messages_to(db, fund["treasurer"][2]))
    # A payment of the same business day, entered after the run froze the day.
    late = ref_of(send(client, fund["collector2"][2], f"PAY {fund['member'][1]} 7"))
    run_night(db, today)
    assert items(db) == first
    assert len(messages_to(db, fund["treasurer"][2])) == sent  # no summary twice
    tomorrow = today + dt.timedelta(days=1)
    run_night(db, tomorrow)
    later = items(db, day=tomorrow)
    assert ("matched", 700) in kinds(later)
    assert any(f.transfer_id == id_for_ref(late) for f in later)
    # Carried: the waiting declaration (now a day old) and the short hand-over.
    assert {f.kind for f in later} >= {"declared", "handover_short", "disputed", "cash_held"}
    assert next(f for f in later if f.kind == "declared").age_days == 1


def test_declarations_age_and_alert_then_clear_when_confirmed(client, db, fund, today):
    ref = declare(db, fund)
    for offset in range(4):
        run_night(db, today + dt.timedelta(days=offset))
    found = items(db, day=today + dt.timedelta(days=3))
    (waiting,) = [f for f in found if f.kind == "declared"]
    assert (waiting.age_days, waiting.alert) == (3, True)
    send(client, fund["collector"][2], f"OK {ref}")
    run_night(db, today + dt.timedelta(days=4))
    found = items(db, day=today + dt.timedelta(days=4))
    assert [f.kind for f in found] == ["matched"]
    assert found[0].subject == f"transfer:{id_for_ref(ref)}"


def test_cash_held_too_long_since_the_last_hand_over(client, db, fund, today):
    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30")
    run_night(db, today + dt.timedelta(days=7))
    assert "cash_held" not in {f.kind for f in items(db, day=today + dt.timedelta(days=7))}
    run_night(db, today + dt.timedelta(days=8))
    (held,) = [f for f in items(db, day=today + dt.timedelta(days=8)) if f.kind == "cash_held"]
    assert (held.amount, held.age_days, held.business_date) == (3000, 8, today)
    send(client, fund["treasurer"][2], f"RCV {fund['collector'][1]} 30")
    run_night(db, today + dt.timedelta(days=9))
    assert "cash_held" not in {f.kind for f in items(db, day=today + dt.timedelta(days=9))}


def test_a_ledger_inconsistency_fails_the_run_and_alarms_the_treasurer(db, busy_day, fund, today):
    account_key = f"member:{fund['member'][0]}"
    with db.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.key == account_key)
            .values(credits_posted=Account.credits_posted + 100)
        )
    try:
        result = run_night(db, today)
        assert result.faults and account_key in result.faults[0]
        with db.transaction() as session:
            runs = session.scalars(select(ReconcileRun.status)).all()
        assert RunStatus.FAILED in runs
        assert any(f.kind == "ledger" for f in items(db))
        assert "ไม่ตรงกัน" in messages_to(db, fund["treasurer"][2])[-1]
    finally:
        with db.transaction() as session:
            session.execute(
                update(Account)
                .where(Account.key == account_key)
                .values(credits_posted=Account.credits_posted - 100)
            )


def test_the_nightly_job_fails_visibly_on_ledger_faults(db, fund, settings, redis_conn, today):
    from workers import runtime
    from workers.reconcile import LedgerInconsistency, reconcile_night

    runtime.install(settings)
    try:
        assert "BANNA" in reconcile_night(today.isoformat())
        with db.transaction() as session:
            session.execute(
                text(
                    "UPDATE accounts SET debits_posted = debits_posted + 1 WHERE key = 'fund_bank'"
                )
            )
        with pytest.raises(LedgerInconsistency):
            reconcile_night((today + dt.timedelta(days=1)).isoformat())
    finally:
        runtime.uninstall()
        with db.transaction() as session:
            session.execute(
                text(
                    "UPDATE accounts SET debits_posted = debits_posted - 1 WHERE key = 'fund_bank'"
                )
            )


def test_days_go_in_order(runner, db, fund):
    assert runner.invoke(args=["reconcile", "run", "--date", "2026-12-02"]).exit_code == 0
    result = runner.invoke(args=["reconcile", "run", "--date", "2026-12-01"])
    assert result.exit_code == 1 and "reconciled already" in result.output
    # A rerun of a day already done is fine.
    assert runner.invoke(args=["reconcile", "run", "--date", "2026-12-02"]).exit_code == 0


def test_run_command_prints_counts_and_amounts(runner, busy_day):
    result = runner.invoke(args=["reconcile", "run", "--group", "banna"])
    assert result.exit_code == 0, result.output
    assert "1 group(s)" in result.output
    assert "matched" in result.output and "155.00 baht" in result.output
    assert "handover_short" in result.output and "10.00 baht" in result.output
    bad = runner.invoke(args=["reconcile", "run", "--group", "NOPE"])
    assert bad.exit_code == 1 and "no group" in bad.output
    assert runner.invoke(args=["reconcile", "run", "--date", "27/11/2026"]).exit_code == 2


def test_exceptions_json_lists_todays_declarations_before_any_run(runner, db, fund):
    ref = declare(db, fund, amount=3000)
    result = runner.invoke(args=["reconcile", "exceptions", "--group", "BANNA", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["kind"] == "declared" and row["ref"] == ref
    assert (row["member"], row["collector"]) == (fund["member"][1], fund["collector"][1])
    assert (row["amount_satang"], row["age_days"], row["alert"]) == (3000, 0, False)


def test_resolving_exceptions_from_the_command_line(runner, db, busy_day, fund, today):
    run_night(db, today)

    def resolve(*args):
        return runner.invoke(args=["reconcile", "resolve", "--group", "BANNA", *args])

    waiting = busy_day["waiting"]
    note_only = resolve(waiting, "--note", "x", "--by", "1")
    assert note_only.exit_code == 1 and "confirm, reverse" in note_only.output
    done = resolve(f"#{waiting}", "--confirm", "--note", "เห็นเงินแล้ว", "--by", "1")
    assert done.exit_code == 0, done.output
    assert "Your fund received 40 baht" in messages_to(db, fund["member_en"][2])[-1]
    assert resolve(waiting, "--confirm", "--note", "x", "--by", "1").exit_code == 1
    disputed = resolve(busy_day["disputed"], "--reverse", "--note", "ไม่ได้จ่าย", "--by", "1")
    assert disputed.exit_code == 0, disputed.output
    # The member hears who reversed it and how to object; the collector hears too.
    told = messages_to(db, fund["member"][2])[-1]
    assert told.startswith("กรรมการ นางสมศรี ยกเลิก 10 บ.")
    assert f'"ไม่ {busy_day["disputed"]}"' in told
    assert f"#{busy_day['disputed']} 10 บ. ของ นางมาลี" in messages_to(db, fund["collector"][2])[-1]
    short = resolve(busy_day["handover"], "--note", "ผู้เก็บทอนเงินสมาชิก", "--by", "1")
    assert short.exit_code == 0, short.output
    cash = resolve(f"cash:{fund['collector2'][1]}", "--note", "ส่งพรุ่งนี้", "--by", "1")
    assert cash.exit_code == 0, cash.output
    assert resolve("ZZZZ", "--note", "x", "--by", "1").exit_code == 1
    listed = runner.invoke(args=["reconcile", "exceptions", "--json"])
    assert json.loads(listed.output) == []
    with db.transaction() as session:
        kept = session.scalars(select(Resolution.action).order_by(Resolution.id)).all()
        assert kept == ["confirm", "reverse", "note", "note"]
        assert session.scalars(select(Dispute.status)).all() == ["resolved"]
    # The next night agrees: nothing open is left.
    run_night(db, today + dt.timedelta(days=1))
    after = items(db, day=today + dt.timedelta(days=1))
    assert sorted(f.kind for f in after) == ["matched", "reversed"]  # the confirm, the reversal


def test_open_exceptions_is_empty_for_a_quiet_group(db, fund, today):
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "NAKLANG")).one()
        assert open_exceptions(session, group, today) == []
