"""One night's reconciliation of a provincial network, on PostgreSQL, against a bare aggregate.

Loads 50 groups and 25,505 members with a year of activity by COPY (everyone else pays
30 baht a month; a quarter of the members declare 1 baht every day by USSD and their
collector confirms it; collectors hand over weekly, some short; a few declarations wait
days for their OK): about 4.9 million journal rows. The first 335 days are reconciled
once (untimed); then each of the last 30 days is loaded and its night timed; then the
whole month is rerun. The baseline, measured in the same run, is a bare SQL aggregate
(count and sum by group, code and phase) over the same night's rows. The last line:

    reconcile: night <s> s, month <s> s vs bare aggregate <s> s ratio=<bare/night>

Targets: one night of the network in <= 5 s; a national night (4 million members),
projected linearly from the measured night, in <= 10 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.harness import DEFAULT_DATABASE, scratch_database
from config.settings import load_settings
from models import migrate
from models.db import Database
from workers.reconcile import run_night

GROUPS, MEMBERS = 50, 25_505
COLLECTORS_PER_GROUP = 10
NATIONAL_MEMBERS = 4_000_000
START = dt.date(2025, 11, 30)
DAYS, TIMED_DAYS = 365, 30
NIGHT_TARGET_S, NATIONAL_TARGET_S = 5.0, 600.0


class Network:
    """The registry and a day-by-day journal, kept in Python so totals stay exact."""

    def __init__(self) -> None:
        self.next_id = 0
        self.totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        self.accounts: list[tuple] = []
        self.members: list[tuple] = []
        self.groups: list[tuple] = []
        self.cash: dict[int, int] = defaultdict(int)
        self.waiting: dict[dt.date, list[tuple]] = defaultdict(list)
        self._registry()

    def _account(self, group_id: int, key: str, member_id: int | None) -> int:
        account_id = len(self.accounts) + 1
        kind = key.split(":")[0]
        self.accounts.append(
            (account_id, group_id, key, member_id, kind == "member", kind == "collector_cash")
        )
        return account_id

    def _registry(self) -> None:
        member_id = 0
        self.collectors: dict[int, list[tuple[int, int]]] = {}
        self.payers: list[tuple] = []  # (group, member, member account, collector, daily?)
        for g in range(1, GROUPS + 1):
            self.groups.append((g, f"NET{g:02d}", f"กองทุนเครือข่าย {g}"))
            bank = self._account(g, "fund_bank", None)
            size = MEMBERS // GROUPS + (1 if g <= MEMBERS % GROUPS else 0)
            collectors = []
            for number in range(1, size + 1):
                member_id += 1
                role = "member"
                if number == 1:
                    role = "treasurer"
                elif number <= COLLECTORS_PER_GROUP + 1:
                    role = "collector"
                phone = f"+668{member_id:08d}"
                self.members.append((member_id, g, number, f"สมาชิก {number}", phone, role))
                account = self._account(g, f"member:{member_id}", member_id)
                if role == "collector":
                    cash = self._account(g, f"collector_cash:{member_id}", member_id)
                    collectors.append((member_id, cash))
                self.payers.append((g, member_id, account, number))
            self.collectors[g] = collectors
            self.banks = getattr(self, "banks", {})
            self.banks[g] = bank

    def _row(
        self,
        out: list,
        g: int,
        debit: int,
        credit: int,
        amount: int,
        code: str,
        phase: str,
        day: dt.date,
        member: int | None,
        collector: int | None,
        pending: int | None = None,
    ) -> int:
        self.next_id += 1
        posted = phase in ("single", "post")
        if posted:
            self.totals[debit][0] += amount
            self.totals[credit][1] += amount
        if phase == "pending":
            self.totals[debit][2] += amount
            self.totals[credit][3] += amount
        if phase in ("post", "void"):
            self.totals[debit][2] -= amount
            self.totals[credit][3] -= amount
        out.append(
            (
                self.next_id,
                f"b:{self.next_id}",
                g,
                debit,
                credit,
                amount,
                code,
                phase,
                pending,
                member,
                collector,
                day,
            )
        )
        return self.next_id

    def day(self, index: int) -> list[tuple]:
        """The journal rows of one business day, in insertion order."""
        day = START + dt.timedelta(days=index)
        rows: list[tuple] = []
        for g, member_id, account, number in self.payers:
            collector_id, cash = self.collectors[g][number % COLLECTORS_PER_GROUP]
            if number % 4 == 0:  # a quarter declare a baht a day by USSD
                pending = self._row(
                    rows,
                    g,
                    cash,
                    account,
                    100,
                    "contribution",
                    "pending",
                    day,
                    member_id,
                    collector_id,
                )
                if number % 400 == 0:  # one in a hundred waits two days for the OK
                    self.waiting[day + dt.timedelta(days=2)].append(
                        (g, cash, account, member_id, collector_id, pending)
                    )
                else:
                    self._row(
                        rows,
                        g,
                        cash,
                        account,
                        100,
                        "contribution",
                        "post",
                        day,
                        member_id,
                        collector_id,
                        pending,
                    )
                    self.cash[cash] += 100
            elif day.day == number % 28 + 1:  # the rest pay 30 baht once a month
                self._row(
                    rows,
                    g,
                    cash,
                    account,
                    3000,
                    "contribution",
                    "single",
                    day,
                    member_id,
                    collector_id,
                )
                self.cash[cash] += 3000
        for g, cash, account, member_id, collector_id, pending in self.waiting.pop(day, []):
            self._row(
                rows,
                g,
                cash,
                account,
                100,
                "contribution",
                "post",
                day,
                member_id,
                collector_id,
                pending,
            )
            self.cash[cash] += 100
        for g, collectors in self.collectors.items():
            for n, (collector_id, cash) in enumerate(collectors):
                if index % 7 == n % 7 and self.cash[cash] > 0:
                    # Every tenth hand-over keeps 10 baht back: a short one.
                    amount = self.cash[cash] - (1000 if n == 3 and self.cash[cash] > 1000 else 0)
                    self._row(
                        rows,
                        g,
                        self.banks[g],
                        cash,
                        amount,
                        "handover",
                        "single",
                        day,
                        None,
                        collector_id,
                    )
                    self.cash[cash] -= amount
        return rows


def copy_rows(conn, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:  # noqa: ANN001
    """COPY rows into a table through psycopg."""
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


TRANSFER_COLUMNS = (
    "id",
    "key",
    "group_id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "code",
    "phase",
    "pending_id",
    "member_id",
    "collector_id",
    "business_date",
)


def load_day(db: Database, net: Network, rows: list[tuple]) -> None:
    """COPY a day's rows and bring the touched accounts' running totals up to date."""
    touched = {r[3] for r in rows} | {r[4] for r in rows}
    with db.engine.begin() as conn:
        now = dt.datetime(2026, 1, 1)
        copy_rows(conn, "transfers", (*TRANSFER_COLUMNS, "created_at"), [(*r, now) for r in rows])
        conn.execute(
            text(
                "CREATE TEMP TABLE t (id bigint, dp bigint, cp bigint, dq bigint, cq bigint)"
                " ON COMMIT DROP"
            )
        )
        copy_rows(conn, "t", ("id", "dp", "cp", "dq", "cq"), [(a, *net.totals[a]) for a in touched])
        conn.execute(
            text(
                "UPDATE accounts SET debits_posted = t.dp, credits_posted = t.cp,"
                " debits_pending = t.dq, credits_pending = t.cq FROM t WHERE accounts.id = t.id"
            )
        )


def load_registry(db: Database, net: Network) -> None:
    """COPY groups, members and accounts."""
    now = dt.datetime(2025, 11, 1)
    with db.engine.begin() as conn:
        copy_rows(
            conn,
            "groups",
            (
                "id",
                "code",
                "name",
                "daily_rate_satang",
                "waiting_days",
                "lapse_days",
                "meeting_day",
                "entrance_fee_satang",
                "last_member_no",
                "created_at",
            ),
            [(g, c, n, 100, 180, 90, 16, 0, 0, now) for g, c, n in net.groups],
        )
        copy_rows(
            conn,
            "members",
            (
                "id",
                "group_id",
                "number",
                "name",
                "phone",
                "lang",
                "joined_on",
                "status",
                "pin_tries",
                "reminders_opt_out",
                "created_at",
            ),
            [(*m[:5], "th", START, "active", 0, False, now) for m in net.members],
        )
        copy_rows(
            conn,
            "offices",
            ("group_id", "member_id", "office", "starts_on", "by_job", "created_at"),
            [(m[1], m[0], m[5], START, "setup", now) for m in net.members if m[5] != "member"],
        )
        copy_rows(
            conn,
            "accounts",
            (
                "id",
                "group_id",
                "key",
                "member_id",
                "debits_must_not_exceed_credits",
                "credits_must_not_exceed_debits",
                "debits_posted",
                "credits_posted",
                "debits_pending",
                "credits_pending",
            ),
            [(*a, 0, 0, 0, 0) for a in net.accounts],
        )
        for table in ("groups", "members", "accounts", "offices"):
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))


def bare_aggregate(db: Database, lo: int, hi: int) -> float:
    """The baseline: count and sum of the night's rows by group, code and phase."""
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "SELECT group_id, code, phase, count(*), sum(amount) FROM transfers"
                " WHERE id > :lo AND id <= :hi GROUP BY group_id, code, phase"
            ),
            {"lo": lo, "hi": hi},
        ).all()
    return time.perf_counter() - started


def main() -> None:
    """Load, run the nights, rerun the month, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    url = scratch_database(os.environ.get("DATABASE_URL", DEFAULT_DATABASE), "satja_bench_recon")
    settings = load_settings({"DATABASE_URL": url, "SATJA_INSTANCE_PATH": "/tmp/satja-bench"})
    db = Database(settings)
    migrate.upgrade(db.engine)
    net = Network()
    started = time.perf_counter()
    load_registry(db, net)
    first_timed = DAYS - TIMED_DAYS
    rows = [row for index in range(first_timed) for row in net.day(index)]
    load_day(db, net, rows)
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setval('transfers_id_seq', :n)"), {"n": net.next_id})
        conn.execute(text("ANALYZE"))
    print(
        f"loaded {net.next_id:,} transfers for {MEMBERS:,} members in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    started = time.perf_counter()
    run_night(db, START + dt.timedelta(days=first_timed - 1))
    print(f"first night (the whole year so far): {time.perf_counter() - started:.1f} s", flush=True)
    nights, bares = [], []
    for index in range(first_timed, DAYS):
        lo = net.next_id
        load_day(db, net, net.day(index))
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval('transfers_id_seq', :n)"), {"n": net.next_id})
        bares.append(bare_aggregate(db, lo, net.next_id))
        started = time.perf_counter()
        result = run_night(db, START + dt.timedelta(days=index))
        nights.append(time.perf_counter() - started)
        print(f"  night {index + 1}: {nights[-1]:.2f} s", flush=True)
        assert not result.faults, result.faults
    started = time.perf_counter()
    for index in range(first_timed, DAYS):
        run_night(db, START + dt.timedelta(days=index))
    month = time.perf_counter() - started
    night, bare = statistics.median(nights), statistics.median(bares)
    national = night * NATIONAL_MEMBERS / MEMBERS
    with db.engine.begin() as conn:
        total = conn.scalar(text("SELECT count(*) FROM transfers"))
    print(f"journal: {total:,} transfers; nights: median {night:.2f} s, worst {max(nights):.2f} s")
    print(
        f"national night projected ({NATIONAL_MEMBERS:,} members): {national:.0f} s "
        f"(target <= {NATIONAL_TARGET_S:.0f} s)"
    )
    verdict = {True: "met", False: "MISSED"}
    print(
        f"targets: night <= {NIGHT_TARGET_S} s: {verdict[night <= NIGHT_TARGET_S]}; "
        f"national <= 10 min: {verdict[national <= NATIONAL_TARGET_S]}"
    )
    db.dispose()
    print(
        f"reconcile: night {night:.2f} s, month {month:.1f} s vs bare aggregate "
        f"{bare:.3f} s ratio={bare / night:.3f}"
    )


if __name__ == "__main__":
    main()
