"""The projection of one group of 25,000 members: read, gather and project, then suggest.

A scratch SQLite database gets a group of 25,000 members (birth dates spread over
ages, a year of membership each, a balance each) by bulk INSERT; the projection of ten
years with its suggestions is timed (median of five) against the bare read of the
same members' columns it cannot do without. Last line
`projection: <s> s for 25000 members vs bare read <s> s ratio=<bare/projection>`;
target: under 2 s.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from models.foresight import _register, projection_of
from models.ledger import Account
from models.migrate import upgrade
from models.projection import load_assumptions
from models.registry import Group, Member, add_group

MEMBERS = 25_000
TODAY = dt.date(2026, 11, 16)


def build(url: str) -> None:
    """A group of MEMBERS members with birth dates, join dates and balances."""
    engine = create_engine(url)
    upgrade(engine)
    rng = random.Random(22)
    with Session(engine) as session:
        group = add_group(session, "BIG", "กองทุนใหญ่")
        members, accounts = [], []
        for n in range(1, MEMBERS + 1):
            joined = TODAY - dt.timedelta(days=rng.randrange(30, 3650))
            born = TODAY - dt.timedelta(days=rng.randrange(365, 90 * 365))
            members.append(
                {
                    "id": n,
                    "group_id": group.id,
                    "number": n,
                    "name": f"m{n}",
                    "phone": f"+6681{n:07d}",
                    "role": "member",
                    "lang": "th",
                    "joined_on": joined,
                    "born_on": min(born, joined),
                    "status": "active",
                    "pin_tries": 0,
                    "reminders_opt_out": False,
                }
            )
            paid = (TODAY - joined).days * 100 - rng.choice((0, 0, 0, 5_000, 20_000))
            accounts.append(
                {
                    "group_id": group.id,
                    "key": f"member:{n}",
                    "member_id": n,
                    "debits_posted": 0,
                    "credits_posted": max(0, paid),
                    "debits_pending": 0,
                    "credits_pending": 0,
                }
            )
        session.execute(insert(Member), members)
        session.execute(insert(Account), accounts)
        session.commit()
    engine.dispose()


def timed(run: Callable[[], object]) -> float:
    """Median seconds of five runs."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Build, time, print the last line."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        build(url)
        engine = create_engine(url)
        assumptions = load_assumptions()
        with Session(engine) as session:
            group = session.scalars(select(Group)).one()
            projection, gathered = projection_of(session, group, TODAY, assumptions)
            print(
                f"runs out: {projection.runs_out}; suggestions: {len(projection.suggestions)};"
                f" cells: {len(gathered.fund.members)}"
            )
            whole = timed(lambda: projection_of(session, group, TODAY, assumptions))
            bare = timed(lambda: _register(session, group))
        engine.dispose()
    print(
        f"projection: {whole:.3f} s for {MEMBERS} members vs bare read {bare:.3f} s"
        f" ratio={bare / whole:.2f}"
    )


if __name__ == "__main__":
    main()
