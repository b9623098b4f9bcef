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
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from models.base import Base, BigId, GroupVisible, one_of, utcnow
from models.ledger import ensure_accounts
from models.phones import InvalidPhone, display_phone, normalize_phone


class Role(enum.StrEnum):
    """What a person does in their group."""

    MEMBER = "member"
    COLLECTOR = "collector"
    TREASURER = "treasurer"
    CHAIR = "chair"


class Status(enum.StrEnum):
    """Where a membership stands."""

    ACTIVE = "active"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    DECEASED = "deceased"


# Membership over (พ้นสภาพสมาชิก): no role, no office, no command; carriers reuse numbers.
ENDED = (Status.WITHDRAWN, Status.DECEASED)


LANGUAGES = ("th", "en")


class Group(GroupVisible, Base):
    """A village welfare fund, with its own rules (the defaults are the model fund's)."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("daily_rate_satang > 0", name="daily_rate_positive"),
        CheckConstraint("waiting_days >= 0", name="waiting_days_not_negative"),
        CheckConstraint("lapse_days > 0", name="lapse_days_positive"),
        CheckConstraint("meeting_day BETWEEN 1 AND 28", name="meeting_day_in_month"),
        CheckConstraint("entrance_fee_satang >= 0", name="entrance_fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    daily_rate_satang: Mapped[int] = mapped_column(Integer, default=100)
    waiting_days: Mapped[int] = mapped_column(Integer, default=180)
    lapse_days: Mapped[int] = mapped_column(Integer, default=90)
    meeting_day: Mapped[int] = mapped_column(Integer, default=16)
    entrance_fee_satang: Mapped[int] = mapped_column(Integer, default=0)
    # Reconciliation and reminders (README, Nightly reconciliation).
    reminder_day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    pending_alert_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    cash_age_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    cash_limit_satang: Mapped[int] = mapped_column(
        BigInteger, default=500_000, server_default="500000"
    )
    # The last member number handed out; bumped atomically so numbers never repeat.
    last_member_no: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="group")

    @property
    def visible_group_id(self) -> int | None:
        """A group's rules are seen by its own members."""
        return self.id


class Member(GroupVisible, Base):
    """A person in a group: member, collector, treasurer or chair."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("group_id", "number", name="uq_members_group_number"),
        CheckConstraint(one_of("role", Role), name="role_known"),
        CheckConstraint(one_of("status", Status), name="status_known"),
        CheckConstraint(one_of("lang", LANGUAGES), name="lang_known"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("pin_tries >= 0", name="pin_tries_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    role: Mapped[str] = mapped_column(String(10), default=Role.MEMBER.value)
    lang: Mapped[str] = mapped_column(String(2), default="th")
    joined_on: Mapped[dt.date] = mapped_column(Date)
    born_on: Mapped[dt.date | None] = mapped_column(Date, default=None)  # for age rules
    status: Mapped[str] = mapped_column(String(10), default=Status.ACTIVE.value)
    pin_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    pin_tries: Mapped[int] = mapped_column(Integer, default=0)
    pin_locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    # STOP turns off reminders and summaries, never receipts.
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="members")

    @property
    def is_collector(self) -> bool:
        """True for people who take cash from members."""
        return self.role == Role.COLLECTOR


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
) -> Group:
    """Create a group with its ledger accounts."""
    code = code.strip().upper()
    if not GROUP_CODE.fullmatch(code):
        raise RegistryError("group code: 2-16 letters, digits or _ starting with a letter")
    if not name.strip():
        raise RegistryError("group name must not be empty")
    if daily_rate_satang <= 0:
        raise RegistryError("daily rate must be more than zero")
    if not 1 <= meeting_day <= 28:
        raise RegistryError("meeting day must be 1 to 28 (it must exist in every month)")
    if session.scalars(select(Group.id).where(Group.code == code)).first() is not None:
        raise RegistryError(f"group {code} already exists")
    group = Group(
        code=code,
        name=name.strip(),
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


def check_member_fields(role: str, lang: str, name: str) -> None:
    """Refuse a role, language or name the registry does not take."""
    if role not in Role.__members__.values():
        raise RegistryError(f"role must be one of {', '.join(Role)}")
    if lang not in LANGUAGES:
        raise RegistryError(f"language must be one of {', '.join(LANGUAGES)}")
    if not name.strip() or len(name.strip()) > 120:
        raise RegistryError("name must be 1 to 120 characters")


def add_member(
    session: Session,
    group: Group,
    *,
    name: str,
    phone: str,
    role: str = Role.MEMBER,
    joined_on: dt.date,
    lang: str = "th",
    born_on: dt.date | None = None,
) -> Member:
    """Register a person in a group, with a new member number and ledger accounts."""
    check_member_fields(role, lang, name)
    if born_on is not None and born_on > joined_on:
        raise RegistryError("born after joining: check the dates")
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone as exc:
        raise RegistryError(str(exc)) from None
    if session.scalars(select(Member.id).where(Member.phone == e164)).first() is not None:
        raise RegistryError(f"phone {display_phone(e164)} is already registered")
    member = Member(
        group_id=group.id,
        number=_next_member_number(session, group.id),
        name=name.strip(),
        phone=e164,
        role=str(role),
        lang=lang,
        joined_on=joined_on,
        born_on=born_on,
        status=Status.ACTIVE.value,
        pin_tries=0,
    )
    session.add(member)
    session.flush()
    keys = [f"member:{member.id}"]
    if member.is_collector:
        keys.append(f"collector_cash:{member.id}")
    ensure_accounts(session, group.id, keys)
    return member


def set_status(member: Member, status: str) -> None:
    """Change where a membership stands; ending it also ends the member's office."""
    if status not in (Status.ACTIVE, *ENDED):
        raise RegistryError(f"status must be one of active, withdrawn, deceased (not {status!r})")
    member.status = status
    if status in ENDED:
        member.role = Role.MEMBER.value


def find_by_phone(session: Session, raw_phone: str) -> tuple[str, Member | None]:
    """The caller a provider names: (the E.164 number, or the raw text; their Member)."""
    try:
        phone = normalize_phone(raw_phone)
    except InvalidPhone:
        return raw_phone, None
    member = session.scalars(
        select(Member).options(joinedload(Member.group)).where(Member.phone == phone)
    ).first()
    return phone, member
