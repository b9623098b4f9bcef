"""The `flask --app gateway ...` command line a treasurer and an operator use."""

from __future__ import annotations

from flask import Flask

from gateway.commands import (
    backup,
    db,
    demo,
    lapse,
    ledger,
    privacy,
    reconcile,
    registry,
    report,
    sms,
    users,
    welfare,
    worker,
)


def init_app(app: Flask) -> None:
    """Register every command group."""
    for module in (
        db,
        registry,
        privacy,
        users,
        ledger,
        lapse,
        reconcile,
        report,
        welfare,
        demo,
        sms,
        worker,
        backup,
    ):
        module.init_app(app)
