"""The alert rules: promtool's own tests of them, and every metric they name exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from workers import runtime
from workers.backups import nightly_backup
from workers.reconcile import reconcile_night
from workers.relay import run as relay
from workers.schedule import tick

pytestmark = pytest.mark.clock
RULES = Path(__file__).resolve().parents[1] / "config" / "prometheus"
PROMTOOL = shutil.which("promtool")


def promtool(*args: str) -> subprocess.CompletedProcess:
    if PROMTOOL is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing (Debian's prometheus package; .ci/run installs it)")
        pytest.skip("promtool is missing: apt-get install prometheus")
    return subprocess.run([PROMTOOL, *args], cwd=RULES, capture_output=True, text=True, check=False)


def test_the_rules_are_valid():
    done = promtool("check", "rules", "satja.rules.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_alert_fires_when_it_should_and_only_then():
    done = promtool("test", "rules", "satja.rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_is_tested_and_described_in_the_readme():
    rules = (RULES / "satja.rules.yml").read_text()
    tests = (RULES / "satja.rules.test.yml").read_text()
    readme = (RULES.parents[1] / "README.md").read_text()
    alerts = re.findall(r"- alert: (\w+)", rules)
    assert len(alerts) >= 10
    for alert in alerts:
        assert f"alertname: {alert}" in tests, alert
        assert f"`{alert}`" in readme, alert


def test_every_metric_the_rules_name_is_served(
    client, db, fund, settings, redis_conn, today, tmp_path
):
    current = runtime.install(settings.with_(backup_dir=tmp_path / "nightly"))
    try:
        reconcile_night(today.isoformat())
        tick()
        nightly_backup(today.isoformat())
        passes = iter([False, True])
        relay(redis_conn, lambda: next(passes))  # one pass of the relay: its mark
    finally:
        runtime.uninstall()
    assert current is not None
    served = set()
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        served.add(family.name)
        served.add(family.name + ("_total" if family.type == "counter" else ""))
        served.update(sample.name for sample in family.samples)
    named = set(re.findall(r"\bsatja_\w+", (RULES / "satja.rules.yml").read_text()))
    assert named and named <= served, named - served
