"""`worker`: an RQ worker on Satja's queues."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from rq import Queue, Worker

from workers.broker import QUEUES, current_redis


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on the sms, ledger and reports queues."""
    redis = current_redis()
    queues = [Queue(name, connection=redis) for name in QUEUES]
    Worker(queues, connection=redis).work(burst=burst, with_scheduler=True)


def init_app(app: Flask) -> None:
    """Register the worker command."""
    app.cli.add_command(worker)
