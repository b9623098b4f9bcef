"""What a job needs, built once per process: settings, database, SMS backend, Redis."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from config.logs import install as install_logging
from config.settings import Settings, load_settings, refuse_unsafe
from models.db import Database
from workers.broker import announce, connect
from workers.sms_backends import SmsBackend, make_backend


@dataclass
class Runtime:
    """The process's handles for jobs."""

    settings: Settings
    db: Database
    backend: SmsBackend
    redis: Redis


_current: Runtime | None = None


def install(settings: Settings, *, backend: SmsBackend | None = None) -> Runtime:
    """Set up this process's runtime (the worker command and tests call this)."""
    global _current
    refuse_unsafe(settings)  # a bare `rq worker` starts here, not through the app factory
    install_logging(settings.log_format)
    _current = Runtime(
        settings=settings,
        db=Database(settings),
        backend=backend or make_backend(settings),
        redis=connect(settings),
    )
    _current.db.on_commit(lambda generations: announce(_current.redis, generations))
    return _current


def current() -> Runtime:
    """The runtime; built from the environment on first use in a bare `rq worker`."""
    return _current or install(load_settings())


def uninstall() -> None:
    """Close the runtime's connections (tests)."""
    global _current
    if _current is not None:
        _current.db.dispose()
    _current = None
