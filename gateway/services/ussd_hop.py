"""Answer one USSD hop: read the caller, run the pure menu, apply its effects once.

A hop is identified by (sessionId, number of inputs). Its answer is stored, so that a
repeated hop, whichever gateway process gets it, receives the same screen and applies
nothing twice. The collector's SMS goes through the outbox after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, NamedTuple

from sqlalchemy import Insert, Select, bindparam, case, func, insert, select
from sqlalchemy.orm import Session, aliased, joinedload, outerjoin

from config.conventions import SATANG_PER_BAHT
from config.settings import Settings
from gateway.edge.types import UssdRequest
from gateway.flows import ussd as menu
from gateway.flows.dates import format_date
from gateway.flows.household import choose
from gateway.flows.money import format_baht
from gateway.flows.texts import render, short_name, standing_text
from gateway.services.ussd_cache import CachedCaller, NotCached, Snapshot
from models.actors import Actor
from models.base import utcnow
from models.lapse import WARN_BEFORE_DAYS, lapses_on, returns_until
from models.ledger import (
    Account,
    Code,
    Phase,
    Transfer,
    TransferSpec,
    create_transfer,
)
from models.offices import Office, holders
from models.outbox import MessageKind, OutboundMessage, sms_row, write_sms
from models.phones import InvalidPhone, mask_phone, normalize_phone
from models.pins import check_pin, pin_locked, set_pin
from models.registry import ENDED, LANGUAGES, Member, Status
from models.standing import Standing, member_standing
from models.ussd import UssdHop
from models.welfare import Claim, schedule_for, whole_years

log = logging.getLogger(__name__)
NOT_REGISTERED = "END เบอร์นี้ยังไม่ได้ลงทะเบียน ติดต่อกรรมการกองทุนค่ะ\nNot a member: ask your fund."
OTHER_PHONE = "END ขออภัย กด {code} ใหม่อีกครั้งค่ะ\nSorry, please dial {code} again."
HISTORY = 5


@dataclass
class Answered:
    """The answer text (CON/END included) and the outbox rows to send after commit."""

    text: str
    message_ids: list[int]
    group_id: int | None = None  # the caller's group, and what the hop read of them
    read: dict[str, object] | None = None  # when it changed nothing: a snapshot's worth
    member_id: int | None = None  # whose snapshot the read goes to
    # Generations its work moved on, not yet told (one call's): told with the SMS hand-over.
    moved: frozenset[str] = frozenset()


def recent_payments(session: Session, member: Member) -> tuple[menu.Payment, ...]:
    """The member's latest payments and what became of each."""
    resolution, reversal = aliased(Transfer), aliased(Transfer)
    rows = session.execute(
        select(Transfer, resolution.phase, reversal.id)
        .outerjoin(resolution, resolution.pending_id == Transfer.id)
        .outerjoin(reversal, reversal.reversal_of == func.coalesce(resolution.id, Transfer.id))
        .where(
            Transfer.member_id == member.id,
            Transfer.code.in_((Code.CONTRIBUTION.value, Code.OPENING.value)),
            Transfer.phase.in_((Phase.SINGLE.value, Phase.PENDING.value)),
        )
        # Newest business day first; within a day, by reference (the id it is made of).
        .order_by(Transfer.business_date.desc(), Transfer.id.desc())
        .limit(HISTORY)
    ).all()
    payments = []
    for transfer, resolved, reversed_id in rows:
        if reversed_id is not None:
            state = "reversed"
        elif transfer.phase == Phase.PENDING and resolved is None:
            state = "pending"
        elif resolved == Phase.VOID:
            state = "rejected"
        else:
            state = "confirmed"
        payments.append(menu.Payment(transfer.business_date, transfer.amount, state, transfer.ref))
    return tuple(payments)


@cache
def _number_query() -> Select:
    # Built once per process (see _caller_query).
    return select(Member.number).where(Member.id == bindparam("id"))


@cache
def _last_paid_query() -> Select:
    # Built once per process (see _caller_query).
    return (
        select(Member.number)
        .join(Transfer, Transfer.collector_id == Member.id)
        .where(Transfer.member_id == bindparam("member_id"))
        .order_by(Transfer.id.desc())
        .limit(1)
    )


class LiveCaller:
    """The read-only context the menu sees, read lazily: a hop reads only what it shows.

    It offers the same attributes as gateway.flows.ussd.Caller; the main menu, the most
    common hop, needs none of the ledger's figures.
    """

    def __init__(
        self,
        session: Session,
        member: Member,
        today: dt.date,
        now: dt.datetime,
        *,
        pin_set_in_session: bool = False,
        held: Snapshot | None = None,
        usual_collectors: dict[int, int | None] | None = None,
    ) -> None:
        self._session, self._member, self._today, self._now = session, member, today, now
        # The session's snapshot: the collector list it showed is the one a choice names.
        ours = held is not None and held.head.member_id == member.id
        self._held = CachedCaller(held.fields, now) if ours else None
        # The fold must see the session as it began: a PIN set in it did not exist then.
        self._pin_set_in_session = pin_set_in_session
        if usual_collectors is not None and member.id in usual_collectors:
            # Read with the caller: as if _usual_collector had read it.
            self.__dict__["_usual_collector"] = usual_collectors[member.id]
        self.lang = member.lang
        self.daily_rate = member.group.daily_rate_satang

    @cached_property
    def _standing(self) -> Standing:
        return member_standing(self._session, self._member, self._today)

    @property
    def balance(self) -> int:
        """Total given, in satang."""
        return self._standing.balance_satang

    @property
    def paid_through(self) -> dt.date:
        """The last day covered."""
        return self._standing.paid_through

    @property
    def days_behind(self) -> int:
        """Days behind (negative: ahead)."""
        return self._standing.days_behind

    @property
    def waiting_days_left(self) -> int:
        """Days until welfare may be paid."""
        return self._standing.waiting_days_left(self._today)

    @property
    def lapsed(self) -> bool:
        """Whether the membership has lapsed."""
        return self._member.status == Status.LAPSED

    @property
    def lapse_on(self) -> dt.date | None:
        """The day an active member lapses unless they pay, once it is 30 days away or less."""
        group, behind = self._member.group, self._standing.days_behind
        if self.lapsed or behind < group.lapse_days - WARN_BEFORE_DAYS:
            return None
        day = lapses_on(group, self._standing)
        return day if day >= self._today else None  # past it: the night's check is due

    @property
    def return_until(self) -> dt.date | None:
        """The last day a lapsed member may return by paying up (None once past it)."""
        until = returns_until(self._member.group, self._member)
        return until if until is not None and self._today <= until else None

    @cached_property
    def fund_total(self) -> int:
        """The group's money: the bank and the collectors' hands."""
        return int(
            self._session.scalar(
                select(
                    func.coalesce(func.sum(Account.debits_posted - Account.credits_posted), 0)
                ).where(
                    Account.group_id == self._member.group_id,
                    (Account.key == "fund_bank") | Account.key.like("collector_cash:%"),
                )
            )
        )

    @property
    def collectors(self) -> tuple[menu.Collector, ...]:
        """The group's active collectors, by member number: as the session saw them."""
        if self._held is not None:
            try:
                return self._held.collectors
            except NotCached:
                pass
        return self._collectors

    @cached_property
    def _collectors(self) -> tuple[menu.Collector, ...]:
        rows = self._session.scalars(
            select(Member)
            .where(
                Member.group_id == self._member.group_id,
                Member.id.in_(holders({Office.COLLECTOR}, self._today)),
                Member.status == Status.ACTIVE.value,
            )
            .order_by(Member.number)
        ).all()
        shown = [short_name(c.name) for c in rows]
        return tuple(
            menu.Collector(c.number, _told_apart(c, name, shown), c.village)
            for c, name in zip(rows, shown, strict=True)
        )

    @property
    def village(self) -> str | None:
        """The member's หมู่: its collectors are listed first."""
        return self._member.village

    @property
    def usual_collector(self) -> int | None:
        """The collector the member usually pays: as the session saw it, when it did."""
        # The list a choice names was ordered by this: read again, a payment made meanwhile
        # from another phone of the household could reorder it under the member's finger.
        if self._held is not None:
            try:
                return self._held.usual_collector
            except NotCached:
                pass
        return self._usual_collector

    @cached_property
    def _usual_collector(self) -> int | None:
        assigned = self._member.collector_id
        if assigned is not None:
            return self._session.scalar(_number_query(), {"id": assigned})
        return self._session.scalar(_last_paid_query(), {"member_id": self._member.id})

    @cached_property
    def payments(self) -> tuple[menu.Payment, ...]:
        """The latest payments and their states."""
        return recent_payments(self._session, self._member)

    @cached_property
    def benefits(self) -> tuple[menu.BenefitLine, ...]:
        """The group's benefits at the member's years of membership."""
        schedule = schedule_for(self._session, self._member.group)
        years = whole_years(self._member.joined_on, self._today)
        return tuple(
            menu.BenefitLine(b.type, b.amount_for(years) * SATANG_PER_BAHT, b.unit)
            for b in schedule.benefits.values()
        )

    @cached_property
    def claims(self) -> tuple[menu.ClaimLine, ...]:
        """The member's latest claims, newest first."""
        rows = self._session.scalars(
            select(Claim)
            .where(Claim.member_id == self._member.id)
            .order_by(Claim.id.desc())
            .limit(HISTORY)
        ).all()
        return tuple(menu.ClaimLine(c.event_date, c.benefit, c.amount, c.status) for c in rows)

    def read(self) -> dict[str, object]:
        """What this hop read, by the menu's names (figures it did not need are left out)."""
        member = self._member
        fields: dict[str, object] = {
            "status": member.status,
            "lang": member.lang,
            "daily_rate": self.daily_rate,
            "has_pin": member.pin_hash is not None,
            "pin_locked_until": member.pin_locked_until,
            "phone_tail": self.phone_tail,
            "village": self.village,
            # As a declaration's SMS names the member to their collector.
            "short_name": short_name(member.name),
            "number": member.number,
        }
        if "_usual_collector" in self.__dict__:
            # From the database, never the held snapshot: a part is tagged as read now.
            fields["usual_collector"] = self._usual_collector
        if "_standing" in self.__dict__:
            fields.update(
                balance=self.balance,
                paid_through=self.paid_through,
                days_behind=self.days_behind,
                waiting_days_left=self.waiting_days_left,
                lapsed=self.lapsed,
                lapse_on=self.lapse_on,
                return_until=self.return_until,
            )
        for name in ("fund_total", "_collectors", "payments", "benefits", "claims"):
            if name in self.__dict__:
                fields[name.lstrip("_")] = self.__dict__[name]
        return fields

    @property
    def phone_tail(self) -> str:
        """The last four digits of the member's phone (a PIN must not be them)."""
        return self._member.phone[-4:]

    @property
    def has_pin(self) -> bool:
        """Whether the member had a PIN when this session began."""
        return self._member.pin_hash is not None and not self._pin_set_in_session

    @property
    def pin_locked(self) -> bool:
        """Whether PIN actions are locked now."""
        return pin_locked(self._member, self._now)


def _told_apart(collector: Member, name: str, shown: list[str]) -> str:
    """A collector's name on the list; a namesake adds their หมู่ or their surname's initial."""
    if shown.count(name) == 1:
        return name
    surname = collector.name.split()[-1] if len(collector.name.split()) > 1 else ""
    return f"{name} {collector.village or surname[:1] + '.'}"


@cache
def _collector_query() -> Select:
    # Built once per process (see _caller_query).
    return select(Member.id, Member.lang, Member.phone).where(
        Member.group_id == bindparam("group_id"),
        Member.number == bindparam("number"),
        Member.id.in_(holders({Office.COLLECTOR}, bindparam("today"))),
    )


class Collector(NamedTuple):
    """A collector as a declaration needs them: whose cash, and where their SMS goes."""

    number: int
    id: int
    lang: str
    phone: str


def _declare(
    session: Session,
    settings: Settings,
    member: Member,
    effect: menu.Declare,
    key: str,
    today: dt.date,
    known: Collector | None = None,
) -> tuple[str, dict[str, object]]:
    """A pending transfer to the collector, and an SMS asking them to confirm it (its row)."""
    if known is not None and known.number == effect.collector_number:
        collector = known  # read with the caller, in the hop's one read
    else:
        # Only the three columns the SMS needs: a whole Member costs more than its query.
        collector = session.execute(
            _collector_query(),
            {"group_id": member.group_id, "number": effect.collector_number, "today": today},
        ).one()
    outcome = create_transfer(
        session,
        TransferSpec(
            key=key,
            group_id=member.group_id,
            debit=f"collector_cash:{collector.id}",
            credit=f"member:{member.id}",
            amount=effect.amount,
            code=Code.CONTRIBUTION,
            business_date=today,
            member_id=member.id,
            collector_id=collector.id,
            by=Actor.person(member.id),
        ),
        pending=True,
    )
    ref = outcome.transfer.ref
    text = render(
        collector.lang,
        "declared",
        name=short_name(member.name),
        number=member.number,
        amount=format_baht(effect.amount),
        ref=ref,
    )
    message = sms_row(
        collector.phone, text, MessageKind.NOTICE, group_id=member.group_id, member_id=collector.id
    )
    return ref, message


def _apply(
    session: Session,
    settings: Settings,
    member: Member,
    result: menu.Result,
    key: str,
    today: dt.date,
    collector: Collector | None = None,
) -> tuple[str | None, list[dict[str, object]]]:
    """Apply one hop's effects; the declaration's reference, if any, and the SMS to write."""
    ref, messages = None, []
    for effect in result.effects:
        if isinstance(effect, menu.SetLanguage):
            member.lang = effect.lang
        elif isinstance(effect, menu.SetPin):
            set_pin(member, effect.pin, settings.pin_keys)
        elif isinstance(effect, menu.Declare):
            ref, message = _declare(session, settings, member, effect, key, today, collector)
            messages.append(message)
        elif isinstance(effect, menu.SendBalance):
            standing = member_standing(session, member, today)
            state = standing_text(member.lang, standing.days_behind)
            text = render(
                member.lang,
                "bal_self",
                total=format_baht(standing.balance_satang),
                date=format_date(standing.paid_through, member.lang),
                state=state,
            )
            messages.append(
                sms_row(
                    member.phone,
                    text,
                    MessageKind.NOTICE,
                    group_id=member.group_id,
                    member_id=member.id,
                )
            )
    return ref, messages


class Earlier(NamedTuple):
    """A hop of this session answered before."""

    hop: int
    pin_ok: bool | None
    pin_set: bool
    screen: str
    member_id: int | None
    text: str  # the session's inputs as that hop received them


class Read(NamedTuple):
    """What a database hop reads first, in one statement."""

    phone: str
    household: list[Member]  # as find_household gives it
    earlier: list[Earlier]
    usual: dict[int, int | None]  # each member's usual collector
    collectors: dict[int, Collector]  # by member: the collector the hop declares to, if asked


def _read_caller(
    session: Session,
    request: UssdRequest,
    *,
    lock: bool,
    collector: int | None = None,
    today: dt.date | None = None,
) -> Read:
    """The phone's household, the session's earlier hops, each member's usual collector: one read.

    With lock, the members' rows are read under their lock (PostgreSQL), as a PIN check
    must read them; the hops are not locked. With a collector's number, that collector of
    each member's group (holding the office today) comes too: the declaration needs them.
    """
    try:
        phone = normalize_phone(request.phone)
    except InvalidPhone:
        return Read(request.phone, [], [], {}, {})
    members: dict[int, Member] = {}
    earlier: dict[int, Earlier] = {}
    usual_collectors: dict[int, int | None] = {}
    collectors: dict[int, Collector] = {}
    values = {"phone": phone, "session_id": request.session_id}
    if collector is not None:
        values.update(collector=collector, today=today)
    found = session.execute(_caller_query(lock, collector is not None), values)
    for member, usual, *row in found:
        members[member.id] = member
        usual_collectors[member.id] = usual
        if collector is not None:
            found_id, lang, to, *row = row
            if found_id is not None:
                collectors[member.id] = Collector(collector, found_id, lang, to)
        if row[0] is not None:  # a row per member and hop: each hop once
            earlier[row[0]] = Earlier(*row)
    household = sorted(members.values(), key=lambda m: m.status in ENDED)
    return Read(phone, household, list(earlier.values()), usual_collectors, collectors)


@cache
def _caller_query(lock: bool, with_collector: bool = False) -> Select:
    # Built once per process, values bound at execution: a hot path's statement pays its
    # construction and its cache key once, not at every hop.
    # The collector list is ordered by the member's usual collector (assigned, else the
    # last one paid): read here, the list a database hop shows costs no statement of its own.
    collector = aliased(Member)
    assigned = select(collector.number).where(collector.id == Member.collector_id)
    last_paid = (
        select(collector.number)
        .join(Transfer, Transfer.collector_id == collector.id)
        .where(Transfer.member_id == Member.id)
        .order_by(Transfer.id.desc())
        .limit(1)
    )
    usual = case(
        (Member.collector_id.is_not(None), assigned.scalar_subquery()),
        else_=last_paid.scalar_subquery(),
    )
    columns = [Member, usual]
    # The members, then (when asked) the collector a declaration names, then every hop of
    # the session whoever answered it: a hop by another phone must show.
    payee = aliased(Member)  # its own alias: the subqueries above must not correlate to it
    joined = Member
    if with_collector:
        columns += [payee.id, payee.lang, payee.phone]
        joined = outerjoin(
            Member,
            payee,
            (payee.group_id == Member.group_id)
            & (payee.number == bindparam("collector"))
            & payee.id.in_(holders({Office.COLLECTOR}, bindparam("today"))),
        )
    joined = outerjoin(joined, UssdHop, UssdHop.session_id == bindparam("session_id"))
    hops = UssdHop.__table__.c
    query = (
        select(
            *columns, hops.hop, hops.pin_ok, hops.pin_set, hops.screen, hops.member_id, hops.text
        )
        .select_from(joined)
        .options(joinedload(Member.group))
        .where(Member.phone == bindparam("phone"))
        .order_by(Member.number)
    )
    if lock:
        query = query.with_for_update(of=Member).execution_options(populate_existing=True)
    return query


def answer_hop(
    session: Session,
    settings: Settings,
    request: UssdRequest,
    today: dt.date,
    now: dt.datetime,
    held: Snapshot | None = None,
    hint: Quick | None = None,
) -> Answered:
    """The answer to one hop (`held`: the session's snapshot, if any); flushes, never commits.

    `hint`: what the snapshot's menu expects of this hop. A PIN check reads the caller's
    row under its lock at once, and a declaration reads its collector with the caller
    (one statement, not two). The hop still decides from what it reads.
    """
    inputs = menu.split_inputs(request.text)
    hop = len(inputs)
    checks_pin = hint is not None and hint.checks_pin
    declares = hint.declares if hint is not None else None
    read = _read_caller(session, request, lock=checks_pin, collector=declares, today=today)
    phone, household, earlier, usual = read.phone, read.household, read.earlier, read.usual
    household = [m for m in household if m.status not in ENDED]
    if not household:
        log.info("ussd %s from unregistered %s", request.session_id, mask_phone(phone))
        return Answered(NOT_REGISTERED, [])
    if any(row.member_id not in {m.id for m in household} for row in earlier):
        # A session belongs to the phone that opened it: another number gets nothing of it,
        # neither its screens nor its PIN verdicts.
        log.warning("ussd %s: hop from another phone %s", request.session_id, mask_phone(phone))
        return Answered(OTHER_PHONE.format(code=settings.ussd_code), [])
    if any(row.hop <= hop and menu.split_inputs(row.text) != inputs[: row.hop] for row in earlier):
        # A network only ever adds to a session's inputs. Another text at a hop answered
        # before is forged or replayed: its PIN verdicts and PINs set belong to other inputs.
        log.warning("ussd %s: inputs unlike the session's before", request.session_id)
        return Answered(OTHER_PHONE.format(code=settings.ussd_code), [])
    for row in earlier:
        if row.hop == hop:
            return Answered(row.screen, [])
    used, member = 0, household[0]
    if len(household) > 1:
        # A shared phone: the first inputs say who calls; the menu runs on what follows.
        chosen = choose([m.name for m in household], inputs, household[0].lang)
        if isinstance(chosen, menu.Screen):
            log.info("ussd %s hop %s from %s: who", request.session_id, hop, mask_phone(phone))
            return Answered(_record(session, request, household[0], chosen)[0], [])
        used, member = chosen.used, household[chosen.index]
    own = inputs[used:]
    # By input, what this session's database hops decided: a PIN checked, or a new PIN
    # set (the menu refuses a new PIN at an earlier input without one: a forged text).
    verdicts = {
        row.hop - 1 - used: True if row.pin_set else row.pin_ok
        for row in earlier
        if row.member_id == member.id and (row.pin_ok is not None or row.pin_set)
    }
    caller = LiveCaller(
        session,
        member,
        today,
        now,
        pin_set_in_session=any(row.pin_set for row in earlier if row.member_id == member.id),
        held=held,
        usual_collectors=usual,
    )
    result = menu.answer(caller, own, verdicts)
    pin_ok = None
    if result.needs_pin_check is not None:
        pin_ok = check_pin(
            member, result.needs_pin_check, now, settings.pin_keys, locked=checks_pin
        )
        verdicts[len(own) - 1] = pin_ok
        if pin_locked(member, now):
            result = menu.Result(menu.locked_screen(caller.lang), node=menu.Node.LOCKED)
        else:
            result = menu.answer(caller, own, verdicts)
    key = f"ussd:{request.session_id}:{hop}"
    ref, messages = _apply(
        session, settings, member, result, key, today, read.collectors.get(member.id)
    )
    screen = result.screen
    if ref is not None:
        screen = menu.declared_screen(member.lang, ref)
    text, message_ids = _record(session, request, member, screen, pin_ok, result, messages)
    log.info("ussd %s hop %s from %s: %s", request.session_id, hop, mask_phone(phone), result.node)
    changed = bool(result.effects) or pin_ok is not None or len(household) > 1
    return Answered(
        text,
        message_ids,
        member.group_id,
        # A snapshot is the phone's: a shared phone's sessions are read from the database.
        None if changed else caller.read(),
        member_id=member.id,
    )


def _record(
    session: Session,
    request: UssdRequest,
    member: Member,
    screen: menu.Screen,
    pin_ok: bool | None = None,
    result: menu.Result | None = None,
    messages: Sequence[dict[str, object]] = (),
) -> tuple[str, list[int]]:
    """Store the hop's answer (a repeat gets the same screen) and its SMS; text, SMS ids."""
    text = wire(screen)
    row = {
        "session_id": request.session_id,
        "hop": len(menu.split_inputs(request.text)),
        "member_id": member.id,
        "text": request.text,
        "screen": text,
        "pin_ok": pin_ok,
        "pin_set": result is not None and any(isinstance(e, menu.SetPin) for e in result.effects),
        "created_at": utcnow(),
    }
    # Single INSERTs with no unit of work: nothing in this hop reads the rows back. A
    # repeat racing this hop from another process fails here, on the unique (session, hop).
    rest = list(messages)
    ids = []
    if rest and session.get_bind().dialect.name == "postgresql":
        # The hop's record rides in the SMS's INSERT (a data-modifying WITH): one round trip.
        first = rest.pop(0)
        hop_row = {f"hop_{name}": value for name, value in row.items()}
        ids.append(
            session.execute(_insert_sms_with_hop(tuple(first)), {**first, **hop_row}).scalar_one()
        )
    else:
        session.execute(_insert_hop(), row)
    ids += [write_sms(session, message) for message in rest]
    return text, ids


@cache
def _insert_hop() -> Insert:
    # Built once, values bound at execution: the statement's cache key is computed once.
    return insert(UssdHop.__table__)


@cache
def _insert_sms_with_hop(columns: tuple[str, ...]) -> Insert:
    # PostgreSQL only. Built once per set of columns (see _insert_hop).
    hops, sms = UssdHop.__table__, OutboundMessage.__table__
    hop = insert(hops).values(
        {c.name: bindparam(f"hop_{c.name}") for c in hops.c if c.name != "id"}
    )
    return (
        insert(sms)
        .values({name: bindparam(name) for name in columns})
        .returning(sms.c.id)
        .add_cte(hop.cte("hop"))
    )


@dataclass(frozen=True)
class PinPlan:
    """A PIN hop as the snapshot sees it: the PIN typed, and the screen each outcome shows.

    The language and status it was folded with go along: the database call that checks
    the PIN answers only while they still hold (gateway/services/ussd_pin.py).
    """

    pin: str
    lang: str
    status: str
    right: str
    wrong: str
    locked: str


# Where a declaration's reference goes in texts made before it exists: a control
# character, which no name, village or amount can hold (models/registry.py: check_text).
REF_MARK = "\x1e"


@dataclass(frozen=True)
class DeclarePlan:
    """A declaring hop as the snapshot sees it, once the PIN hop before it was right.

    The screen and the collector's SMS (in each language: the collector's is the
    database's to say) hold REF_MARK, which the call fills with the posting's reference.
    """

    collector: int  # the collector's number
    amount: int  # satang
    lang: str
    status: str
    screen: str
    sms: dict[str, str]  # by language


@dataclass(frozen=True)
class Quick:
    """A hop as the snapshot sees it: its answer, or None; and whether it checks a PIN."""

    text: str | None
    checks_pin: bool = False
    declares: int | None = None  # the collector's number, when it declares a payment
    pin: PinPlan | None = None  # a PIN hop the snapshot can fold either way
    declare: DeclarePlan | None = None  # a declaring hop, if the PIN hop before was right


def wire(screen: menu.Screen) -> str:
    """A screen as the provider takes it: CON to go on, END to close."""
    return ("END " if screen.end else "CON ") + screen.text


def _declare_plan(caller: CachedCaller, inputs: list[str], before: menu.Fold) -> DeclarePlan | None:
    """What a hop declares, and shows, if the PIN typed just before it was right.

    `before`: the fold of the inputs before the PIN's, with no verdicts.
    """
    result = menu.answer(caller, inputs, {len(inputs) - 2: True}, before)
    if result.after_effects or len(result.effects) != 1:
        return None
    effect = result.effects[0]
    if not isinstance(effect, menu.Declare):
        return None
    lang = str(caller.lang)
    values = {
        "name": caller.short_name,
        "number": caller.number,
        "amount": format_baht(effect.amount),
        "ref": REF_MARK,
    }
    return DeclarePlan(
        effect.collector_number,
        effect.amount,
        lang,
        str(caller.status),
        wire(menu.declared_screen(lang, REF_MARK)),
        {to: render(to, "declared", **values) for to in LANGUAGES},
    )


def _pin_plan(
    caller: CachedCaller, inputs: list[str], pin: str, before: menu.Fold
) -> PinPlan | None:
    """What the PIN hop shows when the PIN is right, wrong, or locks; None if more than that.

    `before`: the fold of every input but the PIN, with no verdicts.
    """
    verdict = len(inputs) - 1
    right = menu.answer(caller, inputs, {verdict: True}, before)
    wrong = menu.answer(caller, inputs, {verdict: False}, before)
    if right.effects or wrong.effects or right.after_effects or wrong.after_effects:
        return None  # a PIN that also changes something: the general path applies it
    lang = str(caller.lang)
    return PinPlan(
        pin,
        lang,
        str(caller.status),
        wire(right.screen),
        wire(wrong.screen),
        wire(menu.locked_screen(lang)),
    )


def answer_from_snapshot(
    fields: dict[str, Any] | None, request: UssdRequest, now: dt.datetime
) -> Quick:
    """The answer from the caller's snapshot alone, or none when the hop needs the database."""
    # Only hops that change nothing, after no earlier hop did (a PIN checked or set, say),
    # depend on the caller alone.
    if fields is None or fields.get("status") in (None, Status.WITHDRAWN, Status.DECEASED):
        return Quick(None)
    inputs = menu.split_inputs(request.text)
    caller = CachedCaller(fields, now)  # one view for every fold: each figure decoded once
    try:
        # Folded once up to the last two inputs: a PIN hop's answers with the PIN right
        # and wrong, and a declaring hop's with the PIN before it right, go on from there
        # (three folds of the whole made a PIN hop's menu a quarter slower: bench/RESULTS.md).
        before_pin = menu.fold(caller, inputs, {}, max(len(inputs) - 2, 0))
        before_last = menu.fold(caller, inputs, {}, max(len(inputs) - 1, 0), before_pin)
        result = menu.answer(caller, inputs, {}, before_last)
        if result.after_effects and result.needs_pin_check is None:
            # Past a PIN hop, whose verdict only the database holds: were it right, would
            # this hop declare a payment? A plan for the one call, else a hint for the
            # database hop's one read.
            try:
                plan = _declare_plan(caller, inputs, before_pin)
            except (NotCached, KeyError, TypeError, ValueError):
                plan = None  # the database hop folds it from what it reads
            if plan is not None:
                return Quick(None, declares=plan.collector, declare=plan)
            assumed = menu.answer(caller, inputs, dict.fromkeys(range(len(inputs) - 1), True))
            declares = next(
                (e.collector_number for e in assumed.effects if isinstance(e, menu.Declare)), None
            )
            return Quick(None, declares=declares)
    except NotCached:
        return Quick(None)
    except (KeyError, TypeError, ValueError):  # a cache must never break the menu
        log.warning("ussd snapshot unusable; reading the database", exc_info=True)
        return Quick(None)
    if result.needs_pin_check is not None and not result.after_effects:
        # The PIN's verdict and lock are the database's; the screens either way are ours.
        try:
            plan = _pin_plan(caller, inputs, result.needs_pin_check, before_last)
        except (NotCached, KeyError, TypeError, ValueError):
            plan = None  # the database hop folds it from what it reads
        return Quick(None, checks_pin=True, pin=plan)
    if result.effects or result.needs_pin_check is not None or result.after_effects:
        # Only a hint: the database hop decides again from what it reads.
        return Quick(None, checks_pin=result.needs_pin_check is not None)
    log.info(
        "ussd %s hop %s from %s: %s",
        request.session_id,
        len(inputs),
        mask_phone(request.phone),
        result.node,
    )
    return Quick(wire(result.screen))
