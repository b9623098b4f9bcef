"""Where a USSD hop's time goes: cProfile over payment and balance sessions in one process.

The gateway runs in this process (Flask's test client: no HTTP, no gunicorn) on
PostgreSQL and Redis (DATABASE_URL, REDIS_URL; a scratch database `satja_profile_ussd`).
After a warm-up, it prints per hop of each path the CPU time and the SQL statements,
then the top of the profile of the payment sessions (CPU time), by own and cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient
from sqlalchemy import event

from bench.ussd import BALANCE, PAYMENT, scratch_fund
from gateway import create_app
from gateway.extensions.database import EXTENSION


def walk(
    client: FlaskClient,
    phones: list[str],
    path: list[str],
    rounds: int,
    tag: str,
    per_hop: dict | None = None,
) -> None:
    """Every caller walks `path` `rounds` times; per hop, CPU seconds and statements."""
    for n in range(rounds):
        for i, phone in enumerate(phones):
            for hop, text in enumerate(path):
                started = time.process_time()
                before = per_hop["sql"][0] if per_hop else 0
                answer = client.post(
                    "/ussd",
                    data={
                        "sessionId": f"p-{tag}-{n}-{i}",
                        "serviceCode": "*1234#",
                        "phoneNumber": phone,
                        "networkCode": "52001",
                        "text": text,
                    },
                ).get_data(as_text=True)
                if not answer.startswith(("CON ", "END แจ้งแล้ว")):
                    raise SystemExit(f"unexpected answer at hop {hop}: {answer!r}")
                if per_hop:
                    per_hop["cpu"][hop] += time.process_time() - started
                    per_hop["statements"][hop] += per_hop["sql"][0] - before


def main() -> None:
    """Profile and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--scratch", default="satja_profile_ussd", help="scratch database name")
    args = parser.parse_args()

    settings, phones = scratch_fund(args.scratch, args.callers)
    app = create_app(settings)
    db = app.extensions[EXTENSION]
    sql = [0]
    event.listen(db.engine, "before_cursor_execute", lambda *_a: sql.__setitem__(0, sql[0] + 1))
    if db.engine.dialect.name == "postgresql":  # Database.call: one statement a checkout
        event.listen(db.calls, "checkout", lambda *_a: sql.__setitem__(0, sql[0] + 1))
    client = app.test_client()
    for name, path in (("balance", BALANCE), ("payment", PAYMENT)):
        walk(client, phones, path, 2, f"warm-{name}")
        per_hop = {"sql": sql, "cpu": [0.0] * len(path), "statements": [0] * len(path)}
        walk(client, phones, path, args.rounds, name, per_hop)
        sessions = args.rounds * len(phones)
        print(f"\n== {name}: {sessions} sessions, per hop: CPU ms / SQL statements")
        for hop, text in enumerate(path):
            cpu = per_hop["cpu"][hop] * 1000 / sessions
            statements = per_hop["statements"][hop] / sessions
            print(f"  {text or '(dial)':<16} {cpu:6.2f} ms {statements:5.1f}")
        total = sum(per_hop["cpu"]) * 1000 / sessions / len(path)
        print(f"  mean CPU per hop: {total:.2f} ms")
        if name == "payment":
            # CPU time, not wall time: on a shared machine, waiting is not this process's cost.
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            walk(client, phones, path, args.rounds, f"{name}-profiled")
            profile.disable()
            stats = pstats.Stats(profile, stream=sys.stdout)
            stats.strip_dirs().sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
