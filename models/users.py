"""Dashboard logins: committee members of one group, or network staff who see all groups."""

from __future__ import annotations

import datetime as dt
import re

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, BigId, utcnow
from models.phones import InvalidPhone, normalize_phone
from models.pins import HASHER
from models.registry import ENDED, LANGUAGES, Group, Member, RegistryError

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,39}")
MIN_PASSWORD = 10
WRONG_TRIES = 5
LOCK_FOR = dt.timedelta(minutes=15)
# The demo's login (`demo seed`); its password is public, so production never lets it in.
DEMO_USER = "namkhao"
DEFAULT_NETWORK_MEETING_DAY = 16  # the provincial learning day


def coordinators(session: Session) -> list[User]:
    """Network logins with a phone, still active: who gets the learning-day SMS."""
    return list(
        session.scalars(
            select(User)
            .where(User.group_id.is_(None), User.phone.is_not(None), User.disabled_at.is_(None))
            .order_by(User.id)
        )
    )


class User(Base):
    """One login; group_id None means the network: every group."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "network_meeting_day BETWEEN 1 AND 28", name="network_meeting_day_in_month"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    # The person behind the login: what they do on the dashboard is done as this member.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    lang: Mapped[str] = mapped_column(String(2), default="th")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Every dashboard cookie carries the version it was issued under; moving it on ends
    # them all at once (a signed cookie alone cannot be taken back).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # A network coordinator's phone: the learning-day SMS goes there on the network's
    # meeting day (network logins only).
    phone: Mapped[str | None] = mapped_column(String(16))
    network_meeting_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def add_user(
    session: Session,
    username: str,
    name: str,
    password: str,
    group: Group | None,
    lang: str,
    member: Member | None,
    *,
    phone: str | None = None,
    network_meeting_day: int | None = None,
) -> User:
    """Create a login for a member (group None: it sees every group); RegistryError says why not."""
    username = username.strip().lower()
    if (phone or network_meeting_day is not None) and group is not None:
        raise RegistryError("--phone and --network-meeting-day are for network logins")
    if network_meeting_day is not None and not phone:
        raise RegistryError("--network-meeting-day needs --phone: it says when to text it")
    if network_meeting_day is not None and not 1 <= network_meeting_day <= 28:
        raise RegistryError("network meeting day must be 1 to 28 (it must exist in every month)")
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise RegistryError(str(exc)) from None
    if not USERNAME.fullmatch(username):
        raise RegistryError("username: 3-40 lower-case letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise RegistryError(f"password: at least {MIN_PASSWORD} characters")
    if lang not in LANGUAGES:
        raise RegistryError(f"language must be one of {', '.join(LANGUAGES)}")
    if session.scalars(select(User.id).where(User.username == username)).first() is not None:
        raise RegistryError(f"user {username} already exists")
    if member is None:
        raise RegistryError("a login belongs to a member: give --group and --member")
    if group is not None and member.group_id != group.id:
        raise RegistryError(f"member {member.number} is not in {group.code}")
    if member.status in ENDED:
        raise RegistryError(f"member {member.number} has left the fund ({member.status})")
    user = User(
        username=username,
        name=name.strip() or member.name,
        password_hash=HASHER.hash(password),
        group_id=group.id if group else None,
        member_id=member.id,
        lang=lang,
        failed_logins=0,
        phone=phone or None,
        network_meeting_day=(network_meeting_day or DEFAULT_NETWORK_MEETING_DAY) if phone else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime, *, production: bool = False
) -> User | None:
    """The user if the password is right and the login not locked; counts wrong tries."""
    username = username.strip().lower()
    user = session.scalars(select(User).where(User.username == username).with_for_update()).first()
    if user is None or user.disabled_at is not None or (production and username == DEMO_USER):
        HASHER.hash(password)  # as slow as a real check, so a name cannot be probed by timing
        return None
    if user.locked_until is not None and user.locked_until > now:
        HASHER.hash(password)  # as slow as a real check: a lock is not told by timing either
        return None
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= WRONG_TRIES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
        return None
    user.failed_logins, user.locked_until = 0, None
    return user


def end_sessions(user: User) -> None:
    """End every open dashboard session of this login: the cookies issued so far stop working."""
    user.session_version += 1


def find_user(session: Session, username: str) -> User:
    """The login with this name; RegistryError when there is none."""
    username = username.strip().lower()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise RegistryError(f"no login {username}")
    return user


def disable_user(session: Session, username: str, now: dt.datetime) -> User:
    """Refuse this login from now on and end its open sessions."""
    user = find_user(session, username)
    user.disabled_at = user.disabled_at or now
    end_sessions(user)
    return user


def list_users(session: Session) -> list[tuple[User, str | None]]:
    """Every login with its group's code (None for the network), by username."""
    return [
        (user, code)
        for user, code in session.execute(
            select(User, Group.code)
            .outerjoin(Group, Group.id == User.group_id)
            .order_by(User.username)
        )
    ]
