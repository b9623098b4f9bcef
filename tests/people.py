"""A fund with people in every role, and the raw Africa's Talking SMS that they send."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from models.clock import local_today
from models.ledger import Code, TransferSpec, create_transfer
from models.registry import Member, Role, add_group, add_member

_ids = itertools.count(1)
JOINED = dt.date(2026, 1, 1)


@pytest.fixture
def fund(db):
    """Two groups; BANNA has a treasurer, two collectors and two members."""
    with db.transaction() as session:
        banna = add_group(session, "BANNA", "กองทุนบ้านนา")
        other = add_group(session, "NAKLANG", "กองทุนนากลาง")
        people = {
            "treasurer": add_member(session, banna, name="นางสมศรี ใจดี", phone="0811000001",
                                    role=Role.TREASURER, joined_on=JOINED),
            "collector": add_member(session, banna, name="นายบุญมี เก็บเงิน", phone="0811000002",
                                    role=Role.COLLECTOR, joined_on=JOINED),
            "collector2": add_member(session, banna, name="Mr. John Collect", phone="0811000003",
                                     role=Role.COLLECTOR, joined_on=JOINED, lang="en"),
            "member": add_member(session, banna, name="นางมาลี มีสุข", phone="0811000004",
                                 joined_on=JOINED),
            "member_en": add_member(session, banna, name="Ms. Anna Member", phone="0811000005",
                                    joined_on=JOINED, lang="en"),
            "outsider": add_member(session, other, name="นายต่าง กลุ่ม", phone="0822000001",
                                   joined_on=JOINED),
            "outsider_collector": add_member(session, other, name="นายเก็บ นอก", phone="0822000002",
                                             role=Role.COLLECTOR, joined_on=JOINED),
        }  # fmt: skip
        ids = {k: (m.id, m.number, m.phone) for k, m in people.items()}
    return ids


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
