"""The member registry: groups with their rules, and the people in them."""

from __future__ import annotations

import datetime as dt
import enum
import re

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.actors import Actor, Authored, Job, actor_check
from models.base import (
    Base,
    BigId,
    GroupVisible,
    collectors_generation,
    group_generation,
    member_generation,
    one_of,
    utcnow,
)
from models.ledger import ensure_accounts
from models.offices import Office, OfficeTerm, end_term, held_on, open_term, start_term
from models.phones import InvalidPhone, display_phone, normalize_phone


class Status(enum.StrEnum):
    """Where a membership stands."""

    ACTIVE = "active"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    DECEASED = "deceased"


# Membership over (พ้นสภาพสมาชิก): no office, no command; carriers reuse numbers.
ENDED = (Status.WITHDRAWN, Status.DECEASED)


LANGUAGES = ("th", "en")
# How a member gave consent to keep their data (PDPA): a signed paper form, said aloud to a
# committee member, or by SMS. Empty: not recorded (members registered before migration 0018).
CONSENT_HOW = ("paper", "spoken", "sms")
SEXES = ("f", "m")  # as the register (and CODI's yearly report) records them
SHORT_NAME_LIMIT = 20  # a fund's short name heads its SMS: it must leave the message room
SETUP = Actor.system(Job.SETUP)


class Group(GroupVisible, Base):
    """A village welfare fund, with its own rules (the defaults are the model fund's)."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("daily_rate_satang > 0", name="daily_rate_positive"),
        CheckConstraint("waiting_days >= 0", name="waiting_days_not_negative"),
        CheckConstraint("lapse_days > 0", name="lapse_days_positive"),
        CheckConstraint("return_within_days >= 0", name="return_within_days_not_negative"),
        CheckConstraint("meeting_day BETWEEN 1 AND 28", name="meeting_day_in_month"),
        CheckConstraint("entrance_fee_satang >= 0", name="entrance_fee_not_negative"),
        CheckConstraint("retention_years BETWEEN 1 AND 100", name="retention_years_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # What heads its reminders and notices, e.g. กองทุนฯ บ้านน้ำขาว (docs/THAI.md).
    short_name: Mapped[str | None] = mapped_column(String(SHORT_NAME_LIMIT), default=None)
    daily_rate_satang: Mapped[int] = mapped_column(Integer, default=100)
    waiting_days: Mapped[int] = mapped_column(Integer, default=180)
    lapse_days: Mapped[int] = mapped_column(Integer, default=90)
    # A lapsed member who pays the arrears within this many days of lapsing keeps their years.
    return_within_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    meeting_day: Mapped[int] = mapped_column(Integer, default=16)
    entrance_fee_satang: Mapped[int] = mapped_column(Integer, default=0)
    # Reconciliation and reminders (README, Nightly reconciliation).
    reminder_day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pending_alert_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    cash_age_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    cash_limit_satang: Mapped[int] = mapped_column(
        BigInteger, default=500_000, server_default="500000"
    )
    # Years a former member's personal data is kept after the membership ends (README,
    # Members' data): then `members anonymise` may replace it with placeholders.
    retention_years: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # The last member number handed out; bumped atomically so numbers never repeat.
    last_member_no: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="group")

    def generations(self) -> tuple[str, ...]:
        """A group's rules are seen by its own members."""
        return (group_generation(self.id),)


class Member(GroupVisible, Base):
    """A person in a group; the offices they hold are in models/offices.py."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("group_id", "number", name="uq_members_group_number"),
        CheckConstraint(one_of("status", Status), name="status_known"),
        CheckConstraint(one_of("lang", LANGUAGES), name="lang_known"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("pin_tries >= 0", name="pin_tries_not_negative"),
        CheckConstraint("sex IS NULL OR sex IN ('f', 'm')", name="sex_known"),
        CheckConstraint(
            "consent_how IS NULL OR consent_how IN ('paper', 'spoken', 'sms')",
            name="consent_how_known",
        ),
        CheckConstraint("(consent_on IS NULL) = (consent_how IS NULL)", name="consent_whole"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    # A household may share one phone (members.phone is not unique); an official's phone
    # is theirs alone (give_office refuses a shared one).
    phone: Mapped[str] = mapped_column(String(16), index=True)
    lang: Mapped[str] = mapped_column(String(2), default="th")
    joined_on: Mapped[dt.date] = mapped_column(Date)
    born_on: Mapped[dt.date | None] = mapped_column(Date, default=None)  # for age rules
    sex: Mapped[str | None] = mapped_column(String(1), default=None)
    village: Mapped[str | None] = mapped_column(String(60), default=None)  # หมู่ / บ้าน
    # The collector this member usually pays (offered first on USSD).
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    # Who receives a funeral benefit (ผู้รับผลประโยชน์); changes are kept in member_changes.
    beneficiary_name: Mapped[str | None] = mapped_column(String(120), default=None)
    beneficiary_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    beneficiary_relation: Mapped[str | None] = mapped_column(String(40), default=None)
    status: Mapped[str] = mapped_column(String(10), default=Status.ACTIVE.value)
    # The day the status took effect: the date of death, of lapsing, of leaving, of return.
    status_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    pin_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    pin_tries: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    # STOP turns off reminders and summaries, never receipts.
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consent to keep their data (PDPA): the day and how (CONSENT_HOW); both empty: not recorded.
    consent_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    consent_how: Mapped[str | None] = mapped_column(String(8), default=None)
    # When `members anonymise` replaced their personal data with placeholders.
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="members")

    def generations(self) -> tuple[str, ...]:
        """The member's own record; the group's collector list too, if it may show them."""
        state = inspect(self)
        moved = (member_generation(self.id),)
        if any(state.attrs[name].history.has_changes() for name in LISTED):
            moved += (collectors_generation(self.group_id),)
        if state.attrs["phone"].history.has_changes():
            # A phone that becomes shared (or stops being) changes what its caller snapshot
            # must answer: the household's "which member?" screen. Phones move rarely.
            moved += (group_generation(self.group_id),)
        return moved


# What a collector list shows of a member, or decides whether it shows them at all.
LISTED = ("name", "number", "status", "group_id")


class MemberChange(GroupVisible, Authored, Base):
    """One change to a member's record (status, office, PIN reset, details), kept for good."""

    __tablename__ = "member_changes"
    __table_args__ = (actor_check("by"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    what: Mapped[str] = mapped_column(String(24))  # status, office, pin_reset, name, …
    old: Mapped[str | None] = mapped_column(String(200))
    new: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def generations(self) -> tuple[str, ...]:
        """A change kept goes with a change to the member's record."""
        return (member_generation(self.member_id),)


def record_change(
    session: Session, member: Member, what: str, old: object, new: object, by: Actor
) -> MemberChange:
    """Keep one change to a member's record, with who made it."""
    change = MemberChange(
        group_id=member.group_id,
        member_id=member.id,
        what=what,
        old=None if old is None else str(old)[:200],
        new=None if new is None else str(new)[:200],
        **by.columns(),
    )
    session.add(change)
    return change


class GroupChange(GroupVisible, Authored, Base):
    """One change to a group's rules (waiting days, fees, its short name…), kept for good."""

    __tablename__ = "group_changes"
    __table_args__ = (actor_check("by"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    what: Mapped[str] = mapped_column(String(24))  # the rule's name, as `groups rules` says it
    old: Mapped[str | None] = mapped_column(String(200))
    new: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def change_rules(session: Session, group: Group, changes: dict[str, object], by: Actor) -> int:
    """Set the group's rules given, keeping each change with who made it; how many changed."""
    changed = 0
    for name, value in changes.items():
        old = getattr(group, name)
        if value == old:
            continue  # the same value again is not a change
        setattr(group, name, value)
        session.add(
            GroupChange(
                group_id=group.id,
                what=name,
                old=None if old is None else str(old)[:200],
                new=None if value is None else str(value)[:200],
                **by.columns(),
            )
        )
        changed += 1
    return changed


def rule_history(session: Session, group: Group) -> list[str]:
    """The group's rule changes, oldest first: `<when UTC> <rule> <old> -> <new> by <who>`."""
    rows = session.execute(
        select(GroupChange, Member.number, Member.name)
        .outerjoin(Member, Member.id == GroupChange.by_member_id)
        .where(GroupChange.group_id == group.id)
        .order_by(GroupChange.id)
    ).all()
    return [
        f"{c.at:%Y-%m-%d %H:%M} {c.what} {c.old} -> {c.new} by "
        + (f"#{number} {name}" if number is not None else f"job {c.by_job}")
        for c, number, name in rows
    ]


class RegistryError(ValueError):
    """A registry change that cannot be made; the message says why in one line."""


GROUP_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,15}")


def find_group(session: Session, code: str) -> Group:
    """The group with this code, or RegistryError."""
    group = session.scalars(select(Group).where(Group.code == code.upper())).first()
    if group is None:
        raise RegistryError(f"no group with code {code!r}")
    return group


def find_member(session: Session, group: Group, number: str) -> Member:
    """The group's member with this member number, or RegistryError."""
    member = None
    if number.strip().isdigit():
        member = session.scalars(
            select(Member).where(Member.group_id == group.id, Member.number == int(number))
        ).first()
    if member is None:
        raise RegistryError(f"no member number {number!r} in {group.code}")
    return member


def add_group(
    session: Session,
    code: str,
    name: str,
    *,
    daily_rate_satang: int = 100,
    meeting_day: int = 16,
    waiting_days: int = 180,
    lapse_days: int = 90,
    entrance_fee_satang: int = 0,
    short_name: str | None = None,
) -> Group:
    """Create a group with its ledger accounts."""
    code = code.strip().upper()
    if not GROUP_CODE.fullmatch(code):
        raise RegistryError("group code: 2-16 letters, digits or _ starting with a letter")
    if not check_text("group name", name).strip():
        raise RegistryError("group name must not be empty")
    short_name = check_short_name(short_name)
    if daily_rate_satang <= 0:
        raise RegistryError("daily rate must be more than zero")
    if not 1 <= meeting_day <= 28:
        raise RegistryError("meeting day must be 1 to 28 (it must exist in every month)")
    if session.scalars(select(Group.id).where(Group.code == code)).first() is not None:
        raise RegistryError(f"group {code} already exists")
    group = Group(
        code=code,
        name=name.strip(),
        short_name=short_name,
        daily_rate_satang=daily_rate_satang,
        meeting_day=meeting_day,
        waiting_days=waiting_days,
        lapse_days=lapse_days,
        entrance_fee_satang=entrance_fee_satang,
        last_member_no=0,
    )
    session.add(group)
    session.flush()
    ensure_accounts(session, group.id, ["fund_bank", "admin_expense"])
    return group


# Control characters (ESC, BEL, NUL…) have no place in a name: they would ride into every
# SMS and screen that shows it (ESC is GSM-7's escape).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_text(label: str, value: str) -> str:
    """The text as kept, or RegistryError when it holds a control character."""
    if CONTROL.search(value):
        raise RegistryError(
            f"{label}: control characters (like ESC or a line break) are not allowed"
        )
    return value


def check_short_name(short_name: str | None) -> str | None:
    """A short name as kept: spaces folded, 1 to 20 characters; None or empty for none."""
    if short_name is None or not short_name.strip():
        return None
    folded = " ".join(check_text("short name", short_name).split())
    if len(folded) > SHORT_NAME_LIMIT:
        raise RegistryError(
            f"short name: at most {SHORT_NAME_LIMIT} characters (it heads every reminder), "
            f"not {len(folded)}"
        )
    return folded


def _next_member_number(session: Session, group_id: int) -> int:
    """Hand out the next member number; atomic, so concurrent adds never collide."""
    stmt = (
        update(Group)
        .where(Group.id == group_id)
        .values(last_member_no=Group.last_member_no + 1)
        .returning(Group.last_member_no)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).scalar_one()


def check_member_fields(lang: str, name: str) -> None:
    """Refuse a language or name the registry does not take."""
    if lang not in LANGUAGES:
        raise RegistryError(f"language must be one of {', '.join(LANGUAGES)}")
    if not check_text("name", name).strip() or len(name.strip()) > 120:
        raise RegistryError("name must be 1 to 120 characters")


def add_member(
    session: Session,
    group: Group,
    *,
    name: str,
    phone: str,
    office: Office | str | None = None,
    joined_on: dt.date,
    lang: str = "th",
    born_on: dt.date | None = None,
    by: Actor = SETUP,
    consent: tuple[dt.date, str] | None = None,
) -> Member:
    """Register a person in a group, with a new member number and ledger accounts."""
    check_member_fields(lang, name)
    office = check_office(office) if office else None
    if born_on is not None and born_on > joined_on:
        raise RegistryError("born after joining: check the dates")
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise RegistryError(str(exc)) from None
    check_phone_free(session, group.id, e164, None)
    member = Member(
        group_id=group.id,
        number=_next_member_number(session, group.id),
        name=name.strip(),
        phone=e164,
        lang=lang,
        joined_on=joined_on,
        born_on=born_on,
        status=Status.ACTIVE.value,
        pin_tries=0,
    )
    session.add(member)
    session.flush()
    ensure_accounts(session, group.id, [f"member:{member.id}"])
    if office is not None:
        give_office(session, member, office, joined_on, by)
    if consent is not None:
        record_consent(session, member, *consent, by)
    return member


def check_consent(how: str | None) -> str:
    """How consent was given, as the register keeps it (ใบยินยอม/วาจา/SMS words too)."""
    word = CONSENT_WORDS.get((how or "").strip().lower())
    if word is None:
        raise RegistryError(
            f"consent: say how it was given: {', '.join(CONSENT_HOW)} (not {how!r})"
        )
    return word


CONSENT_WORDS = {
    **{how: how for how in CONSENT_HOW},
    "ใบยินยอม": "paper",
    "กระดาษ": "paper",
    "วาจา": "spoken",
    "พูด": "spoken",
    "ข้อความ": "sms",
}


def record_consent(session: Session, member: Member, on: dt.date, how: str, by: Actor) -> None:
    """Keep the day and the way a member consented to the fund keeping their data."""
    how = check_consent(how)
    if on < member.joined_on - dt.timedelta(days=366):
        raise RegistryError(
            f"consent on {on}: more than a year before joining ({member.joined_on})"
        )
    old = f"{member.consent_on} {member.consent_how}" if member.consent_on else None
    if (member.consent_on, member.consent_how) == (on, how):
        return
    record_change(session, member, "consent", old, f"{on} {how}", by)
    member.consent_on, member.consent_how = on, how


def check_phone_free(session: Session, group_id: int, phone: str, member_id: int | None) -> None:
    """Refuse a phone that cannot be this member's: an official's, or another group's.

    A household may share a phone within its group; an official's phone is theirs alone,
    so that what comes from it is theirs.
    """
    others = session.scalars(
        select(Member).where(
            Member.phone == phone, Member.id != (member_id or 0), Member.status.not_in(ENDED)
        )
    ).all()
    shown = display_phone(phone)
    if any(other.group_id != group_id for other in others):
        raise RegistryError(f"phone {shown} is registered in another group")
    if (
        others
        and session.scalars(
            select(OfficeTerm.id).where(
                OfficeTerm.member_id.in_([o.id for o in others]), OfficeTerm.ends_on.is_(None)
            )
        ).first()
    ):
        raise RegistryError(f"phone {shown} belongs to an official: it cannot be shared")
    if member_id is not None and others and open_terms(session, member_id):
        raise RegistryError(f"an official's phone cannot be shared: {shown} is someone else's")


def open_terms(session: Session, member_id: int) -> list[OfficeTerm]:
    """The member's offices that have not ended."""
    return list(
        session.scalars(
            select(OfficeTerm).where(
                OfficeTerm.member_id == member_id, OfficeTerm.ends_on.is_(None)
            )
        )
    )


def check_office(office: str) -> Office:
    """The office this word names, or RegistryError listing the offices there are."""
    try:
        return Office(str(office).strip().lower())
    except ValueError:
        raise RegistryError(f"office must be one of {', '.join(Office)} (not {office!r})") from None


def give_office(
    session: Session, member: Member, office: Office, starts_on: dt.date, by: Actor
) -> OfficeTerm:
    """A member takes up an office from a day; refused for an ended membership or a repeat."""
    if member.status in ENDED:
        raise RegistryError(f"member {member.number} has left the fund ({member.status})")
    if open_term(session, member.id, office) is not None:
        raise RegistryError(f"member {member.number} already holds {office}")
    if starts_on < member.joined_on:
        raise RegistryError(
            f"member {member.number} joined on {member.joined_on}: office too early"
        )
    shared = session.scalars(
        select(Member.number).where(
            Member.phone == member.phone, Member.id != member.id, Member.status.not_in(ENDED)
        )
    ).first()
    if shared is not None:  # what comes from an official's phone must be theirs alone
        raise RegistryError(
            f"member {member.number} shares a phone with member {shared}: an official needs "
            "their own number (members phone)"
        )
    if office == Office.COLLECTOR:
        ensure_accounts(session, member.group_id, [f"collector_cash:{member.id}"])
    term = start_term(session, member.group_id, member.id, office, starts_on, by)
    record_change(session, member, "office", None, f"{office} from {starts_on}", by)
    return term


def take_office(
    session: Session, member: Member, office: Office, ends_on: dt.date, by: Actor
) -> OfficeTerm:
    """A member's term in an office stops on a day; refused when they do not hold it."""
    term = open_term(session, member.id, office)
    if term is None:
        raise RegistryError(f"member {member.number} does not hold {office}")
    if ends_on < term.starts_on:
        raise RegistryError(f"the term began on {term.starts_on}: it cannot end before")
    end_term(term, ends_on, by)
    record_change(
        session, member, "office", f"{office} from {term.starts_on}", f"ended {ends_on}", by
    )
    return term


def office_holders(
    session: Session, group: Group, day: dt.date | None
) -> list[tuple[Member, OfficeTerm]]:
    """Who held which office: on a day, or every term ever (day None); by member number."""
    query = (
        select(Member, OfficeTerm)
        .join(OfficeTerm, OfficeTerm.member_id == Member.id)
        .where(Member.group_id == group.id)
        .order_by(Member.number, OfficeTerm.starts_on, OfficeTerm.id)
    )
    if day is not None:
        query = query.where(held_on(day))
    return [(member, term) for member, term in session.execute(query)]


def set_status(
    session: Session,
    member: Member,
    status: str,
    day: dt.date,
    by: Actor,
    *,
    on: dt.date | None = None,
) -> None:
    """Change where a membership stands (from `on`, default day); ending it ends every office."""
    if status not in (Status.ACTIVE, *ENDED):
        raise RegistryError(f"status must be one of active, withdrawn, deceased (not {status!r})")
    if status == member.status:
        return
    if member.anonymised_at is not None:  # their data is gone: a returning person joins anew
        raise RegistryError(f"member {member.number} was anonymised: register them anew")
    record_change(session, member, "status", member.status, status, by)
    member.status, member.status_on = status, on or day
    if status in ENDED:
        for term in open_terms(session, member.id):
            end_term(term, max(day, term.starts_on), by)


def find_household(session: Session, raw_phone: str) -> tuple[str, list[Member]]:
    """Everyone a provider's number belongs to: (the E.164 number, or the raw text; members).

    Members whose membership goes on come first, then by member number; a household
    shares a phone, an official's phone is theirs alone.
    """
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone:
        return raw_phone, []
    members = session.scalars(
        select(Member)
        .options(joinedload(Member.group))
        .where(Member.phone == phone)
        .order_by(Member.number)
    ).all()
    return phone, sorted(members, key=lambda m: m.status in ENDED)


SEX_WORDS = {"f": "f", "m": "m", "หญิง": "f", "ชาย": "m", "female": "f", "male": "m"}
EDITABLE = ("name", "born_on", "sex", "lang", "village", "collector_id")


def check_sex(word: str | None) -> str | None:
    """F or m (หญิง/ชาย too), None for empty; RegistryError otherwise."""
    if word is None or not word.strip():
        return None
    sex = SEX_WORDS.get(word.strip().lower())
    if sex is None:
        raise RegistryError(f"sex must be f or m (หญิง or ชาย), not {word!r}")
    return sex


def find_collector(session: Session, group: Group, number: str, day: dt.date) -> Member:
    """The group's member with this number, holding the collector's office on the day."""
    member = find_member(session, group, number)
    held = session.scalars(
        select(OfficeTerm.id).where(
            OfficeTerm.member_id == member.id,
            OfficeTerm.office == Office.COLLECTOR.value,
            held_on(day),
        )
    ).first()
    if held is None or member.status in ENDED:
        raise RegistryError(f"member {member.number} is not a collector of {group.code}")
    return member


def edit_member(
    session: Session, member: Member, changes: dict[str, object], by: Actor
) -> list[str]:
    """Change register fields (EDITABLE), each change kept with who made it; what changed."""
    changed = []
    for field, value in changes.items():
        if field not in EDITABLE:
            raise RegistryError(f"{field} cannot be edited here")
        if field == "name":
            value = str(value).strip()
            check_member_fields(member.lang, value)
        if field == "lang" and value not in LANGUAGES:
            raise RegistryError(f"language must be one of {', '.join(LANGUAGES)}")
        if field == "born_on" and value is not None and value > member.joined_on:
            raise RegistryError("born after joining: check the dates")
        if field == "village" and value is not None and len(check_text("village", str(value))) > 60:
            raise RegistryError("village: at most 60 characters")
        if field == "collector_id" and value == member.id:
            raise RegistryError("a member cannot be their own usual collector")
        old = getattr(member, field)
        if old == value:
            continue
        record_change(session, member, field, old, value, by)
        setattr(member, field, value)
        changed.append(field)
    return changed


def move_phone(session: Session, member: Member, raw_phone: str, by: Actor) -> str:
    """Move a member to a new number; the old one keeps no authority and gets no messages.

    Messages still waiting to be sent to the old number go to the new one instead.
    """
    from models.outbox import OutboundMessage  # outbox.py imports the registry
    from models.outbox import Status as SendStatus

    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone as exc:
        raise RegistryError(str(exc)) from None
    if phone == member.phone:
        raise RegistryError(f"member {member.number} already has {display_phone(phone)}")
    check_phone_free(session, member.group_id, phone, member.id)
    record_change(session, member, "phone", member.phone, phone, by)
    session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.member_id == member.id,
            OutboundMessage.to_phone == member.phone,
            OutboundMessage.status == SendStatus.QUEUED.value,
        )
        .values(to_phone=phone)
        .execution_options(synchronize_session=False)
    )
    member.phone = phone
    return phone


def set_beneficiary(
    session: Session, member: Member, name: str, raw_phone: str | None, relation: str, by: Actor
) -> None:
    """Name who receives a funeral benefit (ผู้รับผลประโยชน์); the change is kept."""
    name = check_text("beneficiary name", name).strip()
    relation = check_text("relation", relation).strip()
    if not name or len(name) > 120:
        raise RegistryError("beneficiary name must be 1 to 120 characters")
    if not relation or len(relation) > 40:
        raise RegistryError("say how they are related (e.g. ลูก, สามี), at most 40 characters")
    phone = None
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except InvalidPhone as exc:
            raise RegistryError(f"beneficiary phone: {exc}") from None
    old = f"{member.beneficiary_name or ''} {member.beneficiary_phone or ''}".strip() or None
    record_change(session, member, "beneficiary", old, f"{name} {phone or ''} ({relation})", by)
    member.beneficiary_name, member.beneficiary_phone = name, phone
    member.beneficiary_relation = relation
