"""Satja's gateway: the Flask app that answers Africa's Talking and the committee."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from config.settings import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app (`flask --app gateway` finds this factory).

    Imported on call, so that workers can use the pure `gateway.flows` without loading
    the whole web app.
    """
    from gateway.app import create_app as build

    return build(settings)
