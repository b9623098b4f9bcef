"""The committee dashboard through the Flask client: logins, CSRF, access, figures, actions."""

from __future__ import annotations

import json
import re

import pytest
from people import BY, add_login, claim_ref, declare, ref_of, send
from sqlalchemy import func, select

from models.clock import local_today
from models.ledger import Transfer
from models.reconcile import Resolution
from models.registry import Group, Member
from models.users import User

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock

PASSWORD = "ลับมาก-secret-1"


@pytest.fixture
def logins(db, fund):
    """A BANNA committee login, a NAKLANG one and a network one."""
    with db.transaction() as session:
        groups = {g.code: g for g in session.scalars(select(Group))}
        add_login(session, "somsri", groups["BANNA"], fund["treasurer"][0], name="สมศรี")
        add_login(session, "other", groups["NAKLANG"], fund["outsider"][0], lang="en", name="คนอื่น")
        add_login(session, "network", None, fund["treasurer"][0], lang="en", name="เครือข่าย")
    return fund


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username, password=PASSWORD):
    page = client.get("/dashboard/login").get_data(as_text=True)
    return client.post(
        "/dashboard/login",
        data={"username": username, "password": password, "csrf_token": token(page)},
    )


def test_pages_need_a_login(client, logins):
    response = client.get("/dashboard/g/BANNA")
    assert response.status_code == 302 and response.location.endswith("/dashboard/login")


def test_login_lands_on_the_group_and_figures_match_the_report(client, runner, logins):
    response = log_in(client, "somsri")
    assert response.status_code == 302 and response.location.endswith("/dashboard/")
    page = client.get("/dashboard/", follow_redirects=True).get_data(as_text=True)
    report = json.loads(runner.invoke(args=["report", "group", "BANNA", "--json"]).output)
    assert f'data-figure="members">{report["members"]:,}<' in page
    assert "ภาพรวม" in page and "เงินกองทุน" in page
    english = client.get("/dashboard/lang/en", follow_redirects=True).get_data(as_text=True)
    assert "Fund balance" in english


def test_a_wrong_password_is_refused_and_five_lock_the_login(client, logins):
    assert log_in(client, "somsri", "wrong password").status_code == 401
    assert log_in(client, "nobody", "wrong password").status_code == 401
    for _ in range(4):
        log_in(client, "somsri", "wrong again")
    locked = log_in(client, "somsri")  # the right password, but locked now
    assert locked.status_code == 401
    assert client.get("/dashboard/g/BANNA").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(client, logins):
    no_token = client.post("/dashboard/login", data={"username": "somsri", "password": PASSWORD})
    assert no_token.status_code == 400
    log_in(client, "somsri")
    forged = client.post("/dashboard/g/BANNA/exceptions", data={"what": "x", "note": "x"})
    assert forged.status_code == 400


def test_another_groups_pages_are_refused_but_the_network_sees_all(client, logins):
    log_in(client, "other")
    for path in ("/dashboard/g/BANNA", "/dashboard/g/BANNA/claims", "/dashboard/g/BANNA/members"):
        refused = client.get(path)
        assert refused.status_code == 403 and "may not see" in refused.get_data(as_text=True)
    assert client.get("/dashboard/g/NAKLANG").status_code == 200
    client.post("/dashboard/logout", data={"csrf_token": token(
        client.get("/dashboard/g/NAKLANG").get_data(as_text=True))})  # fmt: skip
    log_in(client, "network")
    listing = client.get("/dashboard/").get_data(as_text=True)
    assert "BANNA" in listing and "NAKLANG" in listing
    assert client.get("/dashboard/g/BANNA").status_code == 200
    assert client.get("/dashboard/g/NOPE").status_code == 404


def settle(client, page, ref, action, note):
    """Press the confirming button of settling #ref this way; the page that follows."""
    data = {"what": f"#{ref}", "action": action, "note": note, "confirmed": "yes"}
    response = client.post(
        "/dashboard/g/BANNA/exceptions/settle",
        data={**data, "csrf_token": token(page)},
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def test_exceptions_are_settled_from_the_dashboard(client, db, logins):
    ref = declare(db, logins)
    log_in(client, "somsri")
    page = client.get("/dashboard/g/BANNA/exceptions").get_data(as_text=True)
    assert f"#{ref}" in page and "แจ้งส่งรอยืนยัน" in page
    check = client.get(
        "/dashboard/g/BANNA/exceptions/settle",
        query_string={"what": f"#{ref}", "action": "confirm", "note": "เห็นเงิน"},
    )
    check = check.get_data(as_text=True)  # fmt: skip
    assert (f"ยืนยันว่า นายบุญมี เก็บเงิน ได้รับเงินสัจจะ 30 บ. จาก นางมาลี มีสุข (#{ref})"
            in check)  # fmt: skip
    done = settle(client, page, ref, "confirm", "เห็นเงิน")
    assert f"ยืนยันรายการ #{ref} 30 บ. ของ นางมาลี มีสุข แล้ว" in done
    assert f"<td>#{ref}</td>" not in done
    with db.transaction() as session:
        kept = session.scalars(select(Resolution)).one()
        assert (kept.action, kept.by_member_id) == ("confirm", logins["treasurer"][0])


def disputed(client, logins, *, handed_over=False):
    """A receipt the member disputes (its cash handed over first, if asked); the treasurer
    logged in on the exceptions page. The receipt's ref and the page."""
    ref = ref_of(send(client, logins["collector"][2], f"PAY {logins['member'][1]} 30"))
    if handed_over:
        send(client, logins["treasurer"][2], f"RCV {logins['collector'][1]} 30")
    send(client, logins["member"][2], f"NO {ref}")
    log_in(client, "somsri")
    return ref, client.get("/dashboard/g/BANNA/exceptions").get_data(as_text=True)


def test_a_dispute_whose_cash_was_handed_over_says_why_it_cannot_be_reversed(client, db, logins):
    ref, page = disputed(client, logins, handed_over=True)
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Transfer))
    done = settle(client, page, ref, "reverse", "ไม่ได้จ่าย")
    assert "เงินนี้ผู้เก็บส่งมอบเหรัญญิกไปแล้ว ให้บันทึกเป็นหมายเหตุ" in done
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Transfer)) == before
        assert session.scalars(select(Resolution)).all() == []


@pytest.mark.parametrize("action", ["reverse", "confirm", "note", ""])
def test_a_note_on_the_exceptions_page_is_kept_as_a_note_and_moves_no_money(
    client, db, logins, action
):
    # The old form sent its first button's action with Enter: a dispute's note reversed it.
    ref, page = disputed(client, logins)
    with db.transaction() as session:
        transfers = session.scalar(select(func.count()).select_from(Transfer))
    done = client.post(
        "/dashboard/g/BANNA/exceptions",
        data={"what": f"#{ref}", "action": action, "note": "ใบรับถูกต้อง", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"บันทึกเหตุผลเรื่อง #{ref} แล้ว ไม่มีเงินเคลื่อนไหว" in done
    with db.transaction() as session:
        kept = session.scalars(select(Resolution)).one()
        assert (kept.action, kept.note, kept.transfer_id) == ("note", "ใบรับถูกต้อง", None)
        assert session.scalar(select(func.count()).select_from(Transfer)) == transfers


def test_a_waiting_declaration_cannot_be_settled_by_a_note(client, db, logins):
    ref = declare(db, logins)
    log_in(client, "somsri")
    page = client.get("/dashboard/g/BANNA/exceptions").get_data(as_text=True)
    assert 'name="note"' not in page  # its only actions move money: no text field beside them
    done = client.post(
        "/dashboard/g/BANNA/exceptions",
        data={"what": f"#{ref}", "action": "confirm", "note": "x", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "เรื่องนี้จัดการแบบนั้นไม่ได้ ยังไม่มีอะไรเปลี่ยน" in done
    with db.transaction() as session:
        assert session.scalars(select(Resolution)).all() == []


def test_claims_are_approved_from_the_dashboard_not_by_their_filer(client, db, logins):
    from models.funds import Source, add_funds

    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 100_000, group.created_at.date(), "d", by=BY)
        # Joined today, so one PAY makes the member paid up whatever the date.
        session.get(Member, logins["member"][0]).joined_on = local_today()
    send(client, logins["collector"][2], f"PAY {logins['member'][1]} 30")
    ref = claim_ref(send(client, logins["collector"][2], f"CLAIM {logins['member'][1]} ป่วย 2"))
    log_in(client, "somsri")
    page = client.get("/dashboard/g/BANNA/claims").get_data(as_text=True)
    assert f"#{ref}" in page and "ค่านอนโรงพยาบาล × 2" in page
    done = client.post(
        f"/dashboard/g/BANNA/claims/{ref}/approve",
        data={"confirmed": "yes", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"อนุมัติและมอบ #{ref} 200 บ. แก่ นางมาลี มีสุข แล้ว" in done
    assert "ไม่พบ" not in done and f"/claims/{ref}/approve" not in done


def test_member_search_and_history(client, db, logins):
    send(client, logins["collector"][2], f"PAY {logins['member'][1]} 30")
    log_in(client, "somsri")
    for q in ("มาลี", str(logins["member"][1]), "081-100-0004"):
        found = client.get(f"/dashboard/g/BANNA/members?q={q}").get_data(as_text=True)
        assert "นางมาลี มีสุข" in found, q
    page = client.get(f"/dashboard/g/BANNA/members/{logins['member'][1]}").get_data(as_text=True)
    assert "ยืนยันแล้ว" in page and ">30<" in page
    assert client.get("/dashboard/g/BANNA/members/999").status_code == 404


def test_session_cookie_flags(client, logins, app):
    response = log_in(client, "somsri")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # the simulator backend: plain HTTP
    page = client.get("/dashboard/g/BANNA")
    assert page.headers["X-Frame-Options"] == "DENY"


def test_users_add(runner, db, fund):
    treasurer = str(fund["treasurer"][1])
    made = runner.invoke(args=["users", "add", "treasurer1", "--group", "banna", "--member",
                               treasurer, "--password-stdin"],
                         input="long-enough-pw\n")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "treasurer1 can log in to the dashboard (BANNA) as นางสมศรี ใจดี (#1" in made.output
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == "treasurer1")).one()
        assert (user.member_id, user.name) == (fund["treasurer"][0], "นางสมศรี ใจดี")
    again = runner.invoke(args=["users", "add", "treasurer1", "--network", "--group", "BANNA",
                                "--member", treasurer, "--password-stdin"],
                          input="long-enough-pw\n")  # fmt: skip
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(args=["users", "add", "x2y", "--network", "--group", "BANNA",
                                "--member", treasurer, "--password-stdin"],
                          input="short\n")  # fmt: skip
    assert short.exit_code == 1 and "at least 10" in short.output
    nobody = runner.invoke(args=["users", "add", "abc", "--password-stdin"], input="x\n")
    assert nobody.exit_code == 2 and "--group" in nobody.output
    stranger = runner.invoke(args=["users", "add", "abcd", "--group", "BANNA", "--member", "99",
                                   "--password-stdin"], input="long-enough-pw\n")  # fmt: skip
    assert stranger.exit_code == 1 and "no member number" in stranger.output


def test_both_languages_have_every_dashboard_word():
    from gateway.flows.dashboard_texts import DASHBOARD_TEXTS

    assert DASHBOARD_TEXTS["th"].keys() == DASHBOARD_TEXTS["en"].keys()


def test_documents_are_ticked_on_the_claims_page_before_approval(client, db, logins):
    from models.funds import Source, add_funds
    from models.welfare import Benefit, Schedule, store_schedule

    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 100_000, group.created_at.date(), "d", by=BY)
        session.get(Member, logins["member"][0]).joined_on = local_today()
        docs = ("ใบรับรองแพทย์", "ใบเสร็จ")
        hospital = Benefit("hospital", 100, "night", 10, 20, documents=docs)
        store_schedule(session, group, Schedule("docs", 30, {"hospital": hospital}))
    send(client, logins["collector"][2], f"PAY {logins['member'][1]} 30")
    ref = claim_ref(send(client, logins["collector"][2], f"CLAIM {logins['member'][1]} ป่วย 2"))
    log_in(client, "somsri")
    page = client.get("/dashboard/g/BANNA/claims").get_data(as_text=True)
    assert page.count('name="document"') == 2 and "วันเกิดเหตุ" in page
    refused = client.post(
        f"/dashboard/g/BANNA/claims/{ref}/approve",
        data={"confirmed": "yes", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "ยังขาดเอกสาร: ใบรับรองแพทย์, ใบเสร็จ" in refused
    one = client.post(
        f"/dashboard/g/BANNA/claims/{ref}/documents",
        data={"document": ["ใบรับรองแพทย์"], "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"บันทึกเอกสารของ #{ref} แล้ว ยังขาด: ใบเสร็จ" in one
    assert 'value="ใบรับรองแพทย์" checked disabled' in one
    client.post(
        f"/dashboard/g/BANNA/claims/{ref}/documents",
        data={"document": ["ใบเสร็จ"], "csrf_token": token(page)},
    )
    done = client.post(
        f"/dashboard/g/BANNA/claims/{ref}/approve",
        data={"confirmed": "yes", "csrf_token": token(page)},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"อนุมัติและมอบ #{ref} 200 บ." in done


def test_the_member_page_links_a_printable_passbook(client, db, logins):
    ref = ref_of(send(client, logins["collector"][2], f"PAY {logins['member'][1]} 30"))
    log_in(client, "somsri")
    number = logins["member"][1]
    member = client.get(f"/dashboard/g/BANNA/members/{number}").get_data(as_text=True)
    assert f"/dashboard/g/BANNA/members/{number}/passbook" in member
    page = client.get(f"/dashboard/g/BANNA/members/{number}/passbook").get_data(as_text=True)
    assert f"#{ref}" in page and "window.print()" in page and "สมุดบัญชีสมาชิก" in page
    assert client.get("/dashboard/g/BANNA/members/999/passbook").status_code == 404
