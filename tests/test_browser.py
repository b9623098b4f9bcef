"""The phone simulator and the dashboard in headless Chromium (Debian's, at its system path).

Without Chromium these tests skip, saying why; under CI=true they must run, so a missing
browser fails them instead (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import threading

import pytest
from people import BY, add_login, claim_ref, declare, ref_of, send
from sqlalchemy import func, select
from werkzeug.serving import make_server

from models.funds import Source, add_funds
from models.ledger import Account, Transfer
from models.reconcile import Resolution
from models.registry import Group, Member
from models.welfare import Claim

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
pytestmark = pytest.mark.skipif(
    not HAVE_CHROMIUM and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (apt-get install chromium); CI installs it",
)
PASSWORD = "ลับมาก-secret-1"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless; nothing is downloaded."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def base_url():
    """Unused: each test serves its own app (overriding it also quiets pytest-playwright)."""
    return None


@pytest.fixture
def live_app(app, db, fund):
    """The test's app served on a free loopback port, in a thread."""
    with db.transaction() as session:
        groups = {g.code: g for g in session.scalars(select(Group))}
        add_login(session, "somsri", groups["BANNA"], fund["treasurer"][0], name="สมศรี")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", fund
    server.shutdown()
    thread.join()


def dial(page, url, phone):
    """Open the phone simulator as `phone` and dial: the main menu shows."""
    page.goto(f"{url}/simulator")
    page.wait_for_selector(f"#person option[value='{phone}']", state="attached")
    page.select_option("#person", phone)
    page.click("#dial")
    page.wait_for_function("document.getElementById('screen').textContent.includes('1 ยอดสัจจะ')")


def test_dial_and_see_the_balance(page, live_app):
    url, fund = live_app
    dial(page, url, fund["member"][2])
    page.fill("#answer", "1")
    page.click("#send")
    page.wait_for_function("document.getElementById('screen').textContent.includes('ยอดสัจจะ 0')")
    screen = page.text_content("#screen")
    assert "ยอดสัจจะ 0 บ." in screen and "ส่งถึง" in screen
    assert "/ 80" in page.text_content("#meter")


def test_the_phone_carries_the_callback_token_when_one_is_set(page, app, settings, live_app):
    app.config["SATJA"] = settings.with_(callback_token="t" * 32)  # the callbacks demand it
    url, fund = live_app
    dial(page, url, fund["member"][2])  # the menu shows: the posts passed the token check


def test_pay_and_the_receipt_arrives_in_the_members_inbox(page, live_app):
    url, fund = live_app
    page.goto(f"{url}/simulator")
    page.wait_for_selector(f"#person option[value='{fund['collector'][2]}']", state="attached")
    page.select_option("#person", fund["collector"][2])
    page.fill("#sms", f"PAY {fund['member'][1]} 30")
    page.click("#sendsms")
    page.wait_for_function(
        "document.getElementById('smsreply').textContent.includes('รับสัจจะ 30 บ.')"
    )
    page.select_option("#person", fund["member"][2])
    page.wait_for_function(
        "document.getElementById('inbox').textContent.includes('กองทุนรับสัจจะ 30 บ.')"
    )
    assert "receipt" in page.text_content("#inbox")


def test_log_in_and_the_overview_matches_the_report(page, live_app, runner):
    url, _ = live_app
    page.goto(f"{url}/dashboard/")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-figure=members]")
    report = json.loads(runner.invoke(args=["report", "group", "BANNA", "--json"]).output)
    assert page.text_content("[data-figure=members]") == f"{report['members']:,}"
    shown_fund = page.text_content("[data-figure=fund_balance]")
    assert shown_fund == f"{report['fund_balance_satang'] // 100:,}"
    assert page.locator("svg[role=img] rect").count() == 12


def test_a_wrong_password_and_another_groups_page_are_refused(page, live_app):
    url, _ = live_app
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "ไม่ถูก" in page.text_content("[role=alert]")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-figure=members]")
    response = page.goto(f"{url}/dashboard/g/NAKLANG")
    assert response.status == 403
    assert "ไม่มีสิทธิ์" in page.text_content("[role=alert]")


TEXT_FIELDS = (
    "form input:not([type]), form input[type=text], form input[type=search], "
    "form input[type=password]"
)


def money(db):
    """What would show that money moved: the journal, every total, paid claims, settlements."""
    with db.transaction() as session:
        return {
            "transfers": session.scalar(select(func.count()).select_from(Transfer)),
            "totals": sorted(
                session.execute(
                    select(
                        Account.id,
                        Account.debits_posted,
                        Account.credits_posted,
                        Account.debits_pending,
                        Account.credits_pending,
                    )
                ).all()
            ),
            "paid": sorted(
                session.scalars(
                    select(Claim.id).where(Claim.status.in_(("paid", "reversed")))
                ).all()
            ),
            "money_resolutions": session.scalar(
                select(func.count()).select_from(Resolution).where(Resolution.action != "note")
            ),
        }


@pytest.fixture
def everything_to_act_on(live_app, client, runner, db):
    """BANNA with a claim filed, one paid, a declaration waiting, a dispute, a reversed receipt."""
    url, fund = live_app
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 1_000_000, group.created_at.date(), "d", by=BY)
    collector, member = fund["collector"][2], fund["member"]
    send(client, collector, f"PAY {member[1]} 365")
    paid = claim_ref(send(client, collector, f"CLAIM {member[1]} ป่วย 1"))
    assert runner.invoke(args=["welfare", "approve", paid, "--group", "BANNA",
                               "--by", "1"]).exit_code == 0  # fmt: skip
    filed = claim_ref(send(client, collector, f"CLAIM {member[1]} ป่วย 2"))
    declared = declare(db, fund, amount=4000)
    disputed = ref_of(send(client, collector, f"PAY {member[1]} 30"))
    send(client, member[2], f"NO {disputed}")
    undone = ref_of(send(client, collector, f"PAY {member[1]} 20"))
    send(client, member[2], f"NO {undone}")
    assert runner.invoke(args=["reconcile", "resolve", undone, "--group", "BANNA", "--reverse",
                               "--note", "x", "--by", "1"]).exit_code == 0  # fmt: skip
    g = f"{url}/dashboard/g/BANNA"
    settle = f"{g}/exceptions/settle?what=%23"
    return url, [
        # the confirmation pages first, while everything they confirm is still open
        f"{g}/claims/{filed}/approve",
        f"{g}/claims/{paid}/reverse",
        f"{g}/claims/{paid}/reverse?reason=ผิด",
        f"{g}/receipts/{undone}/restore",
        f"{g}/receipts/{undone}/restore?reason=ผิด",
        f"{settle}{declared}&action=confirm",
        f"{settle}{declared}&action=reverse&note=x",
        f"{settle}{disputed}&action=reverse",
        f"{settle}{disputed}&action=reverse&note=x",
        # then every page with a form
        f"{g}",
        f"{g}/collectors",
        f"{g}/members?q=มาลี",
        f"{g}/members/{member[1]}",
        f"{g}/claims",
        f"{g}/exceptions",
        f"{url}/dashboard/login",
    ]


def test_enter_in_any_text_field_of_any_form_moves_no_money(page, everything_to_act_on, db):
    url, pages = everything_to_act_on
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-figure=members]")
    before = money(db)
    with db.transaction() as session:  # the fixture's own (a reversal by the command line)
        earlier = session.scalar(select(func.max(Resolution.id)))
    pressed = 0
    for address in pages:
        page.goto(address)
        fields = page.locator(TEXT_FIELDS).count()
        assert fields or "/claims/" in address or address.endswith(("BANNA", "collectors")), address
        for i in range(fields):
            for typed in ("", "ใบรับถูกต้อง ไม่ต้องทำอะไร"):
                page.goto(address)
                if i >= page.locator(TEXT_FIELDS).count():
                    continue  # a rejection with its reason took that claim off the queue
                field = page.locator(TEXT_FIELDS).nth(i)
                field.fill(typed)
                if field.evaluate("el => el.form.checkValidity()"):
                    with page.expect_navigation():
                        field.press("Enter")
                else:  # the browser refuses an empty required field: nothing is sent
                    field.press("Enter")
                pressed += 1
                assert money(db) == before, (address, i, typed)
    assert pressed >= 20
    # The Enter did the harmless thing: the dispute's note was kept as a note.
    with db.transaction() as session:
        notes = session.scalars(select(Resolution.action).where(Resolution.id > earlier))
        assert set(notes.all()) <= {"note"}


def test_paying_takes_the_button_on_the_page_that_says_the_effect(page, everything_to_act_on, db):
    url, pages = everything_to_act_on
    page.goto(f"{url}/dashboard/login")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-figure=members]")
    page.goto(pages[0])
    effect = page.text_content("[data-effect]")
    assert "เป็นเงิน 200 บ. แก่ นางมาลี มีสุข จากบัญชีธนาคารของกองทุน" in effect
    before = money(db)
    page.click("form[data-step=confirm] button")
    page.wait_for_selector(".flash.ok")
    assert "อนุมัติและมอบ #" in page.text_content(".flash.ok")
    assert money(db)["transfers"] == before["transfers"] + 1


def balances(page, which):
    """The year-end balances a projection table shows, in satang."""
    cells = page.locator(f"[data-projection={which}] [data-satang]")
    return cells.evaluate_all("cells => cells.map(c => Number(c.dataset.satang))")


def test_the_projection_form_shows_an_edited_schedule_beside_todays(page, live_app, db, today):
    from models.ledger import Code, TransferSpec, create_transfer

    url, _ = live_app
    with db.transaction() as session:
        for member in session.scalars(select(Member).join(Group).where(Group.code == "BANNA")):
            paid_up = TransferSpec(
                key=f"test:opening:{member.id}",
                group_id=member.group_id,
                debit="fund_bank",
                credit=f"member:{member.id}",
                amount=(today - member.joined_on).days * 100 + 100_00,
                code=Code.OPENING,
                business_date=member.joined_on,
                member_id=member.id,
                by=BY,
            )
            assert create_transfer(session, paid_up).ok
    page.goto(f"{url}/dashboard/")
    page.fill("input[name=username]", "somsri")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-figure=members]")
    page.click("text=อนาคตกองทุน")
    page.wait_for_selector("[data-verdict=today]")
    assert page.locator("[data-series=edited]").count() == 0
    before = balances(page, "today")
    page.fill("input[name='elderly.amount']", "0")
    page.fill("input[name='funeral.amount']", "100")
    page.click("#schedule button[type=submit]")
    page.wait_for_selector("[data-series=edited]", state="attached")
    assert page.input_value("input[name='elderly.amount']") == "0"
    edited = balances(page, "edited")
    again = balances(page, "today")
    assert again == before  # today's schedule is untouched: nothing was loaded
    assert all(e >= b for e, b in zip(edited, before, strict=True)) and edited != before
    page.fill("input[name='funeral.amount']", "สองพัน")
    page.click("#schedule button[type=submit]")
    assert "ต้องเป็นตัวเลข" in page.text_content("[role=alert]")
    assert page.locator("[data-series=edited]").count() == 0
