"""The collector list of a USSD payment, read from the register: the member's own first."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, send, walk
from sqlalchemy import select

from models.ledger import Transfer
from models.offices import Office
from models.registry import Member, add_group, add_member, edit_member

pytestmark = pytest.mark.clock

JOINED = dt.date(2026, 1, 1)
MEMBER = "0811000009"


@pytest.fixture
def village(db):
    """Three collectors, two of them named สมศรี, in two หมู่; a member of หมู่ 3."""
    with db.transaction() as session:
        group = add_group(session, "BANNA", "กองทุนบ้านนา")
        collectors = {}
        for number, (name, moo) in enumerate(
            (("นางวิไล ทองสุข", "หมู่ 1"), ("นางสมศรี ใจดี", "หมู่ 1"), ("นางสมศรี มีสุข", "หมู่ 3")),
            start=1,
        ):
            person = add_member(
                session,
                group,
                name=name,
                phone=f"081100000{number}",
                office=Office.COLLECTOR,
                joined_on=JOINED,
            )
            edit_member(session, person, {"village": moo}, BY)
            collectors[number] = person.id
        member = add_member(session, group, name="นายก้อง ดีใจ", phone=MEMBER, joined_on=JOINED)
        edit_member(session, member, {"village": "หมู่ 3"}, BY)
    return collectors


def collector_screen(client):
    return walk(client, MEMBER, ["2", "30"])[-1]


def test_the_members_village_first_and_namesakes_told_apart(client, village):
    assert collector_screen(client) == (
        "CON ให้ผู้เก็บคนไหน\n1 นางสมศรี หมู่ 3\n2 นางวิไล\n3 นางสมศรี หมู่ 1\n0 กลับ"
    )


def test_the_collector_last_paid_comes_first(client, village):
    send(client, "0811000002", "PAY 4 30")  # สมศรี of หมู่ 1 took this member's cash
    assert collector_screen(client).startswith("CON ให้ผู้เก็บคนไหน\n1 นางสมศรี หมู่ 1\n")


def test_the_assigned_collector_comes_first_and_is_the_one_recorded(client, db, village):
    with db.transaction() as session:
        member = session.scalars(select(Member).where(Member.phone == "+66811000009")).one()
        edit_member(session, member, {"collector_id": village[1]}, BY)
    assert collector_screen(client).startswith("CON ให้ผู้เก็บคนไหน\n1 นางวิไล\n")
    declared = walk(client, MEMBER, ["2", "30", "1", "5807", "5807", "1"])[-1]
    assert declared.startswith("END แจ้งแล้ว #")
    with db.transaction() as session:
        pending = session.scalars(select(Transfer)).one()
        assert pending.collector_id == village[1] and pending.phase == "pending"
