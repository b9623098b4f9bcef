"""Debian's Kannel on loopback for a test: bearerbox, smsbox and fakesmsc as the operator.

The boxes run config/kannel/kannel.conf itself, with its SMPP account swapped for the
fake SMSC and its ports, paths and URLs moved to free loopback ports of the test's own.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "config" / "kannel" / "kannel.conf"
BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
INSTALLED = all(Path(p).exists() for p in (BEARERBOX, SMSBOX, FAKESMSC))
USERNAME, PASSWORD = "satja", "sendsms-secret"
FAKE_SMSC = """group = smsc
smsc = fake
smsc-id = operator
port = {smsc_port}
connect-allow-ip = 127.0.0.1
"""


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """True when something accepts connections on the loopback port."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, seconds: float = 20.0, every: float = 0.05) -> bool:
    """Poll until the predicate holds or the time is up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def _set(conf: str, key: str, value: str) -> str:
    """Every `key = ...` line set to value; the sample must have the key (or it has rotted)."""
    conf, n = re.subn(rf"^{re.escape(key)} = .*$", f"{key} = {value}", conf, flags=re.M)
    assert n, f"config/kannel/kannel.conf has no {key}"
    return conf


def rig_config(folder: Path, ports: dict[str, int], satja_url: str, token: str) -> str:
    """The sample configuration as this test runs it."""
    conf = SAMPLE.read_text()
    smsc = re.compile(r"^group = smsc\n.*?(?=^group = )", re.M | re.S)
    assert smsc.search(conf), "config/kannel/kannel.conf has no smsc group"
    assert "smsc = smpp" in conf, "the sample's smsc is not SMPP"
    conf = smsc.sub(FAKE_SMSC.format(smsc_port=ports["smsc"]) + "\n", conf, count=1)
    conf = _set(conf, "admin-port", str(ports["admin"]))
    conf = _set(conf, "smsbox-port", str(ports["smsbox"]))
    conf = _set(conf, "sendsms-port", str(ports["sendsms"]))
    conf = _set(conf, "store-location", f'"{folder / "store"}"')
    conf = _set(conf, "password", f'"{PASSWORD}"')
    conf = _set(conf, "username", USERNAME)
    conf = _set(conf, "http-queue-delay", "1")  # smsbox retries a failed call after 1 s
    conf = re.sub(
        r'^log-file = ".*/(\w+)\.log"$', rf'log-file = "{folder}/\1.log"', conf, flags=re.M
    )
    get_url = re.search(r'^get-url = "https://satja\.example\.org(/[^?"]+)\?(.*)"$', conf, re.M)
    assert get_url, "the sample's get-url does not point at Satja"
    path, query = get_url.groups()
    query = re.sub(r"token=[^&]*", f"token={token}", query)
    conf = _set(conf, "get-url", f'"{satja_url}{path}?{query}"')
    return conf


def decode(line: str) -> tuple[str, str, str]:
    """fakesmsc's 'Got message' line as (sender, receiver, text)."""
    body = line.split(": <", 1)[1].rstrip(">\n")
    sender, receiver, kind, rest = body.split(" ", 3)
    if kind == "udh":  # one part of a long message: its header, then its bytes ("data")
        _, kind, rest = rest.split(" ", 2)
    raw = unquote_to_bytes(rest.replace("+", " "))  # form-encoded: + is the byte 0x20
    # Satja's only binary messages are UCS-2 parts of long Thai ones.
    return sender, receiver, raw.decode("utf-8" if kind == "text" else "utf-16-be")


@dataclass
class Kannel:
    """One test's bearerbox and smsbox, and fakesmsc playing the operator."""

    folder: Path
    satja_url: str
    token: str
    ports: dict[str, int] = field(default_factory=dict)
    boxes: list[subprocess.Popen] = field(default_factory=list)
    operator: subprocess.Popen | None = None
    received: list[tuple[str, str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    conf: Path | None = None

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in ("admin", "smsbox", "sendsms", "smsc")}
        (self.folder / "store").mkdir(parents=True, exist_ok=True)
        self.conf = self.folder / "kannel.conf"
        self.conf.write_text(rig_config(self.folder, self.ports, self.satja_url, self.token))

    @property
    def sendsms_url(self) -> str:
        """smsbox's sendsms."""
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    def start(self) -> None:
        """Start bearerbox, then smsbox; return once sendsms answers."""
        log = open(self.folder / "boxes.out", "ab")  # noqa: SIM115 (held by the processes)
        self.boxes.append(subprocess.Popen([BEARERBOX, str(self.conf)], stdout=log, stderr=log))
        assert wait_for(lambda: listening(self.ports["smsbox"])), "bearerbox did not start"
        self.boxes.append(subprocess.Popen([SMSBOX, str(self.conf)], stdout=log, stderr=log))
        assert wait_for(lambda: listening(self.ports["sendsms"])), "smsbox did not start"

    def stop(self) -> None:
        """Stop both boxes (and so the operator's link) and wait for them."""
        for box in reversed(self.boxes):
            box.terminate()
        for box in self.boxes:
            try:
                box.wait(10)
            except subprocess.TimeoutExpired:
                box.kill()
                box.wait()
        self.boxes.clear()
        self.disconnect()

    def connect(self) -> None:
        """Bring the operator up: fakesmsc connects and reads messages from its stdin."""
        command = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["smsc"]), "-i", "0.01"]
        self.operator = subprocess.Popen(
            [*command, "-m", "1000"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="latin-1",
        )
        threading.Thread(target=self._read, args=(self.operator,), daemon=True).start()

    def _read(self, operator: subprocess.Popen) -> None:
        for line in operator.stdout:
            if "Got message" in line:
                self.lines.append(line)
                self.received.append(decode(line))

    def disconnect(self) -> None:
        """Take the operator down."""
        if self.operator is not None:
            if self.operator.poll() is None:
                self.operator.terminate()
            self.operator.wait(10)
            self.operator = None

    def phone_sends(self, phone: str, text: str, to: str = "4567") -> None:
        """A phone sends an SMS to the fund's number (ASCII as text, else UCS-2)."""
        if text.isascii():
            line = f"{phone} {to} text {text}\n"
        else:
            line = f"{phone} {to} ucs2 {''.join(f'%{b:02X}' for b in text.encode('utf-16-be'))}\n"
        self.operator.stdin.write(line)
        self.operator.stdin.flush()

    def to(self, phone: str) -> list[str]:
        """The texts the operator was given for a phone, in order."""
        return [text for _, receiver, text in self.received if receiver == phone]
