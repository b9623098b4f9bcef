"""Shared by the HTTP benchmarks: gunicorn on loopback, and a bounded load driver."""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [
    "--workers",
    "4",
    "--worker-class",
    "gthread",
    "--threads",
    "4",
    "--log-level",
    "warning",
]


DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"


def scratch_database(url: str, name: str) -> str:
    """Create an empty database `name` on the server of `url`; return its URL."""
    from sqlalchemy import create_engine, make_url, text

    from config.settings import load_settings

    admin = make_url(load_settings({"DATABASE_URL": url}).database_url)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn serving one app on loopback; stops on exit from the with block."""

    def __init__(self, app: str, env: dict[str, str]) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            *GUNICORN,
            "--bind",
            f"127.0.0.1:{self.port}",
            app,
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@dataclass
class Stats:
    """What a load run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds."""
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100)[int(p) - 1]


def drive(
    port: int,
    path: str,
    form: Callable[[int, int], dict[str, str]],
    *,
    concurrency: int = 32,
    seconds: float = 10.0,
    expect: Callable[[int, bytes], bool] = lambda status, _body: status == 200,
) -> Stats:
    """POST forms from `concurrency` keep-alive clients for a fixed time; bounded."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def client(worker: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while time.monotonic() < stop:
            body = urlencode(form(worker, n))
            started = time.perf_counter()
            try:
                conn.request(
                    "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
                )
                response = conn.getresponse()
                data = response.read()
                ok = expect(response.status, data)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
            n += 1
        conn.close()

    begun = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Stats(len(latencies), time.monotonic() - begun, latencies, errors[0])
