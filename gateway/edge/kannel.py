"""The edge with Kannel: its sms-service and delivery-report calls parsed into our types.

Kannel calls with everything in the query string (get-url and dlr-url), so both parsers
take the raw query: the text of a Thai message arrives as UTF-16 bytes (coding 2), which
no text decoding of the whole URL would survive.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl

from gateway.edge.africastalking import CONTROL, BadCallback
from gateway.edge.types import DeliveryReport, InboundSms
from models.outbox import KANNEL_STATUS, Status

# The longest value each field may have (the columns that keep them, and a margin for the
# text: three joined UCS-2 parts are 201 characters).
LIMITS = {
    "id": 100,
    "from": 20,
    "to": 20,
    "time": 20,
    "coding": 1,
    "text": 1_000,
    "outbox": 20,
    "status": 3,
    "answer": 1_000,  # the SMSC's words; kept to 200 characters as the reason
    "smsc_id": 100,
}
CODINGS = {"0": "utf-8", "1": "utf-8", "2": "utf-16-be"}  # %c: 7-bit and 8-bit arrive as UTF-8
# A number in international form without its plus (an SMPP TON 1 sender): 66 and nine digits.
THAI_INTERNATIONAL = re.compile(r"66[0-9]{9}")
FAILURES = (Status.FAILED, Status.REJECTED)


def _fields(query: bytes) -> dict[str, bytes]:
    """The query's fields as bytes; a field over its limit is refused."""
    # latin-1 maps every byte to one character and back, so nothing is decoded yet.
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    fields = {name: value.encode("latin-1") for name, value in pairs if name != "token"}
    for name, value in fields.items():
        if len(value) > LIMITS.get(name, 100) * (4 if name == "text" else 1):
            raise BadCallback(f"{name} too long")
    return fields


def _text(raw: bytes, encoding: str) -> str:
    try:
        return CONTROL.sub("", raw.decode(encoding))
    except UnicodeDecodeError:
        raise BadCallback(f"text is not {encoding}") from None


def _required(fields: dict[str, bytes], *names: str) -> list[str]:
    values = [_text(fields.get(name, b""), "utf-8").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise BadCallback(f"missing {', '.join(missing)}")
    return values


def _time(raw: bytes | None) -> dt.datetime | None:
    """%T, seconds since the epoch; UTC, naive."""
    if not raw:
        return None
    if not raw.isdigit():
        raise BadCallback(f"time {raw[:20]!r} is not a timestamp")
    try:
        return dt.datetime.fromtimestamp(int(raw), dt.UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):  # past year 9999, or beyond the platform's
        raise BadCallback(f"time {raw[:20]!r} is out of range") from None


def parse_kannel_inbound(query: bytes) -> InboundSms:
    """An sms-service call: id (%I), from (%p), to (%P), time (%T), coding (%c), text (%b)."""
    fields = _fields(query)
    provider_id, from_phone = _required(fields, "id", "from")
    if "text" not in fields:
        raise BadCallback("missing text")  # a blank SMS is a person's; it gets a reply
    coding = _text(fields.get("coding", b"0"), "utf-8") or "0"
    if coding not in CODINGS:
        raise BadCallback(f"unknown coding {coding!r}")
    if THAI_INTERNATIONAL.fullmatch(from_phone):
        from_phone = "+" + from_phone
    return InboundSms(
        provider_id=provider_id,
        from_phone=from_phone,
        text=_text(fields["text"], CODINGS[coding]),
        to_code=_text(fields.get("to", b""), "utf-8") or None,
        received_at=_time(fields.get("time")),
    )


def parse_kannel_delivery(query: bytes) -> DeliveryReport:
    """A dlr-url call: outbox (our id), status (%d), answer (%A), smsc_id (%F)."""
    fields = _fields(query)
    outbox, status = _required(fields, "outbox", "status")
    if not outbox.isdigit():
        raise BadCallback(f"outbox {outbox!r} is not a message id")
    if not status.isdigit() or int(status) not in KANNEL_STATUS:
        raise BadCallback(f"unknown status {status!r}")
    meaning = KANNEL_STATUS[int(status)]
    # The SMSC's answer says why a message failed; on a success it is only "ACK/".
    answer = _text(fields.get("answer", b""), "utf-8").strip() if meaning in FAILURES else ""
    return DeliveryReport(
        provider_id=_text(fields.get("smsc_id", b""), "utf-8").strip() or None,
        status=meaning,
        failure_reason=answer or None,
        message_id=int(outbox),
    )
