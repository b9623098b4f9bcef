"""Authority of every SMS command (role x command x group), and logs without secrets."""

from __future__ import annotations

import logging

import pytest
from people import BY, claim_ref, declare, ref_of, send
from sqlalchemy import func, select
from sqlalchemy import text as sql

from config.logs import JsonFormatter
from models.clock import local_today
from models.disputes import Dispute
from models.funds import Source, add_funds
from models.ledger import Transfer
from models.registry import Group, Member
from models.welfare import Claim

# Who may send what: every other sender is refused and nothing changes.
ALLOWED = {
    "PAY": {"collector"},
    "OK": {"collector"},
    "UNDO": {"collector"},
    # Their own (group's) day: nothing of BANNA for the outsider.
    "SUM": {"collector", "treasurer", "outsider_collector"},
    "RCV": {"treasurer"},
    "PINRESET": {"treasurer"},
    "BAL_OTHER": {"collector", "treasurer"},
    "CLAIM": {"collector", "treasurer"},
    "APPROVE": {"treasurer"},  # the collector filed it: nobody approves their own claim
}
SENDERS = ("member", "collector", "treasurer", "outsider_collector")


def state(db):
    """Everything a command could change."""
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Transfer)),
            session.scalar(select(func.count()).select_from(Dispute)),
            tuple(session.scalars(select(Claim.status).order_by(Claim.id))),
            tuple(session.scalars(select(Member.pin_hash).order_by(Member.id))),
        )


@pytest.fixture
def scene(client, db, fund):
    """A BANNA payment, a declaration, a filed claim; money in the bank."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 1_000_000, group.created_at.date(), "d", by=BY)
        member = session.get(Member, fund["member"][0])
        member.pin_hash = "set"
        member.joined_on = local_today()  # so that one PAY makes them paid up on any date
    member_no = fund["member"][1]
    paid = ref_of(send(client, fund["collector"][2], f"PAY {member_no} 365"))
    declared = declare(db, fund)
    claim = claim_ref(send(client, fund["collector"][2], f"CLAIM {member_no} ป่วย 1"))
    return {
        "PAY": f"PAY {member_no} 30",
        "OK": f"OK {declared}",
        "UNDO": f"UNDO {paid}",
        "SUM": "SUM",
        "RCV": f"RCV {fund['collector'][1]} 1",
        "PINRESET": f"PINRESET {member_no}",
        "BAL_OTHER": f"BAL {fund['member_en'][1]}",  # someone else's balance
        "CLAIM": f"CLAIM {member_no} ป่วย 1",
        "APPROVE": f"APPROVE {claim}",
    }


REFUSALS = ("เฉพาะ", "ไม่พบ", "Only", "No entry", "No member", "ตัวเองยื่น")


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("command", sorted(ALLOWED))
def test_role_by_command_by_group(client, db, fund, scene, sender, command):
    before = state(db)
    reply = send(client, fund[sender][2], scene[command]).get_data(as_text=True)
    if sender in ALLOWED[command]:
        assert not any(word in reply for word in REFUSALS), (sender, command, reply)
    else:
        assert any(word in reply for word in REFUSALS), (sender, command, reply)
        assert state(db) == before, (sender, command)


def refuse_inserts(db, is_postgres, table):
    """Make every insert into a table fail in the database, as a broken disk or bug would."""
    trigger = f"CREATE TRIGGER refuse BEFORE INSERT ON {table}"
    with db.engine.begin() as conn:
        if is_postgres:
            conn.execute(
                sql(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$"
                    " BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(sql(f"{trigger} FOR EACH ROW EXECUTE FUNCTION refuse()"))
        else:
            conn.execute(sql(f"{trigger} BEGIN SELECT RAISE(ABORT, 'refused'); END"))


@pytest.mark.parametrize("table", ["inbound_messages", "ussd_hops"])
def test_a_database_error_logs_no_pin_no_phone_and_no_sms_text(
    client, db, fund, caplog, is_postgres, table
):
    caplog.set_level(logging.DEBUG)
    refuse_inserts(db, is_postgres, table)
    phone, pin = fund["member"][2], "4826"
    send(client, phone, f"BAL {pin}")
    for text in ("", "6", f"6*{pin}"):
        client.post(
            "/ussd",
            data={
                "sessionId": "err-1",
                "serviceCode": "*1234#",
                "phoneNumber": phone,
                "text": text,
            },
        )
    logged = caplog.text  # messages and tracebacks, as a log file would hold them
    assert "refused" in logged  # the failure itself was logged
    assert pin not in logged
    assert phone not in logged and "0" + phone[3:] not in logged and phone[1:] not in logged


def test_logs_of_a_full_run_hold_no_pin_and_no_full_phone(client, db, fund, caplog):
    caplog.set_level(logging.DEBUG)
    member_phone = fund["member"][2]
    pin = "4826"
    for text in (
        "",
        "2",
        "2*30",
        "2*30*1",
        f"2*30*1*{pin}",
        f"2*30*1*{pin}*{pin}",
        f"2*30*1*{pin}*{pin}*1",
    ):
        client.post(
            "/ussd",
            data={
                "sessionId": "log-1",
                "serviceCode": "*1234#",
                "phoneNumber": member_phone,
                "text": text,
            },
        )
    for text in ("", "6", f"6*{pin}", "6*9999"):
        client.post(
            "/ussd",
            data={
                "sessionId": "log-2",
                "serviceCode": "*1234#",
                "phoneNumber": member_phone,
                "text": text,
            },
        )
    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30")
    send(client, "+66899999999", "HELP")
    send(client, fund["member"][2], "BAL")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    # The same records as SATJA_LOG_FORMAT=json writes them, tracebacks included.
    logged += "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "ussd log-1" in logged  # the run was logged at all
    assert '"logger": "gateway.services' in logged
    assert pin not in logged
    for phone in (member_phone, fund["collector"][2], "+66899999999"):
        national = "0" + phone[3:]
        assert phone not in logged and national not in logged and phone[1:] not in logged
