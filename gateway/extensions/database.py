"""The gateway's handle on the database: one engine per process, sessions per use."""

from __future__ import annotations

from flask import Flask, current_app

from config.settings import Settings
from models.db import Database

EXTENSION = "satja.db"


def init_app(app: Flask, settings: Settings) -> Database:
    """Attach a Database to the app; it connects on first use, not here."""
    app.extensions[EXTENSION] = Database(settings)
    return app.extensions[EXTENSION]


def current_db() -> Database:
    """The Database of the running app."""
    return current_app.extensions[EXTENSION]
