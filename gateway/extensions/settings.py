"""The running app's settings, and its business day (Bangkok's, or the configured zone's)."""

from __future__ import annotations

import datetime as dt

from flask import current_app

from config.settings import Settings
from models.clock import local_today


def current_settings() -> Settings:
    """The Settings the app was built with."""
    return current_app.config["SATJA"]


def business_day() -> dt.date:
    """Today's business day where the fund is: the one clock for every command and page."""
    return local_today(current_settings().timezone)
