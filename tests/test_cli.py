"""The treasurer's command line: setting up groups and members, checking the books."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text

from models.ledger import Transfer
from models.offices import Office, OfficeTerm, offices_of
from models.registry import Group, Member

# Reads the business day: CI runs these again at each risky instant (.ci/run).
pytestmark = pytest.mark.clock


def invoke(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def counts(db):
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Group)),
            session.scalar(select(func.count()).select_from(Member)),
            session.scalar(select(func.count()).select_from(Transfer)),
        )


@pytest.fixture
def village(runner, db):
    result = invoke(runner, "groups", "add", "BANNA", "--name", "กองทุนบ้านนา")
    assert result.exit_code == 0, result.output
    return db


def test_groups_add_uses_the_design_defaults(village):
    with village.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        assert (group.daily_rate_satang, group.waiting_days, group.lapse_days) == (100, 180, 90)
        assert (group.meeting_day, group.entrance_fee_satang) == (16, 0)


def test_groups_add_takes_rate_and_meeting_day(runner, db):
    result = invoke(
        runner, "groups", "add", "trat", "--name", "Trat", "--daily-rate", "2", "--meeting-day", "5"
    )
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        group = session.scalars(select(Group).where(Group.code == "TRAT")).one()
        assert (group.daily_rate_satang, group.meeting_day) == (200, 5)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["BANNA", "--name", "again"], "already exists"),
        (["X", "--name", "short code"], "group code"),
        (["NEW", "--name", "   "], "name"),
        (["NEW", "--name", "n", "--meeting-day", "31"], "31"),
        (["NEW", "--name", "n", "--daily-rate", "0"], "0"),
        (["NEW", "--name", "n", "--daily-rate", "1.5"], "1.5"),
    ],
)
def test_groups_add_refuses_bad_input(runner, village, args, reason):
    before = counts(village)
    result = runner.invoke(args=["groups", "add", *args])
    assert result.exit_code != 0
    assert reason in result.output
    assert "Traceback" not in result.output
    assert counts(village) == before


@pytest.mark.parametrize(
    "phone", ["0812345678", "081-234-5678", "+66 81 234 5678", "๐๘๑-๒๓๔-๕๖๗๘", "66812345678"]
)
def test_members_add_accepts_every_thai_spelling(runner, village, phone):
    result = invoke(
        runner, "members", "add", "--group", "banna", "--name", "นางมาลี ใจดี", "--phone", phone
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1"
    with village.transaction() as session:
        assert session.scalars(select(Member.phone)).one() == "+66812345678"


def test_members_add_numbers_members_in_turn(runner, village):
    numbers = []
    for i, offices in enumerate([["collector"], [], ["treasurer", "committee"]]):
        result = invoke(
            runner,
            *("members", "add", "--group", "BANNA", "--name", f"คน {i}"),
            *("--phone", f"08912345{i:02d}", "--joined", "2025-05-16", "--lang", "en"),
            *(word for office in offices for word in ("--office", office)),
        )
        numbers.append(result.output.strip().splitlines()[-1])
    assert numbers == ["1", "2", "3"]
    assert "joined BANNA as treasurer and committee" in result.output
    with village.transaction() as session:
        first = session.scalars(select(Member).where(Member.number == 1)).one()
        assert (first.lang, first.joined_on.isoformat()) == ("en", "2025-05-16")
        day = dt.date(2025, 5, 16)
        assert offices_of(session, first.id, day) == {Office.COLLECTOR}
        third = session.scalars(select(Member).where(Member.number == 3)).one()
        assert offices_of(session, third.id, day) == {Office.TREASURER, Office.COMMITTEE}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--group", "NOPE", "--phone", "0812345678"], "no group"),
        (["--group", "BANNA", "--phone", "12345"], "not a valid phone"),
        (["--group", "BANNA", "--phone", "021234567"], "not a mobile"),
        (["--group", "BANNA", "--phone", "hello"], "phone"),
        (
            ["--group", "BANNA", "--phone", "089-999-0000", "--office", "collector"],
            "shares a phone",
        ),
        (["--group", "BANNA", "--phone", "0812345678", "--joined", "16/11/2569"], "16/11/2569"),
        (["--group", "BANNA", "--phone", "0812345678", "--joined", "2999-01-01"], "future"),
        (["--group", "BANNA", "--phone", "0812345678", "--office", "boss"], "boss"),
        (["--group", "BANNA", "--phone", "0812345678", "--lang", "fr"], "fr"),
    ],
)
def test_members_add_refuses_bad_input(runner, village, args, reason):
    invoke(runner, "members", "add", "--group", "BANNA", "--name", "first", "--phone", "0899990000")
    before = counts(village)
    result = runner.invoke(args=["members", "add", "--name", "สมชาย", *args])
    assert result.exit_code != 0
    assert reason in result.output
    assert "Traceback" not in result.output
    assert counts(village) == before


def write(tmp_path, text):
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_members_import_adds_every_row(runner, village, tmp_path):
    rows = ["name,phone,role,joined,lang"]
    rows += [f"สมาชิก {i},08{i:08d},member,2025-01-{1 + i % 28:02d},th" for i in range(1, 120)]
    rows.append('"นาย เก็บเงิน, หมู่ 3",๐๙๑-๒๓๔-๕๖๗๘,collector,2024-12-31,en')
    result = invoke(
        runner, "members", "import", write(tmp_path, "\n".join(rows)), "--group", "BANNA"
    )
    assert result.exit_code == 0, result.output
    assert "imported 120 members" in result.output
    # Each new member's number, name -> number, for the collectors' notebooks.
    lines = result.output.splitlines()
    assert "สมาชิก 1 -> 1" in lines and "นาย เก็บเงิน, หมู่ 3 -> 120" in lines
    with village.transaction() as session:
        collector = session.scalars(
            select(Member).join(OfficeTerm, OfficeTerm.member_id == Member.id)
        ).one()
        assert collector.name == "นาย เก็บเงิน, หมู่ 3" and collector.phone == "+66912345678"
        assert collector.number == 120


def test_members_import_rejects_the_whole_file_naming_each_bad_line(runner, village, tmp_path):
    invoke(
        runner,
        *("members", "add", "--group", "BANNA", "--name", "x", "--phone", "0899990000"),
        *("--office", "collector"),
    )
    before = counts(village)
    csv_text = "\n".join(
        [
            "name,phone,role,joined,lang",
            "ดี หนึ่ง,0811111111,member,2025-01-01,th",  # line 2: fine
            ",0811111112,member,2025-01-01,th",  # line 3: no name
            "ดี สาม,12345,member,2025-01-01,th",  # line 4: bad phone
            "ดี สี่,0811111113,boss,2025-01-01,th",  # line 5: bad role
            "ดี ห้า,0811111114,member,16/01/2568,th",  # line 6: bad date
            "ดี หก,0811111115,member,2025-01-01,fr",  # line 7: bad language
            "ดี เจ็ด,081-111-1111,chair,2025-01-01,th",  # line 8: an official on line 2's phone
            "ดี แปด,089-999-0000,member,2025-01-01,th",  # line 9: the collector's phone
        ]
    )
    result = runner.invoke(
        args=["members", "import", write(tmp_path, csv_text), "--group", "BANNA"]
    )
    assert result.exit_code != 0
    output = result.output
    for line, why in [
        (3, "name"),
        (4, "phone"),
        (5, "boss"),
        (6, "16/01/2568"),
        (7, "fr"),
        (8, "repeats line 2"),
        (9, "belongs to an official"),
    ]:
        assert f"line {line}: " in output and why in output, (line, output)
    assert "line 2:" not in output
    assert "nothing imported" in output and "Traceback" not in output
    assert counts(village) == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("nom,tel\nx,0811111111\n", "header"),
        ("name,phone,role,joined,lang\n", "no members"),
        ("name,phone,role,joined,lang\na,0811111111,member,2025-01-01,th,extra\n", "columns"),
    ],
)
def test_members_import_refuses_malformed_files(runner, village, tmp_path, content, reason):
    result = runner.invoke(args=["members", "import", write(tmp_path, content), "--group", "BANNA"])
    assert result.exit_code != 0 and reason in result.output
    assert counts(village)[1] == 0


def test_members_import_refuses_a_file_that_is_not_utf8(runner, village, tmp_path):
    path = tmp_path / "tis620.csv"
    path.write_bytes("name,phone,role,joined,lang\nมาลี,0811111111,,,\n".encode("cp874"))
    result = runner.invoke(args=["members", "import", str(path), "--group", "BANNA"])
    assert result.exit_code != 0 and "UTF-8" in result.output


def test_members_import_refuses_an_unknown_group(runner, village, tmp_path):
    path = write(tmp_path, "name,phone,role,joined,lang\na,0811111111,,,\n")
    result = runner.invoke(args=["members", "import", path, "--group", "NOPE"])
    assert result.exit_code != 0 and "no group" in result.output


def test_ledger_check_passes_on_balanced_books(runner, village):
    invoke(runner, "demo", "seed")
    result = invoke(runner, "ledger", "check")
    assert result.exit_code == 0, result.output
    # One line when all is well; --verbose adds every account and the totals.
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("ok: ") and "debits equal credits" in result.output
    verbose = invoke(runner, "ledger", "check", "--verbose")
    assert verbose.exit_code == 0 and "NAMKHAO fund_bank" in verbose.output
    total = verbose.output.strip().splitlines()[-2].split()
    assert total[0] == "total" and total[1] == total[2]


def test_ledger_check_fails_listing_each_violation(runner, village):
    invoke(runner, "demo", "seed")
    # Running totals are not append-only (they are updated in place), so a bug or a
    # hand edit can make them drift from the journal. The check must say so.
    with village.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE accounts SET credits_posted = credits_posted + 100"
                " WHERE key = 'matching:codi_seed'"
            )
        )
        conn.execute(
            text("UPDATE accounts SET debits_posted = debits_posted + 7 WHERE key = 'fund_bank'")
        )
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    assert "matching:codi_seed" in result.output and "fund_bank" in result.output
    assert "VIOLATION" in result.output and "debits" in result.output
    # Put them back so the fixture's own check passes.
    with village.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE accounts SET credits_posted = credits_posted - 100"
                " WHERE key = 'matching:codi_seed'"
            )
        )
        conn.execute(
            text("UPDATE accounts SET debits_posted = debits_posted - 7 WHERE key = 'fund_bank'")
        )


def test_demo_seed_reproduces_nam_khao(runner, db):
    result = invoke(runner, "demo", "seed")
    assert result.exit_code == 0, result.output
    for office in ("chair", "treasurer", "collector", "secretary", "auditor", "committee"):
        assert office in result.output, office
    # Three households share a phone, children among them, and the parents name a child.
    homes = result.output.split("Phones a household shares")[1].split("Dashboard login")[0]
    assert len(homes.strip().splitlines()) == 4 and "#61" in homes and "ด." in homes
    with db.transaction() as session:
        parent, child = (
            session.scalars(select(Member).where(Member.number == n)).one() for n in (20, 21)
        )
        assert child.phone == parent.phone and child.born_on > parent.born_on
        assert parent.beneficiary_name == child.name and parent.beneficiary_relation == "ลูก"
        assert child.collector_id is not None
    report = json.loads(invoke(runner, "report", "group", "NAMKHAO", "--json").output)
    assert report["group"] == "NAMKHAO"
    assert report["members"] == 1_368
    assert report["contributions_satang"] == 554_871_00
    assert report["matching_satang"] == {"local_government": 10_000_00, "codi_seed": 100_000_00}
    assert report["welfare_paid_satang"] == 0
    assert report["fund_balance_satang"] == (554_871 + 110_000) * 100
    assert (
        report["bank_satang"] + report["cash_with_collectors_satang"]
        == (report["fund_balance_satang"])
    )
    # Deterministic and safe to run again.
    again = invoke(runner, "demo", "seed")
    assert again.stdout == result.stdout
    assert json.loads(invoke(runner, "report", "group", "NAMKHAO", "--json").output) == report


def test_report_group_prints_figures_and_refuses_unknown_groups(runner, db):
    invoke(runner, "demo", "seed")
    result = invoke(runner, "report", "group", "namkhao")
    assert "554,871.00" in result.output and "1,368" in result.output
    missing = runner.invoke(args=["report", "group", "NOPE"])
    assert missing.exit_code != 0 and "no group" in missing.output


@pytest.mark.slow
def test_demo_seed_network_reproduces_the_province(runner, db):
    from models.reports import group_report

    result = invoke(runner, "demo", "seed", "--network")
    assert result.exit_code == 0, result.output
    with db.transaction() as session:
        groups = session.scalars(select(Group)).all()
        reports = [group_report(session, group) for group in groups]
    assert len(groups) == 50
    assert sum(r.members for r in reports) == 25_505
    # The source's 8 million baht is members' own money; matching money only where the
    # source gives it (Nam Khao's 10,000 from the subdistrict and 100,000 from CODI).
    assert sum(r.contributions_satang for r in reports) == 8_000_000_00
    assert sum(r.fund_balance_satang for r in reports) == 8_110_000_00
    namkhao = next(r for r in reports if r.group == "NAMKHAO")
    assert namkhao.members == 1_368 and namkhao.contributions_satang == 554_871_00
    assert {r.group for r in reports if r.matching_satang} == {"NAMKHAO"}
    assert all(r.ratio_satang["local"] == 0 for r in reports if r.group != "NAMKHAO")
    # Safe to run again: nothing is added twice.
    assert invoke(runner, "demo", "seed", "--network").exit_code == 0
    assert counts(db)[:2] == (50, 25_505)


def test_a_short_name_heads_the_funds_sms_and_the_chair_may_change_it(runner, db):
    long_name = "กองทุนสวัสดิการชุมชนตำบลน้ำขาว"
    added = invoke(
        runner, "groups", "add", "NK", "--name", long_name, "--short-name", "กองทุนฯ น้ำขาว"
    )
    assert added.exit_code == 0, added.output
    chair = invoke(
        runner,
        *("members", "add", "--group", "NK", "--name", "นายประธาน", "--phone", "0812000009"),
        *("--office", "chair"),
    )
    assert chair.exit_code == 0, chair.output
    shown = invoke(runner, "groups", "rules", "NK")
    assert "SMS headed 'กองทุนฯ น้ำขาว'" in shown.output
    changed = invoke(
        runner, "groups", "rules", "NK", "--short-name", "  สวัสดิการ  น้ำขาว ", "--by", "1"
    )
    assert changed.exit_code == 0 and "SMS headed 'สวัสดิการ น้ำขาว'" in changed.output
    cleared = invoke(runner, "groups", "rules", "NK", "--short-name", "", "--by", "1")
    # Without one, the name cut at a cluster: never a vowel or tone mark apart.
    assert "SMS headed 'กองทุนสวัสดิการชุมชน'" in cleared.output, cleared.output


@pytest.mark.parametrize(
    "args",
    [
        ["groups", "add", "NEW", "--name", "n", "--short-name", "ก" * 21],
        ["groups", "rules", "BANNA", "--short-name", "ก" * 21, "--by", "1"],
    ],
)
def test_a_short_name_longer_than_twenty_is_refused(runner, village, args):
    before = counts(village)
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "at most 20 characters" in result.output, result.output
    assert counts(village) == before
