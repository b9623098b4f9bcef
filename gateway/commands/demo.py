"""`demo seed`: the Nam Khao fund (and with --network, the provincial network)."""

from __future__ import annotations

import signal
import subprocess
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from werkzeug.serving import run_simple

from gateway.commands import demo_data as demo
from gateway.commands.worker import log_quietly
from gateway.extensions.database import current_db
from gateway.extensions.redis import current_redis
from gateway.extensions.settings import business_day
from models.phones import display_phone
from models.registry import Group
from workers.broker import stop_embedded

group = AppGroup("demo", help="Demo data for trying Satja.")


@group.command("seed")
@click.option("--network", is_flag=True, help="Also the 49 other groups of the network.")
def seed(network: bool) -> None:
    """Create NAMKHAO (1,368 members, 554,871 baht); safe to run again."""
    if current_app.config["SATJA"].production:
        raise click.ClickException("demo data is never seeded in production")
    db = current_db()
    today = business_day()
    stderr = sys.stderr
    with db.transaction() as session:
        exists = session.scalars(select(Group.id).where(Group.code == demo.NAMKHAO)).first()
    if exists is None:
        bar = click.progressbar(
            length=demo.NAMKHAO_MEMBERS, label=f"seeding {demo.NAMKHAO}", file=stderr
        )
        with bar, db.transaction() as session:
            demo.seed_namkhao(session, today, bar.update)
    if network:
        with db.transaction() as session:
            seeded = session.scalars(select(Group.id).where(Group.code == "SK02")).first()
        if seeded is None:
            total = demo.NETWORK_MEMBERS - demo.NAMKHAO_MEMBERS
            with click.progressbar(length=total, label="seeding the network", file=stderr) as bar:
                demo.seed_network(db.transaction, today, bar.update)
    with db.transaction() as session:
        namkhao = session.scalars(select(Group).where(Group.code == demo.NAMKHAO)).one()
        people = demo.officials(session, namkhao)
        homes = [
            (phone, [f"#{m.number} {m.name}" for m in members])
            for phone, members in demo.households(session, namkhao).items()
        ]
        demo.demo_login(session, namkhao)
    click.echo(f"{demo.NAMKHAO} is ready. Try these numbers:")
    for person in people:
        click.echo(
            f"  {person.role:<19} #{person.number:<4} {display_phone(person.phone)}  {person.name}"
        )
    click.echo("Phones a household shares (USSD asks who is calling first):")
    for phone, names in homes:
        click.echo(f"  {display_phone(phone)}  {', '.join(names)}")
    click.echo(f"Dashboard login: {demo.DEMO_USER} / {demo.DEMO_PASSWORD} (demo data only)")
    click.echo("Privacy notice (Thai and English): docs/PRIVACY.md; SMS PRIVACY / ข้อมูลส่วนตัว")


@group.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Serve the gateway with one RQ worker, the relay and the cron beside it; Ctrl-C stops all."""
    settings = current_app.config["SATJA"]
    log_file = settings.instance_path / "demo.log"
    log_quietly(log_file)
    # Open Redis first: with the embedded default this starts the redis-server that
    # the worker then joins (it shares the file under instance/).
    current_redis().ping()
    # Ctrl-C or a plain kill stop the server loop, so the finally below always runs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    flask = [sys.executable, "-m", "flask", "--app", "gateway"]
    quiet = ["--log-file", str(log_file)]
    # Their own sessions: Ctrl-C reaches this process alone, which stops them in order.
    helpers = [
        subprocess.Popen([*flask, cmd, *quiet], start_new_session=True)
        for cmd in ("worker", "relay", "cron")
    ]
    click.echo(f"Satja is running: the phone simulator at http://{host}:{port}/simulator")
    click.echo(
        f"the committee dashboard at http://{host}:{port}/dashboard "
        f"({demo.DEMO_USER} / {demo.DEMO_PASSWORD})"
    )
    click.echo(f"health at http://{host}:{port}/healthz  (Ctrl-C stops everything)")
    click.echo(f"the full log: {log_file}")
    try:
        # werkzeug directly: Flask refuses app.run() inside its own CLI.
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            try:
                helper.wait(timeout=10)
            except subprocess.TimeoutExpired:
                helper.kill()
        # The embedded redis-server runs in a session of its own, out of Ctrl-C's reach.
        stop_embedded()


def init_app(app: Flask) -> None:
    """Register the demo commands."""
    app.cli.add_command(group)
