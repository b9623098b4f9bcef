"""The database: one engine per process, one session per request or job."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from config.settings import Settings
from models.changes import Listener, tell, watch


def _tune_sqlite(engine: Engine) -> None:
    """Make SQLite behave like a server database for several processes."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own handling breaks savepoints).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # Take the write lock up front: two writers then queue instead of deadlocking,
        # which is SQLite's stand-in for the row locks PostgreSQL takes.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(settings: Settings, **kwargs: object) -> Engine:
    """Create the engine for the configured database."""
    url = settings.database_url
    # An error's message must not carry its parameters: phones, SMS texts, PIN hashes.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A database that does not answer must not hold a USSD hop past the provider's
    # patience: give up connecting after 2 s and answer a polite END.
    kwargs.setdefault("connect_args", {"connect_timeout": 2})
    return create_engine(url, **kwargs)


class Database:
    """An engine and its session factory, with a transaction helper."""

    def __init__(self, settings: Settings, **engine_kwargs: object) -> None:
        self.settings = settings
        self.engine = make_engine(settings, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._listeners: list[Listener] = []
        watch(self.sessions, self._listeners)

    def on_commit(self, listener: Listener) -> None:
        """Call `listener` with the generations each committed transaction moved on."""
        self._listeners.append(listener)

    def committed(self, generations: set[str]) -> None:
        """Tell the listeners what work committed outside a session (one SQL call) moved on."""
        tell(self._listeners, generations)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
