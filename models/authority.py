"""Whether a person may do something in a group today: their membership and their offices.

The one check every channel makes before a write (SMS desk, dashboard, command line);
the table of powers itself is models/offices.py.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actors import Actor
from models.offices import Power, may, offices_of
from models.registry import Member, RegistryError, Status
from models.users import User


def person_in(session: Session, by: Actor, group_id: int) -> Member | None:
    """The active member this actor is, in this group; None for a job or anyone else."""
    if by.member_id is None:
        return None
    member = session.get(Member, by.member_id)
    if member is None or member.group_id != group_id or member.status != Status.ACTIVE:
        return None
    return member


def allowed(session: Session, by: Actor, group_id: int, power: Power, day: dt.date) -> bool:
    """True when this actor is an active member of the group holding an office with the power."""
    member = person_in(session, by, group_id)
    return member is not None and may(offices_of(session, member.id, day), power)


def named(session: Session, group_id: int, text: str) -> Actor:
    """The person a command line's `--by` names: a member number, or a login linked to one.

    RegistryError says why a name cannot act for this group (unknown, left the fund, a
    login with no person, another group's login).
    """
    said = (text or "").strip().lstrip("#")
    if said.isdigit():
        member = session.scalars(
            select(Member).where(Member.group_id == group_id, Member.number == int(said))
        ).first()
        if member is None:
            raise RegistryError(f"--by {said}: no such member number in this group")
    else:
        user = session.scalars(select(User).where(User.username == said.lower())).first()
        if user is None or user.disabled_at is not None:
            raise RegistryError(f"--by {said!r}: give a member number or an active login name")
        if user.member_id is None:
            raise RegistryError(f"login {user.username} is not linked to a member (users link)")
        member = session.get(Member, user.member_id)
    if member.group_id != group_id:
        raise RegistryError(f"--by {said}: not a member of this group")
    if member.status != Status.ACTIVE:
        raise RegistryError(f"--by {said}: member {member.number} is {member.status}")
    return Actor.person(member.id)


def shown(session: Session, by: Actor | None) -> str:
    """Who acted, as people read it: the member's name and number, or the job's name."""
    if by is None:
        return "(not recorded)"
    if by.member_id is None:
        return f"job {by.job}"
    member = session.get(Member, by.member_id)
    return f"{member.name} (#{member.number})" if member is not None else str(by)
