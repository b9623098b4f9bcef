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
        if parsed.verb == "PAY" and not desk.may(Power.TAKE_CASH) and desk.may(Power.HAND_OVER):
            # รับ was once the hand-over: a treasurer who types it is shown the new word,
            # with what they typed, ready to send again.
            who = parsed.who.number if parsed.who.number is not None else parsed.who.phone
            return desk.reply("err_pay_not_handover", who=who, baht=parsed.baht)
        if handler.power is not None:
            desk.require(handler.power)
        return handler.run(desk, parsed)
    except Refused as refused:
        return desk.reply(refused.key, **refused.values)


# The valid forms of each command, told when what was sent does not fit them.
USAGE = {
    "PAY": "err_usage_pay",
    "RCV": "err_usage_rcv",
    "OK": "err_usage_ref",
    "UNDO": "err_usage_ref",
    "NO": "err_usage_no",
    "PINRESET": "err_usage_pinreset",
    "BAL": "err_usage_bal",
    "CLAIM": "err_usage_claim",
    "APPROVE": "err_usage_decide",
    "REJECT": "err_usage_decide",
}


def parse_error_message(error: ParseError) -> tuple[str, dict[str, object]]:
    """The catalogue key, and its values, that explain a parse error."""
    if error.error == "unknown" or error.verb not in USAGE:
        return "err_unknown", {}
    values = {"verb": error.verb, "word": error.word or error.verb}
    if error.error == "amount":
        return "err_amount", values
    if error.error == "benefit":
        return "err_benefit", values
    if error.error == "date":
        return "err_date", values
    return USAGE[error.verb], values
