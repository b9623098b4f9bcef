"""What a provider's callbacks mean, as Satja's own types: every edge parses into these.

Africa's Talking (africastalking.py) and Kannel (kannel.py) make the same types,
so the services behind them never learn which provider spoke.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from models.outbox import Status


@dataclass(frozen=True)
class InboundSms:
    """An inbound SMS as the provider sent it, parsed at the edge."""

    provider_id: str
    from_phone: str
    text: str
    to_code: str | None = None
    received_at: dt.datetime | None = None
    link_id: str | None = None
    network_code: str | None = None


@dataclass(frozen=True)
class UssdRequest:
    """One hop as the provider sent it, parsed at the edge."""

    session_id: str
    service_code: str
    phone: str
    network_code: str | None
    text: str


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery report for one outbound message: by the provider's id, or by ours."""

    provider_id: str | None
    status: Status
    failure_reason: str | None
    message_id: int | None = None  # the outbox id, where the provider hands ours back


@dataclass(frozen=True)
class UssdEnd:
    """Africa's Talking's end-of-session notice."""

    session_id: str
    phone: str | None
    status: str
    input: str | None
    duration_ms: int | None
    error_message: str | None
    hops: int | None
