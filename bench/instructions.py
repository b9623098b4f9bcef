"""Instructions per USSD hop, counted by callgrind: the figure the machine's speed does not move.

Hops/s and CPU ms on this shared VM move by a third between runs (bench/RESULTS.md), more
than most changes do. Instructions do not: the same tree counts the same to 0.1%. Each
path runs in its own process under `valgrind --tool=callgrind`, the gateway's WSGI app
called directly (no HTTP, no gunicorn) on PostgreSQL and Redis (DATABASE_URL, REDIS_URL;
a scratch database `satja_bench_instructions` is made and REDIS_URL's database emptied,
as bench/ussd.py does); only the measured hops are counted (a
small C helper, built here with gcc, switches callgrind's counting on around each call).
The bare Flask endpoint of bench/ussd.py is counted the same way, as the baseline:

    instructions balance: <n>/hop vs bare <m>/hop ratio=<m/n>
    instructions payment: <n>/hop vs bare <m>/hop ratio=<m/n>

No target: use it to compare two trees (instructions are user space only; the kernel's
share of a hop, its sockets, is not in them). Needs valgrind with its headers, and gcc.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HELPER = """
#include <valgrind/callgrind.h>
void count_on(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void count_off(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_STOP_INSTRUMENTATION; }
"""
CHILD = "SATJA_INSTRUCTIONS_CHILD"  # set in the process that valgrind runs
TOTAL = re.compile(r"Collected : (\d+)")


def environ(form: dict[str, str]) -> dict[str, object]:
    """A WSGI environ for a POST of `form` to /ussd, as gunicorn would make it."""
    body = urlencode(form).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/ussd",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def walk(
    app: Callable,
    phones: list[str],
    path: list[str],
    rounds: int,
    tag: str,
    count: tuple[Callable[[], object], Callable[[], object]] | None = None,
) -> None:
    """Every caller walks `path` `rounds` times; `count` (on, off) around each call."""
    for n in range(rounds):
        for i, phone in enumerate(phones):
            for text in path:
                form = {
                    "sessionId": f"{tag}-{n}-{i}",
                    "serviceCode": "*1234#",
                    "phoneNumber": phone,
                    "networkCode": "52001",
                    "text": text,
                }
                env = environ(form)
                if count:
                    count[0]()
                answer = app(env, lambda *_a: None)
                try:
                    body = b"".join(answer)
                finally:
                    answer.close()  # as a WSGI server does: a call_on_close runs, and counts
                if count:
                    count[1]()
                if not body.startswith((b"CON ", "END แจ้งแล้ว".encode())):
                    raise SystemExit(f"unexpected answer to {text!r}: {body[:80]!r}")


def child(helper: str, which: str, rounds: int, callers: int, scratch: str) -> None:
    """In valgrind: seed, warm up uncounted, then walk counted; print the hops counted."""
    import gc

    from bench.bare_app import create_app as bare_app
    from bench.ussd import BALANCE, PAYMENT, scratch_fund
    from gateway import create_app

    settings, phones = scratch_fund(scratch, callers)
    app = bare_app() if which == "bare" else create_app(settings)
    path = PAYMENT if which == "payment" else BALANCE
    gc.collect()
    gc.freeze()  # as gunicorn's post_worker_init does
    lib = ctypes.CDLL(helper)
    walk(app, phones, path, 2, f"warm-{which}")
    walk(app, phones, path, rounds, f"run-{which}", (lib.count_on, lib.count_off))
    print(f"hops {rounds * len(phones) * len(path)}")


def count(helper: str, which: str, args: argparse.Namespace) -> float:
    """Run one path under callgrind; its instructions per hop."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out",
            sys.executable,
            __file__,
            which,
            f"--rounds={args.rounds}",
            f"--callers={args.callers}",
            f"--scratch={args.scratch}",
        ]
        env = {**os.environ, CHILD: helper, "PYTHONHASHSEED": "0"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    hops = re.search(r"^hops (\d+)$", done.stdout, re.M)
    total = TOTAL.search(done.stderr)
    if done.returncode or not hops or not total:
        raise SystemExit(f"{which} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return int(total.group(1)) / int(hops.group(1))


def main() -> None:
    """Count each path and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=("balance", "payment", "bare"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--scratch", default="satja_bench_instructions")
    args = parser.parse_args()
    if os.environ.get(CHILD):
        child(os.environ[CHILD], args.which, args.rounds, args.callers, args.scratch)
        return
    with tempfile.TemporaryDirectory() as build:
        source, helper = Path(build, "count.c"), Path(build, "count.so")
        source.write_text(HELPER)
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", helper, source], check=True)
        bare = count(str(helper), "bare", args)
        for which in ("balance", "payment"):
            per_hop = count(str(helper), which, args)
            print(
                f"instructions {which}: {per_hop:,.0f}/hop vs bare {bare:,.0f}/hop "
                f"ratio={bare / per_hop:.2f}"
            )


if __name__ == "__main__":
    main()
