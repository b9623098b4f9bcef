"""`make bench` reads each script's result lines: every pattern parses what its script prints."""

from __future__ import annotations

import re

import pytest

from bench.all import BENCHES, row

LAST_LINES = {
    "ledger_post.py": "ledger_post: 612/s vs raw insert 1104/s ratio=0.55",
    "sms.py": "sms: 231 PAY/s vs bare 3521/s ratio=0.07",
    "ussd.py balance": "ussd balance: 1164 hops/s p99 39 ms vs bare 1807 hops/s ratio=0.64",
    "ussd.py payment": "ussd payment: 215 hops/s p99 387 ms vs bare 2917 hops/s ratio=0.07",
    "reconcile.py": "reconcile: night 2.55 s, month 254.1 s vs bare aggregate 0.004 s ratio=0.002",
    "projection.py": "projection: 1.058 s for 25000 members vs bare read 0.302 s ratio=0.29",
}
MET = {
    "ledger_post.py": True,
    "sms.py": True,
    "ussd.py balance": True,
    "ussd.py payment": False,
    "reconcile.py": True,
    "projection.py": True,
}


@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.name)
def test_each_result_line_parses_and_is_judged(bench):
    match = re.fullmatch(bench.pattern, LAST_LINES[bench.name])
    assert match is not None
    values = {k: float(v) for k, v in match.groupdict().items()}
    assert bench.met(values) is MET[bench.name]
    assert bench.figure.format(**match.groupdict())


def test_ussd_gives_two_rows_from_one_run():
    lines = ["table", LAST_LINES["ussd.py balance"], LAST_LINES["ussd.py payment"]]
    rows = [row(b, 0, lines) for b in BENCHES if b.script == "ussd.py"]
    assert [r[0] for r in rows] == ["ussd.py balance", "ussd.py payment"]
    assert [r[-1] for r in rows] == ["yes", "NO"]
    assert row(BENCHES[0], 0, lines)[1] == "FAILED"  # no line of its own: not another's


def test_every_script_is_in_the_table():
    from pathlib import Path

    scripts = {p.name for p in (Path(__file__).parents[1] / "bench").glob("*.py")}
    assert {b.script for b in BENCHES} == scripts - {
        "all.py",
        "harness.py",
        "bare_app.py",
        "profile_ussd.py",
        "instructions.py",  # a yardstick to compare trees by, with no target
        "__init__.py",
    }
