"""Transfers posted per second through the ledger API, against raw INSERTs, on PostgreSQL.

Both sides commit once per transfer on the same engine, in alternating rounds so that
the machine's mood affects both alike. The last line is the result:

    ledger_post: <n>/s vs raw insert <m>/s ratio=<n/m>

Target: ratio >= 0.5. Run with `make bench` or `python bench/ledger_post.py`;
DATABASE_URL names the server (a scratch database `satja_bench` is made there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.harness import scratch_database
from config.settings import load_settings
from models import migrate
from models.actors import Actor, Job
from models.db import Database
from models.ledger import Code, TransferSpec, create_transfer
from models.offices import Office
from models.registry import add_group, add_member

BY = Actor.system(Job.SETUP)  # the bench writes as the setup job

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAY = dt.date(2026, 11, 16)
TARGET = 0.5


def main() -> None:
    """Measure both sides and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=500)
    args = parser.parse_args()

    url = scratch_database(os.environ.get("DATABASE_URL") or DEFAULT_URL, "satja_bench")
    db = Database(load_settings({"DATABASE_URL": url}))
    migrate.upgrade(db.engine)
    with db.transaction() as session:
        group = add_group(session, "BENCH", "bench")
        collector = add_member(
            session, group, name="c", phone="0811111111", office=Office.COLLECTOR, joined_on=DAY
        )
        members = [
            add_member(session, group, name=f"m{i}", phone=f"0820000{i:03d}", joined_on=DAY)
            for i in range(100)
        ]
        group_id, cash = group.id, f"collector_cash:{collector.id}"
        member_ids = [m.id for m in members]
    with db.engine.begin() as conn:
        # The journal's columns, defaults, checks and indexes; no triggers or foreign keys.
        conn.execute(text("CREATE TABLE bench_raw (LIKE transfers INCLUDING ALL)"))
        conn.execute(text("CREATE SEQUENCE bench_raw_id"))

    raw_sql = text(
        "INSERT INTO bench_raw (id, key, group_id, debit_account_id, credit_account_id,"
        " amount, code, phase, member_id, collector_id, business_date, created_at)"
        " VALUES (nextval('bench_raw_id'), :key, :group_id, 1, 2, :amount, 'contribution',"
        " 'single', :member_id, :collector_id, :business_date, now())"
    )
    ledger_time = raw_time = 0.0
    n = 0
    for round_no in range(args.rounds):
        start = time.perf_counter()
        for i in range(args.per_round):
            member_id = member_ids[i % len(member_ids)]
            with db.transaction() as session:
                outcome = create_transfer(
                    session,
                    TransferSpec(
                        by=BY,
                        key=f"bench-{round_no}-{i}",
                        group_id=group_id,
                        debit=cash,
                        credit=f"member:{member_id}",
                        amount=3000,
                        code=Code.CONTRIBUTION,
                        business_date=DAY,
                        member_id=member_id,
                        collector_id=collector.id,
                    ),
                )
                assert outcome.ok
        ledger_time += time.perf_counter() - start

        start = time.perf_counter()
        for i in range(args.per_round):
            with db.engine.begin() as conn:
                conn.execute(
                    raw_sql,
                    {
                        "key": f"raw-{round_no}-{i}",
                        "group_id": group_id,
                        "amount": 3000,
                        "member_id": member_ids[i % len(member_ids)],
                        "collector_id": collector.id,
                        "business_date": DAY,
                    },
                )
        raw_time += time.perf_counter() - start
        n += args.per_round

    db.dispose()
    ledger_rate, raw_rate = n / ledger_time, n / raw_time
    ratio = ledger_rate / raw_rate
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"{n} transfers each side, one commit per transfer, {args.rounds} alternating rounds")
    print(f"target ratio >= {TARGET}: {verdict}")
    print(f"ledger_post: {ledger_rate:.0f}/s vs raw insert {raw_rate:.0f}/s ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
