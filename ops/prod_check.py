"""`make prod-check`: the production set on this machine's PostgreSQL and Redis, under load.

Starts, from the Procfile through honcho, the gateway under gunicorn (two processes),
two RQ workers and the one cron, on a scratch database `satja_prodcheck` (DATABASE_URL's
server) and Redis db 13 (REDIS_URL's server); seeds NAMKHAO; drives a short mixed load
of real callbacks (PAY, BAL, OK and RCV by SMS; balance and payment sessions by USSD,
PINs included); waits for the outbox to drain; and ends with `ledger check` and a
reconciliation that must find the books consistent. SMS go to the simulator backend
(no provider is reached from here). The last line:

    prod-check: <n> requests, <e> errors, <m> SMS sent, ledger ok, reconciliation done
"""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis import Redis
from sqlalchemy import create_engine, func, select, text

from bench.harness import DEFAULT_DATABASE, ROOT, free_port, scratch_database
from models.offices import OfficeTerm
from models.outbox import OutboundMessage
from models.registry import Member

SECONDS = float(os.environ.get("PROD_CHECK_SECONDS", "20"))
CLIENTS = 8
DECLARED = re.compile(r"#([0-9A-Z]{4,8})")


def flask(env: dict[str, str], *args: str) -> str:
    """Run a flask command of the app; its output, or exit with it on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "gateway", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Load:
    """Mixed traffic from a few clients; counts requests and errors."""

    def __init__(self, base: str, token: str, people: dict[str, list[tuple[int, str]]]) -> None:
        self.base, self.token, self.people = base, token, people
        self.requests = self.errors = 0
        self.lock = threading.Lock()
        self.refs: list[tuple[str, str]] = []  # (collector phone, declared ref)

    def post(self, path: str, form: dict[str, str]) -> str:
        """POST a callback with the token; counts it, and any answer but 200 as an error."""
        data = urllib.parse.urlencode(form).encode()
        url = f"{self.base}{path}?token={self.token}"
        try:
            with urllib.request.urlopen(url, data, timeout=15) as response:
                body, ok = response.read().decode(), response.status == 200
        except (urllib.error.URLError, TimeoutError) as exc:
            body, ok = str(exc), False
        with self.lock:
            self.requests += 1
            self.errors += 0 if ok else 1
        return body

    def sms(self, phone: str, body: str) -> str:
        """An inbound SMS from this phone."""
        return self.post(
            "/sms/inbound", {"from": phone, "to": "4567", "text": body, "id": secrets.token_hex(8)}
        )

    def ussd(self, phone: str, inputs: list[str]) -> str:
        """A whole USSD session, hop by hop; the last screen."""
        session, answer = secrets.token_hex(8), ""
        for hop in range(len(inputs) + 1):
            answer = self.post(
                "/ussd",
                {
                    "sessionId": session,
                    "serviceCode": "*1234#",
                    "phoneNumber": phone,
                    "networkCode": "52001",
                    "text": "*".join(inputs[:hop]),
                },
            )
        return answer

    def client(self, seed: int, stop: float) -> None:
        """One client's random mix until the stop time."""
        rng = random.Random(seed)
        members, collectors = self.people["member"], self.people["collector"]
        treasurer = self.people["treasurer"][0]
        while time.monotonic() < stop:
            roll = rng.random()
            number, phone = rng.choice(members)
            collector_no, collector = rng.choice(collectors)
            if roll < 0.35:
                self.sms(collector, f"PAY {number} {rng.choice((30, 60, 90))}")
            elif roll < 0.5:
                self.sms(phone, "BAL")
            elif roll < 0.7:
                self.ussd(phone, ["1", "98"])
            elif roll < 0.85:
                pick = str(collectors.index((collector_no, collector)) + 1)
                pin = f"{seed % 9 + 1}{rng.randrange(1000):03d}"
                screen = self.ussd(phone, ["2", "30", pick, pin, pin, "1"])
                if found := DECLARED.search(screen):
                    with self.lock:
                        self.refs.append((collector, found.group(1)))
            elif roll < 0.95 and self.refs:
                with self.lock:
                    who, ref = self.refs.pop()
                self.sms(who, f"OK {ref}")
            else:
                self.sms(treasurer[1], f"RCV {collector_no} 1")


def main() -> None:
    """Start the set, load it, drain it, check the books, stop it."""
    url = scratch_database(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE, "satja_prodcheck")
    redis_url = (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0").rsplit("/", 1)[
        0
    ] + "/13"
    Redis.from_url(redis_url).flushdb()
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SATJA_SMS_BACKEND": "simulator",
        "SATJA_CALLBACK_TOKEN": token,
        "SATJA_SECRET_KEY": secrets.token_hex(32),
        "SATJA_PIN_KEYS": secrets.token_hex(32),
        "SATJA_INSTANCE_PATH": tempfile.mkdtemp(prefix="satja-prodcheck-"),
        "SATJA_USSD_HOPS_PER_MINUTE": "100000",  # the load comes from a handful of phones
        "SATJA_SMS_PER_MINUTE": "100000",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "warning",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    flask(env, "db", "upgrade")
    print("seeding NAMKHAO on PostgreSQL ...", flush=True)
    flask(env, "demo", "seed")
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(OfficeTerm.office, Member.number, Member.phone)
            .outerjoin(OfficeTerm, OfficeTerm.member_id == Member.id)
            .order_by(Member.number)
            .limit(80)
        ).all()
    people: dict[str, list[tuple[int, str]]] = {}
    for office, number, phone in rows:  # a member with no office is "member"
        people.setdefault(office or "member", []).append((number, phone))
    people["member"] = people["member"][:60]
    honcho = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "honcho",
            "start",
            "-f",
            "Procfile",
            "-c",
            "worker=2",
            "web",
            "worker",
            "relay",
            "cron",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                sys.exit("the gateway did not come up")
            time.sleep(0.5)
        load = Load(base, token, people)
        stop = time.monotonic() + SECONDS
        threads = [threading.Thread(target=load.client, args=(i, stop)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(
            f"load: {load.requests} requests in {SECONDS:.0f} s, {load.errors} errors", flush=True
        )
        waiting = select(func.count()).where(
            OutboundMessage.status.in_(("queued", "sending")), OutboundMessage.not_before.is_(None)
        )
        deadline = time.monotonic() + 120
        with engine.connect() as conn:
            while (left := conn.scalar(waiting)) and time.monotonic() < deadline:
                time.sleep(1)
            sent = conn.scalar(
                select(func.count()).where(OutboundMessage.status.in_(("sent", "delivered")))
            )
        if left:
            sys.exit(f"{left} messages still unsent after two minutes")
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        honcho.wait(timeout=60)
    print(flask(env, "ledger", "check").strip().splitlines()[-1])
    print(flask(env, "reconcile", "run").strip())
    with engine.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM reconcile_runs")).scalars().all()
    engine.dispose()
    if load.errors or set(statuses) != {"done"}:
        sys.exit(f"prod-check FAILED: {load.errors} errors, runs {statuses}")
    print(
        f"prod-check: {load.requests} requests, {load.errors} errors, {sent} SMS sent, "
        "ledger ok, reconciliation done"
    )


if __name__ == "__main__":
    main()
