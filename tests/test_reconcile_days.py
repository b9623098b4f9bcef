"""Days reconcile by business date: missed days, weekends, go-live, hand-overs, references."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from people import BY, declare, ref_of, send
from rq import Queue, SimpleWorker
from sqlalchemy import select

from models.ledger import Code, TransferSpec, create_transfer, id_for_ref
from models.outbox import OutboundMessage
from models.reconcile import ReconcileRun, RunStatus, open_exceptions, run_items
from models.registry import Group, Member
from models.users import add_user
from workers import runtime
from workers.reconcile import run_night
from workers.schedule import due_jobs, enqueue_due

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

_keys = itertools.count(1)
DAY = dt.timedelta(days=1)


def pay(db, fund, day, baht, member="member", collector="collector"):
    """A collector's PAY with the business date it was taken on; its reference."""
    with db.transaction() as session:
        outcome = create_transfer(
            session,
            TransferSpec(
                by=BY,
                key=f"test:pay:{next(_keys)}",
                group_id=session.scalars(select(Group.id).where(Group.code == "BANNA")).one(),
                debit=f"collector_cash:{fund[collector][0]}",
                credit=f"member:{fund[member][0]}",
                amount=baht * 100,
                code=Code.CONTRIBUTION,
                business_date=day,
                member_id=fund[member][0],
                collector_id=fund[collector][0],
            ),
        )
        return outcome.transfer.ref


def hand_over(db, fund, day, baht, collector="collector"):
    """The treasurer takes cash from a collector on that business day; its reference."""
    with db.transaction() as session:
        outcome = create_transfer(
            session,
            TransferSpec(
                by=BY,
                key=f"test:rcv:{next(_keys)}",
                group_id=session.scalars(select(Group.id).where(Group.code == "BANNA")).one(),
                debit="fund_bank",
                credit=f"collector_cash:{fund[collector][0]}",
                amount=baht * 100,
                code=Code.HANDOVER,
                business_date=day,
                collector_id=fund[collector][0],
            ),
        )
        return outcome.transfer.ref


def runs(db, code="BANNA"):
    """(day, opening, status) of the group's runs, in order."""
    with db.transaction() as session:
        return [
            (r.business_date, r.opening, r.status)
            for r in session.scalars(
                select(ReconcileRun)
                .join(Group, Group.id == ReconcileRun.group_id)
                .where(Group.code == code)
                .order_by(ReconcileRun.business_date)
            )
        ]


def found(db, day, code="BANNA"):
    """Sorted (kind, amount in baht) of the group's run of that day."""
    with db.transaction() as session:
        run = session.scalars(
            select(ReconcileRun)
            .join(Group, Group.id == ReconcileRun.group_id)
            .where(Group.code == code, ReconcileRun.business_date == day)
        ).one()
        return sorted((f.kind, f.amount // 100) for f in run_items(session, run))


def summaries_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage.text)
            .where(OutboundMessage.to_phone == phone, OutboundMessage.key.like("recon:%"))
            .order_by(OutboundMessage.id)
        ).all()


def test_a_missed_day_caught_up_by_hand_takes_only_its_own_entries(runner, db, fund, today):
    d0, d1, d2, d3 = (today - n * DAY for n in (3, 2, 1, 0))
    run_night(db, d0)
    # Everything below is typed on d3: d1 and d2 were missed.
    pay(db, fund, d1, 10)
    pay(db, fund, d2, 20)
    pay(db, fund, d3, 30)
    done = runner.invoke(args=["reconcile", "run", "--date", d1.isoformat()])
    assert done.exit_code == 0, done.output
    assert found(db, d1) == [("matched", 10)]  # not d3's 30, nor d2's 20
    both = runner.invoke(args=["reconcile", "run", "--date", d3.isoformat()])
    assert both.exit_code == 0, both.output
    assert f"{d2}: 2 group(s)" in both.output and f"{d3}: 2 group(s)" in both.output
    assert found(db, d2) == [("matched", 20)]
    assert found(db, d3) == [("matched", 30)]
    assert [day for day, _, _ in runs(db)] == [d0, d1, d2, d3]
    # A late entry of d1 falls into the next run; d1 stays as it was.
    late = pay(db, fund, d1, 7)
    again = runner.invoke(args=["reconcile", "run", "--date", d1.isoformat()])
    assert again.exit_code == 0, again.output
    assert "BANNA was reconciled on" in again.output and "10.00 baht" in again.output
    assert found(db, d1) == [("matched", 10)]
    run_night(db, d3 + DAY)
    with db.transaction() as session:
        run = session.scalars(
            select(ReconcileRun).where(ReconcileRun.business_date == d3 + DAY)
        ).first()
        assert [f.transfer_id for f in run_items(session, run)] == [id_for_ref(late)]


def test_the_cron_catches_up_every_missed_night_in_order(db, fund, settings, redis_conn, today):
    d0, d1, d2, d3 = (today - n * DAY for n in (3, 2, 1, 0))
    run_night(db, d0)
    for day, baht in ((d1, 10), (d2, 20), (d3, 30)):
        pay(db, fund, day, baht)

    def cron_at(day, clock):
        local = dt.datetime.combine(day, clock)
        moment = local - dt.timedelta(hours=7)  # Bangkok is UTC+7
        due = [d for d in due_jobs(moment, [], "Asia/Bangkok") if d.job_id.startswith("recon")]
        enqueue_due(redis_conn, due)
        SimpleWorker([Queue("ledger", connection=redis_conn)], connection=redis_conn).work(
            burst=True
        )

    runtime.install(settings)
    try:
        # The cron was down on the nights of d1 and d2; it is back on d3's morning.
        cron_at(d3, dt.time(10, 0))
        assert [day for day, _, _ in runs(db)] == [d0, d1, d2]
        assert found(db, d1) == [("matched", 10)] and found(db, d2) == [("matched", 20)]
        cron_at(d3, dt.time(23, 35))
        assert found(db, d3) == [("matched", 30)]
    finally:
        runtime.uninstall()
    # One summary a day for the collector, each with its own day's money.
    texts = summaries_to(db, fund["collector"][2])
    assert [t.split(": ", 1)[1].split(" เงิน")[0] for t in texts] == [
        "รับ 1 ราย 10 บ.",
        "รับ 1 ราย 20 บ.",
        "รับ 1 ราย 30 บ.",
    ]


def test_a_weekend_with_no_entries(runner, db, fund, today):
    monday = today - dt.timedelta(days=today.weekday())
    friday = monday - 3 * DAY
    pay(db, fund, friday, 30)
    hand_over(db, fund, friday, 30)
    run_night(db, friday)
    pay(db, fund, monday, 20)
    result = runner.invoke(args=["reconcile", "run", "--date", monday.isoformat()])
    assert result.exit_code == 0, result.output
    assert [day for day, _, _ in runs(db)] == [friday, friday + DAY, friday + 2 * DAY, monday]
    assert found(db, friday + DAY) == found(db, friday + 2 * DAY) == []
    assert found(db, monday) == [("matched", 20)]
    # Nothing taken and nothing in hand at the weekend: the collector hears nothing then.
    collector = summaries_to(db, fund["collector"][2])
    assert len(collector) == 2 and "รับ 1 ราย 20 บ." in collector[-1]
    treasurer = summaries_to(db, fund["treasurer"][2])
    assert len(treasurer) == 4 and "รับ 0 ราย 0 บ. ส่งมอบ 0 บ." in treasurer[1]


def test_go_live_with_a_year_of_history_opens_once(runner, db, fund, today):
    start = today - 365 * DAY
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        create_transfer(
            session,
            TransferSpec(
                by=BY,
                key="import:opening:member",
                group_id=group.id,
                debit="fund_bank",
                credit=f"member:{fund['member'][0]}",
                amount=50_000,
                code=Code.OPENING,
                business_date=start,
                member_id=fund["member"][0],
                note="ยอดยกมาจากสมุด",
            ),
        )
    for month in range(12):
        day = start + month * 30 * DAY
        pay(db, fund, day, 30)
        pay(db, fund, day, 30, member="member_en")
        # The treasurer takes it all at the month's end, but for month 5 (10 short) ...
        hand_over(db, fund, day + 5 * DAY, 50 if month == 5 else 60)
        if month == 6:  # ... which the next month's hand-over settles.
            hand_over(db, fund, day + 6 * DAY, 10)
    old = declare(db, fund, amount=3000, day=today - 40 * DAY)  # still waiting for an OK
    pay(db, fund, today, 30)
    result = runner.invoke(args=["reconcile", "run"])
    assert result.exit_code == 0, result.output
    assert f"opening balances, history to {today - DAY}: 1 group(s)" in result.output
    assert runs(db) == [(today - DAY, True, "done"), (today, False, "done")]
    history = found(db, today - DAY)
    assert history.count(("matched", 30)) == 24 and ("matched", 500) in history
    assert "handover_short" not in {kind for kind, _ in history}  # settled in month 6
    day = found(db, today)
    # Today's PAY, the old declaration, and the cash held since the last hand-over.
    assert day == [("cash_held", 30), ("declared", 30), ("matched", 30)]
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        (waiting,) = [f for f in open_exceptions(session, group, today) if f.kind == "declared"]
    assert (waiting.ref, waiting.age_days, waiting.alert) == (old, 40, True)
    # The treasurer hears of today, never of the year as one day.
    (treasurer,) = summaries_to(db, fund["treasurer"][2])
    assert "รับ 1 ราย 30 บ." in treasurer
    # A later day runs as any other.
    pay(db, fund, today + DAY, 30, member="member_en")
    run_night(db, today + DAY)
    assert found(db, today + DAY) == [("cash_held", 60), ("declared", 30), ("matched", 30)]


def test_a_run_killed_after_its_freeze_is_resumed_before_the_next_day(db, fund, today):
    d0, d1, d2 = today - 2 * DAY, today - DAY, today
    run_night(db, d0)
    pay(db, fund, d1, 10)
    pay(db, fund, d2, 20)
    from models.reconcile import next_run

    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        missed = next_run(session, group, d2)  # d1 frozen on the way to d2, then a kill
    assert (missed.business_date, missed.status) == (d1, "running")
    run_night(db, d2)
    assert runs(db) == [(d0, False, "done"), (d1, False, "done"), (d2, False, "done")]
    assert found(db, d1) == [("matched", 10)] and found(db, d2) == [("matched", 20)]


def test_the_opening_run_takes_every_day_before_the_first(db, fund, today):
    pay(db, fund, today - 2 * DAY, 5)
    pay(db, fund, today - DAY, 10)
    pay(db, fund, today, 20)
    run_night(db, today)
    assert runs(db) == [(today - DAY, True, "done"), (today, False, "done")]
    assert found(db, today - DAY) == [("matched", 5), ("matched", 10)]
    assert found(db, today) == [("matched", 20)]


def test_an_undone_entry_is_never_counted_as_received(client, db, fund, today):
    collector = fund["collector"][2]
    undone = ref_of(send(client, collector, f"PAY {fund['member'][1]} 300"))
    send(client, collector, f"PAY {fund['member_en'][1]} 60")
    send(client, collector, f"UNDO {undone}")
    rejected = declare(db, fund, member="member_en", amount=2000)
    send(client, collector, f"NO {rejected}")
    run_night(db, today)
    (collector_day,) = summaries_to(db, collector)
    assert "รับ 1 ราย 60 บ. เงินในมือ 60 บ." in collector_day
    (treasurer_day,) = summaries_to(db, fund["treasurer"][2])
    assert "รับ 1 ราย 60 บ." in treasurer_day


@pytest.mark.parametrize(
    ("later", "still_open"),
    [
        # Hand-overs after the short one, and the shortfalls left open (baht).
        ([("hand", 10)], []),  # the rest handed over: nothing in hand, closed
        ([("pay", 30), ("hand", 40)], []),  # more taken, all handed over: closed
        ([("pay", 30), ("hand", 35)], [5]),  # the later one leaves 5: only that is open
        ([("pay", 30)], [10]),  # no later hand-over: still short
        ([], [10]),
    ],
)
def test_a_short_hand_over_closes_when_later_hand_overs_leave_nothing(
    db, fund, today, later, still_open
):
    d1, d2 = today - DAY, today
    pay(db, fund, d1, 60)
    hand_over(db, fund, d1, 50)
    run_night(db, d1)
    assert [a for k, a in found(db, d1) if k == "handover_short"] == [10]
    for what, baht in later:
        (pay if what == "pay" else hand_over)(db, fund, d2, baht)
    run_night(db, d2)
    assert [a for k, a in found(db, d2) if k == "handover_short"] == still_open
    (treasurer,) = summaries_to(db, fund["treasurer"][2])[-1:]
    assert f"ส่งขาด {len(still_open)}" in treasurer
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        now = [f.amount // 100 for f in open_exceptions(session, group, today)]
    assert [a for a in now if a in still_open] == still_open and len(now) == len(still_open)


def test_a_dispute_is_listed_and_resolved_by_the_reference_the_member_saw(
    client, runner, db, busy_day, fund, today
):
    seen = busy_day["confirmed"]  # a declaration's reference, confirmed by OK
    reply = send(client, fund["member"][2], f"NO {seen}")  # the member disputes the receipt
    assert reply.status_code == 200
    listed = runner.invoke(args=["reconcile", "exceptions", "--group", "BANNA", "--json"])
    (row,) = [r for r in json.loads(listed.output) if r["kind"] == "disputed" and r["ref"] == seen]
    assert row["posting_ref"] != seen and id_for_ref(row["posting_ref"]) > id_for_ref(seen)
    assert (row["member_name"], row["collector_name"]) == ("นางมาลี มีสุข", "นายบุญมี เก็บเงิน")
    text = runner.invoke(args=["reconcile", "exceptions", "--group", "BANNA"]).output
    assert f"#{seen}" in text and "member 4 นางมาลี มีสุข" in text
    assert f"#{row['posting_ref']}" not in text
    done = runner.invoke(
        args=[
            "reconcile",
            "resolve",
            seen,
            "--group",
            "BANNA",
            "--note",
            "ได้รับจริง",
            "--by",
            "1",
        ]
    )
    assert done.exit_code == 0, done.output
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        assert seen not in {f.ref for f in open_exceptions(session, group, today)}


def test_the_posting_reference_finds_the_dispute_too(client, runner, db, busy_day, fund):
    seen = busy_day["confirmed"]
    send(client, fund["member"][2], f"NO {seen}")
    listed = runner.invoke(args=["reconcile", "exceptions", "--group", "BANNA", "--json"])
    (row,) = [r for r in json.loads(listed.output) if r["ref"] == seen]
    done = runner.invoke(
        args=[
            "reconcile",
            "resolve",
            row["posting_ref"],
            "--group",
            "BANNA",
            "--note",
            "ok",
            "--by",
            "1",
        ]
    )
    assert done.exit_code == 0, done.output


def test_the_dashboard_lists_exceptions_by_the_reference_seen_with_names(
    client, db, busy_day, fund
):
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_user(
            session,
            "somsri",
            "สมศรี",
            "a-long-password-1",
            group,
            "th",
            session.get(Member, fund["treasurer"][0]),
        )
    send(client, fund["member"][2], f"NO {busy_day['confirmed']}")
    login = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    form = {"username": "somsri", "password": "a-long-password-1", "csrf_token": csrf}
    assert client.post("/dashboard/login", data=form).status_code == 302
    page = client.get("/dashboard/g/BANNA/exceptions").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert f"#{busy_day['confirmed']}" in cells  # the reference on the member's receipt
    assert f"{fund['member'][1]} นางมาลี มีสุข" in cells
    assert f"{fund['collector'][1]} นายบุญมี เก็บเงิน" in cells


def test_a_day_run_again_shows_its_figures_and_its_exceptions_today(
    client, runner, db, busy_day, fund, today
):
    first = runner.invoke(args=["reconcile", "run", "--group", "BANNA"])
    assert first.exit_code == 0, first.output
    send(client, fund["collector"][2], f"OK {busy_day['waiting']}")
    done = runner.invoke(
        args=[
            "reconcile",
            "resolve",
            busy_day["disputed"],
            "--group",
            "BANNA",
            "--note",
            "ผู้เก็บยืนยัน",
            "--by",
            "1",
        ]
    )
    assert done.exit_code == 0, done.output
    again = runner.invoke(args=["reconcile", "run", "--group", "BANNA"])
    assert again.exit_code == 0, again.output
    out = again.output
    assert f"{today}: BANNA was reconciled on" in out
    assert "matched" in out and "155.00 baht" in out  # the frozen figures
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("  ! ")}
    assert lines["disputed"].endswith(f"resolved (note) by นางสมศรี ใจดี (#1) on {today}")
    assert lines["handover_short"].endswith("open")
    assert lines["cash_held"].endswith("open")
    declared = next(line for line in out.splitlines() if line.startswith("    declared"))
    assert declared.endswith(f"closed (confirmed by the collector on {today})")
    with db.transaction() as session:
        assert session.scalars(select(ReconcileRun.status)).all() == [RunStatus.DONE]
