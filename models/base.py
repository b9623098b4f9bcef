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


TOUCHED = "satja.touched_groups"  # session.info: the groups this transaction changes


class GroupVisible:
    """A model whose rows members of a group see: changing one moves the group's generation.

    See models/changes.py; `touch` says the same for writes that bypass the ORM.
    """

    @property
    def visible_group_id(self) -> int | None:
        """The group whose members see this row."""
        return self.group_id


def touch(session: Session, group_id: int | None) -> None:
    """Note that this transaction changes what members of the group see."""
    if group_id is not None:
        session.info.setdefault(TOUCHED, set()).add(group_id)


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK expression: the column holds one of these values."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def utcnow() -> dt.datetime:
    """The current time in UTC, naive, as every timestamp column stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
