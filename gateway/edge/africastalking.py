"""The edge with Africa's Talking: callbacks parsed into dataclasses, tokens checked.

Nothing past this module reads the request's form (`callback_form`). A payload that is
missing a field we need, or carries a value we do not know, is refused here with a 400.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from gateway.edge.types import DeliveryReport, InboundSms, UssdEnd, UssdRequest
from models.outbox import PROVIDER_STATUS

MAX_TEXT = 1_000
MAX_USSD_TEXT = 500  # a whole session's inputs; a screen takes 182 characters at most
# The longest value each field may have, from the columns that keep them (and a margin
# for free text). Longer is not from the provider: 400, which it does not retry.
LIMITS = {
    "from": 20,
    "to": 20,
    "id": 100,
    "text": MAX_TEXT,
    "date": 40,
    "linkId": 100,
    "networkCode": 10,
    "sessionId": 100,
    "serviceCode": 20,
    "phoneNumber": 20,
    "status": 20,
    "failureReason": 200,
    "retryCount": 10,
    "input": MAX_TEXT,
    "errorMessage": MAX_TEXT,
    "durationInMillis": 20,
    "hopsCount": 10,
}


class BadCallback(ValueError):
    """The callback is malformed; answer 400 and change nothing."""


TEXT = {"Content-Type": "text/plain; charset=utf-8"}
FORM = "application/x-www-form-urlencoded"  # how Africa's Talking posts every callback
MAX_FIELDS = 50  # a callback has 5 to 11


def guard_callbacks(bp: Blueprint) -> None:
    """Give a blueprint of provider callbacks the token check and the 400 for bad input."""

    @bp.before_request
    def check_token() -> ResponseReturnValue:
        settings = current_app.config["SATJA"]
        # The query and the address are read only when there is something to check.
        if settings.callback_token and not token_ok(request.args, settings.callback_token):
            return "forbidden\n", 403, TEXT
        if settings.callback_allow and not address_ok(request.remote_addr, settings.callback_allow):
            return "forbidden\n", 403, TEXT
        return None

    @bp.errorhandler(BadCallback)
    def bad_callback(exc: BadCallback) -> ResponseReturnValue:
        return f"bad request: {exc}\n", 400, TEXT


def callback_form() -> dict[str, str]:
    """The request's form fields, the first of each name; BadCallback unless urlencoded.

    The standard library's parser, not werkzeug's form machinery: for a callback of a few
    hundred bytes, that was 8% of a USSD hop answered from Redis (bench/RESULTS.md). The
    body is within MAX_CONTENT_LENGTH (werkzeug's stream answers 413 past it). Bytes that
    are not UTF-8 become U+FFFD, and the callback is answered as sent. It reads the body:
    call it once.
    """
    if request.mimetype != FORM:
        raise BadCallback("not form-urlencoded")
    environ = request.environ
    length = environ.get("CONTENT_LENGTH", "")
    if (
        length.isascii()
        and length.isdigit()
        and int(length) <= current_app.config["MAX_CONTENT_LENGTH"]
    ):
        # A plain body of a told length, read at once: werkzeug's stream around it was
        # another 5% of a hop answered from Redis (bench/RESULTS.md).
        raw = environ["wsgi.input"].read(int(length))
        if len(raw) != int(length):
            # Cut short (the sender hung up): `PAY 5000` must not be read as `PAY 500`, nor
            # its id be used up before the provider's retry brings the whole of it.
            raise BadCallback("body shorter than its Content-Length")
    else:
        raw = request.get_data()  # werkzeug's: a chunked body, and the 413 past the limit
    body = raw.decode("utf-8", "replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise BadCallback("too many fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)  # as werkzeug's form[name] gives the first
    return fields


def token_ok(query: Mapping[str, str], expected: str | None) -> bool:
    """True when no token is configured, or the query's token matches it."""
    if not expected:
        return True
    # As bytes: compare_digest refuses non-ASCII str, and a wrong token is a 403, not a 500.
    given = query.get("token", "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, expected.encode("utf-8"))


def address_ok(address: str | None, allowed: tuple) -> bool:
    """True when no networks are configured, or the client's address is in one of them."""
    if not allowed:
        return True
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in network for network in allowed)


def parse_provider_date(text: str | None) -> dt.datetime | None:
    """Africa's Talking dates: '2026-11-16 10:30:00' or ISO 8601 with a zone; UTC, naive."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadCallback(f"date {text!r} is not a date") from None
    if when.tzinfo is not None:
        try:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01 ahead of UTC, 9999-12-31 behind it
            raise BadCallback(f"date {text!r} is out of range") from None
    return when


# Control characters (NUL above all, which PostgreSQL refuses in text) never reach us
# from a handset; they are dropped at the edge instead of failing deeper down.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(form: Mapping[str, str]) -> dict[str, str]:
    """The form's fields without control characters; a field over its limit is refused."""
    clean = {name: CONTROL.sub("", value) for name, value in form.items()}
    for name, value in clean.items():
        if len(value) > LIMITS.get(name, MAX_TEXT):
            raise BadCallback(f"{name} too long")
    return clean


def _required(form: Mapping[str, str], *names: str) -> list[str]:
    values = [(form.get(name) or "").strip() for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise BadCallback(f"missing {', '.join(missing)}")
    return values


def parse_inbound_sms(form: Mapping[str, str]) -> InboundSms:
    """An inbound SMS callback: from, to, text, date, id, linkId, networkCode."""
    form = _clean(form)
    from_phone, provider_id = _required(form, "from", "id")
    text = form.get("text")
    if text is None:
        raise BadCallback("missing text")  # a blank SMS is a person's; it gets a reply
    return InboundSms(
        provider_id=provider_id,
        from_phone=from_phone,
        text=text,
        to_code=(form.get("to") or None),
        received_at=parse_provider_date(form.get("date")),
        link_id=(form.get("linkId") or None),
        network_code=(form.get("networkCode") or None),
    )


def parse_delivery_report(form: Mapping[str, str]) -> DeliveryReport:
    """A delivery report callback; an unknown status is refused."""
    form = _clean(form)
    provider_id, status = _required(form, "id", "status")
    if status not in PROVIDER_STATUS:
        raise BadCallback(f"unknown status {status!r}")
    return DeliveryReport(
        provider_id=provider_id,
        status=PROVIDER_STATUS[status],
        failure_reason=(form.get("failureReason") or None),
    )


def parse_ussd(form: Mapping[str, str]) -> UssdRequest:
    """A USSD hop: sessionId, serviceCode, phoneNumber, networkCode, text."""
    form = _clean(form)
    for name in ("sessionId", "phoneNumber"):
        if not (form.get(name) or "").strip():
            raise BadCallback(f"missing {name}")
    if "text" not in form:
        raise BadCallback("missing text")
    text = form["text"]
    if len(text) > MAX_USSD_TEXT:
        raise BadCallback("text too long")
    return UssdRequest(
        session_id=form["sessionId"].strip(),
        service_code=form.get("serviceCode") or "",
        phone=form["phoneNumber"].strip(),
        network_code=form.get("networkCode") or None,
        text=text,
    )


USSD_END_STATUSES = ("Success", "Incomplete", "Failed")


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BadCallback(f"{value!r} is not a number") from None


def parse_ussd_end(form: Mapping[str, str]) -> UssdEnd:
    """An end-of-session notice; an unknown status is refused."""
    form = _clean(form)
    session_id, status = _required(form, "sessionId", "status")
    if status not in USSD_END_STATUSES:
        raise BadCallback(f"unknown status {status!r}")
    return UssdEnd(
        session_id=session_id,
        phone=form.get("phoneNumber") or None,
        status=status,
        input=form.get("input") or None,
        duration_ms=_int(form.get("durationInMillis")),
        error_message=(form.get("errorMessage") or None),
        hops=_int(form.get("hopsCount")),
    )
