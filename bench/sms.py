"""PAY commands per second through the gateway, against a bare endpoint; then sending.

Both servers run under the same gunicorn settings on loopback, on PostgreSQL and Redis
(DATABASE_URL, REDIS_URL; a scratch database `satja_bench_sms` is made). Each PAY is a
real posting, a receipt and a reply written to the outbox, and their two ids handed to
the relay. Then the relay's step makes their jobs, and one RQ worker (in this process)
sends the outbox with the provider's HTTP answered locally. The last line is the result:

    sms: <n> PAY/s vs bare <m>/s ratio=<n/m>

Target: at least 200 PAY/s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import responses
from redis import Redis
from rq import Queue, SimpleWorker

from bench.harness import (
    DEFAULT_DATABASE,
    DEFAULT_REDIS,
    Server,
    drive,
    scratch_database,
)
from config.settings import load_settings
from gateway.flows.texts import render
from models import migrate
from models.audit import check_ledger
from models.db import Database
from models.offices import Office
from models.registry import add_group, add_member
from workers import runtime
from workers.relay import relay_all
from workers.sms_backends import AfricasTalkingBackend

TARGET = 200.0
COLLECTORS = 64  # each simulated phone is its own collector, as in a village
MEMBERS = 2_000
AT_URL = "https://api.africastalking.com/version1/messaging"
ACCEPTED = {
    "SMSMessageData": {
        "Message": "Sent to 1/1",
        "Recipients": [
            {
                "statusCode": 101,
                "number": "+66800000000",
                "status": "Success",
                "cost": "THB 0.80",
                "messageId": "ATXid_bench",
                "messageParts": 1,
            }
        ],
    }
}


def seed(db: Database) -> tuple[list[str], list[int]]:
    """A group with collectors and members; their phones and numbers."""
    joined = dt.date(2026, 1, 1)
    with db.transaction() as session:
        group = add_group(session, "BENCH", "bench")
        collectors = [
            add_member(
                session,
                group,
                name=f"c{i}",
                phone=f"0810000{i:03d}",
                office=Office.COLLECTOR,
                joined_on=joined,
            ).phone
            for i in range(COLLECTORS)
        ]
        numbers = [
            add_member(session, group, name=f"m{i}", phone=f"082{i:07d}", joined_on=joined).number
            for i in range(MEMBERS)
        ]
    return collectors, numbers


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--send", type=int, default=2_000, help="messages to send in phase 2")
    args = parser.parse_args()

    url = scratch_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE, "satja_bench_sms")
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    Redis.from_url(redis_url).flushdb()
    settings = load_settings({"DATABASE_URL": url, "REDIS_URL": redis_url})
    db = Database(settings)
    migrate.upgrade(db.engine)
    collectors, numbers = seed(db)
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SATJA_SMS_BACKEND": "simulator",
        "SATJA_SMS_PER_MINUTE": "1000000",
    }

    def pay(worker: int, n: int) -> dict[str, str]:
        member = numbers[(worker * 7919 + n) % len(numbers)]
        return {
            "from": collectors[worker % len(collectors)],
            "to": "4567",
            "text": f"PAY {member} 30",
            "id": f"bench-{worker}-{n}",
            "date": "2026-11-16 10:30:00",
        }

    receipt = render("th", "pay_ok", amount="30", name="", number="", ref="").split(" จาก")[0]

    def paid(status: int, body: bytes) -> bool:
        return status == 200 and body.decode().startswith(receipt)  # the catalogue's receipt

    with Server("gateway:create_app()", env) as gateway:
        drive(gateway.port, "/sms/inbound", pay, concurrency=4, seconds=1)  # warm up
        satja = drive(
            gateway.port,
            "/sms/inbound",
            pay,
            concurrency=args.concurrency,
            seconds=args.seconds,
            expect=paid,
        )
    with Server("bench.bare_app:create_app()", {}) as bare_server:
        drive(bare_server.port, "/sms/inbound", pay, concurrency=4, seconds=1)
        bare = drive(
            bare_server.port,
            "/sms/inbound",
            pay,
            concurrency=args.concurrency,
            seconds=args.seconds,
        )

    # Phase 2: one worker sends the outbox; the provider answers from this process.
    at = settings.with_(sms_backend="africastalking", at_username="satja", at_api_key="k")
    rt = runtime.install(at, backend=AfricasTalkingBackend(at))
    queue = Queue("sms", connection=rt.redis)
    relay_all(rt.redis)  # as the relay process does, all at once
    waiting = queue.count
    to_send = min(args.send, waiting)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as provider:
        provider.post(AT_URL, json=ACCEPTED, status=201)
        started = time.perf_counter()
        SimpleWorker([queue], connection=rt.redis).work(
            burst=True, max_jobs=to_send, logging_level="WARNING"
        )
        send_seconds = time.perf_counter() - started
    runtime.uninstall()

    with db.transaction() as session:
        books = check_ledger(session)
    db.dispose()
    ratio = satja.rate / bare.rate
    print(f"{'':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for label, stats in (("satja PAY", satja), ("bare endpoint", bare)):
        print(
            f"{label:<22}{stats.rate:>10.0f}{stats.percentile(50):>10.1f}"
            f"{stats.percentile(99):>10.1f}{stats.errors:>8}"
        )
    print(
        f"outbox: {waiting} messages queued; one worker sent {to_send} "
        f"at {to_send / send_seconds:.0f}/s"
    )
    print(f"ledger check: {'ok' if books.ok else books.violations}")
    verdict = "meets" if satja.rate >= TARGET else "MISSES"
    print(f"target >= {TARGET:.0f} PAY/s: {verdict}")
    print(f"sms: {satja.rate:.0f} PAY/s vs bare {bare.rate:.0f}/s ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
