"""The entrance fee (ค่าสมัคร): posted once when a member joins, at the group's fee then.

The fee is handed over on joining and goes into the fund's bank, kept apart from the
member's contributions in the `entrance_fee` account (the member is named on the
transfer). Its key is the member's, so it is posted at most once; the amount is the
group's fee on the day of joining, so changing the fee never touches earlier members.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.actors import Actor
from models.ledger import Code, Transfer, TransferSpec, create_transfer
from models.registry import Member


def charge_entrance_fee(session: Session, member: Member, by: Actor) -> Transfer | None:
    """Post the group's entrance fee for a new member; None when the group charges none."""
    fee = member.group.entrance_fee_satang
    if fee <= 0:
        return None
    outcome = create_transfer(
        session,
        TransferSpec(
            key=f"entrance:{member.id}",
            group_id=member.group_id,
            debit="fund_bank",
            credit="entrance_fee",
            amount=fee,
            code=Code.ENTRANCE_FEE,
            business_date=member.joined_on,
            member_id=member.id,
            note="entrance fee",
            by=by,
        ),
    )
    return outcome.transfer
