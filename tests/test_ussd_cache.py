"""Hops that change nothing are answered from Redis; what they show is never stale."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from people import BY, declare, hop, ref_of, send, walk
from rq import Queue
from sqlalchemy import event, func, select, text, update

from config.settings import DEV_PIN_KEY
from gateway import create_app
from gateway.edge.types import UssdRequest
from gateway.extensions.redis import redis_or_none
from gateway.flows.texts import render, short_name
from gateway.flows.ussd import declared_screen, locked_screen
from gateway.services.ussd_cache import HopCache
from gateway.services.ussd_fast import declare_in_one, pin_in_one
from gateway.services.ussd_hop import REF_MARK, DeclarePlan, PinPlan
from models.base import member_generation, utcnow
from models.clock import local_today
from models.ledger import Code, Transfer, TransferSpec, create_transfer
from models.offices import Office
from models.outbox import OutboundMessage
from models.phones import phone_key
from models.pins import hash_pin
from models.references import ref_for
from models.registry import Group, Member, Status, take_office
from models.ussd import UssdHop
from workers import runtime
from workers.broker import generation_key
from workers.outbox import SMS_QUEUE
from workers.relay import READY, relay_all

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

BALANCE = ["1", "98", "0"]  # balance, more, back


@contextmanager
def statements(db):
    """Every SQL statement the app's database runs inside the block, either way it goes."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    class Counted(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            seen.append(str(query))
            return super().execute(query, *args, **kwargs)

    def count(dbapi_conn, *_args) -> None:
        dbapi_conn.cursor_factory = Counted

    def uncount(dbapi_conn, *_args) -> None:
        if dbapi_conn is not None:  # None: invalidated, gone
            dbapi_conn.cursor_factory = psycopg.Cursor

    # Database.call goes below SQLAlchemy's statement events: count at the driver.
    calls = db.calls if db.engine.dialect.name == "postgresql" else None
    event.listen(db.engine, "before_cursor_execute", note)
    if calls is not None:
        event.listen(calls, "checkout", count)
        event.listen(calls, "checkin", uncount)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
        if calls is not None:
            event.remove(calls, "checkout", count)
            event.remove(calls, "checkin", uncount)


def phone(fund, who="member"):
    return fund[who][2]


def warm(client, fund, who="member"):
    """Two sessions: the first finds the caller's group, the second reads the figures."""
    walk(client, phone(fund, who), BALANCE)
    return walk(client, phone(fund, who), BALANCE)


def test_a_known_caller_moves_through_the_menu_without_the_database(client, db, fund):
    from_database = warm(client, fund)
    with statements(db) as seen:
        from_redis = walk(client, phone(fund), BALANCE)
        assert walk(client, phone(fund), [])[-1].startswith("CON 1 ยอดสัจจะ")
    assert seen == []
    assert from_redis == from_database
    assert from_redis[1].startswith("CON ยอดสัจจะ 0 บ.")


def test_a_hop_calls_redis_on_its_thread_s_own_connection(app, client, fund, redis_conn):
    def pinned_here():
        with app.app_context():
            return redis_or_none(pinned=True)

    warm(client, fund)
    pinned = pinned_here()
    assert pinned_here() is pinned
    with ThreadPoolExecutor(1) as other:
        assert other.submit(pinned_here).result() is not pinned
    pinned.client_setname("satja-pinned")
    walk(client, phone(fund), BALANCE)
    (named,) = [c for c in redis_conn.client_list() if c["name"] == "satja-pinned"]
    assert named["cmd"] == "evalsha"  # the hop's one call went on it, not on a pooled one


def test_a_redis_that_lost_the_script_or_the_connection_still_answers(client, db, fund, redis_conn):
    screens = warm(client, fund)
    redis_conn.script_flush()  # as after a restart: the script must be loaded again
    with statements(db) as seen:
        assert walk(client, phone(fund), BALANCE) == screens
    assert seen == []
    # Redis hung up on the hop's kept connection while it was idle: the next hop reconnects.
    redis_conn.client_kill_filter(_id=None, skipme=True, _type="normal")
    with statements(db) as seen:
        assert walk(client, phone(fund), [])[-1].startswith("CON 1 ยอดสัจจะ")
    assert seen == []


def test_a_call_cut_off_before_its_reply_leaves_it_to_no_other_caller(
    app, client, fund, monkeypatch
):
    warm(client, fund)
    with app.app_context():
        pinned = redis_or_none(pinned=True)
    connection, hops, today = pinned.connection, HopCache(pinned), local_today()
    read = connection.read_response

    def interrupted(*_args, **_kwargs):
        monkeypatch.setattr(connection, "read_response", read)
        raise KeyboardInterrupt  # sent, its reply not yet read

    monkeypatch.setattr(connection, "read_response", interrupted)
    with pytest.raises(KeyboardInterrupt):
        hops.look("cut", phone_key(phone(fund)), 1000, today)
    stranger = hops.look("next", phone_key("+66899999999"), 1000, today)
    assert stranger.reachable and stranger.current is None  # not the member's snapshot


def test_hops_that_change_something_still_go_to_the_database(client, db, fund):
    warm(client, fund)
    with statements(db) as seen:
        answers = walk(client, phone(fund), ["2", "30", "1", "5807", "5807", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว #")
    assert len(seen) > 3  # the PIN, the declaration, the hop's record
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == 1


def test_a_confirmed_payment_shows_at_once(client, db, fund):
    assert warm(client, fund)[1].startswith("CON ยอดสัจจะ 0 บ.")
    ref = declare(db, fund)
    assert ref_of(send(client, phone(fund, "collector"), f"OK {ref}")) == ref
    assert walk(client, phone(fund), ["1"])[-1].startswith("CON ยอดสัจจะ 30 บ.")
    history = walk(client, phone(fund), ["3"])[-1]
    assert "30 บ. ยืนยันแล้ว" in history


def test_a_cli_change_to_the_fund_shows_at_once(client, runner, db, fund):
    before = warm(client, fund)[2]
    day = local_today().isoformat()
    result = runner.invoke(
        args=[
            "funds",
            "add",
            "--by",
            "1",
            "--group",
            "BANNA",
            "--source",
            "local_government",
            "--amount",
            "500",
            "--date",
            day,
        ]
    )
    assert result.exit_code == 0, result.output
    after = walk(client, phone(fund), ["1", "98"])[-1]
    assert after != before and "500" in after


def test_a_worker_s_change_shows_at_once(client, settings, fund):
    warm(client, fund)
    member_id, _, _ = fund["member"]
    worker = runtime.install(settings)
    try:
        with worker.db.transaction() as session:
            group_id = session.get(Member, member_id).group_id
            create_transfer(
                session,
                TransferSpec(
                    by=BY,
                    key="worker-test",
                    group_id=group_id,
                    debit="fund_bank",
                    credit=f"member:{member_id}",
                    amount=6000,
                    code=Code.OPENING,
                    business_date=local_today(),
                    member_id=member_id,
                ),
            )
    finally:
        runtime.uninstall()
    assert walk(client, phone(fund), ["1"])[-1].startswith("CON ยอดสัจจะ 60 บ.")


def test_registry_and_group_changes_show_at_once(client, db, fund):
    warm(client, fund)
    member_id = fund["member"][0]
    with db.transaction() as session:
        session.get(Member, member_id).lang = "en"
    assert walk(client, phone(fund), [])[-1].startswith("CON 1 Balance")
    with db.transaction() as session:
        member = session.get(Member, member_id)
        session.get(Group, member.group_id).waiting_days = 10_000
    days = (dt.date(2026, 1, 1) + dt.timedelta(days=10_000) - local_today()).days
    assert f"Welfare in {days} days" in walk(client, phone(fund), ["1", "98"])[-1]
    with db.transaction() as session:
        session.get(Member, member_id).status = Status.WITHDRAWN.value
    assert walk(client, phone(fund), [])[-1].startswith("END เบอร์นี้ยังไม่ได้ลงทะเบียน")


def test_a_change_in_another_group_keeps_the_snapshot(client, db, fund):
    warm(client, fund)
    declare(db, fund, member="outsider", collector="outsider_collector")
    with statements(db) as seen:
        walk(client, phone(fund), BALANCE)
    assert seen == []


def test_a_snapshot_is_never_tagged_newer_than_its_data(app, db, fund, redis_conn):
    """The generation is read before the database: a change in between is not hidden."""
    client = app.test_client()
    warm(client, fund)
    today = local_today()
    hops = HopCache(redis_conn)
    look = hops.look("s-race", phone(fund), 1000, today)
    assert look.held and look.snapshot.fields["balance"] == 0
    # A writer commits between this hop's look and its database read...
    ref = declare(db, fund, amount=6000)
    send(client, phone(fund, "collector"), f"OK {ref}")
    # ... and the hop stores what it read before the change, tagged as of its look.
    who = (look.snapshot.group_id, look.snapshot.head.member_id)
    hops.keep(look, "s-race", phone(fund), who, {"balance": 0}, today)
    after = hops.look("s-race-2", phone(fund), 1000, today)
    assert after.held and "balance" not in after.snapshot.fields
    assert walk(client, phone(fund), ["1"])[-1].startswith("CON ยอดสัจจะ 60 บ.")


def test_a_session_answers_from_the_figures_it_began_with(client, db, fund):
    warm(client, fund)
    assert hop(client, phone(fund), "1", "ATUid_view")[1].startswith("CON ยอดสัจจะ 0 บ.")
    ref = declare(db, fund)
    send(client, phone(fund, "collector"), f"OK {ref}")
    # The same hop again (the network repeated it) shows what it showed, and so does
    # the rest of the session; the next session shows the news.
    assert hop(client, phone(fund), "1", "ATUid_view")[1].startswith("CON ยอดสัจจะ 0 บ.")
    assert hop(client, phone(fund), "1*0*1", "ATUid_view")[1].startswith("CON ยอดสัจจะ 0 บ.")
    assert walk(client, phone(fund), ["1"])[-1].startswith("CON ยอดสัจจะ 30 บ.")


def test_a_snapshot_from_yesterday_is_not_held(client, fund, redis_conn):
    warm(client, fund)
    hops = HopCache(redis_conn)
    tomorrow = local_today() + dt.timedelta(days=1)
    assert not hops.look("s-b", phone(fund), 1000, tomorrow).held
    assert hops.look("s-a", phone(fund), 1000, local_today()).held


def test_the_generation_moves_on_only_after_commit(db, fund, redis_conn):
    member_id = fund["member"][0]
    key = generation_key(member_generation(member_id))
    before = int(redis_conn.get(key) or 0)
    try:
        with db.transaction() as session:
            session.get(Member, member_id).lang = "en"
            session.flush()
            assert int(redis_conn.get(key) or 0) == before
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert int(redis_conn.get(key) or 0) == before
    with db.transaction() as session:
        session.get(Member, member_id).lang = "en"
    assert int(redis_conn.get(key)) == before + 1


WALKS = [
    [],
    ["1"],
    ["1", "98"],
    ["1", "98", "0"],
    ["1", "98", "00"],
    ["3"],
    ["3", "98"],
    ["4"],
    ["4", "1"],
    ["4", "1", "98"],
    ["4", "2"],
    ["2"],
    ["2", "30"],
    ["2", "30", "1"],
    ["5"],
    ["6"],
    ["x"],
    ["1", "x"],
    ["9", "9", "9"],
    ["2", "99999"],
    ["๑"],
]


def test_snapshot_answers_equal_database_answers(app, client, db, fund, settings):
    from gateway.extensions.redis import Broker

    for amount in (3000, 6000, 9000):
        ref = declare(db, fund, amount=amount)
        send(client, phone(fund, "collector"), f"OK {ref}")
    declare(db, fund, amount=1000)  # one still pending
    app.config["SATJA"] = settings.with_(ussd_hops_per_minute=10_000)  # many walks, one phone
    without_redis = create_app(settings)
    without_redis.extensions["satja.redis"] = Broker(
        settings.with_(redis_url="redis://127.0.0.1:1/0")
    )
    expected = [walk(without_redis.test_client(), phone(fund), inputs) for inputs in WALKS]
    for inputs in WALKS:  # fill the snapshot
        walk(client, phone(fund), inputs)
    with statements(db) as seen:
        answered = [walk(client, phone(fund), inputs) for inputs in WALKS]
    assert answered == expected
    assert seen == []


def test_an_unreadable_snapshot_is_read_again_from_the_database(client, fund, redis_conn):
    warm(client, fund)
    key = f"satja:ussd:caller:{phone(fund)}"
    group, member = redis_conn.get(key).decode().split(" ")[:2]
    rules = [int(redis_conn.get(generation_key(name)) or 0) for name in (group, f"member:{member}")]
    tag = f"{group} {member} {local_today()} {rules[0]}.{rules[1]}"
    odd = '{"status":"active","lang":"th","balance":"x","paid_through":"soon","days_behind":0}'
    for junk in (f"{tag} {{not json", f"{tag} {{}}", f"{tag} {odd}", f"{tag}", "none"):
        redis_conn.set(key, junk)
        assert walk(client, phone(fund), ["1"])[-1].startswith("CON ยอดสัจจะ 0 บ.")


PAY = ["2", "30", "1", "5807", "1"]  # menu, amount, the first collector, PIN, confirm


def per_hop(client, db, who, inputs, session_id=None):
    """A session hop by hop: each answer, and the SQL statements each hop ran."""
    session_id = session_id or f"ATUid_per_hop_{len(inputs)}_{who}_{id(inputs)}"
    answers, counts = [], []
    for i in range(len(inputs) + 1):
        with statements(db) as seen:
            answers.append(hop(client, who, "*".join(inputs[:i]), session_id)[1])
        counts.append(len(seen))
    return answers, counts


def paid_before(client, fund, who="member"):
    """The caller has set a PIN, paid and dialled since: the steady state of a payer."""
    first = walk(client, phone(fund, who), ["2", "30", "1", "5807", "5807", "1"])
    assert first[-1].startswith("END ")
    warm(client, fund, who)  # a new PIN is a change to the member's record: read again


def test_a_payment_reads_the_database_only_at_the_pin_and_the_confirmation(client, db, fund):
    paid_before(client, fund)
    answers, counts = per_hop(client, db, phone(fund), PAY)
    assert answers[-1].startswith("END แจ้งแล้ว #")
    # Menu, amount, the collector list, the PIN prompt: from the snapshot. The PIN and
    # the declaration go to the database (the PIN's lock is read there).
    assert counts[:4] == [0, 0, 0, 0]
    assert counts[4] > 0 and counts[5] > 0
    # The declaration moved on the payer's money alone: the next session is as quick.
    assert per_hop(client, db, phone(fund), PAY)[1][:4] == [0, 0, 0, 0]


def test_one_member_s_payment_leaves_the_others_snapshots_in_place(client, db, fund):
    paid_before(client, fund, "member_en")
    paid_before(client, fund)
    walk(client, phone(fund, "member_en"), BALANCE)
    assert walk(client, phone(fund), PAY)[-1].startswith("END แจ้งแล้ว #")
    with statements(db) as seen:
        walk(client, phone(fund, "member_en"), BALANCE)
        walk(client, phone(fund, "member_en"), ["2", "30"])
    assert seen == []
    # The payer's own money is read again at once: the declaration is in their list.
    assert "รอยืนยัน" in walk(client, phone(fund), ["3"])[-1]


def test_a_posted_payment_refreshes_the_fund_total_at_once(client, db, fund):
    paid_before(client, fund, "member_en")
    before = walk(client, phone(fund, "member_en"), ["1", "98"])[-1]
    ref = declare(db, fund, amount=6000)
    assert walk(client, phone(fund, "member_en"), ["1", "98"])[-1] == before  # pending
    send(client, phone(fund, "collector"), f"OK {ref}")
    after = walk(client, phone(fund, "member_en"), ["1", "98"])[-1]
    assert after != before and "60 baht" in after


def test_an_office_change_shows_on_the_collector_screen_at_once(client, db, fund):
    paid_before(client, fund)
    listed = walk(client, phone(fund), ["2", "30"])[-1]
    assert "John" in listed
    with db.transaction() as session:
        collector = session.get(Member, fund["collector2"][0])
        take_office(session, collector, Office.COLLECTOR, local_today(), BY)
    assert "John" not in walk(client, phone(fund), ["2", "30"])[-1]
    with db.transaction() as session:
        session.get(Member, fund["collector"][0]).name = "นายบุญมา เก็บเงิน"
    assert "บุญมา" in walk(client, phone(fund), ["2", "30"])[-1]


def declared(answer):
    """Whether the answer is the declared screen (by the catalogue, with its reference)."""
    found = re.search(r"#([0-9A-Z]+)", answer)
    return found is not None and answer == "END " + declared_screen("th", found[1]).text


def test_a_payment_after_a_payment_costs_few_statements(client, db, fund):
    paid_before(client, fund)
    assert declared(walk(client, phone(fund), PAY)[-1])
    # The declaration moved the payer's money on, not their usual collector (the same
    # one was paid): the collector list comes from the snapshot again.
    answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_pay_after_pay")
    assert declared(answers[-1])
    postgres = db.engine.dialect.name == "postgresql"
    # Ceilings, per hop: menu, amount, collector list, PIN prompt, PIN, confirmation.
    # The PIN: on PostgreSQL one call (satja_pin_hop: the caller under its lock, the
    # verdict, the hop's record); the confirmation: the caller with the collector it
    # names, the ledger's posting, and the collector's SMS, in whose INSERT the hop's
    # record rides on PostgreSQL. SQLite reads the caller under its lock and stores the
    # hop, adds its BEGIN and the ledger's general path (accounts, then the journal).
    ceilings = [0, 0, 0, 0, 1, 1] if postgres else [0, 0, 0, 0, 3, 7]
    assert all(n <= most for n, most in zip(counts, ceilings, strict=True)), counts


def test_the_pin_hop_reads_the_tries_from_the_database_not_the_snapshot(client, db, fund):
    paid_before(client, fund)
    assert walk(client, phone(fund), ["1"])[-1].startswith("CON ")  # the snapshot holds
    # Two wrong tries made elsewhere, written past the cache (no generation moves on).
    with db.engine.begin() as conn:
        conn.execute(
            update(Member.__table__)
            .where(Member.__table__.c.phone == phone(fund))
            .values(pin_tries=2)
        )
    answers, counts = per_hop(client, db, phone(fund), ["2", "30", "1", "1111"], "ATUid_tries")
    assert counts[:4] == [0, 0, 0, 0]  # the session held the caller's snapshot
    assert answers[-1] == "END " + locked_screen("th").text  # the third wrong try locks
    with db.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == phone(fund))).one()
        assert member.pin_locked_until is not None and member.pin_tries == 0


def test_wrong_pins_at_once_on_a_held_snapshot_lock_after_the_third(app, db, fund):
    client = app.test_client()
    paid_before(client, fund)
    walk(client, phone(fund), ["2", "30"])  # the collector list joins the snapshot
    start = threading.Barrier(8)

    def wrong_pin(n):
        # A client, a request and a database session each; every session holds the
        # snapshot, so the PIN hop reads the caller under its lock in its first statement.
        other = app.test_client()
        start.wait()
        return hop(other, phone(fund), "2*30*1*9999", f"ATUid_burst_{n}")[1]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(wrong_pin, range(8)))
    locked = "END " + locked_screen("th").text
    assert sum(a == locked for a in answers) == 6, answers  # the third wrong try, and after
    assert sum(a.startswith("CON ") for a in answers) == 2, answers


def test_paying_another_collector_puts_them_first_at_once(app, client, db, fund, settings):
    app.config["SATJA"] = settings.with_(ussd_hops_per_minute=10_000)  # one phone, many hops
    paid_before(client, fund)
    assert walk(client, phone(fund), ["2", "30"])[-1].split("\n")[1] == "1 นายบุญมี"
    assert declared(walk(client, phone(fund), ["2", "30", "2", "5807", "1"])[-1])  # John
    # The usual collector moved on: the list is read again, John first. The session's PIN
    # and declaration (to John again) are still one call each on PostgreSQL.
    answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_switch_1")
    assert answers[2].split("\n")[1] == "1 John" and counts[2] > 0
    assert declared(answers[-1])
    if db.engine.dialect.name == "postgresql":
        assert counts[4:] == [1, 1]
    # Paying John again moves nothing: the list comes from Redis, as the database has it.
    assert declared(walk(client, phone(fund), ["2", "30", "1", "5807", "1"])[-1])
    answers, counts = per_hop(client, db, phone(fund), ["2", "30"], "ATUid_switch_2")
    assert answers[-1].split("\n")[1] == "1 John" and counts == [0, 0, 0]


def test_a_usual_collector_s_tag_never_comes_back(redis_conn):
    from models.base import usual_generation
    from workers.broker import announce

    key = generation_key("usual:7")
    tags = []
    for collector in (3, 3, 4, 3):
        announce(redis_conn, {usual_generation(7, collector)})
        tags.append(redis_conn.get(key))
    # The same collector again keeps the tag; another one, or back to the first, moves it.
    assert tags[0] == tags[1] != tags[2]
    assert len({tags[0], tags[2], tags[3]}) == 3


def pin_state(db, fund):
    """The member's wrong tries and lock, as the database holds them."""
    with db.transaction() as session:
        member = session.get(Member, fund["member"][0])
        return member.pin_tries, member.pin_locked_until


def test_the_pin_hop_is_one_call_on_postgresql_right_or_wrong(client, db, fund):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("satja_pin_hop is PostgreSQL's; SQLite takes the general path")
    paid_before(client, fund)
    answers, counts = per_hop(client, db, phone(fund), ["2", "30", "1", "1111"], "ATUid_one_w")
    assert "รหัส PIN ไม่ถูก" in answers[-1] and counts == [0, 0, 0, 0, 1]
    assert pin_state(db, fund) == (1, None)
    walk(client, phone(fund), ["1"])  # the wrong try moved the snapshot on: read it again
    answers, counts = per_hop(client, db, phone(fund), ["2", "30", "1", "5807"], "ATUid_one_r")
    assert "1 ยืนยัน" in answers[-1] and counts == [0, 0, 0, 0, 1]
    assert pin_state(db, fund) == (0, None)


def test_wrong_pins_in_three_sessions_lock_and_the_menu_knows_at_once(app, client, db, fund):
    app.config["SATJA"] = app.config["SATJA"].with_(ussd_hops_per_minute=10_000)  # one phone
    paid_before(client, fund)
    wrong = [walk(client, phone(fund), ["2", "30", "1", "1111"])[-1] for _ in range(3)]
    assert ["รหัส PIN ไม่ถูก" in a for a in wrong] == [True, True, False]
    assert wrong[-1] == "END " + locked_screen("th").text
    tries, until = pin_state(db, fund)
    assert tries == 0 and until is not None
    # The lock moved the caller's snapshot on: paying is refused from the first screen.
    assert walk(client, phone(fund), ["2"])[-1] == "END " + locked_screen("th").text


def test_a_right_pin_clears_a_wrong_try_from_before(client, db, fund):
    paid_before(client, fund)
    assert "รหัส PIN ไม่ถูก" in walk(client, phone(fund), ["2", "30", "1", "1111"])[-1]
    assert pin_state(db, fund) == (1, None)
    assert declared(walk(client, phone(fund), PAY)[-1])
    assert pin_state(db, fund) == (0, None)


def test_a_second_pin_in_one_session_is_weighed_with_the_first(client, db, fund):
    paid_before(client, fund)
    answers = walk(client, phone(fund), ["2", "30", "1", "1111", "5807", "1"])
    assert "รหัส PIN ไม่ถูก" in answers[4] and "1 ยืนยัน" in answers[5]
    assert declared(answers[6])
    assert pin_state(db, fund) == (0, None)


def test_a_repeated_pin_hop_gets_the_same_screen_and_counts_once(client, db, fund):
    paid_before(client, fund)
    first = hop(client, phone(fund), "", "ATUid_pin_again")[1]
    assert first.startswith("CON ")
    answers = [hop(client, phone(fund), "2*30*1*1111", "ATUid_pin_again")[1] for _ in range(3)]
    assert len(set(answers)) == 1 and "รหัส PIN ไม่ถูก" in answers[0]
    assert pin_state(db, fund) == (1, None)


def test_a_pin_under_an_older_key_is_checked_the_long_way_and_renewed(app, client, db, fund):
    paid_before(client, fund)
    newer = "k" * 32
    app.config["SATJA"] = app.config["SATJA"].with_(pin_keys=(newer, DEV_PIN_KEY))
    walk(client, phone(fund), ["1"])
    assert declared(walk(client, phone(fund), PAY)[-1])
    with db.transaction() as session:
        stored = session.get(Member, fund["member"][0]).pin_hash
    assert stored == hash_pin(fund["member"][0], "5807", [newer])


def last_rows(db):
    """The latest transfer, outbound SMS and stored hop."""
    with db.transaction() as session:
        newest = [
            session.scalars(select(model).order_by(model.id.desc())).first()
            for model in (Transfer, OutboundMessage, UssdHop)
        ]
        session.expunge_all()
    return newest


def test_a_declaration_writes_what_the_catalogue_and_the_ledger_say(client, db, fund, redis_conn):
    paid_before(client, fund)
    answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_rows")
    if db.engine.dialect.name == "postgresql":
        assert counts[4:] == [1, 1]  # satja_pin_hop, then satja_declare_hop
    transfer, sms, stored = last_rows(db)
    member_id, collector_id = fund["member"][0], fund["collector"][0]
    assert answers[-1] == "END " + declared_screen("th", transfer.ref).text
    assert (transfer.key, transfer.phase, transfer.amount) == ("ussd:ATUid_rows:5", "pending", 3000)
    assert (transfer.member_id, transfer.collector_id) == (member_id, collector_id)
    assert (transfer.by_member_id, transfer.business_date) == (member_id, local_today())
    with db.transaction() as session:
        member = session.get(Member, member_id)
        text = render(
            "th",
            "declared",
            name=short_name(member.name),
            number=member.number,
            amount="30",
            ref=transfer.ref,
        )
    assert (sms.to_phone, sms.text, sms.member_id) == (phone(fund, "collector"), text, collector_id)
    assert (sms.kind, sms.status, sms.not_before) == ("notice", "queued", None)
    assert (stored.hop, stored.screen, stored.pin_ok) == (5, answers[-1], None)
    # Its SMS is handed over once the declaration is committed; the relay makes its job.
    handed = [entry.split()[0] for entry in redis_conn.lrange(READY, 0, -1)]
    assert str(sms.id).encode() in handed
    relay_all(redis_conn)
    assert Queue(SMS_QUEUE, connection=redis_conn).fetch_job(f"sms-{sms.id}") is not None


def test_a_collector_who_reads_english_is_told_in_english(client, db, fund):
    paid_before(client, fund)
    assert declared(walk(client, phone(fund), ["2", "30", "2", "5807", "1"])[-1])  # John
    transfer, sms, _ = last_rows(db)
    assert transfer.collector_id == fund["collector2"][0]
    assert sms.to_phone == phone(fund, "collector2") and "baht" in sms.text
    assert transfer.ref in sms.text


def test_a_repeated_declaring_hop_declares_once(client, db, fund):
    paid_before(client, fund)
    session_id = "ATUid_declare_again"
    for i in range(5):
        hop(client, phone(fund), "*".join(PAY[:i]), session_id)
    answers = [hop(client, phone(fund), "*".join(PAY), session_id)[1] for _ in range(3)]
    assert declared(answers[0]) and len(set(answers)) == 1
    with db.transaction() as session:
        keys = session.scalars(select(Transfer.key).where(Transfer.key.like("%declare_again%")))
        assert list(keys) == [f"ussd:{session_id}:5"]


def test_references_made_in_the_database_are_the_ones_python_makes(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("satja_ref is PostgreSQL's")
    ids = [*range(1, 1200), 9_999, 10_000, 99_999, 123_456, 9_876_543_210]
    with db.engine.connect() as conn:
        made = conn.execute(
            text("SELECT i, satja_ref(i) FROM unnest(CAST(:ids AS bigint[])) AS i"), {"ids": ids}
        ).all()
    assert {i: ref for i, ref in made} == {i: ref_for(i) for i in ids}


def test_a_pin_hop_after_a_stored_hop_at_other_inputs_changes_nothing(client, db, fund):
    paid_before(client, fund)
    session_id = "ATUid_other_inputs"
    for typed in ("", "2"):
        hop(client, phone(fund), typed, session_id)
    with db.transaction() as session:  # as if the collector list had been read at 2*40
        session.add(
            UssdHop(
                session_id=session_id,
                hop=2,
                member_id=fund["member"][0],
                text="2*40",
                screen="CON …",
            )
        )
    answer = hop(client, phone(fund), "2*30*1*1111", session_id)[1]
    assert answer.startswith("END ขออภัย กด")  # not this session's inputs: dial again
    assert pin_state(db, fund) == (0, None)  # and the wrong PIN counted nowhere


# The one-call functions' own guards, past the snapshot's: they are what stands when an
# announcement to Redis was lost and a snapshot says "unmoved" of a session that moved.
RIGHT_PIN = {"hop": 4, "text": "2*30*1*3958", "pin_ok": True}
FORGED = [
    [{**RIGHT_PIN, "pin_ok": False}],  # a wrong PIN before
    [{"hop": 3, "text": "2*30*1"}],  # no PIN hop at all
    [{**RIGHT_PIN, "pin_ok": None, "pin_set": True}],  # a PIN set in the session
    [{**RIGHT_PIN, "member": None}],  # nobody's PIN hop
    [{**RIGHT_PIN, "member": "member_en"}],  # another member's
    [{**RIGHT_PIN, "text": "2*40*1*3958"}],  # at other inputs
    [RIGHT_PIN, {"hop": 3, "text": "2*30*1", "member": None}],  # nobody's menu hop
    [RIGHT_PIN, {"hop": 3, "text": "2*40*1"}],  # a menu hop at other inputs
]
# Stored before a PIN hop at 2*30*1*1111 (hop 4).
BEFORE_PIN = [
    [{"hop": 3, "text": "2*30*1", "pin_ok": False}],  # a verdict
    [{"hop": 3, "text": "2*30*1", "member": None}],  # nobody's menu hop
    [{"hop": 3, "text": "2*30*1", "member": "member_en"}],  # another member's
    [{"hop": 3, "text": "2*40*1"}],  # a menu hop at other inputs
]


def one_call(db, fund, who="member", text="2*30*1*1111*1", stored=(), session_id="ATUid_one"):
    """Call the hop's function as serve_hop would, with these hops stored; its answer."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-call hops are PostgreSQL's")
    member_id = fund[who][0]
    with db.transaction() as session:
        for row in stored:
            owner = row.get("member", who)
            session.add(
                UssdHop(
                    session_id=session_id,
                    hop=row["hop"],
                    member_id=owner and fund[owner][0],
                    text=row["text"],
                    screen="CON …",
                    pin_ok=row.get("pin_ok"),
                    pin_set=row.get("pin_set", False),
                )
            )
    request = UssdRequest(session_id, "*1234#", phone(fund, who), "52001", text)
    if text.endswith("*1"):
        mark = REF_MARK
        plan = DeclarePlan(fund["collector"][1], 3000, "th", "active", "END " + mark, {})
        plan.sms.update(th="th " + mark, en="en " + mark)
        return declare_in_one(db, request, plan, member_id, local_today(), utcnow())
    plan = PinPlan("1111", "th", "active", "CON right", "CON wrong", "END locked")
    return pin_in_one(db, request, plan, member_id, (DEV_PIN_KEY,), utcnow())


def test_a_declaration_after_a_right_pin_is_one_call(client, db, fund):
    walk(client, phone(fund), ["6", "3958", "3958"])  # the member's PIN
    menu_hops = [{"hop": 0, "text": ""}, {"hop": 3, "text": "2*30*1"}]
    answered = one_call(db, fund, text="2*30*1*3958*1", stored=[*menu_hops, RIGHT_PIN])
    assert answered.text.startswith("END ") and len(answered.message_ids) == 1


@pytest.mark.parametrize("stored", FORGED)
def test_a_declaration_the_session_s_hops_do_not_allow_writes_nothing(client, db, fund, stored):
    walk(client, phone(fund), ["6", "3958", "3958"])
    assert one_call(db, fund, text="2*30*1*3958*1", stored=stored) is None
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == 0


def test_a_declaration_from_a_phone_shared_since_writes_nothing(client, db, fund):
    walk(client, phone(fund), ["6", "3958", "3958"])
    with db.transaction() as session:
        session.get(Member, fund["treasurer"][0]).phone = phone(fund)
    assert one_call(db, fund, text="2*30*1*3958*1", stored=[RIGHT_PIN]) is None
    assert one_call(db, fund, text="2*30*1*1111", session_id="ATUid_shared") is None
    assert pin_state(db, fund) == (0, None)


@pytest.mark.parametrize("stored", BEFORE_PIN)
def test_a_pin_hop_the_session_s_hops_do_not_allow_counts_nothing(client, db, fund, stored):
    walk(client, phone(fund), ["6", "5807", "5807"])
    assert one_call(db, fund, text="2*30*1*1111", stored=stored) is None
    assert pin_state(db, fund) == (0, None)
    menu_hop = [{"hop": 3, "text": "2*30*1"}]  # this member's, at these inputs: allowed
    answered = one_call(db, fund, text="2*30*1*1111", stored=menu_hop, session_id="ATUid_ok")
    assert answered.text == "CON wrong" and pin_state(db, fund) == (1, None)


def test_without_the_migration_s_functions_the_general_path_answers(client, db, fund):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-call hops are PostgreSQL's")
    paid_before(client, fund)
    names = ("satja_pin_hop", "satja_declare_hop")
    with db.engine.begin() as conn:  # as if the code ran before its migration
        for name in names:
            conn.execute(text(f"ALTER FUNCTION {name} RENAME TO {name}_away"))
    try:
        answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_no_functions")
    finally:
        with db.engine.begin() as conn:
            for name in names:
                conn.execute(text(f"ALTER FUNCTION {name}_away RENAME TO {name}"))
    assert declared(answers[-1]) and counts[4] > 1 and counts[5] > 1


def test_a_call_on_a_connection_the_server_dropped_is_answered_the_long_way(app, client, db, fund):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the one-call hops are PostgreSQL's")
    app.config["SATJA"] = app.config["SATJA"].with_(ussd_hops_per_minute=10_000)  # one phone
    paid_before(client, fund)
    assert per_hop(client, db, phone(fund), PAY, "ATUid_before_drop")[1][4:] == [1, 1]
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    # Autocommit: inside one transaction pg_stat_activity is read once and kept.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # As a server restart leaves the pools.
        conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
        for _ in range(600):  # a wait for the backends to go, not a timing: fail if they stay
            if not conn.execute(text(f"SELECT count(*) {others}")).scalar():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the terminated backends did not go")
    answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_dropped")
    assert declared(answers[-1]) and counts[4] > 1  # the PIN's call failed: the long way
    answers, counts = per_hop(client, db, phone(fund), PAY, "ATUid_after_drop")
    assert declared(answers[-1]) and counts[4] == counts[5] == 1  # a new connection


def test_the_payer_s_next_session_lists_the_declaration_just_made(client, db, fund):
    paid_before(client, fund)
    before = walk(client, phone(fund), ["3"])[-1]  # the history, now held in Redis
    assert declared(walk(client, phone(fund), PAY)[-1])  # one call on PostgreSQL
    after = walk(client, phone(fund), ["3"])[-1]
    # The declaration's money generation was told with its SMS: the list is read again.
    assert after.count("รอยืนยัน") == before.count("รอยืนยัน") + 1, (before, after)
