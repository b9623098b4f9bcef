"""Alembic environment: runs on the connection Satja hands it, or on DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from config.settings import load_settings
from models import (  # noqa: F401  (register the tables)
    audit,
    disputes,
    ledger,
    outbox,
    privacy,
    reconcile,
    registry,
    users,
    ussd,
    welfare,
)
from models.base import Base
from models.db import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate on the given connection, or open one from the settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(load_settings(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Satja migrates online only: run `flask --app gateway db upgrade`.")
run_migrations_online()
