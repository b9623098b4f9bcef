"""Undoing mistakes on the record: a paid claim reversed, a wrongly reversed receipt restored.

Each is a new ledger transfer with its reason, done at most once, from the command line
and from the dashboard (a button, then a page that says the effect, then the confirm).
"""

from __future__ import annotations

import re

import pytest
from people import BY, add_login, claim_ref, ref_of, send, walk
from sqlalchemy import func, select
from test_dashboard import log_in, token

from models.clock import local_today
from models.funds import Source, add_funds
from models.ledger import Account, Code, Transfer, id_for_ref
from models.outbox import OutboundMessage
from models.reconcile import Resolution
from models.registry import Group, Member
from models.welfare import Claim

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock
PASSWORD = "ลับมาก-secret-1"


def books(db):
    """Everything that says money moved: journal rows, every account's totals, claims."""
    with db.transaction() as session:
        return {
            "transfers": session.scalar(select(func.count()).select_from(Transfer)),
            "accounts": sorted(
                session.execute(
                    select(
                        Account.key,
                        Account.debits_posted,
                        Account.credits_posted,
                        Account.debits_pending,
                        Account.credits_pending,
                    )
                ).all()
            ),
            "claims": sorted(session.execute(select(Claim.id, Claim.status)).all()),
            "resolutions": sorted(session.execute(select(Resolution.subject, Resolution.action))),
        }


def texts_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage.text)
            .where(OutboundMessage.to_phone == phone)
            .order_by(OutboundMessage.id)
        ).all()


def bank(db):
    with db.transaction() as session:
        account = session.scalars(
            select(Account)
            .join(Group, Group.id == Account.group_id)
            .where(Group.code == "BANNA", Account.key == "fund_bank")
        ).one()
        return account.debit_balance


@pytest.fixture
def committee(db, fund):
    """BANNA with money in the bank, a dashboard login and a filed hospital claim."""
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        group.waiting_days = 0
        add_funds(session, group, Source.DONATION, 1_000_000, group.created_at.date(), "d", by=BY)
        add_login(session, "somsri", group, fund["treasurer"][0], name="สมศรี")
        # Joined today, so one PAY makes the member paid up at any instant.
        session.get(Member, fund["member"][0]).joined_on = local_today()
    return fund


@pytest.fixture
def filed(client, committee):
    """The ref of a claim filed by a collector for the paid-up member (2 nights, 200 baht)."""
    send(client, committee["collector"][2], f"PAY {committee['member'][1]} 365")
    reply = send(client, committee["collector"][2], f"CLAIM {committee['member'][1]} ป่วย 2")
    return claim_ref(reply)


@pytest.fixture
def paid(runner, filed):
    """The same claim, approved and paid from the command line."""
    done = runner.invoke(args=["welfare", "approve", filed, "--group", "BANNA", "--by", "1"])
    assert done.exit_code == 0, done.output
    return filed


@pytest.fixture
def reversed_receipt(client, runner, committee, today):
    """A PAY the member disputed and the committee reversed (wrongly, as it turns out)."""
    ref = ref_of(send(client, committee["collector"][2], f"PAY {committee['member'][1]} 30"))
    send(client, committee["member"][2], f"NO {ref}")
    undone = runner.invoke(
        args=[
            "reconcile",
            "resolve",
            ref,
            "--group",
            "BANNA",
            "--reverse",
            "--note",
            "สมาชิกทักท้วง",
            "--by",
            "1",
        ]
    )
    assert undone.exit_code == 0, undone.output
    return ref


def given(db, member_id):
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.key == f"member:{member_id}")).one()
        return account.credit_balance


# The command line


def test_welfare_reverse_puts_the_money_back_once_and_tells_the_payee(runner, db, paid, fund):
    before = bank(db)
    args = ["welfare", "reverse", paid, "--reason", "จ่ายซ้ำ", "--by", "1"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert re.fullmatch(
        rf"claim #{paid}: reversed, 200 baht back to the bank as #\w+; "
        r"payee told\n",
        done.output,
    )
    assert bank(db) == before + 20_000
    with db.transaction() as session:
        claim = session.get(Claim, id_for_ref(paid))
        assert (claim.status, claim.reversed_by_member_id, claim.reversal_reason) == (
            "reversed",
            fund["treasurer"][0],
            "จ่ายซ้ำ",
        )
        reversal = session.get(Transfer, claim.reversal_id)
        assert (reversal.reversal_of, reversal.code) == (claim.transfer_id, Code.REVERSAL)
        assert "จ่ายซ้ำ" in reversal.note and reversal.by_member_id == fund["treasurer"][0]
    told = texts_to(db, fund["member"][2])
    assert told[-1] == (
        f"กองทุนบ้านนา: ขออภัย ค่านอนโรงพยาบาล 200 บ. #{paid} บันทึกผิด "
        "กองทุนยกเลิกรายการแล้ว สงสัยถามกรรมการค่ะ"
    )
    kept = books(db)
    again = runner.invoke(args=[*args[:3], "--group", "banna", "--reason", "อีกครั้ง", "--by", "1"])
    assert again.exit_code == 0 and "reversed already" in again.output
    assert "nothing changed" in again.output
    assert books(db) == kept and texts_to(db, fund["member"][2]) == told


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--reason", "x", "--by", "1"], "has not been paid"),  # the claim is only filed
        (["--reason", " ", "--by", "1"], "has not been paid"),
        (["--group", "NAKLANG", "--reason", "x", "--by", "1"], "No claim #"),
        (["--group", "NOPE", "--reason", "x", "--by", "1"], "NOPE"),
    ],
)
def test_welfare_reverse_refuses_and_writes_nothing(runner, db, filed, args, says):
    before = books(db)
    refused = runner.invoke(args=["welfare", "reverse", filed, *args])
    assert refused.exit_code == 1 and says in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert books(db) == before


def test_welfare_reverse_needs_a_reason(runner, db, paid):
    before = books(db)
    refused = runner.invoke(args=["welfare", "reverse", paid, "--reason", " ", "--by", "1"])
    assert refused.exit_code == 1 and "reason" in refused.output
    assert books(db) == before


def test_a_reversed_claim_frees_its_units_and_lists_as_reversed(runner, db, paid):
    runner.invoke(args=["welfare", "reverse", paid, "--reason", "ผิดคน", "--by", "1"])
    listed = runner.invoke(args=["welfare", "claims", "--group", "BANNA", "--status", "reversed"])
    assert f"#{paid}" in listed.output and "reversed" in listed.output


def test_the_member_sees_a_reversed_claim_as_such_in_the_ussd_menu(client, runner, paid, fund):
    runner.invoke(args=["welfare", "reverse", paid, "--reason", "ผิดคน", "--by", "1"])
    screens = walk(client, fund["member"][2], ["4", "2"])
    assert screens[-1].startswith("CON") and "นอนโรงพยาบาล 200 บ. ยกเลิกแล้ว" in screens[-1]


def test_reconcile_restore_posts_the_receipt_again_once(runner, db, reversed_receipt, fund):
    member_id = fund["member"][0]
    assert given(db, member_id) == 0
    args = ["reconcile", "restore", reversed_receipt, "--reason", "เงินถึงจริง", "--by", "1"]
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert f"#{reversed_receipt} restored: 30 baht to member {fund['member'][1]}" in done.output
    assert given(db, member_id) == 3000
    with db.transaction() as session:
        new = session.scalars(select(Transfer).where(Transfer.key.like("restore:%"))).one()
        assert (new.code, new.amount, new.collector_id) == (
            Code.CONTRIBUTION,
            3000,
            fund["collector"][0],
        )
        assert f"#{reversed_receipt}" in new.note and "เงินถึงจริง" in new.note
    member_told = texts_to(db, fund["member"][2])[-1]
    assert member_told.startswith(f"แก้ที่ยกเลิกผิดแล้ว สัจจะ #{reversed_receipt} 30 บ. ส่งถึง")
    collector_told = texts_to(db, fund["collector"][2])[-1]
    assert collector_told == f"กรรมการคืน #{reversed_receipt} 30 บ. ของ นางมาลี เป็นเงินในมือแล้ว"
    kept = books(db)
    again = runner.invoke(args=[*args[:3], "--group", "BANNA", "--reason", "ซ้ำ", "--by", "1"])
    assert again.exit_code == 0 and "restored already" in again.output
    assert books(db) == kept


def test_restore_by_the_reversals_own_reference_finds_the_receipt(runner, db, reversed_receipt):
    with db.transaction() as session:
        reversal = session.scalars(select(Transfer).where(Transfer.code == "reversal")).one()
        reversal_ref = reversal.ref
    done = runner.invoke(args=["reconcile", "restore", reversal_ref, "--reason", "r", "--by", "1"])
    assert done.exit_code == 0 and f"#{reversed_receipt} restored" in done.output


@pytest.mark.parametrize(
    ("which", "args", "says"),
    [
        ("kept", ["--reason", "x", "--by", "1"], "was not cancelled"),
        ("bad", ["--reason", "x", "--by", "1"], "No payment #"),
        ("reversed", ["--group", "NAKLANG", "--reason", "x", "--by", "1"], "No payment #"),
        ("reversed", ["--reason", " ", "--by", "1"], "reason"),
    ],
)
def test_reconcile_restore_refuses_and_writes_nothing(
    client, runner, db, reversed_receipt, fund, which, args, says
):
    kept = ref_of(send(client, fund["collector"][2], f"PAY {fund['member'][1]} 40"))
    ref = {"kept": kept, "bad": "ZZZZ", "reversed": reversed_receipt}[which]
    before = books(db)
    refused = runner.invoke(args=["reconcile", "restore", ref, *args])
    assert refused.exit_code == 1 and says in refused.output, refused.output
    assert len(refused.output.strip().splitlines()) == 1
    assert books(db) == before


def test_reconcile_resolve_refuses_contradictory_flags(client, runner, db, fund):
    ref = ref_of(send(client, fund["collector"][2], f"PAY {fund['member'][1]} 30"))
    send(client, fund["member"][2], f"NO {ref}")
    before = books(db)
    both = runner.invoke(
        args=[
            "reconcile",
            "resolve",
            ref,
            "--group",
            "BANNA",
            "--confirm",
            "--reverse",
            "--note",
            "ใบรับถูกต้อง",
            "--by",
            "1",
        ]
    )
    assert both.exit_code == 1
    assert both.output.strip().splitlines() == [
        "Error: --confirm and --reverse contradict each other: give one"
    ]
    assert books(db) == before


# The dashboard


def confirm_form(page):
    """The confirming form of a confirmation page, or None when it is not shown yet."""
    match = re.search(r'<form method="post"[^>]*data-step="confirm">(.*?)</form>', page, re.S)
    return match.group(1) if match else None


def test_paying_a_claim_says_the_effect_then_pays_on_the_confirm_button(client, db, filed):
    log_in(client, "somsri")
    listing = client.get("/dashboard/g/BANNA/claims").get_data(as_text=True)
    assert f'/dashboard/g/BANNA/claims/{filed}/approve"' in listing
    page = client.get(f"/dashboard/g/BANNA/claims/{filed}/approve").get_data(as_text=True)
    assert "เป็นเงิน 200 บ. แก่ นางมาลี มีสุข จากบัญชีธนาคารของกองทุน" in page
    form = confirm_form(page)
    assert form is not None and "<input name=" not in form  # no text field beside the button
    before = bank(db)
    done = client.post(
        f"/dashboard/g/BANNA/claims/{filed}/approve",
        data={"csrf_token": token(page), "confirmed": "yes"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"อนุมัติและมอบ #{filed} 200 บ. แก่ นางมาลี มีสุข แล้ว" in done
    assert bank(db) == before - 20_000


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("claims/{ref}/approve", {}),
        ("claims/{ref}/approve", {"decision": "approve", "reason": "x"}),  # the old form's body
        ("claims/{paid}/reverse", {"reason": "x"}),
        ("receipts/{receipt}/restore", {"reason": "x"}),
        ("exceptions/settle", {"what": "#{disputed}", "action": "reverse", "note": "x"}),
    ],
)
def test_no_money_moves_without_the_confirm_button(
    client, runner, db, committee, paid, reversed_receipt, path, data
):
    # A second claim filed, and a second receipt disputed, so every action has its subject.
    ref = claim_ref(
        send(client, committee["collector"][2], f"CLAIM {committee['member'][1]} ป่วย 1")
    )
    disputed = ref_of(send(client, committee["collector"][2], f"PAY {committee['member'][1]} 20"))
    send(client, committee["member"][2], f"NO {disputed}")
    names = {"ref": ref, "paid": paid, "receipt": reversed_receipt, "disputed": disputed}
    log_in(client, "somsri")
    csrf = token(client.get("/dashboard/g/BANNA/claims").get_data(as_text=True))
    before = books(db)
    body = {k: v.format(**names) for k, v in data.items()}
    response = client.post(
        f"/dashboard/g/BANNA/{path.format(**names)}", data={**body, "csrf_token": csrf}
    )
    assert response.status_code == 400
    assert books(db) == before


def test_rejecting_needs_a_reason_and_says_what_was_done(client, db, filed):
    log_in(client, "somsri")
    csrf = token(client.get("/dashboard/g/BANNA/claims").get_data(as_text=True))
    before = books(db)
    url = f"/dashboard/g/BANNA/claims/{filed}/reject"
    empty = client.post(url, data={"reason": "  ", "csrf_token": csrf}, follow_redirects=True)
    assert "ใส่เหตุผลที่ไม่อนุมัติก่อน ยังไม่มีอะไรเปลี่ยน" in empty.get_data(as_text=True)
    assert books(db) == before
    done = client.post(
        f"/dashboard/g/BANNA/claims/{filed}/reject",
        data={"reason": "ไม่มีใบรับรองแพทย์", "csrf_token": csrf},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"ไม่อนุมัติ #{filed} แล้ว เหตุผล: ไม่มีใบรับรองแพทย์" in done
    after = books(db)
    assert after["transfers"] == before["transfers"] and after["accounts"] == before["accounts"]


def test_a_paid_claim_is_reversed_from_the_dashboard_once(client, db, paid, fund):
    log_in(client, "somsri")
    listing = client.get("/dashboard/g/BANNA/claims").get_data(as_text=True)
    assert "มอบแล้ว" in listing and f"/dashboard/g/BANNA/claims/{paid}/reverse" in listing
    url = f"/dashboard/g/BANNA/claims/{paid}/reverse"
    no_reason = client.get(url).get_data(as_text=True)
    assert "นำ 200 บ. ที่มอบแก่ นางมาลี มีสุข" in no_reason and confirm_form(no_reason) is None
    page = client.get(url, query_string={"reason": "ยื่นผิดคน"}).get_data(as_text=True)
    assert confirm_form(page) is not None and "ยื่นผิดคน" in confirm_form(page)
    before = bank(db)
    data = {"reason": "ยื่นผิดคน", "confirmed": "yes", "csrf_token": token(page)}
    done = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert f"ยกเลิกการมอบ #{paid} 200 บ. แล้ว เงินกลับเข้าบัญชีธนาคารของกองทุน" in done
    assert "ยกเลิกการมอบแล้ว: ยื่นผิดคน (นางสมศรี ใจดี)" in done
    assert bank(db) == before + 20_000
    assert texts_to(db, fund["member"][2])[-1].startswith("กองทุนบ้านนา: ขออภัย")
    kept = books(db)
    again = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert f"#{paid} ยกเลิกการมอบไปแล้ว" in again and "ไม่มีอะไรเปลี่ยน" in again
    assert books(db) == kept


def test_a_wrongly_reversed_receipt_is_restored_from_the_members_page(
    client, db, committee, reversed_receipt
):
    log_in(client, "somsri")
    number = committee["member"][1]
    history = client.get(f"/dashboard/g/BANNA/members/{number}").get_data(as_text=True)
    url = f"/dashboard/g/BANNA/receipts/{reversed_receipt}/restore"
    assert url in history
    page = client.get(url, query_string={"reason": "ผู้เก็บยืนยันว่าได้เงิน"}).get_data(as_text=True)
    assert (
        f"คืนรายการ #{reversed_receipt}: บันทึกเงินสัจจะ 30 บ. ของ นางมาลี มีสุข อีกครั้ง "
        "เป็นเงินในมือ นายบุญมี เก็บเงิน"
    ) in page
    data = {"reason": "ผู้เก็บยืนยันว่าได้เงิน", "confirmed": "yes", "csrf_token": token(page)}
    done = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert f"คืนรายการ #{reversed_receipt} 30 บ. ให้ นางมาลี มีสุข แล้ว (รายการใหม่ #" in done
    assert given(db, committee["member"][0]) == 3000
    kept = books(db)
    again = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert f"#{reversed_receipt} คืนไปแล้ว" in again
    assert books(db) == kept
