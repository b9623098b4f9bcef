"""Members' rights over their data (PDPA): who looked at a member; anonymising after retention.

Every opening of a member's page on the dashboard and every export or anonymising on the
command line is kept in `member_access`, with who did it (a typed actor, and the login
when it came through the dashboard). Anonymising replaces a former member's name, phone,
birth date and beneficiary with placeholders once `retention_years` have passed since the
membership ended; the journal, references and every report figure are left as they were
(the journal is append-only, and figures are counted by account, never by name).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    case,
    cast,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.actors import Actor, Authored, actor_check
from models.authority import shown
from models.base import Base, BigId, one_of, utcnow
from models.clock import local_today
from models.outbox import InboundMessage, OutboundMessage
from models.registry import Group, Member, MemberChange, Status, record_change
from models.users import User
from models.ussd import UssdHop
from models.welfare import Claim


class Channel(enum.StrEnum):
    """Where a member's data was opened."""

    DASHBOARD = "dashboard"
    CLI = "cli"


class Access(enum.StrEnum):
    """What was done with it."""

    PAGE = "page"  # the member's page on the dashboard
    EXPORT = "export"  # `members export-data`
    ANONYMISE = "anonymise"  # `members anonymise`


class MemberAccess(Authored, Base):
    """One look at (or change to) a member's personal data: who, how, when."""

    __tablename__ = "member_access"
    __table_args__ = (
        actor_check("by", optional=True),
        CheckConstraint(one_of("channel", Channel), name="channel_known"),
        CheckConstraint(one_of("what", Access), name="what_known"),
        Index("ix_member_access_group_at", "group_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The dashboard login that looked (a network login may be linked to no member).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    channel: Mapped[str] = mapped_column(String(10))
    what: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def record_access(
    session: Session,
    member: Member,
    channel: Channel,
    what: Access,
    by: Actor | None,
    user_id: int | None = None,
) -> MemberAccess:
    """Keep one look at a member's data; flushes nothing (the caller's transaction does)."""
    row = MemberAccess(
        group_id=member.group_id,
        member_id=member.id,
        user_id=user_id,
        channel=channel.value,
        what=what.value,
        **(by.columns() if by is not None else {"by_member_id": None, "by_job": None}),
    )
    session.add(row)
    return row


def access_log(
    session: Session, group: Group, member: Member | None = None, limit: int = 200
) -> list[tuple[MemberAccess, Member]]:
    """The newest looks at the group's members (or one member's), newest first."""
    query = (
        select(MemberAccess, Member)
        .join(Member, Member.id == MemberAccess.member_id)
        .where(MemberAccess.group_id == group.id)
    )
    if member is not None:
        query = query.where(MemberAccess.member_id == member.id)
    rows = session.execute(query.order_by(MemberAccess.id.desc()).limit(limit))
    return [(access, looked_at) for access, looked_at in rows]


def looked_by(session: Session, row: MemberAccess) -> str:
    """Who looked, as people read it: the member (and the login they used), or the job."""
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if row.by is None:
        return f"login {user.username}" if user is not None else shown(session, None)
    return shown(session, row.by) + (f" (login {user.username})" if user is not None else "")


# Membership over, for retention: lapsed too (a lapsed member is no longer served).
LEFT = (Status.LAPSED, Status.WITHDRAWN, Status.DECEASED)
# The register changes that hold personal data, blanked in the history when anonymising.
PERSONAL_CHANGES = ("name", "phone", "born_on", "beneficiary")
GONE = "(ลบแล้ว)"
# No Thai mobile starts +660, so this number reaches nobody and matches no sender.
NO_PHONE = "+66000000000"


def placeholder_name(member: Member) -> str:
    """What stands for an anonymised member's name: their number only."""
    return f"(ลบข้อมูลแล้ว) สมาชิก {member.number}"


def ended_on(session: Session, member: Member, timezone: str = "Asia/Bangkok") -> dt.date | None:
    """The Bangkok day the membership ended (its last change of status), or None if not known."""
    if member.status not in LEFT:
        return None
    at = session.scalars(
        select(MemberChange.at)
        .where(
            MemberChange.member_id == member.id,
            MemberChange.what == "status",
            MemberChange.new == member.status,
        )
        .order_by(MemberChange.id.desc())
    ).first()
    return None if at is None else local_today(timezone, at.replace(tzinfo=dt.UTC))


def kept_until(ended: dt.date, years: int) -> dt.date:
    """The last day the data is kept: the same day `years` later (28 Feb for a 29 Feb end)."""
    try:
        return ended.replace(year=ended.year + years)
    except ValueError:
        return ended.replace(year=ended.year + years, day=28)


@dataclass(frozen=True)
class Verdict:
    """Whether a member's data may be anonymised today, and if not, why (one line)."""

    member: Member
    ended: dt.date | None
    refusal: str | None  # None: may be anonymised


def judge(session: Session, group: Group, member: Member, today: dt.date) -> Verdict:
    """Whether this member's data may be anonymised today, and if not why."""
    n = member.number
    if member.anonymised_at is not None:
        return Verdict(member, None, f"member {n} was anonymised already")
    if member.status not in LEFT:
        return Verdict(member, None, f"member {n} is still a member ({member.status})")
    ended = ended_on(session, member)
    if ended is None:
        return Verdict(member, None, f"member {n}: the day the membership ended is not recorded")
    until = kept_until(ended, group.retention_years)
    if today <= until:
        return Verdict(
            member,
            ended,
            f"member {n} left on {ended}: kept until {until} "
            f"(retention {group.retention_years} years)",
        )
    return Verdict(member, ended, None)


def former_members(session: Session, group: Group, today: dt.date) -> list[Verdict]:
    """Every former member of the group not yet anonymised, judged for today, by number."""
    former = session.scalars(
        select(Member)
        .where(
            Member.group_id == group.id,
            Member.status.in_([s.value for s in LEFT]),
            Member.anonymised_at.is_(None),
        )
        .order_by(Member.number)
    )
    return [judge(session, group, member, today) for member in former]


def _blank(column):  # noqa: ANN001, ANN202 (a column expression in, one out)
    """The placeholder where the column held something, NULL where it held nothing."""
    return case((column.is_(None), None), else_=GONE)


def anonymise(session: Session, member: Member, by: Actor) -> None:
    """Replace a former member's personal data with placeholders; the journal is untouched.

    The caller has judged the member (`judge`). Messages to and from them lose their phone
    and text, their USSD hops what was typed and shown; their claims lose the beneficiary;
    the register's history loses the old names, phones, birth dates and beneficiaries; a
    login linked to them is disabled and renamed. Amounts, dates, references, statuses stay.
    """
    placeholder = placeholder_name(member)
    session.execute(
        update(MemberChange)
        .where(MemberChange.member_id == member.id, MemberChange.what.in_(PERSONAL_CHANGES))
        .values(old=_blank(MemberChange.old), new=_blank(MemberChange.new))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Claim)
        .where(Claim.member_id == member.id)
        .values(
            beneficiary_name=_blank(Claim.beneficiary_name),
            beneficiary_phone=case((Claim.beneficiary_phone.is_(None), None), else_=NO_PHONE),
        )
        .execution_options(synchronize_session=False)
    )
    for model, values in (
        (OutboundMessage, {"to_phone": NO_PHONE, "text": GONE}),
        (InboundMessage, {"from_phone": NO_PHONE, "text": GONE, "reply": GONE}),
        (UssdHop, {"text": GONE, "screen": GONE}),
    ):  # what they sent and were sent, and typed and saw on USSD
        session.execute(
            update(model)
            .where(model.member_id == member.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    # A login linked to them ends: its names and phone go, its cookies are void.
    session.execute(
        update(User)
        .where(User.member_id == member.id)
        .values(
            username=literal("anonymised-") + cast(User.id, String),
            name=placeholder,
            phone=None,
            disabled_at=func.coalesce(User.disabled_at, utcnow()),
            session_version=User.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    record_change(session, member, "anonymised", None, None, by)
    member.name, member.phone, member.born_on = placeholder, NO_PHONE, None
    member.beneficiary_name = GONE if member.beneficiary_name else None
    member.beneficiary_phone = member.beneficiary_relation = None
    member.pin_hash = None
    member.anonymised_at = utcnow()
    record_access(session, member, Channel.CLI, Access.ANONYMISE, by)
