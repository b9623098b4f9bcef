"""USSD hops per second, latency and server CPU through the gateway, against a bare endpoint.

All run under the same gunicorn settings on loopback; the gateway on PostgreSQL and
Redis (DATABASE_URL, REDIS_URL; a scratch database `satja_bench_ussd` is made). 32
simulated members each walk sessions for a fixed time on each of two paths: the balance
(four hops: main menu, balance, more, back) and a payment (six hops: main menu, 2, an
amount, the collector, the PIN, confirm; each session declares a payment). The bare
endpoint is measured in the same run: the three take turns in short windows (`--rounds`
each, the order rotating; each window's first 0.3 s left out). The last two lines are
the results, the payment line last:

    ussd balance: <n> hops/s p99 <x> ms vs bare <m> hops/s ratio=<n/m>
    ussd payment: <n> hops/s p99 <x> ms vs bare <m> hops/s ratio=<n/m>

Targets: balance p99 <= 50 ms and ratio >= 0.5; payment p99 <= 100 ms and ratio >= 0.4.
The table above them gives the server's CPU per hop (the gunicorn processes' user and
system time over the hops answered), the figure that carries over to other machines.
The first line is the machine's round trips to Redis and PostgreSQL and a commit's
wait, measured before the run: the payment path waits on them, the bare endpoint not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis

from bench.harness import (
    DEFAULT_DATABASE,
    DEFAULT_REDIS,
    Server,
    Stats,
    drive,
    scratch_database,
    waits,
)
from config.settings import Settings, load_settings
from models import migrate
from models.db import Database
from models.offices import Office
from models.pins import set_pin
from models.registry import add_group, add_member

BALANCE = ["", "1", "1*98", "1*98*0"]  # four hops: menu, balance, more, back
PIN = "5807"
PAYMENT = ["", "2", "2*30", "2*30*1", f"2*30*1*{PIN}", f"2*30*1*{PIN}*1"]
# Both apps as production runs a USSD-heavy gateway behind a proxy that opens a
# connection per request (nginx's default upstream): sync workers, as many as
# config/gunicorn_conf.py starts (2 x cores + 1). A payment hop waits on Redis and
# PostgreSQL, and while one process waits another has the core: with one process per
# core and a spare, the payment ratio was 0.28-0.35 on a slow day, with five 0.38-0.41
# (bench/RESULTS.md). gthread 3 x 2 with keep-alive queued connections unevenly.
GUNICORN = {"workers": None, "threads": 1, "worker_class": "sync"}
LIFTED = "1000000"  # the per-phone hop limit (30 a minute) is for people, not the machine
LEAD_IN = 0.3  # seconds of each window's start left out of it
TARGETS = {"balance": (50.0, 0.5), "payment": (100.0, 0.4)}  # p99 ms at most, ratio at least


def seed(db: Database, settings: Settings, callers: int) -> list[str]:
    """A group with a collector and one member per simulated caller, each with a PIN."""
    joined = dt.date(2026, 1, 1)
    with db.transaction() as session:
        group = add_group(session, "BENCH", "bench")
        add_member(
            session, group, name="c", phone="0810000000", office=Office.COLLECTOR, joined_on=joined
        )
        phones = []
        for i in range(callers):
            member = add_member(session, group, name=f"m{i}", phone=f"083{i:07d}", joined_on=joined)
            set_pin(member, PIN, settings.pin_keys)
            phones.append(member.phone)
        return phones


def scratch_fund(scratch: str, callers: int) -> tuple[Settings, list[str]]:
    """A scratch database holding the seeded fund, Redis emptied; their settings, the phones."""
    url = scratch_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE, scratch)
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    Redis.from_url(redis_url).flushdb()
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SATJA_USSD_HOPS_PER_MINUTE": LIFTED}
    settings = load_settings(env)
    db = Database(settings)
    migrate.upgrade(db.engine)
    phones = seed(db, settings, callers)
    db.dispose()
    return settings, phones


def sessions(path: list[str], phones: list[str], tag: str) -> Callable[[int, int], dict[str, str]]:
    """The n-th hop of caller `worker` walking `path` again and again."""

    def hop(worker: int, n: int) -> dict[str, str]:
        return {
            "sessionId": f"bench-{tag}-{worker}-{n // len(path)}",
            "serviceCode": "*1234#",
            "phoneNumber": phones[worker % len(phones)],
            "networkCode": "52001",
            "text": path[n % len(path)],
        }

    return hop


def answered(status: int, body: bytes) -> bool:
    """A menu screen, or the payment's last screen with its reference."""
    return status == 200 and (body.startswith(b"CON ") or body.startswith("END แจ้งแล้ว #".encode()))


def windows(
    runs: list[tuple[str, Server, Callable[[int, int], dict[str, str]]]],
    args: argparse.Namespace,
) -> dict[str, tuple[Stats, float]]:
    """Each run in turn, window after window; by label, the stats and server CPU ms per hop.

    This shared VM's speed drifts by a third within a minute (bench/RESULTS.md): measured
    one after the other, the bare endpoint and a path met different machines. In short
    turns, in an order that rotates, a slow spell falls on each alike. A caller's walk
    goes on where the last window paused it, so that no session is cut short.
    """
    seconds = args.seconds / args.rounds
    totals = {label: (Stats(0, 0.0, [], 0), 0.0) for label, _, _ in runs}
    places = {label: [0] * args.concurrency for label, _, _ in runs}
    for turn in range(args.rounds):
        for label, server, form in runs[turn % len(runs) :] + runs[: turn % len(runs)]:
            # A lead-in, not counted: the window measures a server already at work, not
            # 32 callers' first connections to processes idle since the last turn.
            drive(
                server.port,
                "/ussd",
                form,
                concurrency=args.concurrency,
                seconds=LEAD_IN,
                keep_alive=False,
                resume=places[label],
            )
            before = server.cpu_seconds()
            stats = drive(
                server.port,
                "/ussd",
                form,
                concurrency=args.concurrency,
                seconds=seconds,
                expect=answered,
                keep_alive=False,
                resume=places[label],
            )
            so_far, cpu = totals[label]
            totals[label] = (
                Stats(
                    so_far.requests + stats.requests,
                    so_far.seconds + stats.seconds,
                    so_far.latencies_ms + stats.latencies_ms,
                    so_far.errors + stats.errors,
                ),
                cpu + server.cpu_seconds() - before,
            )
    per_hop = {}
    for label, (stats, cpu) in totals.items():
        per_hop[label] = (stats, cpu * 1000 / max(stats.requests, 1))
    return per_hop


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per path, all windows")
    parser.add_argument("--rounds", type=int, default=5, help="windows per path")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--scratch", default="satja_bench_ussd", help="scratch database name")
    args = parser.parse_args()

    settings, phones = scratch_fund(args.scratch, args.concurrency)
    print(waits(settings.database_url, settings.redis_url), flush=True)
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SATJA_USSD_HOPS_PER_MINUTE": LIFTED,
    }
    with (
        Server("gateway:create_app()", env, **GUNICORN) as gateway,
        Server("bench.bare_app:create_app()", {}, **GUNICORN) as bare_server,
    ):
        runs = [
            ("balance", gateway, sessions(BALANCE, phones, "balance")),
            ("payment", gateway, sessions(PAYMENT, phones, "payment")),
            ("bare", bare_server, sessions(BALANCE, phones, "bare")),
        ]
        # Warm-up with every caller: measured is the steady state, where a caller has
        # dialled before (a first dial reads the database twice to find the caller's group).
        for label, server, _ in runs:
            path = PAYMENT if label == "payment" else BALANCE
            form = sessions(path, phones, f"warm-{label}")
            drive(server.port, "/ussd", form, concurrency=args.concurrency, seconds=2)
        results = windows(runs, args)

    print(f"{'':<16}{'hops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'CPU ms/hop':>12}")
    for label, (stats, cpu) in results.items():
        print(
            f"{label:<16}{stats.rate:>10.0f}{stats.percentile(50):>10.1f}"
            f"{stats.percentile(99):>10.1f}{stats.errors:>8}{cpu:>12.2f}"
        )
    bare = results["bare"][0]
    lines = []
    for name, (most_p99, least_ratio) in TARGETS.items():
        stats = results[name][0]
        ratio, p99 = stats.rate / bare.rate, stats.percentile(99)
        latency = "meets" if p99 <= most_p99 else "MISSES"
        throughput = "meets" if ratio >= least_ratio else "MISSES"
        print(
            f"{name}: target p99 <= {most_p99:.0f} ms: {latency}; "
            f"ratio >= {least_ratio}: {throughput}"
        )
        lines.append(
            f"ussd {name}: {stats.rate:.0f} hops/s p99 {p99:.0f} ms vs bare {bare.rate:.0f} "
            f"hops/s ratio={ratio:.2f}"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
