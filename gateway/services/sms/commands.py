"""Which SMS commands there are, who may send each, and the handler that carries it out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.flows.sms_grammar import Command, ParseError
from gateway.services.sms import collector, member, treasurer, welfare
from gateway.services.sms.desk import Desk, Refused
from models.offices import Power


@dataclass(frozen=True)
class Handler:
    """A command's handler, and the power it needs (None: any member); models/offices.py."""

    run: Callable[[Desk, Command], str]
    power: Power | None = None


COMMANDS: dict[str, Handler] = {
    # collectors
    "PAY": Handler(collector.pay, Power.TAKE_CASH),
    "OK": Handler(collector.ok, Power.TAKE_CASH),
    "UNDO": Handler(collector.undo, Power.TAKE_CASH),
    "SUM": Handler(collector.day_summary, Power.DAY_SUMMARY),
    # the treasurer
    "RCV": Handler(treasurer.rcv, Power.HAND_OVER),
    "PINRESET": Handler(treasurer.pinreset, Power.RESET_PIN),
    # any member (NO is a collector's rejection or a member's withdrawal or dispute)
    "NO": Handler(member.no),
    "BAL": Handler(member.bal),
    "STMT": Handler(member.statement),
    "HELP": Handler(member.help),
    "STOP": Handler(member.stop),
    "START": Handler(member.start),
    "PRIVACY": Handler(member.privacy),
    # welfare, by the committee
    "CLAIM": Handler(welfare.claim, Power.FILE_CLAIM),
    "APPROVE": Handler(welfare.approve, Power.DECIDE_CLAIM),
    "REJECT": Handler(welfare.reject, Power.DECIDE_CLAIM),
}


def carry_out(desk: Desk, parsed: Command | ParseError) -> str:
    """Run a parsed command and return the reply; a Refused becomes its message."""
    if isinstance(parsed, ParseError):
        key, values = parse_error_message(parsed)
        return desk.reply(key, **values)
    handler = COMMANDS[parsed.verb]
    try:
        if handler.power is not None:
            desk.require(handler.power)
        return handler.run(desk, parsed)
    except Refused as refused:
        return desk.reply(refused.key, **refused.values)


def parse_error_message(error: ParseError) -> tuple[str, dict[str, object]]:
    """The catalogue key, and its values, that explain a parse error."""
    if error.error == "unknown":
        return "err_unknown", {}
    if error.error == "amount":
        return "err_amount", {}
    if error.error == "date":
        return "err_date", {}
    if error.verb in ("OK", "NO", "UNDO") or (error.error == "ref" and error.verb == "APPROVE"):
        return "err_usage_ref", {"verb": error.verb}
    usage = {
        "PAY": "err_usage_pay",
        "RCV": "err_usage_rcv",
        "PINRESET": "err_usage_pinreset",
        "BAL": "err_usage_bal",
        "CLAIM": "err_usage_claim",
        "APPROVE": "err_usage_decide",
        "REJECT": "err_usage_decide",
    }
    return usage.get(error.verb or "", "err_unknown"), {}
