"""`worker` and `cron`: the RQ processes beside the gateway."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import Queue, Worker

from workers import runtime
from workers.broker import QUEUES, current_redis
from workers.schedule import build_cron


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker on the sms, ledger and reports queues."""
    runtime.install(current_app.config["SATJA"])
    redis = current_redis()
    queues = [Queue(name, connection=redis) for name in QUEUES]
    Worker(queues, connection=redis).work(burst=burst, with_scheduler=True)


@click.command("cron")
@with_appcontext
def cron() -> None:
    """Run the one cron process that enqueues periodic jobs (run exactly one)."""
    build_cron(current_redis()).start()


def init_app(app: Flask) -> None:
    """Register the worker and cron commands."""
    app.cli.add_command(worker)
    app.cli.add_command(cron)
