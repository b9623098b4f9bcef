"""Dashboard sessions end when they should: logout, disabled logins, the language switch."""

from __future__ import annotations

import re

import pytest
from people import add_login
from sqlalchemy import select

from models.registry import Group

PASSWORD = "ลับมาก-secret-1"


@pytest.fixture
def logins(db, fund):
    """A BANNA committee login and a network one."""
    with db.transaction() as session:
        banna = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_login(session, "somsri", banna, fund["treasurer"][0], name="สมศรี ใจดี")
        add_login(session, "network", None, fund["treasurer"][0], lang="en", name="เครือข่าย")
    return fund


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username, password=PASSWORD):
    page = client.get("/dashboard/login").get_data(as_text=True)
    form = {"username": username, "password": password, "csrf_token": token(page)}
    return client.post("/dashboard/login", data=form)


def saved_cookie(client, app) -> str:
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def replay(app, cookie: str):
    """A fresh browser that presents a saved session cookie."""
    other = app.test_client()
    other.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return other.get("/dashboard/g/BANNA")


def test_a_saved_cookie_no_longer_works_after_logout(app, client, logins):
    log_in(client, "somsri")
    cookie = saved_cookie(client, app)
    assert replay(app, cookie).status_code == 200  # the copy works while the session is open
    page = client.get("/dashboard/g/BANNA").get_data(as_text=True)
    out = client.post("/dashboard/logout", data={"csrf_token": token(page)})
    assert out.status_code == 302 and out.location.endswith("/dashboard/login")
    stale = replay(app, cookie)
    assert stale.status_code == 302 and stale.location.endswith("/dashboard/login")
    # Logging in again opens a new session that works.
    assert log_in(client, "somsri").status_code == 302
    assert client.get("/dashboard/g/BANNA").status_code == 200


def test_a_disabled_login_cannot_log_in_and_its_open_sessions_end_at_once(
    app, client, runner, logins
):
    log_in(client, "somsri")
    assert client.get("/dashboard/g/BANNA").status_code == 200
    done = runner.invoke(args=["users", "disable", "SomSri"])
    assert done.exit_code == 0 and done.output.strip().splitlines() == [
        "somsri can no longer log in; its open sessions have ended"
    ]
    ended = client.get("/dashboard/g/BANNA")
    assert ended.status_code == 302 and ended.location.endswith("/dashboard/login")
    assert log_in(client, "somsri").status_code == 401
    # The other login is untouched.
    assert log_in(client, "network").status_code == 302


@pytest.mark.parametrize(
    ("args", "code", "output"),
    [
        (["users", "disable", "nobody"], 1, "Error: no login nobody"),
        (["users", "disable"], 2, "Missing argument 'USERNAME'"),
    ],
)
def test_disabling_an_unknown_login_says_so_and_changes_nothing(runner, logins, args, code, output):
    before = runner.invoke(args=["users", "list"]).output
    result = runner.invoke(args=args)
    assert result.exit_code == code and output in result.output
    assert runner.invoke(args=["users", "list"]).output == before


def test_users_list_shows_every_login_one_line_each(runner, logins):
    runner.invoke(args=["users", "disable", "network"])
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "network\tเครือข่าย\t(network)\ten\tdisabled",
        "somsri\tสมศรี ใจดี\tBANNA\tth\tactive",
    ]


HOME = "/dashboard/"


@pytest.mark.parametrize(
    ("referrer", "back"),
    [
        (None, HOME),
        ("http://localhost/dashboard/g/BANNA/claims", "/dashboard/g/BANNA/claims"),
        ("http://localhost/dashboard/g/BANNA/members?q=12", "/dashboard/g/BANNA/members?q=12"),
        ("/dashboard/g/BANNA", "/dashboard/g/BANNA"),
        ("https://evil.example/dashboard/", HOME),
        ("http://localhost.evil.example/dashboard/", HOME),
        ("//evil.example/phish", HOME),
        ("http://localhost//evil.example/phish", HOME),
        ("/\\evil.example/phish", HOME),
        ("/\t/evil.example/phish", HOME),
        ("javascript:alert(1)", HOME),
        ("evil.example", HOME),
    ],
)
def test_the_language_switch_goes_back_only_to_a_page_of_this_site(client, logins, referrer, back):
    log_in(client, "somsri")
    headers = {"Referer": referrer} if referrer is not None else {}
    switched = client.get("/dashboard/lang/en", headers=headers)
    assert switched.status_code == 302
    assert switched.location == back
    assert "Fund balance" in client.get("/dashboard/g/BANNA").get_data(as_text=True)
