"""`sms outbox` and `sms sweep`: what was sent, and sending what was left behind."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from gateway.extensions.database import current_db
from models.outbox import OutboundMessage, Status
from models.phones import InvalidPhone, normalize_phone
from workers import runtime
from workers.outbox import sweep_outbox

group = AppGroup("sms", help="Outbound SMS.")


@group.command("outbox")
@click.option("--phone", help="Only messages to this number (any Thai spelling).")
@click.option("--status", type=click.Choice([s.value for s in Status]))
@click.option("--json", "as_json", is_flag=True, help="A JSON list, oldest first.")
def outbox(phone: str | None, status: str | None, as_json: bool) -> None:
    """List outbound messages, oldest first."""
    query = select(OutboundMessage).order_by(OutboundMessage.id)
    if phone:
        try:
            query = query.where(OutboundMessage.to_phone == normalize_phone(phone))
        except InvalidPhone as exc:
            raise click.ClickException(str(exc)) from None
    if status:
        query = query.where(OutboundMessage.status == status)
    with current_db().transaction() as session:
        rows = [
            {
                "id": m.id,
                "to": m.to_phone,
                "text": m.text,
                "kind": m.kind,
                "status": m.status,
                "attempts": m.attempts,
                "failure_reason": m.failure_reason,
                "created_at": m.created_at.isoformat(timespec="seconds"),
            }
            for m in session.scalars(query)
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']:>6} {row['status']:<9} {row['to']:<13} {row['text']}")


@group.command("sweep")
def sweep() -> None:
    """Enqueue every message whose job was lost (the cron does this every minute)."""
    runtime.install(current_app.config["SATJA"])
    click.echo(f"re-enqueued {sweep_outbox()} message(s)")


def init_app(app: Flask) -> None:
    """Register the sms commands."""
    app.cli.add_command(group)
