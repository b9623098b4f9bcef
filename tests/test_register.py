"""Keeping the register true: households sharing a phone, edits, moves, beneficiaries, imports."""

from __future__ import annotations

import datetime as dt

import pytest
from people import BY, send
from sqlalchemy import func, select

from models.funds import Source, add_funds
from models.offices import Office
from models.outbox import OutboundMessage
from models.registry import Member, MemberChange, add_member, find_group
from models.welfare import Benefit, Schedule, store_schedule

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock
BY_1 = ("--by", "1")  # BANNA's treasurer records register changes


@pytest.fixture
def household(db, fund, today):
    """The member's phone is shared with her daughter (ด.ญ.) and her husband."""
    with db.transaction() as session:
        banna = find_group(session, "BANNA")
        mother = session.get(Member, fund["member"][0])
        mother.joined_on = today
        kids = [
            add_member(session, banna, name=name, phone=mother.phone, joined_on=today, by=BY)
            for name in ("ด.ญ.มะลิ มีสุข", "นายมานะ มีสุข")
        ]
        return {"mother": fund["member"], "daughter": (kids[0].id, kids[0].number, mother.phone)}


def texts_to(db, phone):
    with db.transaction() as session:
        return session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == phone)
        ).all()


def test_bal_from_a_shared_phone_answers_for_each_member(client, fund, household):
    send(client, fund["collector"][2], f"PAY {household['daughter'][1]} 30")
    reply = send(client, household["mother"][2], "ยอด").get_data(as_text=True)
    lines = reply.splitlines()
    assert lines[0] == "ยอดสัจจะของ 3 คนในเบอร์นี้ค่ะ"
    assert lines[1].startswith(f"{household['mother'][1]} นางมาลี 0 บ. ส่งถึง ")
    assert lines[2].startswith(f"{household['daughter'][1]} มะลิ 30 บ. ส่งถึง ")


def test_a_household_member_asks_for_themself_by_number(client, fund, household):
    send(client, fund["collector"][2], f"PAY {household['daughter'][1]} 30")
    reply = send(client, household["mother"][2], f"BAL {household['daughter'][1]}")
    assert reply.get_data(as_text=True).startswith("ยอดสัจจะ 30 บ.")
    stranger = send(client, household["mother"][2], f"BAL {fund['member_en'][1]}")
    assert "เฉพาะผู้เก็บเงินและกรรมการ" in stranger.get_data(as_text=True)


def test_no_from_a_shared_phone_acts_for_the_member_the_entry_is_for(client, db, fund, household):
    paid = send(client, fund["collector"][2], f"PAY {household['daughter'][1]} 30")
    ref = paid.get_data(as_text=True).split("#")[1].split()[0]
    reply = send(client, household["mother"][2], f"NO {ref}").get_data(as_text=True)
    assert "ทักท้วง" in reply or "dispute" in reply.lower()
    with db.transaction() as session:
        from models.disputes import Dispute

        (dispute,) = session.scalars(select(Dispute)).all()
        assert dispute.member_id == household["daughter"][0]


def test_stop_from_a_shared_phone_quiets_the_whole_household(client, db, household):
    send(client, household["mother"][2], "STOP")
    with db.transaction() as session:
        quiet = session.scalars(
            select(Member.reminders_opt_out).where(Member.phone == household["mother"][2])
        ).all()
    assert quiet == [True, True, True]


def test_a_collector_naming_a_shared_phone_is_told_the_member_numbers(client, db, fund, household):
    before = db_counts(db)
    reply = send(client, fund["collector"][2], "PAY 081-100-0004 30").get_data(as_text=True)
    assert reply.startswith("เบอร์ 081-100-0004 มีหลายคน ใช้เลขที่สมาชิกแทน: 4 นางมาลี, ")
    assert db_counts(db)[0] == before[0]


def db_counts(db):
    with db.transaction() as session:
        from models.ledger import Transfer

        return (
            session.scalar(select(func.count()).select_from(Transfer)),
            session.scalar(select(func.count()).select_from(MemberChange)),
        )


def test_an_official_needs_a_phone_of_their_own(runner, db, fund, household):
    number = household["daughter"][1]
    result = runner.invoke(
        args=["members", "office", "add", "--group", "BANNA", str(number), "committee", *BY_1]
    )
    assert result.exit_code == 1 and "shares a phone" in result.output
    taken = runner.invoke(args=["members", "phone", "--group", "BANNA", "4", "0811000002", *BY_1])
    assert taken.exit_code == 1 and "belongs to an official" in taken.output


def test_members_office_add_and_end_keep_the_history(runner, db, fund, today):
    add = ["members", "office", "add", "--group", "BANNA", "4", "secretary", "--by", "1"]
    assert runner.invoke(args=add).exit_code == 0
    again = runner.invoke(args=add)
    assert again.exit_code == 1 and "already holds secretary" in again.output
    end = ["members", "office", "end", "--group", "BANNA", "4", "secretary", "--by", "1"]
    assert runner.invoke(args=end).exit_code == 0
    listed = runner.invoke(args=["members", "office", "list", "--group", "BANNA", "--all"])
    assert f"4\tนางมาลี มีสุข\tsecretary\t{today}\t{today}" in listed.output
    now = runner.invoke(args=["members", "office", "list", "--group", "BANNA"]).output
    assert "secretary" not in now and "treasurer" in now
    for bad, says in [
        (["4", "boss"], "office must be one of"),
        (["999", "chair"], "no member number"),
        (["4", "chair", "--by", "2"], "only the chair"),  # a collector may not
        (["4", "chair", "--by", "4"], "only the chair"),  # nor a plain member
    ]:
        args = ["members", "office", "add", "--group", "BANNA", *bad]
        if "--by" not in bad:
            args += ["--by", "1"]
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and says in result.output, (bad, result.output)


def test_members_edit_changes_details_and_keeps_who_changed_them(runner, db, fund):
    result = runner.invoke(
        args=[
            *("members", "edit", "--group", "BANNA", "4", "--born", "1950-02-03"),
            *("--sex", "หญิง", "--village", "หมู่ 3", "--collector", "2", *BY_1),
        ]
    )
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        member = session.get(Member, fund["member"][0])
        assert (member.born_on, member.sex, member.village) == (
            dt.date(1950, 2, 3),
            "f",
            "หมู่ 3",
        )
        assert member.collector_id == fund["collector"][0]
        kept = session.execute(
            select(MemberChange.what, MemberChange.by_member_id).where(
                MemberChange.member_id == member.id
            )
        ).all()
    assert {what for what, _ in kept} == {"born_on", "sex", "village", "collector_id"}
    assert {by for _, by in kept} == {fund["treasurer"][0]}
    before = db_counts(db)
    for bad, says in [
        (["--sex", "x"], "sex must be"),
        (["--collector", "4"], "not a collector"),
        (["--born", "2030-01-01"], "born after joining"),
        ([], "say what to change"),
    ]:
        args = ["members", "edit", "--group", "BANNA", "4", *bad, "--by", "1"]
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and says in result.output, (bad, result.output)
    assert db_counts(db) == before


def test_a_birth_date_added_later_unblocks_an_old_age_claim(client, runner, db, fund, today):
    with db.transaction() as session:
        banna = find_group(session, "BANNA")
        banna.waiting_days = 0
        add_funds(session, banna, Source.DONATION, 5_000_000, today, "d", by=BY)
        session.get(Member, fund["member"][0]).joined_on = today
        # Old-age support with no wait of its own (the default waits 15 years).
        elderly = Benefit("elderly", 300, "month", 1, 12, min_age=60)
        store_schedule(session, banna, Schedule("short", 30, {"elderly": elderly}))
    send(client, fund["collector"][2], "PAY 4 30")
    refused = send(client, fund["treasurer"][2], "CLAIM 4 elderly").get_data(as_text=True)
    assert "วันเกิด" in refused or "birth" in refused.lower()
    born = (today - dt.timedelta(days=365 * 70)).isoformat()
    runner.invoke(args=["members", "edit", "--group", "BANNA", "4", "--born", born, "--by", "1"])
    # Born after joining is refused; joining is today, so move it back first.
    with db.transaction() as session:
        session.get(Member, fund["member"][0]).born_on = today - dt.timedelta(days=365 * 70)
    filed = send(client, fund["treasurer"][2], "CLAIM 4 elderly").get_data(as_text=True)
    assert filed.startswith("ยื่นขอ"), filed


def test_members_phone_moves_authority_and_messages_to_the_new_number(client, runner, db, fund):
    old = fund["collector"][2]
    result = runner.invoke(
        args=["members", "phone", "--group", "BANNA", "2", "089-765-4321", "--by", "1"]
    )
    assert result.exit_code == 0 and "now uses 089 765 4321" in result.output
    refused = send(client, old, "PAY 4 30").get_data(as_text=True)
    assert "ไม่พบเบอร์" in refused or "not registered" in refused.lower() or "สมาชิก" in refused
    paid = send(client, "+66897654321", "PAY 4 30").get_data(as_text=True)
    assert paid.startswith("รับ") or "30" in paid
    with db.transaction() as session:
        change = session.scalars(select(MemberChange).where(MemberChange.what == "phone")).one()
        assert (change.old, change.new) == (old, "+66897654321")


def test_a_funeral_claim_pays_and_tells_the_named_beneficiary(client, runner, db, fund, today):
    with db.transaction() as session:
        banna = find_group(session, "BANNA")
        banna.waiting_days = 0
        add_funds(session, banna, Source.DONATION, 5_000_000, today, "d", by=BY)
        session.get(Member, fund["member"][0]).joined_on = today
    named = runner.invoke(
        args=[
            *("members", "beneficiary", "--group", "BANNA", "4", "--name", "นายมานะ มีสุข"),
            *("--phone", "089-111-2222", "--relation", "ลูก", *BY_1),
        ]
    )
    assert named.exit_code == 0, named.output
    send(client, fund["collector"][2], "PAY 4 30")
    runner.invoke(args=["members", "status", "--group", "BANNA", "4", "deceased", "--by", "1"])
    filed = send(client, fund["collector"][2], "CLAIM 4 funeral").get_data(as_text=True)
    assert filed.startswith("ยื่นขอค่าทำศพ"), filed
    ref = filed.split("#")[1].split()[0]
    send(client, fund["treasurer"][2], f"APPROVE {ref}")
    (told,) = texts_to(db, "+66891112222")
    # To the bereaved, headed by the fund, with condolence: never "to" the deceased.
    assert told == (
        f"กองทุนบ้านนา ขอแสดงความเสียใจต่อการจากไปของ นางมาลี กองทุนมอบค่าทำศพ 2,000 บ. แก่ท่านแล้ว #{ref} ค่ะ"
    )
    assert not any("ค่าทำศพ" in t for t in texts_to(db, fund["member"][2]))


def test_members_import_takes_the_registers_other_columns(runner, db, fund, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(
        "name,phone,office,joined,lang,born,sex,village,collector\n"
        "นางแก้ว ใจงาม,0813000001,,2025-01-01,th,1960-04-01,f,หมู่ 2,2\n"
        "ด.ช.ก้อง ใจงาม,0813000001,,2025-01-01,th,2015-06-01,m,หมู่ 2,2\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["members", "import", str(path), "--group", "BANNA"])
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        rows = session.scalars(
            select(Member).where(Member.phone == "+66813000001").order_by(Member.number)
        ).all()
        assert [(m.sex, m.village, m.collector_id) for m in rows] == [
            ("f", "หมู่ 2", fund["collector"][0]),
            ("m", "หมู่ 2", fund["collector"][0]),
        ]
        assert rows[0].born_on == dt.date(1960, 4, 1)


def test_a_large_claim_needs_two_different_deciders(client, db, fund, today, tmp_path, runner):
    schedule = tmp_path / "s.toml"
    schedule.write_text(
        'version = "two"\nmax_days_behind = 30\napprovals_over_baht = 200\n'
        '[[benefit]]\ntype = "hospital"\namount = 100\nunit = "night"\n'
        "per_claim = 10\nper_year = 20\nwaiting_days = 0\n",
        encoding="utf-8",
    )
    assert (
        runner.invoke(
            args=["welfare", "schedule", "load", str(schedule), "--group", "BANNA"]
        ).exit_code
        == 0
    )
    with db.transaction() as session:
        banna = find_group(session, "BANNA")
        add_funds(session, banna, Source.DONATION, 5_000_000, today, "d", by=BY)
        session.get(Member, fund["member"][0]).joined_on = today
        chair = add_member(
            session, banna, name="นายประธาน", phone="0815550001", joined_on=today,
            office=Office.CHAIR, by=BY,
        )  # fmt: skip
        chair_phone = chair.phone
    send(client, fund["collector"][2], "PAY 4 30")
    small = send(client, fund["collector"][2], "CLAIM 4 ป่วย 2").get_data(as_text=True)
    big = send(client, fund["collector"][2], "CLAIM 4 ป่วย 3").get_data(as_text=True)
    small_ref, big_ref = (t.split("#")[1].split()[0] for t in (small, big))
    assert (
        send(client, fund["treasurer"][2], f"APPROVE {small_ref}")
        .get_data(as_text=True)
        .startswith("อนุมัติ #")
    )
    first = send(client, fund["treasurer"][2], f"APPROVE {big_ref}").get_data(as_text=True)
    assert first == f"อนุมัติ #{big_ref} 300 บ. แล้ว รอกรรมการอีกคนอนุมัติค่ะ"
    assert any(big_ref in t for t in texts_to(db, chair_phone))
    same = send(client, fund["treasurer"][2], f"APPROVE {big_ref}").get_data(as_text=True)
    assert same == f"ท่านอนุมัติ #{big_ref} แล้ว ต้องให้กรรมการอีกคนอนุมัติค่ะ"
    paid = send(client, chair_phone, f"APPROVE {big_ref}").get_data(as_text=True)
    assert paid.startswith(f"อนุมัติ #{big_ref} กองทุนมอบ")


def test_the_member_page_edits_the_register_for_the_committee_only(client, db, fund):
    from models.users import add_user

    password = "ลับมาก-secret-1"
    with db.transaction() as session:
        banna = find_group(session, "BANNA")
        add_user(
            session, "somsri", "", password, banna, "th", session.get(Member, fund["treasurer"][0])
        )
        add_user(
            session, "boonmee", "", password, banna, "th", session.get(Member, fund["collector"][0])
        )

    def token(page):
        return page.split('name="csrf_token" value="')[1].split('"')[0]

    def edit(username, **form):
        login = client.get("/dashboard/login").get_data(as_text=True)
        client.post(
            "/dashboard/login",
            data={"username": username, "password": password, "csrf_token": token(login)},
        )
        page = client.get("/dashboard/g/BANNA/members/4").get_data(as_text=True)
        done = client.post(
            "/dashboard/g/BANNA/members/4/edit",
            data={"csrf_token": token(page), "name": "นางมาลี มีสุข", "lang": "th", **form},
            follow_redirects=True,
        ).get_data(as_text=True)
        client.post("/dashboard/logout", data={"csrf_token": token(page)})
        return page, done

    page, done = edit(
        "somsri", born="1958-03-04", sex="f", village="หมู่ 5", collector="2",
        beneficiary_name="นายมานะ มีสุข", beneficiary_phone="0891112222", beneficiary_relation="ลูก",
    )  # fmt: skip
    assert 'name="born"' in page and "บันทึกแล้ว:" in done, done
    with db.transaction() as session:
        member = session.get(Member, fund["member"][0])
        assert (member.born_on, member.village, member.beneficiary_phone) == (
            dt.date(1958, 3, 4),
            "หมู่ 5",
            "+66891112222",
        )
        changes = session.scalar(select(func.count()).select_from(MemberChange))
    page, done = edit("boonmee", village="หมู่ 9")
    assert 'name="born"' not in page  # a collector sees the register, without the form
    assert "ตำแหน่งของคุณทำรายการนี้ไม่ได้" in done
    with db.transaction() as session:
        assert session.get(Member, fund["member"][0]).village == "หมู่ 5"
        assert session.scalar(select(func.count()).select_from(MemberChange)) == changes


@pytest.mark.parametrize("name", ["นายทด\x1b[2Jลอง", "นางมาลี\x07", "นาย\nสอง", "ok\x00"])
def test_a_name_with_a_control_character_is_refused_and_nothing_written(db, fund, today, name):
    from models.registry import RegistryError, edit_member, set_beneficiary

    with db.transaction() as session:
        group = find_group(session, "BANNA")
        before = session.scalar(select(func.count()).select_from(Member))
        with pytest.raises(RegistryError, match="control characters"):
            add_member(session, group, name=name, phone="0899000111", joined_on=today)
        member = session.get(Member, fund["member"][0])
        with pytest.raises(RegistryError, match="control characters"):
            edit_member(session, member, {"name": name}, BY)
        with pytest.raises(RegistryError, match="control characters"):
            edit_member(session, member, {"village": name}, BY)
        with pytest.raises(RegistryError, match="control characters"):
            set_beneficiary(session, member, name, None, "ลูก", BY)
        assert session.scalar(select(func.count()).select_from(Member)) == before
        assert member.name == "นางมาลี มีสุข"
