"""The declarative base shared by every model, with stable constraint names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Base class of all Satja models."""

    metadata = MetaData(naming_convention=NAMING)


TOUCHED = "satja.touched"  # session.info: the generations this transaction moves on


# What a USSD caller sees is cached in parts, each tagged with the generations it was
# read from (gateway/services/ussd_cache.py); a committed change moves on only the ones
# it concerns, so one member's payment leaves every other member's snapshot in place.
def group_generation(group_id: int) -> str:
    """A group's rules: its rates, waiting days, benefit schedule."""
    return str(group_id)


def member_generation(member_id: int) -> str:
    """A member's own record: status, language, PIN."""
    return f"member:{member_id}"


def money_generation(member_id: int) -> str:
    """A member's money: balance, payments and their states, claims."""
    return f"money:{member_id}"


def usual_generation(member_id: int, collector_id: int) -> str:
    """A member's usual collector (the last one paid): moved on only when it changes.

    Not a counter like the others: the collector's id rides in the name, and the
    announcement moves the generation on only when it differs from the last one paid
    (workers/broker.py). A member who pays the same collector every month keeps the
    collector list of their payment screens in Redis.
    """
    return f"{USUAL}{member_id}:{collector_id}"


USUAL = "usual:"


def collectors_generation(group_id: int) -> str:
    """A group's collectors: who holds the office, by what name."""
    return f"collectors:{group_id}"


def fund_generation(group_id: int) -> str:
    """A group's fund total (the bank and the collectors' hands)."""
    return f"fund:{group_id}"


class GroupVisible:
    """A model whose rows members of a group see: a change moves its generations on.

    See models/changes.py; `touch` says the same for writes that bypass the ORM.
    """

    def generations(self) -> tuple[str, ...]:
        """The generations a change to this row moves on (its group's rules by default)."""
        return (group_generation(self.group_id),)


def touch(session: Session, *generations: str) -> None:
    """Note that this transaction changes what is cached under these generations."""
    session.info.setdefault(TOUCHED, set()).update(generations)


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK expression: the column holds one of these values."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def utcnow() -> dt.datetime:
    """The current time in UTC, naive, as every timestamp column stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
