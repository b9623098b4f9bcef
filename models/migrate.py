"""Schema migrations through Alembic, driven from Satja's own engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

SCRIPTS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic configuration pointing at Satja's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run one Alembic command in one transaction on Satja's engine.

    On SQLite, batch migrations copy a table and drop the old one, which the foreign
    keys of rows pointing at it would refuse: the keys are switched off around the
    transaction (a PRAGMA only takes effect outside one) and checked before they go on.
    """
    config = alembic_config()
    with engine.connect() as connection:
        raw = (
            connection.connection.driver_connection if connection.dialect.name == "sqlite" else None
        )
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration left a broken reference: {tuple(broken)}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to a revision."""
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database schema down to a revision."""
    _run(engine, lambda config: command.downgrade(config, revision))
