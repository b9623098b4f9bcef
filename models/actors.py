"""Who did something: a person of the register, or one of Satja's named jobs.

Every write that changes money, a claim, a membership or an office says who made it as an
Actor, stored in two columns (`<x>_member_id` or `<x>_job`, exactly one set). A person is
always a member of a group — a dashboard login acts as the member it is linked to — so
"not your own claim" holds on every channel at once. See docs/ARCHITECTURE.md, Trust.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Job(enum.StrEnum):
    """The system jobs that write: each is named, none is a person."""

    RECONCILE = "reconcile"  # the nightly reconciliation and its alerts
    LAPSE = "lapse"  # the nightly membership check
    SWEEPER = "sweeper"  # pending declarations that time out
    IMPORT = "import"  # `members import` from a paper register
    DEMO = "demo"  # `demo seed`
    MIGRATION = "migration"  # rows written before actors were typed (migration 0016)
    SETUP = "setup"  # the command line's first steps: a group's first officers
    OPERATOR = "operator"  # no person named: exports and anonymising before --by was required


@dataclass(frozen=True)
class Actor:
    """A person (a member id) or a job; exactly one of the two."""

    member_id: int | None = None
    job: Job | None = None

    def __post_init__(self) -> None:
        if (self.member_id is None) == (self.job is None):
            raise ValueError("an actor is a person or a job, exactly one")

    @classmethod
    def person(cls, member_id: int) -> Actor:
        """A member of the register."""
        return cls(member_id=member_id)

    @classmethod
    def system(cls, job: Job | str) -> Actor:
        """One of Satja's named jobs."""
        return cls(job=Job(job))

    def columns(self, prefix: str = "by") -> dict[str, object]:
        """The two column values that store this actor."""
        job = self.job.value if self.job is not None else None
        return {f"{prefix}_member_id": self.member_id, f"{prefix}_job": job}

    def __str__(self) -> str:
        return f"member:{self.member_id}" if self.member_id is not None else f"job:{self.job}"


def actor_check(prefix: str, *, optional: bool = False) -> CheckConstraint:
    """Exactly one of `<prefix>_member_id` and `<prefix>_job` (or neither, when optional)."""
    one = f"({prefix}_member_id IS NULL) <> ({prefix}_job IS NULL)"
    both_empty = f"({prefix}_member_id IS NULL AND {prefix}_job IS NULL)"
    job = f"{prefix}_job IS NULL OR {prefix}_job IN ({', '.join(repr(j.value) for j in Job)})"
    text = f"({one} OR {both_empty}) AND ({job})" if optional else f"({one}) AND ({job})"
    return CheckConstraint(text, name=f"{prefix}_actor")


def stored(member_id: int | None, job: str | None) -> Actor | None:
    """The Actor two stored columns name, or None when both are empty."""
    if member_id is not None:
        return Actor.person(member_id)
    return Actor.system(job) if job else None


class Authored:
    """A row made by an actor: `by_member_id` or `by_job`."""

    @declared_attr
    def by_member_id(cls) -> Mapped[int | None]:  # noqa: N805 (a declared attribute)
        """The person who made the row."""
        return mapped_column(ForeignKey("members.id"), default=None)

    @declared_attr
    def by_job(cls) -> Mapped[str | None]:  # noqa: N805
        """The job that made the row."""
        return mapped_column(String(16), default=None)

    @property
    def by(self) -> Actor | None:
        """Who made the row."""
        return stored(self.by_member_id, self.by_job)
