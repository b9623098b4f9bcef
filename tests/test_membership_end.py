"""When a membership ends: `members status`, and no role acts by SMS any more."""

from __future__ import annotations

import pytest
from people import send
from sqlalchemy import func, select

from gateway.flows.texts import MEMBERSHIP_ENDED
from models.ledger import Transfer
from models.outbox import OutboundMessage
from models.registry import Member, Role


def status(runner, number, value, group="BANNA"):
    return runner.invoke(args=["members", "status", "--group", group, str(number), value])


def counts(db):
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Transfer)),
            session.scalar(select(func.count()).select_from(OutboundMessage)),
        )


def test_members_status_ends_the_membership_and_its_office(runner, db, fund):
    result = status(runner, fund["collector"][1], "withdrawn")
    assert result.exit_code == 0
    assert result.output.strip().splitlines() == [
        f"นายบุญมี เก็บเงิน (#{fund['collector'][1]}) is withdrawn; no longer collector"
    ]
    with db.transaction() as session:
        collector = session.get(Member, fund["collector"][0])
        assert (collector.status, collector.role) == ("withdrawn", Role.MEMBER)
    assert status(runner, fund["collector"][1], "active").exit_code == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["members", "status", "--group", "BANNA", "999", "withdrawn"], "no member number"),
        (["members", "status", "--group", "NOPE", "1", "withdrawn"], "NOPE"),
        (["members", "status", "--group", "BANNA", "1", "gone"], "gone"),
    ],
)
def test_members_status_refuses_bad_input_and_writes_nothing(runner, db, fund, args, says):
    with db.transaction() as session:
        before = session.execute(select(Member.status, Member.role).order_by(Member.id)).all()
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and says in result.output
    with db.transaction() as session:
        assert (
            session.execute(select(Member.status, Member.role).order_by(Member.id)).all() == before
        )


@pytest.mark.parametrize(
    ("who", "end", "text"),
    [
        ("collector", "withdrawn", "PAY {member} 30"),
        ("treasurer", "deceased", "RCV {collector} 10"),
        ("treasurer", "deceased", "PINRESET {member}"),
        ("member", "withdrawn", "BAL"),
    ],
)
def test_an_ended_membership_acts_in_no_role(client, runner, db, fund, who, end, text):
    send(client, fund["collector"][2], f"PAY {fund['member'][1]} 40")  # cash in hand
    assert status(runner, fund[who][1], end).exit_code == 0
    with db.transaction() as session:
        pin_before = session.get(Member, fund["member"][0]).pin_hash
    transfers, _ = counts(db)
    command = text.format(member=fund["member"][1], collector=fund["collector"][1])
    reply = send(client, fund[who][2], command).get_data(as_text=True)
    assert reply == MEMBERSHIP_ENDED
    assert counts(db)[0] == transfers
    with db.transaction() as session:
        assert session.get(Member, fund["member"][0]).pin_hash == pin_before
    # Told once a day, then silence.
    _, messages = counts(db)
    send(client, fund[who][2], command)
    assert counts(db) == (transfers, messages)
