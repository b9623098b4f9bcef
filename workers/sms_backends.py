"""Where outbound SMS go: Africa's Talking through its SDK, Kannel's sendsms, or the simulator."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from config.settings import Settings
from models.outbox import Status

log = logging.getLogger(__name__)
ACCEPTED = {100: "Processed", 101: "Sent", 102: "Queued"}
# Per-recipient codes worth another try later; the rest (401-409) will never pass.
TRANSIENT_CODES = {500, 501, 502}
TIMEOUT = (3.05, 10)


@dataclass(frozen=True)
class Sent:
    """The provider took the message."""

    provider_id: str | None
    status: Status


class TransientSmsError(Exception):
    """Try again later: a timeout, a 5xx, a provider hiccup."""


class PermanentSmsError(Exception):
    """The message will never go: the reason says why."""


class SmsBackend(Protocol):
    """Sends one message to one number."""

    def send(self, to: str, text: str, message_id: int) -> Sent:
        """Send outbox message message_id, or raise TransientSmsError / PermanentSmsError."""
        ...


class SimulatorBackend:
    """Keeps messages for the phone simulator: they count as delivered at once."""

    def send(self, to: str, text: str, message_id: int) -> Sent:
        """Accept the message."""
        return Sent(provider_id=f"sim-{uuid.uuid4().hex[:16]}", status=Status.DELIVERED)


class AfricasTalkingBackend:
    """The official SDK's SMS service, with every recipient's status checked."""

    def __init__(self, settings: Settings) -> None:
        self.service = SMSService(settings.at_username, settings.at_api_key)
        self.sender_id = settings.at_sender_id

    def send(self, to: str, text: str, message_id: int) -> Sent:
        """Send one message and read the provider's verdict on it."""
        try:
            answer = self.service.send(text, [to], sender_id=self.sender_id, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise TransientSmsError(f"provider unreachable: {type(exc).__name__}") from exc
        except AfricasTalkingException as exc:
            # The SDK hides the HTTP status of a refusal. A 5xx passes with time; a 401
            # passes once the operator fixes the key: retry with backoff, then give up.
            raise TransientSmsError(f"provider refused the request: {str(exc)[:120]}") from exc
        return self._verdict(answer)

    @staticmethod
    def _verdict(answer: dict | str) -> Sent:
        try:
            # The SDK decodes JSON only for an exact application/json content type.
            body = json.loads(answer) if isinstance(answer, str) else answer
            recipients = body["SMSMessageData"]["Recipients"]
            first = recipients[0]
            code = int(first["statusCode"])
        except (ValueError, KeyError, IndexError, TypeError):
            raise TransientSmsError(f"unreadable provider answer: {str(answer)[:100]!r}") from None
        if code in ACCEPTED:
            return Sent(provider_id=str(first.get("messageId") or ""), status=Status.SENT)
        reason = f"{code} {first.get('status', '')}".strip()
        if code in TRANSIENT_CODES:
            raise TransientSmsError(reason)
        raise PermanentSmsError(reason)


def make_backend(settings: Settings) -> SmsBackend:
    """The backend the settings name."""
    if settings.sms_backend == "africastalking":
        return AfricasTalkingBackend(settings)
    if settings.sms_backend == "kannel":
        from workers.kannel import KannelBackend  # it builds on this module's types

        return KannelBackend(settings)
    return SimulatorBackend()
