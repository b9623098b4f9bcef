"""The database: one engine per process, one session per request or job."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
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


class CallLost(Exception):
    """The connection broke during a call: the statement may or may not have committed."""


class Database:
    """An engine and its session factory, with a transaction helper."""

    def __init__(self, settings: Settings, **engine_kwargs: object) -> None:
        self.settings = settings
        self.engine = make_engine(settings, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._listeners: list[Listener] = []
        # The pool `call` runs on (PostgreSQL; nothing connects until a call). No BEGIN or
        # COMMIT round trips, no ping, no ROLLBACK on return: a call is one statement, and
        # a dead connection costs one hop the long way, never a wrong answer. Small: a call
        # holds its connection for one statement (2 kept, up to 8 a process at once).
        self.calls: Engine | None = None
        if self.engine.dialect.name == "postgresql":
            self.calls = make_engine(
                settings,
                isolation_level="AUTOCOMMIT",
                pool_pre_ping=False,
                pool_reset_on_return=None,
                pool_size=2,
                max_overflow=6,
            )
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

    def call(self, statement: str, values: Mapping[str, object]) -> Any | None:
        """Run one statement in its own transaction (PostgreSQL); its first row, or None.

        For the hot single-statement functions (the USSD hop's, migration 0022): below
        SQLAlchemy's statement layer, on `calls`, whose connections are not pinged at
        checkout. That layer and the ping cost ~0.5 ms of CPU a call (bench/RESULTS.md).
        Errors are psycopg's own (a failed connect too), except a connection that broke
        during the call: it is dropped with the pool's other idle ones (a server restart
        leaves them all dead) and CallLost is raised. `statement` takes %(name)s parameters.
        """
        if self.calls is None:
            raise RuntimeError("Database.call is PostgreSQL's")
        connection = self.calls.raw_connection()
        try:
            with connection.driver_connection.cursor(row_factory=namedtuple_row) as cursor:
                cursor.execute(statement, values)
                return cursor.fetchone()
        except psycopg.Error as error:
            if not connection.driver_connection.broken:
                raise  # the statement failed and rolled back; the connection is fine
            connection.invalidate()
            self.calls.dispose()
            raise CallLost(str(error.sqlstate or "connection lost")) from error
        finally:
            connection.close()  # back to the pool

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self.calls is not None:
            self.calls.dispose()
