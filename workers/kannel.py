"""Kannel's sendsms: outbound SMS over HTTP to smsbox, which speaks SMPP to the operator."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import requests

from config.settings import Settings
from gateway.flows.gsm import is_gsm7
from models.outbox import Status
from workers.sms_backends import TIMEOUT, PermanentSmsError, Sent, TransientSmsError

# Every report Kannel can give: 1 delivered, 2 failed at the phone, 4 buffered at the SMSC,
# 8 submitted to the SMSC, 16 rejected by the SMSC (the last so a refusal is not silent).
DLR_MASK = 1 | 2 | 4 | 8 | 16
# smsbox's answers that mean it has the message: "0: Accepted for delivery" (handed to an
# SMSC) and "3: Queued for later delivery" (no SMSC bound now; Kannel keeps it and sends it
# once one is). Either way it is Kannel's to deliver now.
ACCEPTED = re.compile(r"[03]: .*")
UCS2, GSM7 = "2", "0"


class KannelBackend:
    """One GET to smsbox's sendsms per message, with a delivery-report URL back to Satja."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.http = session or requests.Session()

    def query(self, to: str, text: str, message_id: int) -> dict[str, str]:
        """The sendsms parameters for one message (public so the tests can read them)."""
        s = self.settings
        params = {
            "username": s.kannel_username,
            "password": s.kannel_password,
            "from": s.kannel_from,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            # Thai does not fit GSM-7: UCS-2, which Kannel splits at 67 characters a part.
            "coding": GSM7 if is_gsm7(text) else UCS2,
            "dlr-mask": str(DLR_MASK),
            "dlr-url": self.dlr_url(message_id),
        }
        if s.kannel_smsc:
            params["smsc"] = s.kannel_smsc
        return params

    def dlr_url(self, message_id: int) -> str:
        """Where Kannel reports on this message: our id, the token, and Kannel's escapes."""
        fields = {"outbox": str(message_id)}
        if self.settings.callback_token:
            fields["token"] = self.settings.callback_token
        # %d the report's type, %A the SMSC's answer, %F the SMSC's message id; urlencode
        # would escape the % signs, so they are added as Kannel expects them.
        base = self.settings.kannel_dlr_url
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}{urlencode(fields)}&status=%d&answer=%A&smsc_id=%F"

    def send(self, to: str, text: str, message_id: int) -> Sent:
        """Hand one message to smsbox and read its answer."""
        try:
            answer = self.http.get(
                self.settings.kannel_sendsms_url,
                params=self.query(to, text, message_id),
                timeout=TIMEOUT,
            )
        except requests.RequestException as exc:
            raise TransientSmsError(f"kannel unreachable: {type(exc).__name__}") from exc
        return verdict(answer.status_code, answer.text)


def verdict(status: int, body: str) -> Sent:
    """The outbox status for sendsms's answer; a 4xx is final, a 5xx passes with time."""
    said = body.strip()[:120]
    if 200 <= status < 300 and ACCEPTED.fullmatch(said):
        return Sent(provider_id=None, status=Status.SENT)
    if 400 <= status < 500:
        # A wrong password, a number Kannel refuses, no route: sending again changes nothing.
        raise PermanentSmsError(f"kannel {status}: {said}")
    raise TransientSmsError(f"kannel {status}: {said!r}")
