"""Which generations a transaction moved on, told to listeners once it has committed.

Caches of what a member sees (the USSD caller snapshots) are tagged with generations
(models/base.py: a group's rules, a member's record, a member's money, a group's
collectors, its fund total); a committed change moves on those it concerns, so no
cache outlives the data it was read from. The ledger writes through Core statements
and says so with `touch`; ORM changes to GroupVisible models are found at flush.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from models.base import TOUCHED, GroupVisible, touch

log = logging.getLogger(__name__)
Listener = Callable[[set[str]], None]


def watch(sessions: sessionmaker, listeners: list[Listener]) -> None:
    """Tell `listeners` the generations each committed transaction of `sessions` moved on."""

    @event.listens_for(sessions, "after_flush")
    def found(session: Session, _context: object) -> None:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, GroupVisible) and (obj in session.new or session.is_modified(obj)):
                touch(session, *obj.generations())

    @event.listens_for(sessions, "after_commit")
    def committed(session: Session) -> None:
        tell(listeners, session.info.pop(TOUCHED, None))

    @event.listens_for(sessions, "after_rollback")
    def rolled_back(session: Session) -> None:
        session.info.pop(TOUCHED, None)


def tell(listeners: list[Listener], generations: set[str] | None) -> None:
    """Tell `listeners` the generations committed work moved on (none: nothing to tell)."""
    for listener in listeners if generations else ():
        try:
            listener(generations)
        except Exception:  # the data is committed; a cache left behind expires
            log.warning(
                "change listener failed for %d generation(s)", len(generations), exc_info=True
            )
