"""The entrance fee: posted once on joining at the fee of the day, on the receipt, in reports."""

from __future__ import annotations

import json

from sqlalchemy import select

from models.ledger import Account, Transfer
from models.outbox import OutboundMessage
from models.registry import Group, GroupChange, Member


def add(runner, name, phone):
    result = runner.invoke(
        args=["members", "add", "--group", "FEE", "--name", name, "--phone", phone]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_fee_is_posted_once_at_joining_and_a_change_touches_nobody_before(runner, db):
    assert runner.invoke(args=["groups", "add", "FEE", "--name", "กองทุนบ้านค่าสมัคร"]).exit_code == 0
    free = add(runner, "นางฟรี ไม่มีค่า", "0812000001")
    assert "entrance fee" not in free  # no fee set: nothing posted
    chair = runner.invoke(
        args=[
            "members",
            "add",
            "--group",
            "FEE",
            "--name",
            "นายประธาน",
            "--phone",
            "0812000009",
            "--office",
            "chair",
        ]
    )
    assert chair.exit_code == 0, chair.output
    changed = runner.invoke(args=["groups", "rules", "FEE", "--entrance-fee", "100", "--by", "2"])
    assert changed.exit_code == 0 and "entrance fee 100 baht" in changed.output, changed.output
    paid = add(runner, "นางมาลี มีสุข", "0812000002")
    assert "entrance fee 100 baht #" in paid
    assert (
        runner.invoke(
            args=["groups", "rules", "FEE", "--entrance-fee", "50", "--by", "2"]
        ).exit_code
        == 0
    )
    add(runner, "นายใหม่ มาทีหลัง", "0812000003")
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "FEE")).one()
        fees = session.execute(
            select(Member.name, Transfer.amount, Transfer.code)
            .join(Member, Member.id == Transfer.member_id)
            .where(Transfer.group_id == group.id)
            .order_by(Transfer.id)
        ).all()
        assert fees == [
            ("นางมาลี มีสุข", 10000, "entrance_fee"),
            ("นายใหม่ มาทีหลัง", 5000, "entrance_fee"),
        ]
        account = session.scalars(
            select(Account).where(Account.group_id == group.id, Account.key == "entrance_fee")
        ).one()
        assert account.credits_posted == 15000
        receipt = session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == "+66812000002")
        ).one()
        assert receipt.startswith("กองทุนบ้านค่าสมัคร: รับค่าสมัคร 100 บ. #")
    report = json.loads(runner.invoke(args=["report", "group", "FEE", "--json"]).output)
    assert report["entrance_fees_satang"] == 15000 and report["contributions_satang"] == 0
    text = runner.invoke(args=["report", "group", "FEE"]).output
    assert "entrance fees" in text and "150.00" in text


def test_a_rule_change_needs_an_officer_and_writes_nothing_otherwise(runner, db):
    runner.invoke(args=["groups", "add", "FEE", "--name", "กองทุน"])
    add(runner, "นางสมาชิก ธรรมดา", "0812000001")
    refused = runner.invoke(args=["groups", "rules", "FEE", "--entrance-fee", "100", "--by", "1"])
    assert refused.exit_code == 1 and "only the chair" in refused.output
    no_by = runner.invoke(args=["groups", "rules", "FEE", "--lapse-days", "60"])
    assert no_by.exit_code == 1, no_by.output
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "FEE")).one()
        assert (group.entrance_fee_satang, group.lapse_days) == (0, 90)
        assert session.scalars(select(GroupChange)).all() == []


def test_every_rule_change_is_kept_with_who_made_it(runner, db):
    runner.invoke(args=["groups", "add", "FEE", "--name", "กองทุน"])
    add(runner, "นางสมาชิก ธรรมดา", "0812000001")
    chair = ["--group", "FEE", "--name", "นายประธาน", "--phone", "0812000009", "--office", "chair"]
    assert runner.invoke(args=["members", "add", *chair]).exit_code == 0
    rules = ["groups", "rules", "FEE"]
    changed = runner.invoke(
        args=[*rules, "--entrance-fee", "100", "--lapse-days", "90", "--by", "2"]
    )
    assert changed.exit_code == 0, changed.output
    named = runner.invoke(args=[*rules, "--short-name", "กองทุนฯ", "--by", "2", "--history"])
    assert named.exit_code == 0, named.output
    kept = named.output.splitlines()[1:]
    # Lapse days were given at their value already: no change, nothing kept.
    assert [line.split(" ", 2)[2] for line in kept] == [
        "entrance_fee_satang 0 -> 10000 by #2 นายประธาน",
        "short_name None -> กองทุนฯ by #2 นายประธาน",
    ]
    with db.transaction() as session:
        assert [c.by_member_id is not None for c in session.scalars(select(GroupChange))] == [
            True,
            True,
        ]
