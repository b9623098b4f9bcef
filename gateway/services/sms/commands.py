"""Which SMS commands there are, who may send each, and the handler that carries it out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.flows.sms_grammar import Command, ParseError
from gateway.services.sms import collector, member, treasurer, welfare
from gateway.services.sms.desk import Desk, Refused
from models.registry import Role

OFFICERS = (Role.COLLECTOR, Role.TREASURER, Role.CHAIR)


@dataclass(frozen=True)
class Handler:
    """A command's handler, and the roles that may send it (None: any member)."""

    run: Callable[[Desk, Command], str]
    roles: tuple[Role, ...] | None = None
    refusal: str = ""  # the catalogue key that says who may send it


COLLECTOR_ONLY = {"roles": (Role.COLLECTOR,), "refusal": "err_collector_only"}
TREASURER_ONLY = {"roles": (Role.TREASURER,), "refusal": "err_treasurer_only"}
COMMITTEE_ONLY = {"roles": OFFICERS, "refusal": "err_committee_only"}

COMMANDS: dict[str, Handler] = {
    # collectors
    "PAY": Handler(collector.pay, **COLLECTOR_ONLY),
    "OK": Handler(collector.ok, **COLLECTOR_ONLY),
    "UNDO": Handler(collector.undo, **COLLECTOR_ONLY),
    "SUM": Handler(collector.day_summary, OFFICERS, "err_collector_only"),
    # the treasurer
    "RCV": Handler(treasurer.rcv, **TREASURER_ONLY),
    "PINRESET": Handler(treasurer.pinreset, **TREASURER_ONLY),
    # any member (NO is a collector's rejection or a member's withdrawal or dispute)
    "NO": Handler(member.no),
    "BAL": Handler(member.bal),
    "HELP": Handler(member.help),
    "STOP": Handler(member.stop),
    "START": Handler(member.start),
    # welfare, by the committee
    "CLAIM": Handler(welfare.claim, **COMMITTEE_ONLY),
    "APPROVE": Handler(welfare.approve, **COMMITTEE_ONLY),
    "REJECT": Handler(welfare.reject, **COMMITTEE_ONLY),
}


def carry_out(desk: Desk, parsed: Command | ParseError) -> str:
    """Run a parsed command and return the reply; a Refused becomes its message."""
    if isinstance(parsed, ParseError):
        key, values = parse_error_message(parsed)
        return desk.reply(key, **values)
    handler = COMMANDS[parsed.verb]
    try:
        if handler.roles is not None and desk.sender.role not in handler.roles:
            raise Refused(handler.refusal)
        return handler.run(desk, parsed)
    except Refused as refused:
        return desk.reply(refused.key, **refused.values)


def parse_error_message(error: ParseError) -> tuple[str, dict[str, object]]:
    """The catalogue key, and its values, that explain a parse error."""
    if error.error == "unknown":
        return "err_unknown", {}
    if error.error == "amount":
        return "err_amount", {}
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
