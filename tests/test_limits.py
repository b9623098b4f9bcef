"""The per-phone USSD limit and the dashboard login throttle, at their edges."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from people import hop
from sqlalchemy import func, select

from gateway.ussd import SLOW_DOWN
from models.registry import Group
from models.users import add_user
from models.ussd import UssdHop

PASSWORD = "ลับมาก-secret-1"
# Mid-minute and standing still: the limits count per clock minute.
MID_MINUTE = dt.datetime(2026, 11, 16, 3, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def settings(settings):
    """A small USSD budget, so the test reaches it in a few hops."""
    return settings.with_(ussd_hops_per_minute=3)


@pytest.fixture
def still_clock():
    with time_machine.travel(MID_MINUTE, tick=False):
        yield


def hops_stored(db):
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(UssdHop))


def test_too_many_hops_in_a_minute_get_a_polite_end_and_change_nothing(
    client, db, fund, still_clock
):
    phone, other = fund["member"][2], fund["member_en"][2]
    answers = [hop(client, phone, "", f"s{i}")[1] for i in range(3)]
    assert all(a.startswith("CON ") for a in answers)
    stored = hops_stored(db)
    assert hop(client, phone, "", "s3") == (200, SLOW_DOWN)
    assert hops_stored(db) == stored  # the refused hop wrote nothing
    assert hop(client, other, "", "s4")[1].startswith("CON ")  # another phone goes on
    with time_machine.travel(MID_MINUTE + dt.timedelta(minutes=1), tick=False):
        assert hop(client, phone, "", "s5")[1].startswith("CON ")  # a new minute, a new budget


def log_in(client, username, password):
    page = client.get("/dashboard/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": username, "password": password, "csrf_token": csrf}
    return client.post("/dashboard/login", data=form)


def test_the_eleventh_login_in_a_minute_is_refused_even_with_the_right_password(
    app, db, fund, still_clock
):
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_user(session, "somsri", "สมศรี", PASSWORD, group, "th")
        add_user(session, "other", "คนอื่น", PASSWORD, group, "th")
    client = app.test_client()
    # Right passwords, so the account's own lock (wrong tries) stays out of it.
    assert [log_in(client, "somsri", PASSWORD).status_code for _ in range(10)] == [302] * 10
    assert log_in(client, "somsri", PASSWORD).status_code == 429
    assert log_in(app.test_client(), "other", PASSWORD).status_code == 302  # others go on
    with time_machine.travel(MID_MINUTE + dt.timedelta(minutes=1), tick=False):
        assert log_in(app.test_client(), "somsri", PASSWORD).status_code == 302
