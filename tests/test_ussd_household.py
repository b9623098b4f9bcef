"""A phone a household shares: USSD asks which member first, and the choice holds."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, hop, walk
from sqlalchemy import select

from gateway.flows.gsm import length, ussd_budget
from gateway.flows.household import Chosen, choose
from models.ledger import Transfer
from models.offices import Office
from models.registry import Member, Status, add_group, add_member, set_status
from models.ussd import UssdHop

pytestmark = pytest.mark.clock

JOINED = dt.date(2026, 1, 1)
SHARED = "0811000009"


@pytest.fixture
def home(db):
    """BANNA with a collector and a mother, her son and her daughter on one phone."""
    with db.transaction() as session:
        group = add_group(session, "BANNA", "กองทุนบ้านนา")
        add_member(
            session,
            group,
            name="นางวิไล ทองสุข",
            phone="0811000002",
            office=Office.COLLECTOR,
            joined_on=JOINED,
        )
        ids = {
            key: add_member(session, group, name=name, phone=SHARED, joined_on=JOINED).id
            for key, name in (
                ("mother", "นางมาลี มีสุข"),
                ("son", "ด.ช.ก้อง มีสุข"),
                ("daughter", "ด.ญ.ฝน มีสุข"),
            )
        }
    return ids


def test_a_shared_phone_is_asked_who_calls_first(client, home):
    first = hop(client, SHARED, "", "s-who")[1]
    header, *names = first.split("\n")
    assert header == "CON เลือกชื่อสมาชิกค่ะ"
    assert [n[:2] for n in names] == ["1 ", "2 ", "3 "]
    assert ["มาลี" in names[0], "ก้อง" in names[1], "ฝน" in names[2]] == [True] * 3
    assert hop(client, SHARED, "2", "s-who")[1].startswith("CON 1 ยอดสัจจะ")


def test_the_choice_holds_for_the_session_payment_and_pin_are_the_childs(client, db, home):
    answers = walk(client, SHARED, ["3", "2", "30", "1", "5807", "5807", "1"])
    assert answers[-1].startswith("END แจ้งแล้ว #")
    with db.transaction() as session:
        transfer = session.scalars(select(Transfer)).one()
        assert transfer.member_id == home["daughter"]
        pins = {m.id: m.pin_hash for m in session.scalars(select(Member))}
    assert pins[home["daughter"]] is not None
    assert pins[home["mother"]] is None and pins[home["son"]] is None


def test_each_member_has_their_own_pin(client, db, home):
    walk(client, SHARED, ["1", "6", "5807", "5807"])  # the mother sets hers
    # The son has none yet: his PIN hop asks him to set one, not for the mother's.
    screens = walk(client, SHARED, ["2", "2", "30", "1"])
    assert "ตั้งรหัส PIN" in screens[-1]
    # The mother's PIN is checked against hers: right for her, and counted wrong for no one else.
    mine = walk(client, SHARED, ["1", "2", "30", "1", "5807"])
    assert "แจ้งส่งสัจจะ 30 บ." in mine[-1]


def test_balance_after_the_choice_is_that_members_even_with_a_snapshot(client, db, home):
    with db.transaction() as session:
        mother = session.get(Member, home["mother"])
        mother.joined_on = JOINED - dt.timedelta(days=400)  # far behind; the son is not
    mother_screen = walk(client, SHARED, ["1", "1"])[-1]
    son_screen = walk(client, SHARED, ["2", "1"])[-1]
    assert mother_screen != son_screen


def test_more_names_with_98_and_numbers_go_on_across_pages(client, db, home):
    with db.transaction() as session:
        group = session.scalars(select(Member)).first().group
        add_member(session, group, name="นายยอด มีสุข", phone=SHARED, joined_on=JOINED)
    sid = "s-more"
    assert "98 ต่อ" in hop(client, SHARED, "", sid)[1]
    page_two = hop(client, SHARED, "98", sid)[1]
    assert page_two == "CON เลือกชื่อสมาชิกค่ะ\n4 นายยอด"  # a title glued on stays
    assert hop(client, SHARED, "98*4", sid)[1].startswith("CON 1 ยอดสัจจะ")


def test_three_wrong_choices_end_politely_and_write_nothing_but_hops(client, db, home):
    screens = walk(client, SHARED, ["7", "x", "0 9"])
    assert screens[1].startswith("CON ลองใหม่\n") and screens[-1].startswith("END ขออภัย")
    with db.transaction() as session:
        assert session.scalars(select(Transfer)).first() is None
        assert {h.member_id for h in session.scalars(select(UssdHop))} == {home["mother"]}


def test_an_ended_member_leaves_the_list(client, db, home):
    with db.transaction() as session:
        for key in ("son", "daughter"):
            set_status(session, session.get(Member, home[key]), Status.WITHDRAWN, JOINED, BY)
    assert hop(client, SHARED, "", "s-alone")[1].startswith("CON 1 ยอดสัจจะ")


def test_a_session_from_another_phone_gets_nothing_of_it(client, home):
    hop(client, SHARED, "", "s-mine")
    hop(client, SHARED, "1", "s-mine")
    assert "ใหม่อีกครั้ง" in hop(client, "0811000002", "1*1", "s-mine")[1]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_page_fits_the_screen_with_long_names(lang):
    names = ["นางสาวประภาพรรณ์ ศรีสุวรรณวงศ์ยิ่งยง"] * 7 + ["Ms. Anna Longname-Member"] * 2
    for inputs in ([], ["98"], ["98", "98"], ["x"], ["98", "y"]):
        screen = choose(names, inputs, lang)
        assert not isinstance(screen, Chosen)
        assert length(screen.text) <= ussd_budget(screen.text), screen.text


def test_a_choice_is_a_listed_number_only():
    names = ["นางมาลี มีสุข", "ด.ช.ก้อง มีสุข"]
    assert choose(names, ["2", "1"], "th") == Chosen(1, 1)
    assert choose(names, ["98", "1"], "th") != Chosen(0, 1)  # 98 with no more names is wrong
    assert not isinstance(choose(names, ["3"], "th"), Chosen)


def test_a_phone_that_becomes_shared_asks_who_calls_at_once(client, db):
    with db.transaction() as session:
        group = add_group(session, "BANNA", "กองทุนบ้านนา")
        collector = {"office": Office.COLLECTOR, "joined_on": JOINED}
        add_member(session, group, name="นางวิไล ทองสุข", phone="0811000002", **collector)
        add_member(session, group, name="นางมาลี มีสุข", phone=SHARED, joined_on=JOINED)
    walk(client, SHARED, ["1"])  # the mother alone: her snapshot is kept in Redis
    assert hop(client, SHARED, "", "s-alone")[1].startswith("CON 1 ยอดสัจจะ")
    with db.transaction() as session:
        group = session.scalars(select(Member)).first().group
        add_member(session, group, name="ด.ญ.ฝน มีสุข", phone=SHARED, joined_on=JOINED)
    assert hop(client, SHARED, "", "s-shared")[1].startswith("CON เลือกชื่อสมาชิกค่ะ")
