"""gunicorn settings for the gateway (`gunicorn -c config/gunicorn_conf.py 'gateway:create_app()'`).

Threads suit the gateway: a hop or an SMS is mostly waiting on PostgreSQL and Redis.
Every value can be set from the environment, as the Procfile and docker-compose do.
"""

import gc
import multiprocessing
import os
import shutil
import tempfile

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# gthread overlaps the waits of SMS and database hops; behind a proxy that opens a
# connection per request, "sync" spreads USSD hops answered from Redis more evenly.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Africa's Talking waits about 15 s for a USSD answer; a stuck request must not hold a
# thread much longer than that.
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle workers now and then; jitter so they do not all go at once
max_requests_jitter = 500
# "-": standard output; empty: none (a proxy in front that logs requests already).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# The path only (%(U)s): the query string carries the callback token, which stays out.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'
if os.environ.get("SATJA_LOG_FORMAT", "").strip().lower() == "json":
    from gunicorn.glogging import Logger

    from config.logs import JsonFormatter

    access_log_format = (
        '{"time": "%(t)s", "level": "info", "logger": "access", "request_id":'
        ' "%({x-request-id}o)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s",'
        ' "status": %(s)s, "bytes": "%(b)s", "ms": %(M)s}'
    )

    class JsonLogger(Logger):
        """gunicorn's own lines (booting, a worker timed out) as JSON too."""

        def setup(self, cfg):  # noqa: ANN001, ANN201 (gunicorn's signature)
            """Gunicorn's set-up, then our formatter on its error log."""
            super().setup(cfg)
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    logger_class = JsonLogger
loglevel = os.environ.get("LOG_LEVEL", "info")

# /metrics adds up every process's counts: each writes its own files in this folder
# (prometheus_client's multiprocess mode), which must be set before the app is imported
# and emptied when the server starts, or yesterday's processes would count again.
_OWN_FOLDER = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="satja-metrics-"))


def on_starting(server):  # noqa: ANN001, ANN201 (gunicorn's hook)
    """Empty the metrics folder: counts start again with the server."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def post_worker_init(worker):  # noqa: ANN001, ANN201 (gunicorn's hook)
    """Freeze what loading the app made: the collector stops walking it at every pass."""
    # ~150,000 long-lived objects (Flask, SQLAlchemy, RQ, the app): a full collection
    # walked them all, ~150 ms holding one process's hops, a few times a minute under
    # load (bench/RESULTS.md). Frozen, they are never collected: they live as long as
    # the process anyway. Collected first: garbage frozen would never be freed.
    gc.collect()
    gc.freeze()


def child_exit(server, worker):  # noqa: ANN001, ANN201 (gunicorn's hook)
    """A process that ended: its live gauges go; its counts stay in the sum."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):  # noqa: ANN001, ANN201 (gunicorn's hook)
    """Remove the metrics folder made for this server (one set from outside is left)."""
    if _OWN_FOLDER:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
