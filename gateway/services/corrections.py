"""What people are told when the committee reverses a receipt: who did, and how to object."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.flows.money import format_baht
from gateway.flows.texts import render, short_name
from models.ledger import Transfer, ref_for
from models.outbox import MessageKind, queue_sms
from models.registry import Member


def tell_reversed(
    session: Session, original: Transfer, by: str, ref: str | None = None
) -> list[int]:
    """Tell the member (who reversed it, how to object) and the collector; message ids.

    `original` is the receipt that was reversed; `ref` the reference its member saw
    (a declaration's, when the receipt is the post of one).
    """
    ref = ref or ref_for(original.id)
    member = session.get(Member, original.member_id) if original.member_id else None
    collector = session.get(Member, original.collector_id) if original.collector_id else None
    amount, who = format_baht(original.amount), short_name(by) or by
    written = []
    if member is not None:
        text = render(member.lang, "reversed_member", by=who, ref=ref, amount=amount)
        written.append(queue_sms(session, member.phone, text, MessageKind.RECEIPT, member=member))
    if collector is not None:
        name = short_name(member.name) if member is not None else ""
        text = render(
            collector.lang, "reversed_collector", by=who, ref=ref, amount=amount, name=name
        )
        written.append(
            queue_sms(session, collector.phone, text, MessageKind.NOTICE, member=collector)
        )
    return [message.id for message in written if message is not None]
