"""Welfare: each group's benefit schedule, claims with two deciders, payouts from the fund.

A schedule is loaded from a file the committee edits (config/benefits/default.toml is
the start); each load is a new stored version, and a claim keeps the version and the
amount it was filed under, so changing the schedule never changes past claims. A claim
is filed by one committee member and approved or rejected by another; approval pays
it from the fund's bank as a ledger transfer to welfare:<type>. A payment made by
mistake is reversed by a new transfer back to the bank, with who and why kept.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from config.conventions import SATANG_PER_BAHT
from models.actors import Actor, Authored, actor_check, stored
from models.base import Base, BigId, GroupVisible, money_generation, one_of, utcnow
from models.ledger import (
    Account,
    Code,
    Outcome,
    Transfer,
    TransferSpec,
    create_transfer,
    ref_for,
    reverse_transfer,
)
from models.offices import Power, may, offices_of
from models.registry import Group, Member, Status, set_status
from models.standing import member_standing

DEFAULT_SCHEDULE = Path(__file__).resolve().parent.parent / "config" / "benefits" / "default.toml"


class BenefitType(enum.StrEnum):
    """What a benefit is for."""

    BIRTH = "birth"
    HOSPITAL = "hospital"
    ELDERLY = "elderly"
    FUNERAL = "funeral"
    DISABILITY = "disability"
    EDUCATION = "education"
    DISASTER = "disaster"
    OTHER = "other"


UNITS = ("event", "night", "month")
DOCUMENT_LENGTH = 40


class ClaimStatus(enum.StrEnum):
    """Where a claim is: filed, then paid (approved) or rejected; a paid one may be reversed."""

    FILED = "filed"
    PAID = "paid"
    REJECTED = "rejected"
    REVERSED = "reversed"


class ScheduleError(ValueError):
    """The schedule file is not usable; the message names the benefit and field."""


@dataclass(frozen=True)
class Benefit:
    """One line of a schedule."""

    type: str
    amount: int  # baht per unit
    unit: str = "event"
    per_claim: int = 1
    per_year: int = 1
    waiting_days: int | None = None  # None: the group's waiting period
    min_age: int | None = None
    max_age: int | None = None
    tiers: tuple[tuple[int, int], ...] = ()  # (years of membership, baht per unit)
    file_within_days: int | None = None  # None: no filing deadline
    documents: tuple[str, ...] = ()  # to be marked received before approval

    @property
    def counted(self) -> bool:
        """True when a claim must say how many units (nights): none is assumed."""
        return self.unit == "night"

    def amount_for(self, years: int) -> int:
        """Baht per unit after this many whole years of membership."""
        best = self.amount
        for at_least, amount in sorted(self.tiers):
            if years >= at_least:
                best = amount
        return best


@dataclass(frozen=True)
class Schedule:
    """A group's benefits as loaded."""

    version: str
    max_days_behind: int
    benefits: dict[str, Benefit] = field(default_factory=dict)
    # A claim above this many baht is paid only once two different deciders approve it.
    approvals_over_baht: int | None = None


def parse_schedule(text: str) -> Schedule:
    """Read a schedule file (TOML), checking every field; ScheduleError says what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"not a TOML file: {exc}") from None
    version = str(data.get("version", "")).strip()
    if not version:
        raise ScheduleError("the schedule needs a version")
    benefits: dict[str, Benefit] = {}
    for i, raw in enumerate(data.get("benefit", []), start=1):
        where = f"benefit {i} ({raw.get('type', '?')})"
        kind = raw.get("type")
        if kind not in BenefitType.__members__.values():
            raise ScheduleError(f"{where}: type must be one of {', '.join(BenefitType)}")
        if kind in benefits:
            raise ScheduleError(f"{where}: listed twice")
        numbers = {k: raw.get(k) for k in ("amount", "per_claim", "per_year")}
        for name, value in numbers.items():
            if not isinstance(value, int) or value <= 0:
                raise ScheduleError(f"{where}: {name} must be a whole number above 0")
        if raw.get("unit", "event") not in UNITS:
            raise ScheduleError(f"{where}: unit must be one of {', '.join(UNITS)}")
        tiers = []
        for tier in raw.get("tiers", []):
            years, amount = tier.get("years"), tier.get("amount")
            valid = all(isinstance(v, int) and v > 0 for v in (years, amount))
            if not valid:
                raise ScheduleError(f"{where}: each tier needs years and amount above 0")
            tiers.append((years, amount))
        within = raw.get("file_within_days")
        if within is not None and (not isinstance(within, int) or within < 0):
            raise ScheduleError(f"{where}: file_within_days must be a whole number, 0 or more")
        documents = raw.get("documents", [])
        if not isinstance(documents, list) or not all(
            isinstance(d, str) and 0 < len(d.strip()) <= DOCUMENT_LENGTH for d in documents
        ):
            raise ScheduleError(
                f"{where}: documents must be a list of names of 1 to {DOCUMENT_LENGTH} characters"
            )
        benefits[kind] = Benefit(
            type=kind,
            amount=numbers["amount"],
            unit=raw.get("unit", "event"),
            per_claim=numbers["per_claim"],
            per_year=numbers["per_year"],
            waiting_days=raw.get("waiting_days"),
            min_age=raw.get("min_age"),
            max_age=raw.get("max_age"),
            tiers=tuple(tiers),
            file_within_days=within,
            documents=tuple(d.strip() for d in documents),
        )
    if not benefits:
        raise ScheduleError("the schedule lists no benefit")
    over = data.get("approvals_over_baht")
    if over is not None and (not isinstance(over, int) or over < 0):
        raise ScheduleError("approvals_over_baht must be a whole number of baht, 0 or more")
    return Schedule(version, int(data.get("max_days_behind", 30)), benefits, over)


class BenefitSchedule(GroupVisible, Base):
    """One loaded version of a group's schedule (never changed once stored)."""

    __tablename__ = "benefit_schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    version: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)  # the parsed schedule, as JSON
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def schedule(self) -> Schedule:
        """The stored schedule."""
        data = json.loads(self.body)
        benefits = {
            k: Benefit(
                **{
                    **v,
                    "tiers": tuple(tuple(t) for t in v["tiers"]),
                    "documents": tuple(v.get("documents", ())),
                }
            )
            for k, v in data["benefits"].items()
        }
        return Schedule(
            data["version"], data["max_days_behind"], benefits, data.get("approvals_over_baht")
        )


class Claim(GroupVisible, Base):
    """A request for a benefit, decided by a second committee member."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(one_of("status", ClaimStatus), name="status_known"),
        CheckConstraint(one_of("benefit", BenefitType), name="benefit_known"),
        CheckConstraint("units > 0 AND amount > 0", name="positive"),
        # Optional only for claims filed before migration 0016 named no one it could find.
        actor_check("filed_by", optional=True),
        actor_check("decided_by", optional=True),
        actor_check("reversed_by", optional=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("benefit_schedules.id"))
    benefit: Mapped[str] = mapped_column(String(12))
    units: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # satang, fixed when filed
    # When it happened (birth, admission, death, disaster): eligibility is judged on it.
    event_date: Mapped[dt.date] = mapped_column(Date)
    event_end: Mapped[dt.date | None] = mapped_column(Date)  # discharge, for nights
    filed_on: Mapped[dt.date | None] = mapped_column(Date)  # empty only before migration 0019
    status: Mapped[str] = mapped_column(String(10), default=ClaimStatus.FILED.value)
    # Who filed, decided and reversed: typed actors (models/actors.py). The free-text
    # columns are what claims filed before migration 0016 said; new claims leave them empty.
    filed_by: Mapped[str | None] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    filed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    filed_by_job: Mapped[str | None] = mapped_column(String(16))
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_by_job: Mapped[str | None] = mapped_column(String(16))
    # The first of two approvals a large claim needs (the schedule's approvals_over_baht).
    first_approval_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    beneficiary_name: Mapped[str | None] = mapped_column(String(120))
    beneficiary_phone: Mapped[str | None] = mapped_column(String(20))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A payment reversed by mistake: the reversing transfer, who and why.
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
    reversed_by: Mapped[str | None] = mapped_column(String(120))
    reversed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    reversed_by_job: Mapped[str | None] = mapped_column(String(16))
    reversal_reason: Mapped[str | None] = mapped_column(String(200))
    reversed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    def generations(self) -> tuple[str, ...]:
        """A claim shows in its member's menu (its payment moves the fund through the ledger)."""
        return (money_generation(self.member_id),)

    @property
    def filer(self) -> Actor | None:
        """Who filed the claim."""
        return stored(self.filed_by_member_id, self.filed_by_job)

    @property
    def decider(self) -> Actor | None:
        """Who decided it."""
        return stored(self.decided_by_member_id, self.decided_by_job)


class ClaimDocument(GroupVisible, Authored, Base):
    """A document the schedule asks for, marked received for a claim (never unmarked)."""

    __tablename__ = "claim_documents"
    __table_args__ = (
        UniqueConstraint("claim_id", "document", name="uq_claim_documents_claim_document"),
        actor_check("by"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    document: Mapped[str] = mapped_column(String(DOCUMENT_LENGTH))
    received_on: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def store_schedule(session: Session, group: Group, schedule: Schedule) -> BenefitSchedule:
    """Store a new version of the group's schedule; past claims keep theirs."""
    body = asdict(schedule)
    row = BenefitSchedule(group_id=group.id, version=schedule.version, body=json.dumps(body))
    session.add(row)
    session.flush()
    return row


def _latest(session: Session, group: Group) -> BenefitSchedule | None:
    return session.scalars(
        select(BenefitSchedule)
        .where(BenefitSchedule.group_id == group.id)
        .order_by(BenefitSchedule.id.desc())
        .limit(1)
    ).first()


@cache
def default_schedule() -> Schedule:
    """The shipped schedule (read once per process)."""
    return parse_schedule(DEFAULT_SCHEDULE.read_text("utf-8"))


def schedule_for(session: Session, group: Group) -> Schedule:
    """The group's schedule for reading: the latest stored, else the shipped default."""
    row = _latest(session, group)
    return row.schedule() if row is not None else default_schedule()


def current_schedule(session: Session, group: Group) -> BenefitSchedule:
    """The group's latest schedule; the shipped default is stored on first use."""
    row = _latest(session, group)
    if row is None:
        row = store_schedule(session, group, default_schedule())
    return row


@dataclass(frozen=True)
class Verdict:
    """Whether a claim may be paid, how much, or why not (a catalogue key and values)."""

    amount: int = 0  # satang
    refusal: str | None = None
    values: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the claim may be filed."""
        return self.refusal is None


def whole_years(start: dt.date, day: dt.date) -> int:
    """Completed years from start to day."""
    years = day.year - start.year
    return years - ((day.month, day.day) < (start.month, start.day))


def units_this_year(session: Session, member: Member, benefit: str, day: dt.date) -> int:
    """Units of this benefit already filed or paid for the member in day's calendar year."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Claim.units), 0)).where(
                Claim.member_id == member.id,
                Claim.benefit == benefit,
                Claim.status.in_((ClaimStatus.FILED.value, ClaimStatus.PAID.value)),
                Claim.event_date >= dt.date(day.year, 1, 1),
                Claim.event_date <= dt.date(day.year, 12, 31),
            )
        )
    )


def eligibility(
    session: Session,
    member: Member,
    schedule: Schedule,
    benefit: str,
    units: int | None,
    day: dt.date,
    event: dt.date | None = None,
) -> Verdict:
    """Whether this member may claim this benefit, filed on day for an event on its date.

    Every rule (waiting period, days behind, age, years, the year's cap) is judged on the
    event's date, not the filing date; units (nights) must be given when the benefit counts.
    """
    line = schedule.benefits.get(benefit)
    if line is None:
        return Verdict(refusal="claim_no_benefit", values={"type": benefit})
    if units is None and line.counted:
        return Verdict(refusal="claim_count")
    units = units or 1
    event = event or day
    if event > day:
        return Verdict(refusal="claim_future")
    if event < member.joined_on:
        return Verdict(refusal="claim_before_joining")
    if line.file_within_days is not None and (day - event).days > line.file_within_days:
        return Verdict(refusal="claim_late", values={"days": line.file_within_days})
    # A member who lapsed after the event was a member when it happened.
    lapsed_since = member.status == Status.LAPSED and (member.status_on or event) > event
    alive = member.status == Status.ACTIVE or lapsed_since
    if not alive and not (benefit == BenefitType.FUNERAL and member.status == Status.DECEASED):
        return Verdict(refusal="claim_not_active")
    group = member.group
    waiting = group.waiting_days if line.waiting_days is None else line.waiting_days
    eligible_on = member.joined_on + dt.timedelta(days=waiting)
    if event < eligible_on:
        # An event inside the waiting period never becomes claimable by waiting.
        key = "claim_waiting" if event == day else "claim_waiting_event"
        return Verdict(refusal=key, values={"days": (eligible_on - event).days})
    standing = member_standing(session, member, event)
    if standing.days_behind > schedule.max_days_behind:
        return Verdict(refusal="claim_behind", values={"days": standing.days_behind})
    if line.min_age is not None or line.max_age is not None:
        if member.born_on is None:
            return Verdict(refusal="claim_no_birth_date")
        age = whole_years(member.born_on, event)
        if (line.min_age is not None and age < line.min_age) or (
            line.max_age is not None and age > line.max_age
        ):
            return Verdict(refusal="claim_age", values={"age": age})
    if units > line.per_claim:
        return Verdict(refusal="claim_units", values={"most": line.per_claim, "unit": line.unit})
    used = units_this_year(session, member, benefit, event)
    if used + units > line.per_year:
        left = max(0, line.per_year - used)
        return Verdict(refusal="claim_year_cap", values={"left": left, "unit": line.unit})
    per_unit = line.amount_for(whole_years(member.joined_on, event))
    return Verdict(amount=per_unit * units * SATANG_PER_BAHT)


class ClaimRefused(ValueError):
    """A claim or decision that cannot be made: a catalogue key and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def _death_date(member: Member, event: dt.date | None) -> dt.date:
    """A funeral claim's event: the date of death given, or the one the register holds."""
    if event is None and member.status == Status.DECEASED:
        event = member.status_on
    if event is None:
        raise ClaimRefused("claim_death_date")
    return event


def file_claim(
    session: Session,
    member: Member,
    benefit: str,
    units: int | None,
    day: dt.date,
    by: Actor,
    *,
    event: dt.date | None = None,
    beneficiary_name: str | None = None,
    beneficiary_phone: str | None = None,
) -> Claim:
    """File a claim after checking eligibility; ClaimRefused says why not.

    A funeral claim records the date of death and ends the membership (deceased) in the
    same step; it is refused for a member recorded alive when no date of death is given.
    """
    if benefit == BenefitType.FUNERAL:
        event = _death_date(member, event)
    stored = current_schedule(session, member.group)
    schedule = stored.schedule()
    verdict = eligibility(session, member, schedule, benefit, units, day, event)
    if not verdict.ok:
        raise ClaimRefused(verdict.refusal, **verdict.values)
    event, units = event or day, units or 1
    if benefit == BenefitType.FUNERAL and member.status == Status.ACTIVE:
        set_status(session, member, Status.DECEASED.value, day, by, on=event)
    counted = schedule.benefits[benefit].counted
    claim = Claim(
        group_id=member.group_id,
        member_id=member.id,
        schedule_id=stored.id,
        benefit=benefit,
        units=units,
        amount=verdict.amount,
        event_date=event,
        event_end=event + dt.timedelta(days=units) if counted else None,
        filed_on=day,
        status=ClaimStatus.FILED.value,
        **by.columns("filed_by"),
        beneficiary_name=beneficiary_name,
        beneficiary_phone=beneficiary_phone,
    )
    session.add(claim)
    session.flush()
    return claim


def documents_asked(session: Session, claim: Claim) -> tuple[str, ...]:
    """The documents the claim's schedule version asks for its benefit."""
    schedule = session.get(BenefitSchedule, claim.schedule_id).schedule()
    line = schedule.benefits.get(claim.benefit)
    return line.documents if line is not None else ()


def documents_received(session: Session, claim: Claim) -> set[str]:
    """The documents marked received for a claim."""
    return set(
        session.scalars(select(ClaimDocument.document).where(ClaimDocument.claim_id == claim.id))
    )


def documents_missing(session: Session, claim: Claim) -> list[str]:
    """What the committee still has to receive before the claim can be approved, in order."""
    received = documents_received(session, claim)
    return [d for d in documents_asked(session, claim) if d not in received]


def receive_documents(
    session: Session, claim: Claim, names: list[str], day: dt.date, by: Actor
) -> list[str]:
    """Mark documents received for a filed claim; the ones newly marked. Unknown names refused."""
    if claim.status != ClaimStatus.FILED:
        raise ClaimRefused("claim_decided", status=claim.status)
    asked = documents_asked(session, claim)
    unknown = [n for n in names if n not in asked]
    if unknown:
        raise ClaimRefused("claim_document_unknown", document=unknown[0][:DOCUMENT_LENGTH])
    received = documents_received(session, claim)
    new = [n for n in dict.fromkeys(names) if n not in received]
    for name in new:
        session.add(
            ClaimDocument(
                group_id=claim.group_id,
                claim_id=claim.id,
                document=name,
                received_on=day,
                **by.columns(),
            )
        )
    session.flush()
    return new


def bank_balance(session: Session, group_id: int) -> int:
    """Money in the fund's bank (debit balance of fund_bank), in satang."""
    account = session.scalars(
        select(Account).where(Account.group_id == group_id, Account.key == "fund_bank")
    ).one()
    return account.debit_balance


def may_decide(session: Session, claim: Claim, by: Actor, day: dt.date) -> str | None:
    """Why this actor may not decide this claim (a catalogue key), or None when they may.

    Deciders hold a committee office in the claim's group on the day; never the filer, the
    member the claim is for, or its beneficiary; never a job.
    """
    if by.member_id is None:
        return "claim_not_committee"
    decider = session.get(Member, by.member_id)
    if decider is None or decider.group_id != claim.group_id or decider.status != Status.ACTIVE:
        return "claim_not_committee"
    if not may(offices_of(session, decider.id, day), Power.DECIDE_CLAIM):
        return "claim_not_committee"
    if by == claim.filer:
        return "claim_own"
    if decider.id == claim.member_id:
        return "claim_for_self"
    if claim.beneficiary_phone and claim.beneficiary_phone == decider.phone:
        return "claim_for_self"
    if by.member_id == claim.first_approval_member_id:
        return "claim_second_same"
    return None


def needs_two(session: Session, claim: Claim) -> bool:
    """True when the claim's schedule wants two different approvers for this amount."""
    over = session.get(BenefitSchedule, claim.schedule_id).schedule().approvals_over_baht
    return over is not None and claim.amount > over * SATANG_PER_BAHT


def decide_claim(
    session: Session, claim: Claim, by: Actor, approve: bool, day: dt.date, reason: str = ""
) -> Claim:
    """Approve (paying from the bank) or reject a filed claim; ClaimRefused says why not.

    A claim that needs two approvals stays filed after the first, with its approver kept.
    """
    if claim.status != ClaimStatus.FILED:
        raise ClaimRefused("claim_decided", status=claim.status)
    if refusal := may_decide(session, claim, by, day):
        raise ClaimRefused(refusal)
    if not approve:
        if not reason.strip():
            raise ClaimRefused("claim_reason")
        claim.status, claim.reason = ClaimStatus.REJECTED.value, reason.strip()[:200]
        _decided(claim, by)
        session.flush()
        return claim
    if missing := documents_missing(session, claim):
        raise ClaimRefused("claim_documents", documents=", ".join(missing))
    if bank_balance(session, claim.group_id) < claim.amount:
        raise ClaimRefused("claim_bank", bank=bank_balance(session, claim.group_id))
    if claim.first_approval_member_id is None and needs_two(session, claim):
        claim.first_approval_member_id = by.member_id
        session.flush()
        return claim
    # A savepoint: if the bank is short after all, the refusal is not kept, so the
    # claim can be approved once money comes in.
    savepoint = session.begin_nested()
    outcome = create_transfer(
        session,
        TransferSpec(
            key=f"claim:{claim.id}",
            group_id=claim.group_id,
            debit=f"welfare:{claim.benefit}",
            credit="fund_bank",
            amount=claim.amount,
            code=Code.WELFARE,
            business_date=day,
            member_id=claim.member_id,
            note=f"claim {claim.id}",
            by=by,
        ),
    )
    if not outcome.ok:
        savepoint.rollback()
        raise ClaimRefused("claim_bank", bank=bank_balance(session, claim.group_id))
    savepoint.commit()
    claim.status, claim.transfer_id = ClaimStatus.PAID.value, outcome.transfer.id
    _decided(claim, by)
    session.flush()
    return claim


def _decided(claim: Claim, by: Actor) -> None:
    claim.decided_by_member_id, claim.decided_by_job = by.columns("decided_by").values()
    claim.decided_at = utcnow()


@dataclass(frozen=True)
class ClaimReversal:
    """A paid claim reversed: its reversing transfer, and whether it had been reversed before."""

    claim: Claim
    transfer: Transfer
    already: bool = False


def reverse_claim(
    session: Session, claim: Claim, by: Actor, reason: str, day: dt.date
) -> ClaimReversal:
    """Put a paid claim's money back into the bank by a reversal transfer; once only."""
    if claim.status == ClaimStatus.REVERSED:
        return ClaimReversal(claim, session.get(Transfer, claim.reversal_id), already=True)
    if claim.status != ClaimStatus.PAID:
        raise ClaimRefused("claim_not_paid", ref=ref_for(claim.id))
    if not reason.strip():
        raise ClaimRefused("claim_reversal_reason")
    outcome: Outcome = reverse_transfer(
        session,
        f"claim-reversal:{claim.id}",
        claim.transfer_id,
        day,
        f"claim {claim.id} reversed: {reason.strip()}"[:200],
        by=by,
    )
    if not outcome.ok:  # the journal says it was reversed already: never twice
        raise ClaimRefused("claim_not_paid", ref=ref_for(claim.id))
    claim.status, claim.reversal_id = ClaimStatus.REVERSED.value, outcome.transfer.id
    claim.reversed_by_member_id, claim.reversed_by_job = by.columns("reversed_by").values()
    claim.reversal_reason = reason.strip()[:200]
    claim.reversed_at = utcnow()
    session.flush()
    return ClaimReversal(claim, outcome.transfer)
