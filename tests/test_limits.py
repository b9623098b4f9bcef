"""The per-phone USSD limit and the dashboard login throttle, at their edges."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from people import add_login, hop
from sqlalchemy import func, select

from gateway.flows.texts import TOO_MANY_SMS
from gateway.services.ussd import SLOW_DOWN
from models.ledger import Transfer
from models.outbox import OutboundMessage
from models.registry import Group
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
        add_login(session, "somsri", group, fund["treasurer"][0], name="สมศรี")
        add_login(session, "other", group, fund["member"][0], name="คนอื่น")
    client = app.test_client()
    # Right passwords, so the account's own lock (wrong tries) stays out of it.
    assert [log_in(client, "somsri", PASSWORD).status_code for _ in range(10)] == [302] * 10
    assert log_in(client, "somsri", PASSWORD).status_code == 429
    assert log_in(app.test_client(), "other", PASSWORD).status_code == 302  # others go on
    with time_machine.travel(MID_MINUTE + dt.timedelta(minutes=1), tick=False):
        assert log_in(app.test_client(), "somsri", PASSWORD).status_code == 302


def sms(client, phone, text, n):
    form = {"from": phone, "to": "4567", "text": text, "id": f"flood-{n}"}
    return client.post("/sms/inbound", data=form)


def test_a_flood_of_sms_from_one_phone_is_told_once_and_posts_nothing(
    app, client, db, fund, still_clock
):
    app.config["SATJA"] = app.config["SATJA"].with_(sms_per_minute=3)
    collector, member = fund["collector"][2], fund["member"][1]
    # Different amounts: the same PAY twice in 15 minutes would be asked about instead.
    assert all(
        sms(client, collector, f"PAY {member} {n + 1}", n).status_code == 200 for n in range(3)
    )
    with db.transaction() as session:
        posted = session.scalar(select(func.count()).select_from(Transfer))
        texts = session.scalar(select(func.count()).select_from(OutboundMessage))
    # The same number spelled three ways shares one budget.
    spellings = ["0811000002", "+66 81 100 0002", "๐๘๑๑๐๐๐๐๐๒", collector]
    for n, phone in enumerate(spellings, start=3):
        response = sms(client, phone, f"PAY {member} {n + 1}", n)
        assert response.status_code == 200 and response.get_data(as_text=True) == ""
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == posted
        told = session.scalars(select(OutboundMessage).where(OutboundMessage.id > texts)).all()
    assert [m.text for m in told] == [TOO_MANY_SMS]  # once, then silence
    with time_machine.travel(MID_MINUTE + dt.timedelta(minutes=1), tick=False):
        sms(client, collector, f"PAY {member} 9", 99)  # a new minute: posted again
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == posted + 1


def test_every_spelling_of_a_number_shares_one_ussd_budget(client, fund, still_clock):
    spellings = ["0811000004", "+66 81 100 0004", "๐๘๑๑๐๐๐๐๐๔"]
    answers = [hop(client, phone, "", f"sp-{n}")[1] for n, phone in enumerate(spellings)]
    assert all(a.startswith("CON ") for a in answers)
    assert hop(client, fund["member"][2], "", "sp-3")[1] == SLOW_DOWN


def test_the_login_budget_is_per_account_however_typed(app, db, fund, still_clock):
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_login(session, "somsri", group, fund["treasurer"][0], name="สมศรี")
    names = ["somsri", "SomSri", " somsri "] * 4
    codes = [log_in(app.test_client(), name, PASSWORD).status_code for name in names[:11]]
    assert codes == [302] * 10 + [429]


def test_one_address_trying_many_names_is_slowed_down(app, db, fund, still_clock):
    codes = [
        log_in(app.test_client(), f"nobody{n}", "wrong-password").status_code for n in range(31)
    ]
    assert codes == [401] * 30 + [429]
