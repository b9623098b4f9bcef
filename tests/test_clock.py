"""One clock: the app's days are Bangkok days, and tests never read the machine's clock."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
import time_machine

from models.clock import local_today

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

TESTS = Path(__file__).parent

# Calls that read the machine's date or time. Tests take "today" from models.clock
# (local_today) and "now" from models.base.utcnow, or freeze the clock with time_machine.
MACHINE_CLOCK = {
    "date.today",
    "datetime.today",
    "datetime.now",
    "datetime.utcnow",
    "time.time",
    "time.time_ns",
    "time.localtime",
    "time.gmtime",
}


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def machine_clock_calls(source: str) -> list[tuple[int, str]]:
    """Lines of `source` that read the machine's clock."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if any(name == c or name.endswith("." + c) for c in MACHINE_CLOCK):
                found.append((node.lineno, name))
    return found


def module_level_clock_reads(source: str) -> list[tuple[int, str]]:
    """Lines that read any clock at import time, before a test can freeze it."""
    found = []
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                name = _dotted(node.func).rsplit(".", 1)[-1]
                if name in ("local_today", "utcnow"):
                    found.append((node.lineno, name))
    return found


def test_no_test_reads_the_clock_at_import_time():
    offenders = [
        f"{path.name}:{line}: {name}() at import"
        for path in sorted(TESTS.glob("*.py"))
        for line, name in module_level_clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "take the `today` fixture, or call the clock inside the test"


def test_the_import_time_rule_catches_a_module_constant():
    source = (
        "from models.clock import local_today\nTODAY = local_today()\ndef f():\n    local_today()"
    )
    assert module_level_clock_reads(source) == [(2, "local_today")]


def test_no_test_reads_the_machine_clock():
    offenders = [
        f"{path.name}:{line}: {name}()"
        for path in sorted(TESTS.glob("*.py"))
        if path.name != Path(__file__).name
        for line, name in machine_clock_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use models.clock.local_today / models.base.utcnow instead"


@pytest.mark.parametrize(
    "source",
    [
        "import datetime as dt\nx = dt.date.today()",
        "from datetime import date\nx = date.today()",
        "import datetime\nx = datetime.datetime.now(datetime.UTC)",
        "import time\nx = time.time()",
    ],
)
def test_the_clock_rule_catches_each_spelling(source):
    assert machine_clock_calls(source)


def test_the_clock_rule_leaves_the_apps_clock_alone():
    source = "from models.clock import local_today\nx = local_today()\ny = time.monotonic()"
    assert machine_clock_calls(source) == []


@pytest.mark.parametrize(
    ("instant", "bangkok_day"),
    [
        ("2026-11-30T16:59:00+00:00", dt.date(2026, 11, 30)),  # 23:59 in Bangkok
        ("2026-11-30T17:00:00+00:00", dt.date(2026, 12, 1)),  # midnight in Bangkok
        ("2026-11-30T19:30:00+00:00", dt.date(2026, 12, 1)),  # the evening the issue was seen
        ("2028-02-28T17:01:00+00:00", dt.date(2028, 2, 29)),  # a leap day begins
        ("2026-12-31T17:01:00+00:00", dt.date(2027, 1, 1)),  # a year begins, still 2026 in UTC
    ],
)
def test_today_is_the_bangkok_day_whatever_the_machine_says(instant, bangkok_day):
    with time_machine.travel(dt.datetime.fromisoformat(instant), tick=False):
        assert local_today() == bangkok_day
