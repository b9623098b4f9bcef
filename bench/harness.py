"""Shared by the HTTP benchmarks: gunicorn on loopback, and a bounded load driver."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Production's settings file, for its hooks (the collector's freeze, the metrics' files),
# with what a benchmark must not have: log lines on the terminal, workers recycled mid-run.
GUNICORN = ["--config", "config/gunicorn_conf.py", "--log-level", "warning", "--max-requests", "0"]
QUIET = {"GUNICORN_ACCESS_LOG": ""}


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


def waits(database_url: str, redis_url: str, samples: int = 200) -> str:
    """The machine's round trips now, median microseconds: Redis, PostgreSQL, a commit.

    A hop that goes to Redis or the database waits for them; on this shared VM those
    waits change from day to day more than its CPU does (bench/RESULTS.md), and the line
    says which day a run met.
    """
    from redis import Redis
    from sqlalchemy import create_engine

    def median(call: Callable[[], object]) -> float:
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1e6)
        return statistics.median(times)

    redis = Redis.from_url(redis_url)
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        redis_us = median(redis.ping)
        with engine.connect() as conn:
            select = conn.connection.driver_connection
            database_us = median(lambda: select.execute("SELECT 1").fetchone())
            # A logged row, each its own transaction: the commit waits for the WAL's flush.
            select.execute("CREATE TABLE IF NOT EXISTS bench_commit (n integer)")
            commit_us = median(lambda: select.execute("INSERT INTO bench_commit VALUES (1)"))
            select.execute("DROP TABLE bench_commit")
    finally:
        redis.close()
        engine.dispose()
    return (
        f"machine: Redis round trip {redis_us:.0f} us, PostgreSQL round trip "
        f"{database_us:.0f} us, commit {commit_us:.0f} us (medians of {samples})"
    )


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn serving one app on loopback; stops on exit from the with block."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        *,
        workers: int | None = 4,
        threads: int = 4,
        worker_class: str = "gthread",
    ) -> None:
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            *GUNICORN,
            f"--worker-class={worker_class}",
            # None: config/gunicorn_conf.py's count (WEB_CONCURRENCY, else 2 x cores + 1).
            *([f"--workers={workers}"] if workers is not None else []),
            f"--threads={threads}",
            "--bind",
            f"127.0.0.1:{self.port}",
            app,
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **QUIET, **env})

    def __enter__(self) -> Server:
        # An answer, not a connection: gunicorn's master takes connections before any
        # worker has loaded the app, and a warm-up timed from there warmed nothing.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    if sock.recv(16).startswith(b"HTTP/"):
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def cpu_seconds(self) -> float:
        """User and system CPU time of gunicorn's master and its live workers (Linux /proc)."""
        return sum(_cpu(pid) for pid in (self.process.pid, *_children(self.process.pid)))


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:  # a worker gone between the listing and the read
        return 0.0
    # utime and stime are the 14th and 15th fields of stat; two are before the ")".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    keep_alive: bool = True,
    resume: list[int] | None = None,
) -> Stats:
    """POST forms from `concurrency` clients for a fixed time; bounded.

    `resume`: where each client's walk stands (its next `n`), read at the start and left
    at the end, so that a walk paused by one window goes on in the next.
    """
    # One asyncio loop: threads would queue on the GIL behind each other and count that
    # wait as the server's latency. Without keep_alive each request comes on a new
    # connection, as from a proxy that keeps none to its upstream.
    return asyncio.run(_drive(port, path, form, concurrency, seconds, expect, keep_alive, resume))


async def _drive(
    port: int,
    path: str,
    form: Callable[[int, int], dict[str, str]],
    concurrency: int,
    seconds: float,
    expect: Callable[[int, bytes], bool],
    keep_alive: bool,
    resume: list[int] | None,
) -> Stats:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]

    async def client(worker: int) -> None:
        connection = None
        n = resume[worker] if resume else 0
        while time.monotonic() < stop:
            body = urlencode(form(worker, n)).encode()
            request = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                + ("" if keep_alive else "Connection: close\r\n")
                + f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            try:
                connection = connection or await asyncio.open_connection("127.0.0.1", port)
                status, data, keep = await asyncio.wait_for(_exchange(*connection, request), 10)
                ok = expect(status, data)
            except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError):
                keep, ok = False, False
            if not (keep and keep_alive) and connection is not None:
                connection[1].close()
                connection = None
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors[0] += 1
            n += 1
        if connection is not None:
            connection[1].close()
        if resume:
            resume[worker] = n

    begun = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return Stats(len(latencies), time.monotonic() - begun, latencies, errors[0])


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 request and its response: status, body, and whether to keep going."""
    writer.write(request)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length, keep = 0, True
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            keep = False
    return status, await reader.readexactly(length), keep
