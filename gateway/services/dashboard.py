"""What the committee's dashboard reads and does: logins, its pages, and the confirmed actions."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.flows.dashboard_texts import benefit_label
from gateway.flows.dates import BE_OFFSET
from gateway.flows.money import format_baht
from gateway.flows.ussd import Payment
from gateway.services import claims as claim_service
from gateway.services.claims import Told
from gateway.services.passbook import passbook_rows
from gateway.services.resolutions import (
    ALLOWED,
    CannotResolve,
    CannotRestore,
    find_exception,
    find_receipt,
    finding_people,
    resolve,
    restore_receipt,
)
from gateway.services.ussd_hop import recent_payments
from models.actors import Actor
from models.authority import allowed
from models.db import Database
from models.ledger import ref_for
from models.offices import Office, Power, holders, offices_of
from models.passbook import passbook
from models.phones import InvalidPhone, normalize_phone
from models.privacy import Access, Channel, MemberAccess, access_log, record_access
from models.reconcile import Action, Finding, ItemKind, open_exceptions
from models.registry import (
    Group,
    Member,
    RegistryError,
    check_sex,
    edit_member,
    find_collector,
    find_member,
    record_consent,
    set_beneficiary,
)
from models.reports import collectors_cash, group_report, monthly_contributions
from models.standing import Standing, member_standing
from models.users import User, authenticate, end_sessions
from models.welfare import (
    Claim,
    ClaimRefused,
    ClaimStatus,
    documents_asked,
    documents_received,
)
from workers.relay import hand_over

__all__ = ["ref_for"]  # the pages name transfers and claims by their reference
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
BE_YEARS = 2400  # a typed year past this is Buddhist Era (CE years this high are not typed)

PAID_SHOWN = 30  # the latest paid claims on the claims page, each reversible
FOUND_SHOWN = 50  # members found by one search

# Settling these moves money; every other confirm only acknowledges.
MONEY_SETTLEMENTS = {
    (ItemKind.DECLARED, Action.CONFIRM),
    (ItemKind.DECLARED, Action.REVERSE),
    (ItemKind.DISPUTED, Action.REVERSE),
}


class NotAllowed(CannotResolve):
    """An exception of a kind that cannot be settled that way (the page offers only what can)."""

    key, values = "action", {}


class Refused(Exception):
    """Nothing was done: a catalogue key and its values, or a sentence when there is no key."""

    def __init__(self, message: str, key: str | None = None, values: dict | None = None) -> None:
        super().__init__(message)
        self.key, self.values = key, dict(values or {})


@contextlib.contextmanager
def _refusals(*kinds: type[Exception]) -> Iterator[None]:
    """Turn the given domain refusals into Refused; the transaction has rolled back by then."""
    try:
        yield
    except kinds as exc:
        raise Refused(str(exc), getattr(exc, "key", None), getattr(exc, "values", None)) from exc


def _acting(session: Session, by: Viewer, group: Group, power: Power, today: dt.date) -> Actor:
    """The member this login acts as, when their offices in the group carry the power."""
    if by.member_id is None:
        raise Refused("this login is not linked to a member", "login_unlinked")
    actor = Actor.person(by.member_id)
    if not allowed(session, actor, group.id, power, today):
        raise Refused("your offices in this group do not allow this", "power")
    return actor


def _send(redis: Redis | None, messages: list[int]) -> None:
    """Committed messages go now; without Redis the sweeper sends them."""
    if messages and redis is not None:
        hand_over(redis, messages)


# Who is looking


@dataclass(frozen=True)
class GroupView:
    """A group as the pages name it."""

    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Viewer:
    """The person logged in, as the pages need them."""

    id: int
    name: str
    lang: str
    group_id: int | None  # None: the network, every group
    group_code: str | None
    session_version: int  # what this login's cookies must carry to be honoured
    member_id: int | None = None  # the person behind the login; they act as this member

    def may_see(self, group: GroupView) -> bool:
        """Whether this login may see (and act for) the group."""
        return self.group_id is None or self.group_id == group.id


def _viewer(session: Session, user: User) -> Viewer:
    group = session.get(Group, user.group_id) if user.group_id is not None else None
    code = group.code if group else None
    return Viewer(
        user.id, user.name, user.lang, user.group_id, code, user.session_version, user.member_id
    )


def log_in(
    db: Database, username: str, password: str, now: dt.datetime, *, production: bool
) -> Viewer | None:
    """The viewer when the password is right and the login open; wrong tries are counted."""
    with db.transaction() as session:
        user = authenticate(session, username, password, now, production=production)
        return _viewer(session, user) if user is not None else None


def viewer(db: Database, user_id: object, session_version: object) -> Viewer | None:
    """The viewer a session names, while that session is still open on the server."""
    if not isinstance(user_id, int) or not isinstance(session_version, int):
        return None
    with db.transaction() as session:
        user = session.get(User, user_id)
        # Logging out or disabling moves the version on: every cookie issued before is dead.
        if user is None or user.disabled_at is not None or user.session_version != session_version:
            return None
        return _viewer(session, user)


def log_out(db: Database, user_id: object) -> None:
    """End every open session of this login, so that a saved cookie no longer works."""
    if isinstance(user_id, int):
        with db.transaction() as session:
            if (user := session.get(User, user_id)) is not None:
                end_sessions(user)


def group_named(db: Database, code: str) -> GroupView | None:
    """The group a URL names, or None."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == code.upper())).first()
        return GroupView(group.id, group.code, group.name) if group else None


def all_groups(db: Database) -> list[GroupView]:
    """Every group, by code, for the network's landing page."""
    with db.transaction() as session:
        return [
            GroupView(g.id, g.code, g.name)
            for g in session.scalars(select(Group).order_by(Group.code))
        ]


# Reading pages


@dataclass(frozen=True)
class Overview:
    """The figures of `report group` and the received money per month."""

    report: dict[str, Any]
    months: list[tuple[dt.date, int]]


def overview(db: Database, view: GroupView, today: dt.date) -> Overview:
    """Members, money, contributions per month, arrears, matching."""
    with db.transaction() as session:
        group = session.get(Group, view.id)
        return Overview(
            group_report(session, group, today), monthly_contributions(session, group, today)
        )


def collectors(db: Database, view: GroupView, today: dt.date) -> list[dict[str, Any]]:
    """Cash in each collector's hand, and how long since they handed over."""
    with db.transaction() as session:
        return collectors_cash(session, session.get(Group, view.id), today)


@dataclass(frozen=True)
class ExceptionsPage:
    """Open exceptions, the people they name, and how each kind may be settled."""

    found: list[Finding]
    people: dict[int, tuple[int, str]]  # member id -> (number, name)
    allowed: dict[ItemKind, tuple[Action, ...]]

    @property
    def numbers(self) -> dict[int, int]:
        """Member id -> member number."""
        return {member_id: number for member_id, (number, _) in self.people.items()}


def exceptions(db: Database, view: GroupView, today: dt.date) -> ExceptionsPage:
    """Every open exception of the group now."""
    with db.transaction() as session:
        found = open_exceptions(session, session.get(Group, view.id), today)
        people = {
            member_id: (number, name)
            for member_id, number, name in session.execute(
                select(Member.id, Member.number, Member.name).where(Member.group_id == view.id)
            )
        }
    return ExceptionsPage(found, people, ALLOWED)


@dataclass(frozen=True)
class ClaimsPage:
    """Claims waiting for a decision, and the latest paid (or reversed) ones."""

    filed: list[tuple[Claim, Member]]
    paid: list[tuple[Claim, Member]]
    names: dict[int, str]  # who filed, approved first or reversed: member id -> name
    # A filed claim's documents, in the schedule's order: (name, received) per claim id.
    documents: dict[int, list[tuple[str, bool]]] = field(default_factory=dict)

    def who(self, member_id: int | None, old_text: str | None = None) -> str:
        """A filer's or decider's name; the old free text for claims from before offices."""
        if member_id is not None:
            return self.names.get(member_id, "-")
        return (old_text or "-").removeprefix("name:").removeprefix("member:")


def claims(db: Database, view: GroupView) -> ClaimsPage:
    """The approval queue, and the latest payments (which can be reversed)."""
    paid_states = (ClaimStatus.PAID.value, ClaimStatus.REVERSED.value)
    with db.transaction() as session:
        both = select(Claim, Member).join(Member, Member.id == Claim.member_id)
        filed = session.execute(
            both.where(Claim.group_id == view.id, Claim.status == ClaimStatus.FILED.value).order_by(
                Claim.id
            )
        ).all()
        paid = session.execute(
            both.where(Claim.group_id == view.id, Claim.status.in_(paid_states))
            .order_by(Claim.id.desc())
            .limit(PAID_SHOWN)
        ).all()
        ids = {
            i
            for claim, _ in (*filed, *paid)
            for i in (
                claim.filed_by_member_id,
                claim.first_approval_member_id,
                claim.reversed_by_member_id,
            )
            if i is not None
        }
        names = dict(
            session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all()
        )
        documents = {}
        for claim, _ in filed:
            received = documents_received(session, claim)
            documents[claim.id] = [(d, d in received) for d in documents_asked(session, claim)]
    return ClaimsPage([tuple(row) for row in filed], [tuple(row) for row in paid], names, documents)


def receive_documents(
    db: Database, view: GroupView, ref: str, names: list[str], *, by: Viewer, today: dt.date
) -> dict[str, object]:
    """Mark the documents ticked on a claim as received; the words of what is still missing."""
    with _refusals(ClaimRefused), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.FILE_CLAIM, today)
        told, missing = claim_service.receive(session, group, ref, names, actor, today)
        return {"ref": ref_for(told.claim.id), "documents": ", ".join(missing)}


def find_members(db: Database, view: GroupView, q: str) -> list[Member]:
    """Members of the group whose name holds q, or whose number or phone q is."""
    if not q:
        return []
    found = [Member.name.contains(q)]
    if q.isdigit():
        found.append(Member.number == int(q))
    with contextlib.suppress(InvalidPhone):
        found.append(Member.phone == normalize_phone(q))
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Member)
                .where(Member.group_id == view.id, or_(*found))
                .order_by(Member.number)
                .limit(FOUND_SHOWN)
            )
        )


@dataclass(frozen=True)
class MemberPage:
    """One member: where they stand, their payments and claims."""

    person: Member
    standing: Standing
    payments: tuple[Payment, ...]
    claims: list[Claim]
    offices: list[str]  # what they hold today
    collectors: list[tuple[int, str, int]]  # the group's collectors today: (number, name, id)
    may_edit: bool  # the viewer may change the register
    # Who opened this member's data (PDPA access log): (when, who, channel, what), newest first.
    looks: tuple[tuple[dt.datetime, Who, str, str], ...] = ()


@dataclass(frozen=True)
class Who:
    """Who acted, for the page to word: a member (and the login used), or a named job."""

    name: str | None = None
    number: int | None = None
    username: str | None = None
    job: str | None = None


def _who(session: Session, row: MemberAccess) -> Who:
    """Who looked at a member's data: their name and number, the login, or the job."""
    user = session.get(User, row.user_id) if row.user_id is not None else None
    username = user.username if user is not None else None
    by = row.by
    if by is not None and by.member_id is not None:
        member = session.get(Member, by.member_id)
        if member is not None:
            return Who(member.name, member.number, username)
    return Who(username=username, job=by.job.value if by is not None and by.job else None)


LOOKS_SHOWN = 20  # the newest looks on the member page; `members access-log` has them all
BANGKOK = ZoneInfo("Asia/Bangkok")


def _bangkok(at: dt.datetime) -> dt.datetime:
    """A stored UTC time as the committee reads it."""
    return at.replace(tzinfo=dt.UTC).astimezone(BANGKOK)


def _numbered(session: Session, view: GroupView, number: int) -> Member | None:
    return session.scalars(
        select(Member).where(Member.group_id == view.id, Member.number == number)
    ).first()


def passbook_page(
    db: Database, view: GroupView, number: int, today: dt.date, be_year: int | None
) -> dict[str, object] | None:
    """What the printable passbook of the member with this number shows, or None."""
    year = be_year - BE_OFFSET if be_year and 2540 <= be_year <= 2700 else today.year
    with db.transaction() as session:
        person = _numbered(session, view, number)
        if person is None:
            return None
        return passbook_rows(passbook(session, person, year, today))


def member_page(
    db: Database, view: GroupView, number: int, today: dt.date, viewer: Viewer | None = None
) -> MemberPage | None:
    """The member with this number in the group, or None."""
    with db.transaction() as session:
        person = _numbered(session, view, number)
        if person is None:
            return None
        if viewer is not None:  # each opening is kept, with the login and its person
            by = Actor.person(viewer.member_id) if viewer.member_id is not None else None
            record_access(session, person, Channel.DASHBOARD, Access.PAGE, by, viewer.id)
            session.flush()
        looks = tuple(
            (_bangkok(row.at), _who(session, row), row.channel, row.what)
            for row, _ in access_log(session, session.get(Group, view.id), person, LOOKS_SHOWN)
        )
        their_claims = session.scalars(
            select(Claim).where(Claim.member_id == person.id).order_by(Claim.id.desc())
        ).all()
        collectors = session.execute(
            select(Member.number, Member.name, Member.id)
            .where(Member.group_id == view.id, Member.id.in_(holders({Office.COLLECTOR}, today)))
            .order_by(Member.number)
        ).all()
        editor = viewer is not None and viewer.member_id is not None
        may_edit = editor and allowed(
            session, Actor.person(viewer.member_id), view.id, Power.EDIT_REGISTER, today
        )
        return MemberPage(
            person,
            member_standing(session, person, today),
            recent_payments(session, person),
            list(their_claims),
            sorted(offices_of(session, person.id, today)),
            [tuple(row) for row in collectors],
            may_edit,
            looks,
        )


@dataclass(frozen=True)
class Look:
    """One look at a member's data, as the access log page shows it."""

    at: dt.datetime  # Bangkok time
    number: int
    name: str
    who: Who
    channel: str
    what: str


def access_page(db: Database, view: GroupView) -> list[Look]:
    """The newest looks at any of the group's members (PDPA access log), newest first."""
    with db.transaction() as session:
        rows = access_log(session, session.get(Group, view.id))
        return [
            Look(_bangkok(row.at), member.number, member.name, _who(session, row),
                 row.channel, row.what)
            for row, member in rows
        ]  # fmt: skip


def typed_day(text: str) -> dt.date | None:
    """A day as the committee types it, 16/5/2503 (Buddhist Era) or 1960-05-16; else None."""
    text = text.strip().translate(THAI_DIGITS)
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
        day, month, year = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        year, month, day = map(int, match.groups())
    else:
        return None
    try:
        return dt.date(year - BE_OFFSET if year > BE_YEARS else year, month, day)
    except ValueError:
        return None


def shown_day(day: dt.date | None, lang: str) -> str:
    """A day as a form field shows it for editing: 16/5/2503 in Thai, 16/5/1960 in English."""
    if day is None:
        return ""
    return f"{day.day}/{day.month}/{day.year + BE_OFFSET if lang == 'th' else day.year}"


def edit_register(
    db: Database, view: GroupView, number: int, form: dict[str, str], by: Viewer, today: dt.date
) -> list[str]:
    """Change a member's details from the member page; what changed (each change kept)."""
    with _refusals(RegistryError), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.EDIT_REGISTER, today)
        person = find_member(session, group, str(number))
        changes: dict[str, object] = {"name": form.get("name", person.name)}
        born = form.get("born", "").strip()
        changes["born_on"] = typed_day(born) if born else person.born_on
        if born and changes["born_on"] is None:
            raise Refused(f"born: {born!r} is not a date like 16/5/2503", "born")
        changes["sex"] = check_sex(form.get("sex"))
        changes["lang"] = form.get("lang", person.lang)
        changes["village"] = form.get("village", "").strip() or None
        collector = form.get("collector", "").strip()
        changes["collector_id"] = (
            find_collector(session, group, collector, today).id if collector else None
        )
        changed = edit_member(session, person, changes, actor)
        if _consent(session, person, form, actor, today):
            changed.append("consent")
        name = form.get("beneficiary_name", "").strip()
        phone = form.get("beneficiary_phone", "").strip() or None
        relation = form.get("beneficiary_relation", "").strip()
        old = (person.beneficiary_name, person.beneficiary_relation)
        if (name and (name, relation) != old) or (name and phone != person.beneficiary_phone):
            before = person.beneficiary_phone
            set_beneficiary(session, person, name, phone, relation, actor)
            if (name, relation) != old or person.beneficiary_phone != before:
                changed.append("beneficiary")
        return changed


def _consent(
    session: Session, person: Member, form: dict[str, str], by: Actor, today: dt.date
) -> bool:
    """Record consent from the form's two fields (both or neither); True when it changed."""
    how, on = form.get("consent_how", "").strip(), form.get("consent_on", "").strip()
    if not how and not on:
        return False
    day = typed_day(on)
    if day is None:
        raise Refused(f"consent: {on!r} is not a date like 16/11/2569", "consent_on")
    if day > today:
        raise Refused("consent date is in the future", "consent_future")
    before = (person.consent_on, person.consent_how)
    record_consent(session, person, day, how, by)
    return (person.consent_on, person.consent_how) != before


# Exceptions: a note here, money only after the confirmation page


def keep_note(
    db: Database, view: GroupView, what: str, note: str, by: Viewer, today: dt.date
) -> None:
    """Keep a written note on an open exception; no money moves."""
    with _refusals(ValueError), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.SETTLE, today)
        finding = _open_exception(session, group, what, today)
        if Action.NOTE not in ALLOWED[ItemKind(finding.kind)]:
            raise NotAllowed(f"a {finding.kind} exception cannot be settled by a note")
        resolve(session, group, finding, Action.NOTE, note=note, by=actor, today=today)


def money_action(value: str) -> Action:
    """The confirm or reverse a settle form asks for; ValueError for anything else."""
    action = Action(value)
    if action == Action.NOTE:
        raise ValueError(action)
    return action


@dataclass(frozen=True)
class Settlement:
    """What settling an exception this way does: its sentence's key and the words in it."""

    key: str  # <kind>_<action> when money moves, else "confirm"
    words: dict[str, str]
    new: str = ""  # the reference of the transfer it posted, once done


def _open_exception(session: Session, group: Group, what: str, today: dt.date) -> Finding:
    """The open exception a form names; Refused, with the words, when there is none."""
    try:
        return find_exception(session, group, what, today)
    except CannotResolve as exc:
        raise Refused(str(exc), "no_exception", {"what": what[:20]}) from exc


def _settlement(
    session: Session, group: Group, what: str, action: Action, today: dt.date
) -> tuple[Finding, Settlement]:
    finding = _open_exception(session, group, what, today)
    if action not in ALLOWED[ItemKind(finding.kind)]:
        raise NotAllowed(f"a {finding.kind} exception cannot be settled by {action}")
    words = {
        "what": what,
        "ref": what.lstrip("#"),
        "amount": format_baht(finding.amount),
        **finding_people(session, finding),
    }
    moves = (ItemKind(finding.kind), action) in MONEY_SETTLEMENTS
    return finding, Settlement(f"{finding.kind}_{action}" if moves else "confirm", words)


def settlement(
    db: Database, view: GroupView, what: str, action: Action, today: dt.date
) -> Settlement:
    """What settling this exception this way would do, before anything is done."""
    with _refusals(ValueError), db.transaction() as session:
        return _settlement(session, session.get(Group, view.id), what, action, today)[1]


def settle(
    db: Database,
    redis: Redis | None,
    view: GroupView,
    what: str,
    action: Action,
    *,
    note: str,
    by: Viewer,
    today: dt.date,
) -> Settlement:
    """Settle an exception, then send what people are told."""
    with _refusals(ValueError), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.SETTLE, today)
        finding, done = _settlement(session, group, what, action, today)
        if not note.strip():
            raise Refused("say why", "note")
        resolution, messages = resolve(
            session, group, finding, action, note=note, by=actor, today=today
        )
        new = ref_for(resolution.transfer_id) if resolution.transfer_id else ""
    _send(redis, messages)
    return Settlement(done.key, done.words, new)


# Claims and receipts


def _claim_words(told: Told, lang: str) -> dict[str, object]:
    claim = told.claim
    return {
        "ref": ref_for(claim.id),
        "amount": format_baht(claim.amount),
        "name": told.payee_name,
        "benefit": benefit_label(claim.benefit, lang),
        "units": claim.units,
    }


def claim_words(db: Database, view: GroupView, ref: str, lang: str) -> dict[str, object]:
    """What a claim pays, to whom: the words of its confirmation page."""
    with _refusals(ClaimRefused), db.transaction() as session:
        told = claim_service.find_claim(session, session.get(Group, view.id), ref)
        return _claim_words(told, lang)


def approve_claim(
    db: Database,
    redis: Redis | None,
    view: GroupView,
    ref: str,
    *,
    by: Viewer,
    today: dt.date,
    lang: str,
) -> dict[str, object]:
    """Approve a claim (paid once approved as the schedule asks); the words of what was done."""
    with _refusals(ClaimRefused), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.DECIDE_CLAIM, today)
        told = claim_service.decide(session, group, ref, actor, True, today)
        words = {**_claim_words(told, lang), "second": told.waiting_second}
        messages = told.message_ids
    _send(redis, messages)
    return words


def reject_claim(
    db: Database,
    redis: Redis | None,
    view: GroupView,
    ref: str,
    *,
    by: Viewer,
    reason: str,
    today: dt.date,
) -> dict[str, object]:
    """Reject a claim with its reason; no money moves; the member and the filer are told."""
    with _refusals(ClaimRefused), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.DECIDE_CLAIM, today)
        told = claim_service.decide(session, group, ref, actor, False, today, reason)
        words, messages = (
            {"ref": ref_for(told.claim.id), "reason": told.claim.reason},
            told.message_ids,
        )
    _send(redis, messages)
    return words


@dataclass(frozen=True)
class Undone:
    """A reversal or a restoration done: its words, the new reference, whether done before."""

    words: dict[str, object]
    new: str
    already: bool
    member_number: int | None = None  # whose receipt was restored


def reverse_claim(
    db: Database,
    redis: Redis | None,
    view: GroupView,
    ref: str,
    *,
    by: Viewer,
    reason: str,
    today: dt.date,
    lang: str,
) -> Undone:
    """Reverse a paid claim back into the bank and tell the payee."""
    with _refusals(ClaimRefused), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.REVERSE_CLAIM, today)
        done, told = claim_service.reverse(session, group, ref, actor, reason, today)
        words, messages = _claim_words(told, lang), told.message_ids
        new = ref_for(done.transfer.id)
    _send(redis, messages)
    return Undone(words, new, done.already)


@dataclass(frozen=True)
class ReceiptWords:
    """A reversed receipt as its confirmation page says it, and whose it is."""

    words: dict[str, object]
    member_number: int


def _receipt_words(session: Session, group: Group, ref: str) -> ReceiptWords:
    receipt = find_receipt(session, group, ref)
    words = {
        "ref": receipt.seen.ref,
        "amount": format_baht(receipt.posted.amount),
        "member": receipt.member.name,
        "name": receipt.member.name,
        "collector": receipt.collector.name if receipt.collector else "-",
    }
    return ReceiptWords(words, receipt.member.number)


def receipt_words(db: Database, view: GroupView, ref: str) -> ReceiptWords:
    """What restoring a receipt would do, before anything is done."""
    with _refusals(CannotRestore), db.transaction() as session:
        return _receipt_words(session, session.get(Group, view.id), ref)


def restore(
    db: Database,
    redis: Redis | None,
    view: GroupView,
    ref: str,
    *,
    by: Viewer,
    reason: str,
    today: dt.date,
) -> Undone:
    """Restore a receipt reversed by mistake as a new entry; the member and collector told."""
    with _refusals(CannotRestore), db.transaction() as session:
        group = session.get(Group, view.id)
        actor = _acting(session, by, group, Power.SETTLE, today)
        seen = _receipt_words(session, group, ref)
        done, messages = restore_receipt(session, group, ref, reason=reason, by=actor, today=today)
        new = ref_for(done.transfer.id)
    _send(redis, messages)
    return Undone(seen.words, new, done.already, seen.member_number)
