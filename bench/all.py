"""Run every benchmark and print one table: figure, baseline, ratio, target, met.

Each script runs once, in its own process (its output goes to stderr as it comes); each
row is the line of its output that matches the row's pattern (ussd.py gives two rows).
`make bench` runs this. A script that fails is shown as failed and the exit status is 1.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    """A script, how to read its result line, and its target."""

    script: str
    pattern: str
    figure: str  # what the figure is, with {value}
    baseline: str  # what it is measured against, with {base}
    target: str
    met: Callable[[dict[str, float]], bool]  # over the named groups, as floats
    label: str = ""  # the row's name when a script gives several

    @property
    def name(self) -> str:
        """The row's name in the table."""
        return f"{self.script} {self.label}".strip()


BENCHES = (
    Bench(
        "ledger_post.py",
        r"ledger_post: (?P<value>[\d.]+)/s vs raw insert (?P<base>[\d.]+)/s"
        r" ratio=(?P<ratio>[\d.]+)",
        "{value} transfers/s",
        "{base} raw inserts/s",
        "ratio >= 0.5",
        lambda v: v["ratio"] >= 0.5,
    ),
    Bench(
        "sms.py",
        r"sms: (?P<value>[\d.]+) PAY/s vs bare (?P<base>[\d.]+)/s ratio=(?P<ratio>[\d.]+)",
        "{value} PAY/s",
        "{base} bare req/s",
        ">= 200 PAY/s",
        lambda v: v["value"] >= 200,
    ),
    Bench(
        "ussd.py",
        r"ussd balance: (?P<value>[\d.]+) hops/s p99 (?P<p99>[\d.]+) ms vs bare (?P<base>[\d.]+)"
        r" hops/s ratio=(?P<ratio>[\d.]+)",
        "{value} hops/s, p99 {p99} ms",
        "{base} bare hops/s",
        "p99 <= 50 ms, ratio >= 0.5",
        lambda v: v["p99"] <= 50 and v["ratio"] >= 0.5,
        "balance",
    ),
    Bench(
        "ussd.py",
        r"ussd payment: (?P<value>[\d.]+) hops/s p99 (?P<p99>[\d.]+) ms vs bare (?P<base>[\d.]+)"
        r" hops/s ratio=(?P<ratio>[\d.]+)",
        "{value} hops/s, p99 {p99} ms",
        "{base} bare hops/s",
        "p99 <= 100 ms, ratio >= 0.4",
        lambda v: v["p99"] <= 100 and v["ratio"] >= 0.4,
        "payment",
    ),
    Bench(
        "reconcile.py",
        r"reconcile: night (?P<value>[\d.]+) s, month (?P<month>[\d.]+) s vs bare aggregate"
        r" (?P<base>[\d.]+) s ratio=(?P<ratio>[\d.]+)",
        "night {value} s, month {month} s",
        "{base} s bare aggregate",
        "night <= 5 s, national <= 600 s",
        lambda v: v["value"] <= 5 and v["value"] * 4_000_000 / 25_505 <= 600,
    ),
    Bench(
        "projection.py",
        r"projection: (?P<value>[\d.]+) s for (?P<members>\d+) members vs bare read"
        r" (?P<base>[\d.]+) s ratio=(?P<ratio>[\d.]+)",
        "{value} s for {members} members",
        "{base} s bare read",
        "< 2 s",
        lambda v: v["value"] < 2,
    ),
)


def run(script: str) -> tuple[int, list[str]]:
    """Run one script; its exit status and the lines it printed."""
    process = subprocess.run(
        [sys.executable, str(HERE / script)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    sys.stderr.write(process.stdout)
    return process.returncode, process.stdout.strip().splitlines()


def row(bench: Bench, status: int, lines: list[str]) -> list[str]:
    """A bench's row of the table, from its script's output."""
    found = [m for line in lines if (m := re.fullmatch(bench.pattern, line))]
    match = found[-1] if found else None
    if status != 0 or match is None:
        return [bench.name, "FAILED", "", "", bench.target, "no"]
    values = {k: float(v) for k, v in match.groupdict().items()}
    met = bench.met(values)
    return [
        bench.name,
        bench.figure.format(**match.groupdict()),
        bench.baseline.format(**match.groupdict()),
        match["ratio"],
        bench.target,
        "yes" if met else "NO",
    ]


def main() -> None:
    """Run them all, then print the table."""
    header = ["script", "figure", "baseline (same run)", "ratio", "target", "met"]
    outputs: dict[str, tuple[int, list[str]]] = {}
    for bench in BENCHES:
        if bench.script not in outputs:
            outputs[bench.script] = run(bench.script)
    rows = [header, *(row(bench, *outputs[bench.script]) for bench in BENCHES)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if any(row[1] == "FAILED" for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
