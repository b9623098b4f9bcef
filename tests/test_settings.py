"""Settings come from an environment mapping, with the embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


def test_embedded_defaults():
    settings = load_settings({"SATJA_INSTANCE_PATH": "/srv/satja"})
    assert settings.database_url == "sqlite:////srv/satja/satja.db"
    assert settings.embedded_database
    assert settings.redis_url is None
    assert settings.sms_backend == "simulator"
    assert settings.simulator_enabled
    assert settings.instance_path == Path("/srv/satja")


@pytest.mark.parametrize(
    "url",
    ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"],
)
def test_postgres_urls_name_the_driver(url):
    settings = load_settings({"DATABASE_URL": url})
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert not settings.embedded_database


def test_an_api_key_selects_africastalking_and_hides_the_simulator():
    settings = load_settings(
        {"AT_API_KEY": "sekret-api-key", "AT_USERNAME": "fund", "REDIS_URL": "redis://x"}
    )
    assert settings.sms_backend == "africastalking"
    assert not settings.simulator_enabled
    assert settings.redis_url == "redis://x"
    assert "sekret" not in repr(settings)


def test_an_unknown_backend_is_refused():
    with pytest.raises(SettingsError, match="SATJA_SMS_BACKEND"):
        load_settings({"SATJA_SMS_BACKEND": "carrier-pigeon"})
