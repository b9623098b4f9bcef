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
from sqlalchemy import select
from werkzeug.serving import make_server

from models.registry import Group
from models.users import add_user

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
        add_user(session, "somsri", "สมศรี", PASSWORD, groups["BANNA"], "th")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", fund
    server.shutdown()
    thread.join()


def test_dial_and_see_the_balance(page, live_app):
    url, fund = live_app
    page.goto(f"{url}/simulator")
    page.wait_for_selector(f"#person option[value='{fund['member'][2]}']", state="attached")
    page.select_option("#person", fund["member"][2])
    page.click("#dial")
    page.wait_for_function("document.getElementById('screen').textContent.includes('1 ยอดเงิน')")
    page.fill("#answer", "1")
    page.click("#send")
    page.wait_for_function("document.getElementById('screen').textContent.includes('ให้แล้ว')")
    screen = page.text_content("#screen")
    assert "ให้แล้ว 0 บ." in screen and "จ่ายถึง" in screen
    assert "/ 80" in page.text_content("#meter")


def test_pay_and_the_receipt_arrives_in_the_members_inbox(page, live_app):
    url, fund = live_app
    page.goto(f"{url}/simulator")
    page.wait_for_selector(f"#person option[value='{fund['collector'][2]}']", state="attached")
    page.select_option("#person", fund["collector"][2])
    page.fill("#sms", f"PAY {fund['member'][1]} 30")
    page.click("#sendsms")
    page.wait_for_function("document.getElementById('smsreply').textContent.includes('รับ 30 บ.')")
    page.select_option("#person", fund["member"][2])
    page.wait_for_function(
        "document.getElementById('inbox').textContent.includes('กองทุนได้รับ 30 บ.')"
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
