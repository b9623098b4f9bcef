"""When a membership ends: `members status`, and no role acts by SMS any more."""

from __future__ import annotations

import pytest
from people import send
from sqlalchemy import func, select

from gateway.flows.texts import MEMBERSHIP_ENDED
from models.ledger import Transfer
from models.offices import OfficeTerm
from models.outbox import OutboundMessage
from models.registry import Member, MemberChange


def status(runner, number, value, group="BANNA", by="1"):
    """`members status`, recorded by the treasurer (no. 1) unless told otherwise."""
    args = ["members", "status", "--group", group, str(number), value, "--by", by]
    return runner.invoke(args=args)


def register(db):
    """Every member's status and the offices not yet ended."""
    with db.transaction() as session:
        return (
            session.execute(select(Member.status).order_by(Member.id)).all(),
            session.execute(
                select(OfficeTerm.member_id, OfficeTerm.office).where(OfficeTerm.ends_on.is_(None))
            ).all(),
        )


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
        assert collector.status == "withdrawn"
        (term,) = session.scalars(select(OfficeTerm).where(OfficeTerm.member_id == collector.id))
        assert term.ends_on is not None and term.ended_by_member_id == fund["treasurer"][0]
        changes = session.scalars(
            select(MemberChange.what).where(MemberChange.member_id == collector.id)
        ).all()
        assert "status" in changes and "office" in changes
    assert status(runner, fund["collector"][1], "active").exit_code == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--group", "BANNA", "999", "withdrawn", "--by", "1"], "no member number"),
        (["--group", "NOPE", "1", "withdrawn", "--by", "1"], "NOPE"),
        (["--group", "BANNA", "1", "gone", "--by", "1"], "gone"),
        (["--group", "BANNA", "2", "withdrawn"], "--by"),
        (["--group", "BANNA", "2", "withdrawn", "--by", "4"], "only the chair"),  # a member
        (["--group", "BANNA", "2", "withdrawn", "--by", "2"], "only the chair"),  # a collector
        (["--group", "BANNA", "2", "withdrawn", "--by", "somebody"], "login name"),
    ],
)
def test_members_status_refuses_bad_input_and_writes_nothing(runner, db, fund, args, says):
    before = register(db)
    result = runner.invoke(args=["members", "status", *args])
    assert result.exit_code != 0 and says in result.output
    assert register(db) == before


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
