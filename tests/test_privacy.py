"""Members' rights over their data (PDPA): consent, export, the access log, anonymising, PRIVACY."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from people import BY, send
from sqlalchemy import func, select, update

from gateway.flows.texts import privacy_reply
from models.actors import Actor
from models.ledger import Code, TransferSpec, create_transfer
from models.outbox import MessageKind, OutboundMessage, queue_sms
from models.privacy import NO_PHONE, MemberAccess
from models.registry import (
    Group,
    Member,
    MemberChange,
    add_member,
    edit_member,
    set_beneficiary,
    set_status,
)
from models.users import User, add_user
from models.ussd import UssdHop

pytestmark = pytest.mark.clock  # reads the business day
PASSWORD = "ลับมาก-secret-1"


def cli(runner, line, *more):
    """Run one command line; the words of `line` split on spaces, `more` kept whole."""
    return runner.invoke(args=[*line.split(" "), *more])


def member_row(db, member_id):
    with db.transaction() as session:
        member = session.get(Member, member_id)
        session.expunge(member)
        return member


# Consent


def test_consent_is_recorded_at_registration_and_shown(runner, db, fund):
    out = cli(
        runner, "members add --group BANNA --phone 0899000001 --consent paper --name", "นางใหม่ ใจดี"
    )
    assert out.exit_code == 0, out.output
    number = int(out.output.split()[-1])
    bare = cli(runner, "members add --group BANNA --phone 0899000002 --name", "นายไม่บอก")
    assert bare.exit_code == 0, bare.output
    with db.transaction() as session:
        new = session.scalars(select(Member).where(Member.number == number)).one()
        assert (new.consent_how, new.consent_on) == ("paper", new.joined_on)
        said = session.scalars(
            select(MemberChange.new).where(
                MemberChange.member_id == new.id, MemberChange.what == "consent"
            )
        ).one()
        assert said.endswith("paper")
        old = session.get(Member, fund["member"][0])
        assert old.consent_how is None and old.consent_on is None  # not recorded


def test_consent_of_a_member_from_before_is_recorded_later(runner, db, fund):
    number, by = fund["member"][1], fund["treasurer"][1]
    out = cli(runner, f"members edit --group BANNA {number} --consent วาจา --by {by}")
    assert out.exit_code == 0 and "changed consent" in out.output, out.output
    assert member_row(db, fund["member"][0]).consent_how == "spoken"
    bad = cli(runner, f"members edit --group BANNA {number} --consent email --by {by}")
    assert bad.exit_code != 0 and len(bad.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra",
    [
        ["--consent", "signed"],
        ["--consent", "paper", "--consent-on", "2999-01-01"],
        ["--consent-on", "2026-01-01"],
    ],
)
def test_bad_consent_is_one_line_and_writes_nothing(runner, db, fund, extra):
    with db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(Member))
    out = runner.invoke(
        args=["members", "add", "--group", "BANNA", "--name", "x", "--phone", "0899000003", *extra]
    )
    assert out.exit_code != 0
    assert len(out.output.strip().splitlines()) == 1, out.output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Member)) == before


def test_import_takes_consent_columns(runner, db, fund, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "name,phone,office,joined,lang,consent,consent_on\n"
        "นางหนึ่ง,0899000011,member,2026-01-05,th,วาจา,2026-01-04\n"
        "นางสอง,0899000012,member,2026-01-05,th,,\n",
        encoding="utf-8",
    )
    out = runner.invoke(args=["members", "import", str(path), "--group", "BANNA"])
    assert out.exit_code == 0, out.output
    with db.transaction() as session:
        rows = dict(
            session.execute(
                select(Member.name, Member.consent_how).where(Member.name.like("นาง%ง"))
            ).all()
        )
    assert rows == {"นางหนึ่ง": "spoken", "นางสอง": None}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,phone,office,joined,lang,consent\nนางสาม,0899000013,member,2026-01-05,th,email\n",
        encoding="utf-8",
    )
    out = runner.invoke(args=["members", "import", str(bad), "--group", "BANNA"])
    assert out.exit_code != 0 and "line 2: consent" in out.output


# Export and the access log


def test_export_data_gives_everything_held_and_is_logged(runner, client, db, fund, tmp_path):
    member_id, number, phone = fund["member"]
    send(client, fund["collector"][2], f"PAY {number} 30")
    send(client, phone, "BAL")
    with db.transaction() as session:
        member = session.get(Member, member_id)
        set_beneficiary(session, member, "นายลูก มีสุข", "0899000020", "ลูก", BY)
    html = tmp_path / "member.html"
    out = runner.invoke(
        args=["members", "export-data", "--group", "BANNA", str(number), "--html", str(html),
              "--by", str(fund["treasurer"][1])]
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["register"]["name"] == "นางมาลี มีสุข"
    assert data["register"]["phone"] == "+66811000004"
    assert data["register"]["beneficiary_name"] == "นายลูก มีสุข"
    assert "pin_hash" not in data["register"]
    assert [c["what"] for c in data["changes"]] == ["beneficiary"]
    assert [t["amount_satang"] for t in data["ledger"]] == [3000]
    assert any("30" in m["text"] for m in data["messages_sent"])  # the receipt
    assert [m["text"] for m in data["messages_received"]] == ["BAL"]
    assert data["access_log"][-1]["what"] == "export"
    assert "นางสมศรี ใจดี" in data["access_log"][-1]["by"]
    page = html.read_text("utf-8")
    assert "นางมาลี มีสุข" in page and "สมาชิกเลขที่" in page
    assert re.search(r"\d{1,2} [ก-๙.]+ 25\d\d", page), "Buddhist Era dates"
    log = cli(runner, f"members access-log --group BANNA {number} --json")
    assert log.exit_code == 0, log.output
    entries = json.loads(log.output)
    assert [(e["channel"], e["what"], e["member"]) for e in entries] == [("cli", "export", number)]


def test_export_of_nobody_is_one_line_and_logs_nothing(runner, db, fund):
    out = cli(runner, f"members export-data --group BANNA 999 --by {fund['treasurer'][1]}")
    assert out.exit_code != 0 and len(out.output.strip().splitlines()) == 1
    plain = cli(runner, f"members export-data --group BANNA {fund['member'][1]} --by 999")
    assert plain.exit_code != 0
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MemberAccess)) == 0


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def treasurer_logs_in(client, db, fund):
    """BANNA's treasurer, with a dashboard login linked to her, logs in."""
    with db.transaction() as session:
        banna = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        treasurer = session.get(Member, fund["treasurer"][0])
        add_user(session, "somsri", "สมศรี", PASSWORD, banna, "th", treasurer)
    csrf = csrf_of(client.get("/dashboard/login").get_data(as_text=True))
    client.post(
        "/dashboard/login", data={"username": "somsri", "password": PASSWORD, "csrf_token": csrf}
    )


def test_opening_a_member_page_is_logged_and_shown_to_the_committee(client, runner, db, fund):
    treasurer_logs_in(client, db, fund)
    number = fund["member"][1]
    first = client.get(f"/dashboard/g/BANNA/members/{number}").get_data(as_text=True)
    assert "ไม่ได้บันทึก" in first  # consent: not recorded, for a member from before
    second = client.get(f"/dashboard/g/BANNA/members/{number}").get_data(as_text=True)
    looks = second.split('class="looks"')[1]
    assert looks.count("นางสมศรี ใจดี") == 2 and "ผ่านบัญชีผู้ใช้ somsri" in looks
    log = json.loads(cli(runner, "members access-log --group BANNA --json").output)
    assert [(e["channel"], e["what"], e["member"]) for e in log] == [
        ("dashboard", "page", number)
    ] * 2
    by = fund["treasurer"][1]
    cli(runner, f"members export-data --group BANNA {fund['member_en'][1]} --by {by}")
    whole = client.get("/dashboard/g/BANNA/access").get_data(as_text=True)
    rows = whole.split('class="looks"')[1]
    assert rows.count("เปิดหน้าสมาชิก") == 2 and rows.count("ส่งออกข้อมูล") == 1
    assert "Ms. Anna Member" in rows and rows.count("นางสมศรี ใจดี") == 3  # who asked, by name
    assert client.get("/dashboard/g/NAKLANG/access").status_code == 403


def test_consent_is_recorded_from_the_member_page(client, db, fund, today):
    treasurer_logs_in(client, db, fund)
    number = fund["member"][1]
    url = f"/dashboard/g/BANNA/members/{number}"
    page = client.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_of(page), "name": "นางมาลี มีสุข", "lang": "th"}
    future = (today + dt.timedelta(days=1)).isoformat()
    client.post(f"{url}/edit", data={**form, "consent_how": "spoken", "consent_on": future})
    assert member_row(db, fund["member"][0]).consent_how is None  # refused, nothing written
    client.post(
        f"{url}/edit", data={**form, "consent_how": "spoken", "consent_on": today.isoformat()}
    )
    assert member_row(db, fund["member"][0]).consent_how == "spoken"
    shown = client.get(url).get_data(as_text=True)
    assert "ความยินยอมให้เก็บข้อมูล: วาจา" in shown


# Anonymising after the retention period


LONG_AGO = dt.date(2014, 1, 6)


@pytest.fixture
def former(db, fund):
    """A member who joined in 2014, gave money that year and withdrew in January 2015."""
    with db.transaction() as session:
        banna = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        person = add_member(
            session,
            banna,
            name="นางเก่า แก่มาก",
            phone="0899000030",
            joined_on=LONG_AGO,
            born_on=dt.date(1950, 5, 1),
            consent=(LONG_AGO, "paper"),
        )
        edit_member(session, person, {"name": "นางเก่า แก่จริง"}, BY)
        set_beneficiary(session, person, "นายหลาน แก่", "0899000031", "หลาน", BY)
        for month in (2, 3, 4):
            create_transfer(
                session,
                TransferSpec(
                    by=BY,
                    key=f"old:{person.id}:{month}",
                    group_id=banna.id,
                    debit=f"collector_cash:{fund['collector'][0]}",
                    credit=f"member:{person.id}",
                    amount=3000,
                    code=Code.CONTRIBUTION,
                    business_date=dt.date(2014, month, 1),
                    member_id=person.id,
                    collector_id=fund["collector"][0],
                ),
            )
        queue_sms(session, person.phone, "นางเก่า รับ 30 บ. แล้วค่ะ", MessageKind.RECEIPT,
                  member=person)  # fmt: skip
        session.add(
            UssdHop(session_id="old-1", hop=1, member_id=person.id, text="1", screen="END แก่")
        )
        add_user(session, "kaeold", "นางเก่า", PASSWORD, banna, "th", person)
        set_status(session, person, "withdrawn", LONG_AGO, BY)
        session.flush()
        # The withdrawal was recorded in January 2015: its change row carries that time.
        session.execute(
            update(MemberChange)
            .where(MemberChange.member_id == person.id, MemberChange.what == "status")
            .values(at=dt.datetime(2015, 1, 10, 3, 0))
        )
        return person.id, person.number


def figures(runner):
    """What must not move: the ledger check and the reports, as printed."""
    return [
        cli(runner, "ledger check --verbose").output,
        cli(runner, "report codi --group BANNA --fiscal-year 2557").output,
        cli(runner, "report codi --group BANNA --fiscal-year 2558").output,
        cli(runner, "report group BANNA --json").output,
    ]


def test_anonymise_replaces_personal_data_and_leaves_every_figure(runner, db, fund, former):
    member_id, number = former
    with db.transaction() as session:  # a member who left this year is kept
        set_status(session, session.get(Member, fund["member_en"][0]), "withdrawn", LONG_AGO, BY)
    before = figures(runner)
    assert "90.00" in before[1] or "90" in before[1]  # the 2014 money is in FY 2557
    dry = cli(runner, "members anonymise --group BANNA --dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would anonymise member {number} (left 2015-01-10)" in dry.output
    assert member_row(db, member_id).name == "นางเก่า แก่จริง"
    assert (
        "kept 1 former member(s)" in cli(runner, "members anonymise --group BANNA --dry-run").output
    )
    out = cli(runner, f"members anonymise --group BANNA --by {fund['treasurer'][1]}")
    assert out.exit_code == 0, out.output
    assert (
        f"anonymised member {number}" in out.output and "anonymised 1 member of BANNA" in out.output
    )
    after = figures(runner)
    assert after == before  # byte for byte
    gone = member_row(db, member_id)
    assert gone.name == f"(ลบข้อมูลแล้ว) สมาชิก {number}" and gone.phone == NO_PHONE
    assert gone.born_on is None and gone.beneficiary_phone is None
    assert gone.beneficiary_name == "(ลบแล้ว)" and gone.anonymised_at is not None
    with db.transaction() as session:
        history = session.execute(
            select(MemberChange.what, MemberChange.old, MemberChange.new).where(
                MemberChange.member_id == member_id
            )
        ).all()
        text = json.dumps([list(row) for row in history], ensure_ascii=False)
        assert "แก่" not in text and "0899" not in text and "+6689" not in text
        assert ("anonymised", None, None) in [tuple(row) for row in history]
        sent = session.scalars(
            select(OutboundMessage).where(OutboundMessage.member_id == member_id)
        ).one()
        assert (sent.to_phone, sent.text) == (NO_PHONE, "(ลบแล้ว)")
        hop = session.scalars(select(UssdHop).where(UssdHop.member_id == member_id)).one()
        assert (hop.text, hop.screen) == ("(ลบแล้ว)", "(ลบแล้ว)")
        login = session.scalars(select(User).where(User.member_id == member_id)).one()
        assert login.username == f"anonymised-{login.id}" and login.disabled_at is not None
        assert login.name == gone.name
    by = fund["treasurer"][1]
    exported = json.loads(
        cli(runner, f"members export-data --group BANNA {number} --by {by}").stdout
    )
    assert "แก่" not in json.dumps(exported, ensure_ascii=False)
    assert [t["amount_satang"] for t in exported["ledger"]] == [3000, 3000, 3000]
    again = cli(runner, f"members anonymise --group BANNA --member {number} --by {by}")
    assert again.exit_code != 0 and "anonymised already" in again.output
    back = cli(runner, f"members status --group BANNA {number} active --by {fund['treasurer'][1]}")
    assert back.exit_code != 0 and "register them anew" in back.output


@pytest.mark.parametrize(
    ("who", "why"),
    [("member", "is still a member (active)"), ("former", "kept until 2030-01-10")],
)
def test_anonymise_refuses_an_active_member_or_one_inside_the_period(
    runner, db, fund, former, who, why
):
    number = former[1] if who == "former" else fund["member"][1]
    if who == "former":  # a fund that keeps data 20 years
        assert cli(runner, f"groups retention BANNA 20 --by {fund['treasurer'][1]}").exit_code == 0
        why = "kept until 2035-01-10 (retention 20 years)"
    before = figures(runner)
    out = cli(
        runner,
        f"members anonymise --group BANNA --member {number} --member {former[1]}"
        f" --by {fund['treasurer'][1]}",
    )
    assert out.exit_code != 0
    assert len(out.output.strip().splitlines()) == 1 and why in out.output, out.output
    assert "nothing anonymised" in out.output
    assert member_row(db, former[0]).name == "นางเก่า แก่จริง"  # the other one untouched too
    assert figures(runner) == before
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MemberAccess)) == 0


def test_export_and_anonymise_name_the_person_who_asks(runner, db, fund, former):
    # A person decides, never "the command line": each needs --by, and writes nothing without.
    exported = cli(runner, f"members export-data --group BANNA {fund['member'][1]}")
    anonymised = cli(runner, f"members anonymise --group BANNA --member {former[1]}")
    assert exported.exit_code != 0 and "--by" in exported.output
    assert anonymised.exit_code != 0 and "--by" in anonymised.output
    assert member_row(db, former[0]).name == "นางเก่า แก่จริง"
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MemberAccess)) == 0


def test_a_plain_member_may_not_anonymise(runner, fund, former):
    out = cli(runner, f"members anonymise --group BANNA --by {fund['member'][1]}")
    assert out.exit_code != 0 and "committee office" in out.output


def test_retention_is_ten_years_unless_the_group_says(runner, db, fund):
    with db.transaction() as session:
        assert {g.retention_years for g in session.scalars(select(Group))} == {10}
    assert cli(runner, "groups retention BANNA 0 --by 1").exit_code != 0


# PRIVACY by SMS


@pytest.mark.parametrize(("text", "lang"), [("PRIVACY", "en"), ("ข้อมูลส่วนตัว", "th")])
def test_privacy_by_sms_answers_members_and_strangers_in_one_part(client, db, fund, text, lang):
    from gateway.flows.gsm import sms_parts

    phone = fund["member_en"][2] if lang == "en" else fund["member"][2]
    reply = send(client, phone, text).get_data(as_text=True)
    assert reply == privacy_reply(lang, None) and sms_parts(reply) == 1
    stranger = send(client, "+66899999999", text).get_data(as_text=True)
    assert stranger == privacy_reply(lang, None)
    with db.transaction() as session:
        told = session.scalars(
            select(OutboundMessage.text).where(OutboundMessage.to_phone == "+66899999999")
        ).all()
    assert told == [privacy_reply(lang, None)]


def test_privacy_reply_names_the_contact_from_settings():
    from config.settings import SettingsError, load_settings

    settings = load_settings({"SATJA_PRIVACY_CONTACT": "02 123 4567"})
    assert "02 123 4567" in privacy_reply("th", settings.privacy_contact)
    assert "02 123 4567" in privacy_reply("en", settings.privacy_contact)
    with pytest.raises(SettingsError):
        load_settings({"SATJA_PRIVACY_CONTACT": "https://example.org/a/very/long/privacy"})


def test_actor_of_an_export_is_the_person_named(runner, db, fund):
    by = fund["treasurer"][1]
    assert (
        cli(runner, f"members export-data --group BANNA {fund['member'][1]} --by {by}").exit_code
        == 0
    )
    with db.transaction() as session:
        row = session.scalars(select(MemberAccess)).one()
        assert row.by == Actor.person(fund["treasurer"][0])
