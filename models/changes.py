"""Which groups a transaction changed, told to listeners once it has committed.

Caches of what a member sees (the USSD caller snapshots) are tagged with a per-group
generation; a committed change to a group's money, members, claims or schedule moves
that generation on, so no cache outlives the data it was read from. The ledger writes
through Core statements and says so with `touch`; ORM changes to GroupVisible models
are found at flush.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from models.base import TOUCHED, GroupVisible, touch

log = logging.getLogger(__name__)
Listener = Callable[[set[int]], None]


def watch(sessions: sessionmaker, listeners: list[Listener]) -> None:
    """Tell `listeners` the groups each committed transaction of `sessions` touched."""

    @event.listens_for(sessions, "after_flush")
    def found(session: Session, _context: object) -> None:
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, GroupVisible) and (obj in session.new or session.is_modified(obj)):
                touch(session, obj.visible_group_id)

    @event.listens_for(sessions, "after_commit")
    def committed(session: Session) -> None:
        groups = session.info.pop(TOUCHED, None)
        for listener in listeners if groups else ():
            try:
                listener(groups)
            except Exception:  # the data is committed; a cache left behind expires
                log.warning("change listener failed for %d group(s)", len(groups), exc_info=True)

    @event.listens_for(sessions, "after_rollback")
    def rolled_back(session: Session) -> None:
        session.info.pop(TOUCHED, None)
