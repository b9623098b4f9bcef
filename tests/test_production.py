"""Production fails closed: unsafe settings stop every process before it serves anyone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from config.settings import UnsafeSettings, load_settings
from gateway.app import create_app
from models.registry import Group, add_group, add_member
from models.users import DEMO_USER, add_user
from workers import runtime

ROOT = Path(__file__).resolve().parents[1]
KEY = "k" * 32
TOKEN = "t" * 24
SAFE = {
    "SATJA_ENV": "production",
    "SATJA_SECRET_KEY": KEY,
    "SATJA_CALLBACK_TOKEN": TOKEN,
    "SATJA_PIN_KEYS": "p" * 32,
}
PASSWORD = "ลับมาก-secret-1"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SATJA_ENV": "production", "SATJA_CALLBACK_TOKEN": TOKEN}, "SATJA_SECRET_KEY"),
        ({**SAFE, "SATJA_SECRET_KEY": "dev-only-not-secret"}, "SATJA_SECRET_KEY"),
        ({**SAFE, "SATJA_SECRET_KEY": "k" * 31}, "SATJA_SECRET_KEY"),
        ({**SAFE, "SATJA_CALLBACK_TOKEN": ""}, "SATJA_CALLBACK_TOKEN"),
        ({**SAFE, "SATJA_CALLBACK_TOKEN": "t" * 23}, "SATJA_CALLBACK_TOKEN"),
        ({**SAFE, "SATJA_SIMULATOR": "1"}, "SATJA_SIMULATOR"),
        # A real SMS backend is production whatever SATJA_ENV says.
        ({"SATJA_SMS_BACKEND": "africastalking", "AT_API_KEY": "x"}, "SATJA_SECRET_KEY"),
        ({"AT_API_KEY": "x", "SATJA_SECRET_KEY": KEY}, "SATJA_CALLBACK_TOKEN"),
    ],
)
def test_unsafe_production_settings_are_refused_by_name(env, named, tmp_path):
    settings = load_settings({**env, "SATJA_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(UnsafeSettings, match=named):
        create_app(settings)
    with pytest.raises(UnsafeSettings, match=named):
        runtime.install(settings)


def test_safe_production_settings_start(tmp_path, database_url):
    settings = load_settings(
        {**SAFE, "DATABASE_URL": database_url, "SATJA_INSTANCE_PATH": str(tmp_path)}
    )
    assert settings.production and not settings.simulator_enabled
    create_app(settings).extensions["satja.db"].dispose()


def test_development_needs_no_secrets(tmp_path):
    assert not load_settings({"SATJA_INSTANCE_PATH": str(tmp_path)}).production


@pytest.mark.parametrize("command", [["worker"], ["cron"], ["db", "upgrade"]])
def test_every_process_refuses_in_one_line_and_exits_non_zero(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SATJA_", "AT_"))}
    env.update(
        SATJA_SMS_BACKEND="africastalking", AT_API_KEY="x", SATJA_INSTANCE_PATH=str(tmp_path)
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "gateway", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("satja: refusing to start: SATJA_SECRET_KEY")


@pytest.fixture
def production_app(database_url, tmp_path, redis_conn, embedded_redis):
    env = {
        **SAFE,
        "DATABASE_URL": database_url,
        "SATJA_INSTANCE_PATH": str(embedded_redis or tmp_path),
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    app = create_app(load_settings(env))
    app.config.update(TESTING=True)
    yield app
    app.extensions["satja.db"].dispose()


def test_demo_seed_refuses_in_production(production_app):
    result = production_app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "production" in result.output
    with production_app.extensions["satja.db"].transaction() as session:
        assert session.scalars(select(Group)).all() == []


def test_a_demo_login_is_refused_in_production(production_app):
    with production_app.extensions["satja.db"].transaction() as session:
        group = add_group(session, "BANNA", "กองทุนบ้านนา")
        chair = add_member(
            session, group, name="สมศรี", phone="0811000001", joined_on=group.created_at.date()
        )
        add_user(session, DEMO_USER, "สาธิต", PASSWORD, group, "th", chair)
        add_user(session, "somsri", "สมศรี", PASSWORD, group, "th", chair)
    client = production_app.test_client()

    def log_in(username):
        page = client.get("/dashboard/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"username": username, "password": PASSWORD, "csrf_token": csrf}
        return client.post("/dashboard/login", data=form).status_code

    assert log_in(DEMO_USER) == 401
    assert log_in("somsri") == 302


def test_each_gunicorn_process_freezes_what_loading_the_app_made(tmp_path):
    """The repo's gunicorn settings: the collector's full passes stop walking the app."""
    script = (
        "import gc, runpy; hooks = runpy.run_path('config/gunicorn_conf.py'); import gateway; "
        "before = gc.get_freeze_count(); hooks['post_worker_init'](None); "
        "print(before, gc.get_freeze_count())"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}  # none made for it
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = map(int, done.stdout.split())
    assert before == 0 and after > 10_000  # Flask, SQLAlchemy, RQ and the app: long-lived
