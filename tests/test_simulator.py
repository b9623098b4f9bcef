"""The phone simulator's page and data (its browser tests come with issue 7)."""

from __future__ import annotations

import datetime as dt

from models.offices import Office
from models.registry import add_group, add_member


def seed(db):
    with db.transaction() as session:
        group = add_group(session, "BANNA", "บ้านนา")
        add_member(
            session,
            group,
            name="นางวิไล ทองสุข",
            phone="0811000002",
            office=Office.COLLECTOR,
            joined_on=dt.date(2026, 1, 1),
        )
        add_member(
            session, group, name="นางมาลี มีสุข", phone="0811000004", joined_on=dt.date(2026, 1, 1)
        )


def test_the_page_and_the_people(client, db):
    seed(db)
    assert client.get("/").headers["Location"].endswith("/simulator")
    page = client.get("/simulator")
    assert page.status_code == 200 and "*1234#" in page.get_data(as_text=True)
    people = client.get("/simulator/people").get_json()
    assert [p["role"] for p in people] == ["collector", "member"]
    assert people[0]["shown"] == "081 100 0002"


def test_the_inbox_shows_what_the_fund_sent(client, db):
    seed(db)
    client.post("/sms/inbound", data={"from": "+66811000002", "text": "PAY 2 30", "id": "s1"})
    inbox = client.get("/simulator/inbox?phone=081-100-0004").get_json()
    assert len(inbox) == 1 and inbox[0]["kind"] == "receipt"
    assert inbox[0]["parts"] == 1 and inbox[0]["chars"] <= 70
    assert client.get("/simulator/inbox?phone=hello").status_code == 400


def test_measure_counts_against_the_ussd_budget(client):
    thai = client.post("/simulator/measure", data="CON ก" * 1).get_json()
    assert thai == {"chars": 1, "budget": 80}
    assert client.post("/simulator/measure", data="END hello").get_json()["budget"] == 160


def test_off_unless_enabled(app, client):
    app.config["SATJA"] = app.config["SATJA"].with_(simulator_enabled=False)
    for path in ("/", "/simulator", "/simulator/people", "/simulator/inbox?phone=0811000004"):
        assert client.get(path).status_code == 404
