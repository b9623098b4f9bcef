"""Metrics in Prometheus' format: what the gateway counts, and the state read at scrape.

Under gunicorn each process counts in its own file (prometheus_client's multiprocess
mode: PROMETHEUS_MULTIPROC_DIR, set by config/gunicorn_conf.py) and a scrape adds them
up; elsewhere the counts are this process's. Queue depths, the outbox's backlog, the
workers present and what the workers counted (workers/stats.py) are read at scrape, so
they are true whichever process answers. Label values come from fixed sets: a route's
rule, an outcome, a command word, a status; never a phone number, a name or free text.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from functools import cache

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import func, or_, select

from models.base import utcnow
from models.db import Database
from models.outbox import OutboundMessage, Status
from models.reconcile import EXCEPTIONS
from workers import stats
from workers.broker import QUEUES
from workers.relay import READY

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A hop answered from Redis takes a few ms; Africa's Talking gives up near 15 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
USSD_OUTCOMES = ("snapshot", "database", "limited", "failed")
SMS_OUTCOMES = (
    "carried_out",
    "not_understood",
    "unknown_sender",
    "membership_ended",
    "repeat",
    "conflict",
    "limited",
)

# Not in the default registry: a scrape builds its own (one for the multiprocess files).
HTTP_SECONDS = Histogram(
    "satja_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["route", "method"],
    buckets=BUCKETS,
    registry=None,
)
HTTP_REQUESTS = Counter(
    "satja_http_requests", "Requests answered, by route and status.", ["route", "status"],
    registry=None,
)  # fmt: skip
USSD_HOPS = Counter("satja_ussd_hops", "USSD hops, by how they were answered.", ["outcome"],
                    registry=None)  # fmt: skip
SMS_COMMANDS = Counter(
    "satja_sms_commands", "Inbound SMS, by command word and outcome.", ["command", "outcome"],
    registry=None,
)  # fmt: skip
DELIVERY_REPORTS = Counter(
    "satja_sms_delivery_reports", "Delivery reports received, by status.", ["status"],
    registry=None,
)  # fmt: skip
DELIVERY_FAILURES = Counter(
    "satja_sms_delivery_failures",
    "Messages the network reported failed or rejected, by reason class.",
    ["reason"],
    registry=None,
)
GATEWAY_METRICS = (
    HTTP_SECONDS, HTTP_REQUESTS, USSD_HOPS, SMS_COMMANDS, DELIVERY_REPORTS, DELIVERY_FAILURES
)  # fmt: skip


def multiprocess() -> bool:
    """True when every gunicorn process counts into files in PROMETHEUS_MULTIPROC_DIR."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def start_counting() -> None:
    """Make the known series exist at zero in this process, so rates start from it."""
    for outcome in USSD_OUTCOMES:
        USSD_HOPS.labels(outcome)


def count_hop(outcome: str) -> None:
    """One USSD hop answered this way (an entry of USSD_OUTCOMES)."""
    _labelled(USSD_HOPS, outcome).inc()


@cache
def _labelled(metric: Counter | Histogram, *labels: str) -> Counter | Histogram:
    # Each series' child, looked up once a process: `labels()` checks and locks at every
    # call, a third of what timing a request cost (bench/RESULTS.md). The label values
    # are few (routes, methods, statuses, outcomes), so the cache stays small.
    return metric.labels(*labels)


def count_sms(command: str, outcome: str) -> None:
    """One inbound SMS: its command word (or "none") and what came of it."""
    SMS_COMMANDS.labels(command, outcome).inc()


def count_delivery(status: str, reason: str | None) -> None:
    """One delivery report; a failure also by the class of its reason."""
    DELIVERY_REPORTS.labels(status).inc()
    if status in (Status.FAILED, Status.REJECTED):
        DELIVERY_FAILURES.labels(stats.reason_class(reason)).inc()


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered: its latency by route, its status."""
    _labelled(HTTP_SECONDS, route, method).observe(seconds)
    _labelled(HTTP_REQUESTS, route, str(status)).inc()


class StateCollector:
    """What is true now, read at each scrape from Redis and the database."""

    def __init__(self, db: Database, redis: Redis | None, now: dt.datetime) -> None:
        self.db, self.redis, self.now = db, redis, now

    def collect(self) -> Iterator[Metric]:
        """Each family; a part that does not answer is reported down, not raised."""
        up = GaugeMetricFamily("satja_dependency_up", "Whether a part answered.", labels=["part"])
        for part, read in (("redis", self._redis), ("database", self._database)):
            try:
                yield from read()
                up.add_metric([part], 1)
            except Exception:  # the scrape still answers; the log has the detail
                log.exception("metrics: %s unavailable", part)
                up.add_metric([part], 0)
        yield up

    def _redis(self) -> Iterator[Metric]:
        if self.redis is None:
            raise ConnectionError("no redis")
        depth = GaugeMetricFamily("satja_queue_jobs", "Jobs waiting, by queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "satja_queue_failed_jobs", "Jobs that failed for good, by queue.", labels=["queue"]
        )
        workers = GaugeMetricFamily(
            "satja_workers", "RQ workers listening, by queue.", labels=["queue"]
        )
        listening = {name: 0 for name in QUEUES}
        for worker in Worker.all(connection=self.redis):
            for name in worker.queue_names():
                if name in listening:
                    listening[name] += 1
        for name in QUEUES:
            queue = Queue(name, connection=self.redis)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
            workers.add_metric([name], listening[name])
        yield from (depth, failed, workers)
        yield GaugeMetricFamily(
            "satja_outbox_handed_over",
            "Messages the gateway handed over that the relay has not made jobs of yet.",
            value=self.redis.llen(READY),
        )
        yield from _worker_figures(*stats.read(self.redis))

    def _database(self) -> Iterator[Metric]:
        # Only the states that drain: sent and delivered grow for ever and are counted
        # as they happen (satja_sms_sends_total, satja_sms_delivery_reports_total).
        waiting = (Status.QUEUED.value, Status.SENDING.value)
        with self.db.transaction() as session:
            counts = dict(
                session.execute(
                    select(OutboundMessage.status, func.count())
                    .where(OutboundMessage.status.in_(waiting))
                    .group_by(OutboundMessage.status)
                ).all()
            )
            oldest = session.scalar(
                select(func.min(OutboundMessage.created_at)).where(
                    OutboundMessage.status == Status.QUEUED.value,
                    or_(
                        OutboundMessage.not_before.is_(None),
                        OutboundMessage.not_before <= self.now,
                    ),
                )
            )
        messages = GaugeMetricFamily(
            "satja_outbox_messages", "Outbox messages not sent yet, by status.", labels=["status"]
        )
        for status in waiting:
            messages.add_metric([status], counts.get(status, 0))
        age = (self.now - oldest).total_seconds() if oldest is not None else 0.0
        yield messages
        yield GaugeMetricFamily(
            "satja_outbox_oldest_due_seconds",
            "Age of the oldest message due to go and not sent (0: none waiting).",
            value=max(age, 0.0),
        )


# Worker counters: name in workers/stats.py -> (metric, help, label, values always shown).
COUNTED = {
    "sms_sends": ("satja_sms_sends", "Outbox sends by the workers, by outcome.", "outcome",
                  ("sent", "retried", "failed")),
    "sms_delivery_failures": ("satja_sms_send_failures",
                              "Sends refused by the provider, by reason class.", "reason", ()),
    "reconcile_runs": ("satja_reconcile_runs", "Nightly reconciliations, by result.", "result",
                       ("ok", "failed")),
    "backups": ("satja_backups", "Nightly backups, by result.", "result", ("ok", "failed")),
}  # fmt: skip
LATEST = {
    "reconcile_last_success": (
        "satja_reconcile_last_success_timestamp_seconds",
        "When the last reconciliation finished with a clean ledger (Unix time).",
    ),
    "reconcile_duration_seconds": (
        "satja_reconcile_duration_seconds", "How long the last reconciliation took."
    ),
    "relay_last_pass": (
        "satja_relay_last_pass_timestamp_seconds",
        "When a relay last showed it was running (Unix time; it marks every 10 s).",
    ),
    "cron_last_tick": (
        "satja_cron_last_tick_timestamp_seconds",
        "When a worker last ran the cron's calendar tick (Unix time).",
    ),
    "backup_last_success": (
        "satja_backup_last_success_timestamp_seconds", "When the last nightly backup finished."
    ),
    "backup_size_bytes": ("satja_backup_size_bytes", "Size of the last nightly backup."),
}  # fmt: skip


def _worker_figures(
    counted: dict[tuple[str, str], int], last: dict[str, float]
) -> Iterator[Metric]:
    for name, (metric, text, label, always) in COUNTED.items():
        family = CounterMetricFamily(metric, text, labels=[label])
        values = {value: 0 for value in always}
        values.update({lab: n for (key, lab), n in counted.items() if key == name})
        for value, n in sorted(values.items()):
            family.add_metric([value], n)
        yield family
    for name, (metric, text) in LATEST.items():
        if name in last:
            yield GaugeMetricFamily(metric, text, value=last[name])
    kinds = GaugeMetricFamily(
        "satja_reconcile_exceptions",
        "Exceptions open after the last reconciliation, by kind.",
        labels=["kind"],
    )
    for kind in EXCEPTIONS:
        kinds.add_metric([kind.value], last.get(f"reconcile_exceptions|{kind.value}", 0))
    yield kinds


def render(db: Database, redis: Redis | None) -> bytes:
    """The exposition text of every metric, for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        for metric in GATEWAY_METRICS:
            registry.register(metric)
    registry.register(StateCollector(db, redis, utcnow()))
    return generate_latest(registry)
