"""A fund with people in every role, and the raw Africa's Talking SMS that they send."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from sqlalchemy import update

from models.actors import Actor, Job
from models.clock import local_today
from models.ledger import Code, TransferSpec, create_transfer
from models.offices import Office
from models.registry import Group, Member, add_group, add_member


def give(session, member, baht, day, key):
    """Money a member gave, as a balance brought over from paper (the books stay balanced)."""
    create_transfer(
        session,
        TransferSpec(
            by=BY,
            key=key,
            group_id=member.group_id,
            debit="fund_bank",
            credit=f"member:{member.id}",
            amount=baht * 100,
            code=Code.OPENING,
            business_date=day,
            member_id=member.id,
        ),
    )


_ids = itertools.count(1)
BY = Actor.system(Job.SETUP)  # who writes what a test sets up directly in the ledger
JOINED = dt.date(2026, 1, 1)


@pytest.fixture
def fund(db):
    """Two groups; BANNA has a treasurer, two collectors and two members."""
    with db.transaction() as session:
        banna = add_group(session, "BANNA", "กองทุนบ้านนา")
        other = add_group(session, "NAKLANG", "กองทุนนากลาง")
        people = {
            "treasurer": add_member(
                session,
                banna,
                name="นางสมศรี ใจดี",
                phone="0811000001",
                office=Office.TREASURER,
                joined_on=JOINED,
            ),
            "collector": add_member(
                session,
                banna,
                name="นายบุญมี เก็บเงิน",
                phone="0811000002",
                office=Office.COLLECTOR,
                joined_on=JOINED,
            ),
            "collector2": add_member(
                session,
                banna,
                name="Mr. John Collect",
                phone="0811000003",
                office=Office.COLLECTOR,
                joined_on=JOINED,
                lang="en",
            ),
            "member": add_member(
                session, banna, name="นางมาลี มีสุข", phone="0811000004", joined_on=JOINED
            ),
            "member_en": add_member(
                session,
                banna,
                name="Ms. Anna Member",
                phone="0811000005",
                joined_on=JOINED,
                lang="en",
            ),
            "outsider": add_member(
                session, other, name="นายต่าง กลุ่ม", phone="0822000001", joined_on=JOINED
            ),
            "outsider_collector": add_member(
                session,
                other,
                name="นายเก็บ นอก",
                phone="0822000002",
                office=Office.COLLECTOR,
                joined_on=JOINED,
            ),
        }
        ids = {k: (m.id, m.number, m.phone) for k, m in people.items()}
    return ids


PASSWORD = "ลับมาก-secret-1"


def add_login(session, username, group, person_id, lang="th", name=""):
    """A dashboard login for one of the fund's people (group None: a network login)."""
    from models.users import add_user

    person = session.get(Member, person_id)
    return add_user(session, username, name, PASSWORD, group, lang, person)


def send(client, phone, text, provider_id=None, **extra):
    form = {
        "from": phone,
        "to": "4567",
        "text": text,
        "date": "2026-11-16 10:30:00",
        "id": provider_id or f"ATXid_{next(_ids)}",
        "linkId": "link-1",
        "networkCode": "52001",
        **extra,
    }
    return client.post("/sms/inbound", data=form)


def declare(db, fund, member="member", collector="collector", amount=3000, day=None):
    """A member's USSD declaration: a pending transfer to their collector."""
    with db.transaction() as session:
        member_id = fund[member][0]
        collector_id = fund[collector][0]
        group_id = session.get(Member, member_id).group_id
        outcome = create_transfer(
            session,
            TransferSpec(
                by=BY,
                key=f"ussd:{member}:{collector}:{amount}:{day}",
                group_id=group_id,
                debit=f"collector_cash:{collector_id}",
                credit=f"member:{member_id}",
                amount=amount,
                code=Code.CONTRIBUTION,
                business_date=day or local_today(),
                member_id=member_id,
                collector_id=collector_id,
            ),
            pending=True,
        )
        return outcome.transfer.ref


def hop(client, phone, text, session_id, query=""):
    """One raw Africa's Talking USSD hop; the status and the answer."""
    form = {
        "sessionId": session_id,
        "serviceCode": "*1234#",
        "phoneNumber": phone,
        "networkCode": "52001",
        "text": text,
    }
    response = client.post(f"/ussd{query}", data=form)
    return response.status_code, response.get_data(as_text=True)


def walk(client, phone, inputs, session_id=None):
    """A whole USSD session typing `inputs`; every screen, the first hop's included."""
    session_id = session_id or f"ATUid_{next(_ids)}"
    return [hop(client, phone, "*".join(inputs[:i]), session_id)[1] for i in range(len(inputs) + 1)]


def claim_ref(response):
    """The first reference (#01K7) anywhere in an SMS reply."""
    return re.search(r"#([0-9A-Z]{4,8})", response.get_data(as_text=True)).group(1)


def ref_of(response):
    """The reference in an SMS reply."""
    return response.get_data(as_text=True).split("#")[1].split()[0]


@pytest.fixture
def busy_day(client, db, fund):
    """A day with one of everything, made through the real SMS commands."""
    collector, collector2, treasurer = (
        fund["collector"][2],
        fund["collector2"][2],
        fund["treasurer"],
    )
    member_no, member_phone = fund["member"][1], fund["member"][2]
    with db.transaction() as session:
        session.execute(update(Group).where(Group.code == "BANNA").values(cash_limit_satang=5000))
    refs = {"paid": ref_of(send(client, collector, f"PAY {member_no} 30"))}
    refs["confirmed"] = declare(db, fund, amount=2000)
    send(client, collector, f"OK {refs['confirmed']}")
    refs["rejected"] = declare(db, fund, member="member_en", amount=1000)
    send(client, collector, f"NO {refs['rejected']}")
    refs["waiting"] = declare(db, fund, member="member_en", amount=4000)
    refs["disputed"] = ref_of(send(client, collector, f"PAY {member_no} 10"))
    send(client, member_phone, f"NO {refs['disputed']}")
    refs["undone"] = ref_of(send(client, collector, f"PAY {member_no} 5"))
    send(client, collector, f"UNDO {refs['undone']}")
    # Cash in hand now 30 + 20 + 10 = 60 baht; 50 handed over leaves 10 short.
    refs["handover"] = ref_of(send(client, treasurer[2], f"RCV {fund['collector'][1]} 50"))
    # The second collector holds 90 baht, over the group's 50 baht limit.
    send(client, collector2, f"PAY {fund['member_en'][1]} 90")
    return refs
