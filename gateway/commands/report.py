"""`report group`: a group's figures for the committee."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from pathlib import Path

import click
from flask import Flask, render_template
from flask.cli import AppGroup

from gateway.extensions.database import current_db
from gateway.extensions.settings import business_day
from gateway.flows.dashboard_texts import DASHBOARD_TEXTS, benefit_label
from gateway.flows.dates import BE_OFFSET, format_date
from gateway.flows.money import format_baht
from gateway.services.foresight import basis_lines, chart, suggestion_text
from gateway.services.passbook import passbook_rows
from models.foresight import Gathered, projection_of
from models.learning_day import COLUMNS, learning_day
from models.passbook import passbook
from models.projection import Assumptions, AssumptionsError, Projection, load_assumptions
from models.registry import RegistryError, find_group, find_member
from models.reports import codi_status, group_report, network_report
from models.welfare import BenefitType

group = AppGroup("report", help="Reports for committees.")

ASSUMPTIONS = click.option(
    "--assumptions",
    "assumptions_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An assumptions file (default config/assumptions/default.toml).",
)


@group.command("group")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, money in satang.")
def report_group(code: str, as_json: bool) -> None:
    """Members, contributions, matching money, welfare paid and the fund balance."""
    try:
        with current_db().transaction() as session:
            report = group_report(session, find_group(session, code))
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{report.group}  {report.name}")
    click.echo(f"active members        {report.members:>14,}")
    rows = [
        ("contributions", report.contributions_satang),
        ("entrance fees", report.entrance_fees_satang),
        *((f"matching: {k}", v) for k, v in report.matching_satang.items()),
        ("welfare paid", report.welfare_paid_satang),
        ("administration", report.admin_expense_satang),
        ("in the bank", report.bank_satang),
        ("with collectors", report.cash_with_collectors_satang),
        ("fund balance", report.fund_balance_satang),
        ("received this month", report.received_this_month_satang),
        ("received today", report.received_today_satang),
    ]
    for label, satang in rows:
        click.echo(f"{label:<22}{format_baht(satang, decimals=True):>15} baht")
    click.echo(f"{'payments today':<22}{report.received_today:>15,}")
    click.echo(f"{'in arrears (> 30 days)':<22}{report.in_arrears:>15,}")


@group.command("member")
@click.option("--group", "code", required=True)
@click.argument("number")
@click.option("--year", "be_year", type=click.IntRange(2540, 2700), help="Buddhist Era year.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the printable Thai passbook here.",
)
def report_member(code: str, number: str, be_year: int | None, html_path: Path | None) -> None:
    """A member's passbook for a year (default this year): contributions, claims, standing."""
    today = business_day()
    year = (be_year - BE_OFFSET) if be_year else today.year
    try:
        with current_db().transaction() as session:
            member = find_member(session, find_group(session, code), number)
            book = passbook(session, member, year, today)
            shown = passbook_rows(book)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{shown['fund']}: {shown['number']} {shown['name']}, {shown['year_be']}")
    click.echo(f"เป็นสมาชิกตั้งแต่ {shown['joined']} ({shown['years']} ปี)")
    click.echo(f"ผู้รับผลประโยชน์ {shown['beneficiary']}")
    for day, what, ref, baht, through in shown["lines"]:
        click.echo(f"{day:<14}{what:<20}{ref:<10}{baht:>10}  {through}")
    click.echo(f"รวมส่งสัจจะ {shown['given']} บาท")
    for day, what, ref, baht, state in shown["claims"]:
        click.echo(f"{day:<14}{what:<20}{ref:<10}{baht:>10}  {state}")
    click.echo(f"กองทุนมอบสวัสดิการ {shown['received']} บาท")
    click.echo(f"ยอดสัจจะ {shown['balance']} บาท ส่งถึง {shown['paid_through']}")
    if html_path:
        page = render_template(
            "passbook.html", book=shown, printed=format_date(today, "th"), standalone=True
        )
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"wrote {html_path}")


@group.command("codi")
@click.option("--group", "code", required=True)
@click.option(
    "--fiscal-year",
    "be_year",
    required=True,
    type=click.IntRange(2540, 2700),
    help="Buddhist Era year, e.g. 2569 (1 Oct 2568 - 30 Sep 2569).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the figures as CSV here (default: standard output).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a printable Thai page here.",
)
def report_codi(code: str, be_year: int, csv_path: Path | None, html_path: Path | None) -> None:
    """CODI's yearly status figures for one group, as CSV and a printable page."""
    try:
        with current_db().transaction() as session:
            status = codi_status(session, find_group(session, code), be_year, business_day())
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    rows = codi_rows(status)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "baht"])
    writer.writerows((section, item, value) for section, item, _, value in rows)
    if csv_path:
        csv_path.write_text(out.getvalue(), encoding="utf-8")
        click.echo(f"wrote {csv_path}")
    else:
        click.echo(out.getvalue(), nl=False)
    if html_path:
        start, end = (dt.date.fromisoformat(status[k]) for k in ("start", "end"))
        page = render_template(
            "codi_report.html",
            status=status,
            sections=_sections(rows),
            start=format_date(start, "th"),
            end=format_date(end, "th"),
            printed=format_date(business_day(), "th"),
        )
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"wrote {html_path}")


SECTION_TITLES = {
    "status": "สถานะรายงาน",
    "members": "สมาชิก (คน)",
    "age_sex": "สมาชิก ณ 30 ก.ย. ตามช่วงอายุและเพศ (คน)",
    "opening": "ยอดยกมา ณ 1 ต.ค. (บาท)",
    "income": "รายรับระหว่างปี (บาท)",
    "matching": "เงินสมทบระหว่างปี (บาท)",
    "welfare": "จ่ายสวัสดิการระหว่างปี (บาท)",
    "recipients": "ผู้ได้รับสวัสดิการระหว่างปี (คน)",
    "expenses": "รายจ่ายอื่น (บาท)",
    "balance": "เงินคงเหลือ ณ 30 ก.ย. (บาท)",
    "check": "ตรวจยอด",
}
MEMBER_ROWS = (
    ("members_active", "active", "สมาชิก ณ 30 ก.ย."),
    ("members_one_year", "one_year", "สมาชิกครบ 1 ปี ณ 30 ก.ย. (คน)"),
    ("members_new", "new", "สมัครใหม่ระหว่างปี"),
    ("members_lapsed", "lapsed", "ขาดส่งจนพ้นสภาพระหว่างปี"),
    ("members_withdrawn", "withdrawn", "ลาออกระหว่างปี"),
    ("members_deceased", "deceased", "เสียชีวิตระหว่างปี"),
)
SEX = {"f": "หญิง", "m": "ชาย", "unknown": "ไม่ระบุเพศ"}


def _sections(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The rows under their Thai section titles, in report order."""
    return [
        (SECTION_TITLES[section], [(label, value) for _, _, label, value in items])
        for section, items in itertools.groupby(rows, key=lambda row: row[0])
    ]


THAI_ITEMS = {
    "members": "เงินสัจจะจากสมาชิก",
    "entrance_fees": "ค่าสมัครสมาชิก",
    "local_government": "สมทบจาก อปท.",
    "codi_seed": "สมทบจาก พอช.",
    "government_match": "สมทบจากรัฐบาล",
    "donation": "เงินบริจาค",
    "interest": "ดอกเบี้ย",
    **{b: f"สวัสดิการ{benefit_label(b, 'th')}" for b in BenefitType},
}


def codi_rows(status: dict) -> list[tuple[str, str, str, str]]:
    """(section, item, Thai label, value) lines of the status report, money in baht."""

    def baht(satang: int) -> str:
        return format_baht(satang, decimals=True)

    provisional = "ชั่วคราว (ปีงบประมาณยังไม่สิ้นสุด)" if status["provisional"] else "สิ้นปีแล้ว"
    rows = [("status", "provisional", provisional, "yes" if status["provisional"] else "no")]
    rows += [("members", item, label, str(status[key])) for key, item, label in MEMBER_ROWS]
    for key, count in status["members_by_age_sex"].items():
        band, sex = key.split(":")
        label = (
            f"อายุ {band} ปี {SEX.get(sex, sex)}"
            if band != "unknown"
            else f"ไม่ทราบอายุ {SEX.get(sex, sex)}"
        )
        rows.append(("age_sex", key, label, str(count)))
    rows.append(("opening", "bank_and_cash", "เงินฝากและเงินสด", baht(status["opening_satang"])))
    for key, satang in status["income_satang"].items():
        rows.append(("income", key, THAI_ITEMS.get(key, key), baht(satang)))
    for key, satang in status["matching_satang"].items():
        rows.append(("matching", key, THAI_ITEMS.get(key, key), baht(satang)))
    for key, satang in status["welfare_satang"].items():
        rows.append(("welfare", key, THAI_ITEMS.get(key, key), baht(satang)))
    for key, given in status["recipients"].items():
        rows.append(("recipients", key, THAI_ITEMS.get(key, key), str(given["recipients"])))
    rows += [
        ("expenses", "administration", "ค่าบริหารจัดการ", baht(status["expenses_satang"])),
        ("balance", "bank", "เงินฝากธนาคาร ณ สิ้นปี", baht(status["bank_satang"])),
        ("balance", "cash_on_hand", "เงินสดในมือผู้เก็บ ณ สิ้นปี", baht(status["cash_on_hand_satang"])),
        (
            "check",
            "reconciles",
            "ยอดยกมา + รายรับ + เงินสมทบ − สวัสดิการ − รายจ่าย = เงินคงเหลือ",
            "ถูกต้อง" if status["reconciles"] else "ไม่ตรง ตรวจสอบบัญชี",
        ),
    ]
    return rows


@group.command("network")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, money in satang.")
@click.option(
    "--learning-day",
    "day",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The groups side by side for the network's meeting on this day (YYYY-MM-DD).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --learning-day: also write the printable Thai page here.",
)
@ASSUMPTIONS
def report_network(
    as_json: bool, day: dt.datetime | None, html_path: Path | None, assumptions_path: Path | None
) -> None:
    """Every group summed; with --learning-day, the groups side by side for the meeting."""
    if day is not None:
        _learning_day(day.date(), as_json, html_path, _assumptions(assumptions_path))
        return
    if html_path:
        raise click.UsageError("--html needs --learning-day")
    with current_db().transaction() as session:
        report = network_report(session, business_day())
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    total = report["total"]
    click.echo(f"{total['groups']} groups, {total.get('members', 0):,} active members")
    for label, key in (
        ("contributions", "contributions_satang"),
        ("entrance fees", "entrance_fees_satang"),
        ("welfare paid", "welfare_paid_satang"),
        ("administration", "admin_expense_satang"),
        ("fund balance", "fund_balance_satang"),
    ):
        click.echo(f"{label:<22}{format_baht(total.get(key, 0), decimals=True):>18} baht")
    for source, satang in sorted(total.get("matching_satang", {}).items()):
        click.echo(f"{'matching: ' + source:<22}{format_baht(satang, decimals=True):>18} baht")


def _assumptions(path: Path | None) -> Assumptions:
    """The assumptions file, or one line saying what is wrong with it."""
    try:
        return load_assumptions(path)
    except (AssumptionsError, OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"assumptions: {exc}") from None


def _learning_day(day: dt.date, as_json: bool, html_path: Path | None, a: Assumptions) -> None:
    """The learning day's table: JSON, plain lines, and the printable page."""
    with current_db().transaction() as session:
        report = learning_day(session, day, a)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(f"learning day {report['day']} (figures from {report['since']})")
        click.echo(
            f"{'group':<10}{'members':>8}{'new':>5}{'given':>14}{'behind%':>8}"
            f"{'welfare':>12}{'with coll.':>12}{'open':>5}{'runs out':>9}"
        )
        for line in [*report["groups"], {"code": "network", "runs_out": "", **report["total"]}]:
            click.echo(
                f"{line['code']:<10}{line['members']:>8,}{line['growth']:>5,}"
                f"{format_baht(line['contributions_satang']):>14}{line['arrears_percent']:>8}"
                f"{format_baht(line['welfare_paid_satang']):>12}"
                f"{format_baht(line['cash_with_collectors_satang']):>12}"
                f"{line['open_exceptions']:>5}{line['runs_out'] or '-':>9}"
            )
    if html_path:
        page = render_template(
            "learning_day.html",
            report=report,
            t=DASHBOARD_TEXTS["th"],
            day=format_date(day, "th"),
            since=format_date(dt.date.fromisoformat(report["since"]), "th"),
            baht=format_baht,
            columns=COLUMNS,
        )
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"wrote {html_path}")


@group.command("projection")
@click.option("--group", "code", required=True)
@click.option("--years", default=10, show_default=True, type=click.IntRange(1, 50))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable, money in satang.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a printable Thai page here.",
)
@ASSUMPTIONS
def report_projection(
    code: str, years: int, as_json: bool, html_path: Path | None, assumptions_path: Path | None
) -> None:
    """Will the fund last? Members and money year by year under today's schedule."""
    a = _assumptions(assumptions_path)
    today = business_day()
    try:
        with current_db().transaction() as session:
            group_ = find_group(session, code)
            projection, gathered = projection_of(session, group_, today, a, years)
            name = group_.name
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    rate = gathered.fund.daily_rate_satang
    if as_json:
        out = {"group": code.upper(), "from": today.isoformat(), "years_ahead": years}
        out |= projection.as_dict() | {"basis": gathered.basis, "daily_rate_satang": rate}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print_projection(code.upper(), name, projection, gathered, years)
    if html_path:
        page = render_template(
            "projection_report.html",
            name=name,
            code=code.upper(),
            projection=projection,
            t=DASHBOARD_TEXTS["th"],
            baht=format_baht,
            years=years,
            printed=format_date(today, "th"),
            suggestions=[
                suggestion_text(s, gathered.lines, rate, "th") for s in projection.suggestions
            ],
            basis=basis_lines(gathered, "th"),
            chart=chart(
                [row.year for row in projection.years],
                [row.balance_satang for row in projection.years],
                None,
            ),
        )
        html_path.write_text(page, encoding="utf-8")
        click.echo(f"wrote {html_path}")


def _print_projection(
    code: str, name: str, projection: Projection, gathered: Gathered, years: int
) -> None:
    """The projection as plain lines, in English."""
    click.echo(f"{code}  {name}: {years} years ahead")
    click.echo(
        f"{'year':<6}{'members':>8}{'joined':>7}{'died':>6}{'lapsed':>7}"
        f"{'contributions':>15}{'matching':>12}{'welfare':>15}{'balance':>16}"
    )
    for row in projection.years:
        click.echo(
            f"{row.year:<6}{row.members:>8,}{row.joined:>7,}{row.died:>6,}{row.lapsed:>7,}"
            f"{format_baht(row.contributions_satang, decimals=True):>15}"
            f"{format_baht(row.matching_satang, decimals=True):>12}"
            f"{format_baht(row.paid_out_satang, decimals=True):>15}"
            f"{format_baht(row.balance_satang, decimals=True):>16}"
        )
    if projection.runs_out is None:
        click.echo(f"The fund lasts all {years} years.")
    else:
        click.echo(f"The fund runs out in {projection.runs_out} (BE {projection.runs_out + 543}).")
        click.echo(DASHBOARD_TEXTS["en"]["projection_keep"])
        rate = gathered.fund.daily_rate_satang
        for s in projection.suggestions:
            click.echo("  " + suggestion_text(s, gathered.lines, rate, "en"))
        if not projection.suggestions:
            click.echo("  " + DASHBOARD_TEXTS["en"]["keep_nothing"])
    click.echo("Rests on:")
    for line in basis_lines(gathered, "en"):
        click.echo(f"  {line}")


def init_app(app: Flask) -> None:
    """Register the report commands."""
    app.cli.add_command(group)
