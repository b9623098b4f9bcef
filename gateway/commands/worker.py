"""`worker`, `relay` and `cron`: the processes beside the gateway."""

from __future__ import annotations

import contextlib
import logging
import signal
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from rq import Queue
from rq.exceptions import StopRequested

from config.logs import JsonFormatter
from gateway.extensions.redis import current_redis
from workers import relay as relays
from workers import runtime
from workers.broker import QUEUES
from workers.schedule import build_cron
from workers.tracing import TracingWorker

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def log_quietly(log_file: Path, log_format: str = "text") -> None:
    """Everything to the file (JSON lines if asked); only warnings and errors to the console."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(LOG_FORMAT))
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
    # Handlers on the root logger keep RQ and werkzeug from adding their own console ones.
    logging.basicConfig(level=logging.INFO, handlers=[to_file, console], force=True)


LOG_FILE = click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full log here; the console shows only warnings and errors.",
)


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@LOG_FILE
def worker(burst: bool, log_file: Path | None) -> None:
    """Run an RQ worker on the sms, ledger and reports queues."""
    settings = current_app.config["SATJA"]
    if log_file is not None:
        log_quietly(log_file, settings.log_format)
    runtime.install(settings)
    redis = current_redis()
    if burst:
        relays.relay_all(redis)  # a burst leaves nothing behind: the handed over too
    queues = [Queue(name, connection=redis) for name in QUEUES]
    TracingWorker(queues, connection=redis).work(burst=burst, with_scheduler=True)


@click.command("relay")
@with_appcontext
@LOG_FILE
def relay(log_file: Path | None) -> None:
    """Run a relay: the messages the gateway hands over become the sms queue's jobs."""
    if log_file is not None:
        log_quietly(log_file, current_app.config["SATJA"].log_format)
    asked = []
    signal.signal(signal.SIGTERM, lambda *_: asked.append(1))  # the batch in hand, then exit
    with contextlib.suppress(KeyboardInterrupt):
        relays.run(current_redis(), lambda: bool(asked))


@click.command("cron")
@with_appcontext
@LOG_FILE
def cron(log_file: Path | None) -> None:
    """Run the one cron process that enqueues periodic jobs (run exactly one)."""
    if log_file is not None:
        log_quietly(log_file, current_app.config["SATJA"].log_format)
    with contextlib.suppress(StopRequested, KeyboardInterrupt):  # asked to stop: no traceback
        build_cron(current_redis()).start()


def init_app(app: Flask) -> None:
    """Register the worker, relay and cron commands."""
    app.cli.add_command(worker)
    app.cli.add_command(relay)
    app.cli.add_command(cron)
