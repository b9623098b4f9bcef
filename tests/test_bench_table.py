"""`make bench` reads each script's last line: every pattern parses what its script prints."""

from __future__ import annotations

import re

import pytest

from bench.all import BENCHES

LAST_LINES = {
    "ledger_post.py": "ledger_post: 612/s vs raw insert 1104/s ratio=0.55",
    "sms.py": "sms: 231 PAY/s vs bare 3521/s ratio=0.07",
    "ussd.py": "ussd: 404 hops/s p99 144 ms vs bare 5165 hops/s ratio=0.08",
    "reconcile.py": "reconcile: night 2.55 s, month 254.1 s vs bare aggregate 0.004 s ratio=0.002",
    "projection.py": "projection: 1.058 s for 25000 members vs bare read 0.302 s ratio=0.29",
}
MET = {
    "ledger_post.py": True,
    "sms.py": True,
    "ussd.py": False,
    "reconcile.py": True,
    "projection.py": True,
}


@pytest.mark.parametrize("bench", BENCHES, ids=lambda b: b.script)
def test_each_last_line_parses_and_is_judged(bench):
    match = re.fullmatch(bench.pattern, LAST_LINES[bench.script])
    assert match is not None
    values = {k: float(v) for k, v in match.groupdict().items()}
    assert bench.met(values) is MET[bench.script]
    assert bench.figure.format(**match.groupdict())


def test_every_script_is_in_the_table():
    from pathlib import Path

    scripts = {p.name for p in (Path(__file__).parents[1] / "bench").glob("*.py")}
    assert {b.script for b in BENCHES} == scripts - {
        "all.py",
        "harness.py",
        "bare_app.py",
        "__init__.py",
    }
