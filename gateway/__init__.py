"""Satja's gateway: the Flask app that answers Africa's Talking and the committee."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from config.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app (`flask --app gateway` finds this factory).

    Imported on call, so that workers can use the pure `gateway.flows` without loading
    the whole web app.
    """
    from config.settings import UnsafeSettings
    from gateway.app import create_app as build

    try:
        return build(settings)
    except UnsafeSettings as unsafe:
        # One line an operator can act on, and a non-zero exit for gunicorn, the worker
        # and the cron alike (they all start through this factory).
        print(f"satja: refusing to start: {unsafe}", file=sys.stderr)
        raise SystemExit(2) from None
