"""Guard: every dashboard page, in Thai, speaks the fund's Thai (THAI.md) and nothing else.

Each page is rendered with data that puts every status, office, benefit, payment state,
exception kind, consent and matching source on it, and its visible text is checked for
English words, raw enum values, ISO or Christian-Era dates, amounts without a unit, and
the words the glossary rules out.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from people import BY, add_login
from sqlalchemy import select

from gateway.flows.dashboard_texts import TH, actor_words, register_value
from models.actors import Actor
from models.clock import local_today
from models.funds import Source, add_funds
from models.ledger import Code, Phase
from models.offices import Office
from models.privacy import Access, Channel, record_access
from models.reconcile import Action, ItemKind
from models.references import ref_for
from models.registry import CONSENT_HOW, Group, Member, Status, add_member, give_office
from models.welfare import BenefitType, Claim, ClaimStatus, current_schedule

pytestmark = pytest.mark.clock

PASSWORD = "ลับมาก-secret-1"
# Latin words a Thai page may show: the channels' own names and file formats.
ALLOWED = {"PIN", "SMS", "USSD", "CSV", "JSON", "PDF"}
# Every raw value the code stores: none may reach a Thai page as it is stored.
KINDS = (Status, ClaimStatus, BenefitType, Office, ItemKind, Action, Channel, Access, Source)
ENUMS = {str(v) for kind in (*KINDS, Code, Phase) for v in kind} | set(CONSENT_HOW)
ENUMS |= {"pending", "confirmed", "rejected", "reversed", "waiting", "None"}  # payment states
# THAI.md's "not" column, with the ones the brief names for the dashboard.
RULED_OUT = {
    "ยอดเงิน": "a member's money is ยอดสัจจะ",
    "เงินออม": "a member's money is สัจจะ, not savings",
    "ชรา": "สูงอายุ",
    "เบี้ยผู้พิการ": "ช่วยคนพิการ",
    "ได้รับสวัสดิการแล้ว": "entitled is มีสิทธิ์",
    "ค้างจ่าย": "a member's contribution is ค้างส่ง",
    "จ่ายถึง": "a member's paid-through is ส่งถึง",
    "จ่ายครบ": "a member's contribution is ส่งครบ",
    "แจ้งจ่าย": "a member's declaration is แจ้งส่ง",
    "ใบรับผิด": "dispute is ทักท้วง",
    "ออกจากกองทุน": "membership ends: พ้นสภาพสมาชิก",
}
BARE_SHP = re.compile(r"(?<!ทำ)ศพ")  # ศพ alone; ค่าทำศพ and ทำศพ are kind
UNITS = ("บาท", "บ.", "คน", "วัน", "ปี", "เดือน", "คืน", "ครั้ง", "%", "เรื่อง", "กองทุน", "เลขที่")
NUMBER = re.compile(r"-?\d[\d,]*(\.\d+)?")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
CE_YEAR = re.compile(r"(?<![\d,.#])(19|20)\d\d(?![\d,])")
LATIN = re.compile(r"[A-Za-z][A-Za-z'’_]*")
REF = re.compile(r"#\d+")
VOID = {"input", "br", "meta", "img", "link", "hr", "col", "source"}
SHOWN = ("placeholder", "title", "aria-label", "alt")


class Node:
    """An element of a parsed page: its tag, attributes, children and text."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        """Everything written inside, as one line."""
        return " ".join(c if isinstance(c, str) else c.text() for c in self.children)

    def up(self, tag: str) -> Node | None:
        """The nearest enclosing element with this tag."""
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class Page(HTMLParser):
    """A page as a small tree; the parts a reader sees."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = self.here = Node("#root", {}, None)
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.here)
        self.here.children.append(node)
        if tag not in VOID:
            self.here = node

    def handle_endtag(self, tag: str) -> None:
        node = self.here
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.here = node.parent

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.here.children.append(data.strip())

    def seen(self) -> list[tuple[str, Node]]:
        """Each visible piece of text with its element: text, titles, placeholders, labels."""
        out: list[tuple[str, Node]] = []

        def walk(node: Node) -> None:
            if node.tag in ("script", "style") or node.attrs.get("lang", "th") != "th":
                return  # a part marked as another language (the language switch) is not Thai
            if "data-verbatim" in node.attrs:
                return  # a message as it was sent or received: a record, not today's words
            if node.tag == "input" and node.attrs.get("type") == "hidden":
                return
            out.extend((node.attrs[a], node) for a in SHOWN if node.attrs.get(a))
            if node.tag == "input" and node.attrs.get("type", "text") in ("text", "date"):
                out.append((node.attrs.get("value", ""), node))  # what the field shows
            for child in node.children:
                if isinstance(child, str):
                    out.append((child, node))
                else:
                    walk(child)

        walk(self.root)
        return out


def _header_of(cell: Node) -> str:
    """The text of the column header above a table cell (its first row, same position)."""
    row, table = cell.up("tr"), cell.up("table")
    if row is None or table is None:
        return ""
    cells = [c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")]
    at = sum(int(c.attrs.get("colspan", 1)) for c in cells[: cells.index(cell)])
    rows = []

    def rows_of(node: Node) -> None:
        for child in node.children:
            if isinstance(child, Node) and child.tag == "tr":
                rows.append(child)
            elif isinstance(child, Node) and child.tag != "table":
                rows_of(child)

    rows_of(table)
    # A row of one wide header names the section below it (a printed report's way).
    above = rows[: rows.index(row)]
    for section in reversed(above):
        heads = [c for c in section.children if isinstance(c, Node)]
        if len(heads) == 1 and heads[0].tag == "th" and heads[0].attrs.get("colspan"):
            return heads[0].text()
    heads = [c for c in rows[0].children if isinstance(c, Node) and c.tag == "th"]
    if not heads or rows[0] is row:
        return ""
    col = 0
    for head in heads:
        col += int(head.attrs.get("colspan", 1))
        if col > at:
            return head.text()
    return ""


def _unit_near(text: str, node: Node) -> bool:
    """Whether a number-only text has its unit: in its column's header, its card or chart."""
    if node.tag in ("td", "th"):
        header = _header_of(node)
        row = node.up("tr")
        label = row.text() if row is not None else ""
        return any(u in header or u in label.replace(text, "") for u in UNITS)
    if node.tag == "b" and node.parent is not None and "card" in node.parent.attrs.get("class", ""):
        return any(u in node.parent.text() for u in UNITS)
    if node.tag == "text":
        svg = node.up("svg")
        return svg is not None and any(u in svg.attrs.get("aria-label", "") for u in UNITS)
    return True  # in a sentence: the sentence's own words are checked by the catalogue tests


def findings(html: str, allowed: set[str]) -> list[str]:
    """What a Thai page shows that THAI.md rules out; empty when it is all Thai."""
    found = []
    for text, node in Page(html).seen():
        clean = REF.sub("", text)
        words = [w for w in LATIN.findall(clean) if w not in allowed and w not in ALLOWED]
        found += [f"raw value {w!r} in {text!r}" for w in words if w in ENUMS]
        found += [f"English {w!r} in {text!r}" for w in words if w not in ENUMS]
        found += [f"ISO date in {text!r}" for _ in ISO_DATE.finditer(clean)]
        if node.tag != "input" or not NUMBER.fullmatch(text):  # a field's 2000 is baht
            found += [f"Christian-Era year in {text!r}" for _ in CE_YEAR.finditer(clean)]
        found += [f"{w!r} ({why}) in {text!r}" for w, why in RULED_OUT.items() if w in text]
        found += [f"ศพ alone in {text!r}" for _ in BARE_SHP.finditer(text)]
        if not text:
            continue
        if NUMBER.fullmatch(text) and text.strip("-0") and not _unit_near(text, node):
            found.append(f"amount without a unit: {text!r} ({node.tag})")
    return found


# The data: every status, office, benefit, state, kind, consent and source on some page.


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, username):
    page = client.get("/dashboard/login").get_data(as_text=True)
    form = {"username": username, "password": PASSWORD, "csrf_token": token(page)}
    return client.post("/dashboard/login", data=form)


@pytest.fixture
def everything(client, db, busy_day, fund):
    """busy_day's exceptions and payments, plus claims, offices, statuses and looks."""
    today = local_today()
    with db.transaction() as session:
        banna = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        treasurer = session.get(Member, fund["treasurer"][0])
        add_login(session, "somsri", banna, treasurer.id, name="สมศรี")
        add_login(session, "khrueakhai", None, treasurer.id, name="เครือข่าย")
        auditor = add_member(session, banna, name="นางตรวจ บัญชี", phone="0813100001",
                             office=Office.AUDITOR, joined_on=treasurer.joined_on)  # fmt: skip
        add_login(session, "auditor", banna, auditor.id, name="ผู้ตรวจสอบ")
        for office in (Office.CHAIR, Office.SECRETARY, Office.AUDITOR, Office.COMMITTEE):
            give_office(session, treasurer, office, treasurer.joined_on, BY)
        for source in Source:
            add_funds(session, banna, source, 100_000, today, f"s-{source}", by=BY)
        member = session.get(Member, fund["member"][0])
        schedule = current_schedule(session, banna)
        statuses = [s.value for s in ClaimStatus]
        for i, benefit in enumerate(BenefitType):
            status = statuses[i % len(statuses)]
            session.add(
                Claim(group_id=banna.id, member_id=member.id, schedule_id=schedule.id,
                      benefit=benefit.value, units=1 + i % 2, amount=50_000, event_date=today,
                      filed_on=today, status=status, **Actor.person(treasurer.id).columns(
                          "filed_by"), reason="ขาดเอกสาร" if status == "rejected" else None,
                      reversal_reason="จ่ายซ้ำ" if status == "reversed" else None)
            )  # fmt: skip
        for i, status in enumerate(Status):
            left = add_member(session, banna, name=f"นางสถานะ ที่{i}", phone=f"08130000{i:02d}",
                              joined_on=treasurer.joined_on)  # fmt: skip
            left.status = status.value
            left.consent_how, left.consent_on = CONSENT_HOW[i % 3], today
            left.sex, left.born_on, left.village = "fm"[i % 2], dt.date(1950, 5, 16), "หมู่ 2"
        for what in Access:
            record_access(session, member, Channel.CLI, what, Actor.person(treasurer.id))
        names = {w for (name,) in session.execute(select(Member.name)) for w in LATIN.findall(name)}
    logins = {"BANNA", "NAKLANG", "somsri", "khrueakhai", "auditor"}
    return {**busy_day, "names": names | logins}


def pages(client, db, fund, refs) -> dict[str, str]:
    """Every dashboard page and every answer to an action, as a committee member sees them."""
    seen: dict[str, str] = {}

    def get(path: str, **query: str) -> str:
        seen[f"GET {path} {query}"] = client.get(path, query_string=query).get_data(as_text=True)
        return seen[f"GET {path} {query}"]

    def post(path: str, **form: object) -> None:
        page = client.post(path, data={**form, "csrf_token": tok}, follow_redirects=True)
        seen[f"POST {path} {form}"] = page.get_data(as_text=True)

    get("/dashboard/login")
    seen["POST /dashboard/login (wrong)"] = client.post(
        "/dashboard/login",
        data={"username": "somsri", "password": "ผิด", "csrf_token": token(seen[next(iter(seen))])},
    ).get_data(as_text=True)
    log_in(client, "somsri")
    g = "/dashboard/g/BANNA"
    tok = token(get(g))
    for path in ("/collectors", "/exceptions", "/claims", "/access", "/projection"):
        get(g + path)
    get(g + "/members", q="นาง")
    get(g + "/members", q="สถานะ")
    get(g + "/projection", **{"hospital.amount": "abc"})
    get(g + "/projection", **{"funeral.amount": "100", "elderly.min_age": "70"})
    with db.transaction() as session:
        banna = select(Member.number).join(Group).where(Group.code == "BANNA")
        numbers = session.scalars(banna).all()
        claims = {c.status: c.id for c in session.scalars(select(Claim))}
    for number in numbers:
        get(f"{g}/members/{number}")
        get(f"{g}/members/{number}/passbook")
    settle = g + "/exceptions/settle"
    for what, action in ((refs["waiting"], "confirm"), (refs["waiting"], "reverse"),
                         (refs["disputed"], "reverse"), (refs["handover"], "confirm")):  # fmt: skip
        get(settle, what=f"#{what}", action=action)
        get(settle, what=f"#{what}", action=action, note="ตรวจแล้ว")
    cash = f"cash:{fund['collector2'][1]}"  # over the group's limit: a cash_held item
    get(settle, what=cash, action="confirm", note="ตรวจแล้ว")
    get(f"{g}/claims/{ref_for(claims['filed'])}/approve")
    get(f"{g}/claims/{ref_for(claims['paid'])}/reverse", reason="จ่ายผิดคน")
    get(f"{g}/receipts/{refs['undone']}/restore", reason="ยกเลิกผิด")
    # The actions, and their refusals.
    post(g + "/exceptions", what=f"#{refs['disputed']}", note="")
    post(g + "/exceptions", what=f"#{refs['waiting']}", note="x")
    post(g + "/exceptions", what="#99999", note="x")
    post(g + "/exceptions", what=f"#{refs['disputed']}", note="ใบรับถูกต้อง")
    post(g + "/exceptions", what=cash, note="นับเงินแล้ว")
    post(g + "/exceptions", what="cash:99", note="x")
    post(settle, what=f"#{refs['waiting']}", action="confirm", note="เห็นเงิน", confirmed="yes")
    post(settle, what=f"#{refs['handover']}", action="confirm", note="ครบ", confirmed="yes")
    post(f"{g}/claims/{ref_for(claims['filed'])}/reject", reason="")
    post(f"{g}/claims/{ref_for(claims['filed'])}/approve", confirmed="yes")
    post(f"{g}/receipts/{refs['undone']}/restore", reason="ยกเลิกผิด", confirmed="yes")
    post(f"{g}/receipts/{refs['undone']}/restore", reason="ซ้ำ", confirmed="yes")
    number = fund["member"][1]
    post(f"{g}/members/{number}/edit", name="นางมาลี มีสุข", born="16/05/2500", sex="f", lang="th")
    post(f"{g}/members/{number}/edit", name="นางมาลี มีสุข", born="1960-05-16", sex="f",
         lang="th", consent_how="paper", consent_on=local_today().isoformat(),
         beneficiary_name="นายมานะ มีสุข", beneficiary_relation="ลูก")  # fmt: skip
    get(f"{g}/members/{number}")
    get("/dashboard/g/NAKLANG")  # another group's page: the polite refusal
    # An auditor sees the books (the register read-only) but may not act.
    client.post("/dashboard/logout", data={"csrf_token": tok})
    log_in(client, "auditor")
    tok = token(get(g))
    get(f"{g}/members/{number}")
    post(f"{g}/claims/{ref_for(claims['filed'])}/approve", confirmed="yes")
    post(g + "/exceptions", what=f"#{refs['disputed']}", note="ตรวจแล้ว")
    post(f"{g}/members/{number}/edit", name="นางมาลี มีสุข", born="16/5/2503")
    client.post("/dashboard/logout", data={"csrf_token": tok})
    log_in(client, "khrueakhai")
    get("/dashboard/")
    get("/dashboard/network")
    return seen


def cli_pages(runner, tmp_path, fund) -> dict[str, str]:
    """The printable pages the commands write, in Thai."""
    today = local_today()
    commands = {
        "passbook": ["report", "member", "--group", "BANNA", str(fund["member"][1])],
        "codi": ["report", "codi", "--group", "BANNA", "--fiscal-year", str(today.year + 543)],
        "learning": ["report", "network", "--learning-day", today.isoformat()],
        "projection": ["report", "projection", "--group", "BANNA"],
        "member_data": [
            *("members", "export-data", "--group", "BANNA", str(fund["member"][1])),
            *("--by", str(fund["treasurer"][1])),
        ],
    }
    out = {}
    for name, args in commands.items():
        path = tmp_path / f"{name}.html"
        result = runner.invoke(args=[*args, "--html", str(path)])
        assert result.exit_code == 0, (name, result.output)
        out[name] = path.read_text("utf-8")
    return out


def test_every_dashboard_page_is_thai_throughout(client, runner, db, fund, everything, tmp_path):
    shown = {**pages(client, db, fund, everything), **cli_pages(runner, tmp_path, fund)}
    assert len(shown) > 40
    every = "\n".join(shown.values())
    words = [TH[f"member_{v}"] for v in Status] + [TH[f"office_{v}"] for v in Office]
    words += [TH[f"benefit_{v}"] for v in BenefitType] + [TH[f"status_{v}"] for v in ClaimStatus]
    words += [TH[f"kind_{v}"] for v in ItemKind if f"kind_{v}" in TH and v != ItemKind.LEDGER]
    words += [TH[f"state_{v}"] for v in ("pending", "confirmed", "rejected", "reversed")]
    words += [TH[f"source_{v}"] for v in Source] + [TH[f"consent_{v}"] for v in CONSENT_HOW]
    words += [TH[f"look_{v}"] for v in Access]
    words += [TH["login_failed"], TH["what_cash"].format(number=fund["collector2"][1])]
    words += [TH["refused_power"]]
    assert [w for w in words if w not in every] == []  # the data shows every value somewhere
    found: dict[str, list[str]] = {}  # each finding once, with the pages that show it
    for where, html in shown.items():
        for finding in findings(html, everything["names"]):
            found.setdefault(finding, []).append(where)
    report = [f"{finding}   [{len(at)} pages, e.g. {at[0]}]" for finding, at in found.items()]
    assert not found, f"{len(found)} findings:\n" + "\n".join(sorted(report))


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>สมาชิก active</p>", "raw value 'active'"),
        ("<p>Fund balance</p>", "English 'Fund'"),
        ("<p>วันที่ 2026-11-16</p>", "ISO date"),
        ("<p>16 พ.ย. 2026</p>", "Christian-Era year"),
        ("<p>ค้างจ่าย 3 เดือน</p>", "'ค้างจ่าย'"),
        ("<p>ค่าศพ</p>", "ศพ alone"),
        ("<table><tr><th>จำนวน</th></tr><tr><td>30</td></tr></table>", "amount without a unit"),
        ('<div class="card">ให้แล้ว<b>494</b></div>', "amount without a unit"),
        ('<svg aria-label="เงินสัจจะ"><text>41,040</text></svg>', "amount without a unit"),
    ],
)
def test_the_guard_sees_each_kind_of_slip(html, expected):
    assert any(expected in f for f in findings(html, set()))


@pytest.mark.parametrize(
    "html",
    [
        "<p>ส่ง SMS ถึงสมาชิก #12345 กองทุน BANNA</p>",
        '<a lang="en" href="/en">English</a>',
        "<table><tr><th>เงินในมือ (บาท)</th></tr><tr><td>6,840</td></tr></table>",
        '<div class="card">ให้แล้ว<b>494</b>บาท</div>',
        "<p>ค่าทำศพ 16 พ.ย. 2569</p>",
    ],
)
def test_the_guard_lets_thai_pass(html):
    assert findings(html, {"BANNA"}) == []


@pytest.mark.parametrize(
    ("text", "thai"),
    [
        ("นางสมศรี ใจดี (#1) (login somsri)", "นางสมศรี ใจดี (เลขที่ 1) ผ่านบัญชีผู้ใช้ somsri"),
        ("นางสมศรี ใจดี (#1)", "นางสมศรี ใจดี (เลขที่ 1)"),
        ("login network", "ผ่านบัญชีผู้ใช้ network"),
        ("job lapse", "ระบบตรวจสถานะสมาชิก"),
        ("(not recorded)", "ไม่ได้บันทึก"),
        (None, "ไม่ได้บันทึก"),
    ],
)
def test_who_acted_is_said_in_thai(text, thai):
    assert actor_words(text, "th") == thai


@pytest.mark.parametrize(
    ("what", "value", "thai"),
    [
        ("office", "treasurer from 2026-01-01", "เหรัญญิก ตั้งแต่ 1 ม.ค. 2569"),
        ("office", "ended 2026-11-16", "สิ้นสุด 16 พ.ย. 2569"),
        ("consent", "2026-11-16 spoken", "วาจา 16 พ.ย. 2569"),
        ("born_on", "1960-05-16", "16 พ.ค. 2503"),
        ("status", "deceased", "พ้นสภาพสมาชิก (เสียชีวิต)"),
        ("sex", "m", "ชาย"),
        ("lang", "en", "อังกฤษ"),
        ("name", "นางนวล ใจดี", "นางนวล ใจดี"),
        ("village", None, "-"),
    ],
)
def test_a_register_change_is_said_in_thai(what, value, thai):
    assert register_value(what, value, "th") == thai


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("16/5/2503", dt.date(1960, 5, 16)),
        ("๑๖/๐๕/๒๕๐๓", dt.date(1960, 5, 16)),
        ("16/5/1960", dt.date(1960, 5, 16)),
        ("1960-05-16", dt.date(1960, 5, 16)),
        ("29/2/2567", dt.date(2024, 2, 29)),
        ("29/2/2569", None),
        ("16 พ.ค. 2503", None),
        ("16/5/03", None),
        ("", None),
    ],
)
def test_a_typed_day_is_read_in_either_era(typed, day):
    from gateway.services.dashboard import typed_day

    assert typed_day(typed) == day


def test_the_register_form_shows_and_takes_buddhist_era_days(client, db, fund):
    with db.transaction() as session:
        banna = session.scalars(select(Group).where(Group.code == "BANNA")).one()
        add_login(session, "somsri", banna, fund["treasurer"][0], name="สมศรี")
    log_in(client, "somsri")
    url = f"/dashboard/g/BANNA/members/{fund['member'][1]}"
    form = {"csrf_token": token(client.get(url).get_data(as_text=True)), "name": "นางมาลี มีสุข"}
    page = client.post(f"{url}/edit", data={**form, "born": "16/5/2503"}, follow_redirects=True)
    assert 'name="born" value="16/5/2503"' in page.get_data(as_text=True)
    with db.transaction() as session:
        assert session.get(Member, fund["member"][0]).born_on == dt.date(1960, 5, 16)
    bad = client.post(f"{url}/edit", data={**form, "born": "1960"}, follow_redirects=True)
    assert "อ่านวันเกิดไม่ได้ ใส่แบบ 16/5/2503 (ปี พ.ศ.)" in bad.get_data(as_text=True)
    with db.transaction() as session:
        assert session.get(Member, fund["member"][0]).born_on == dt.date(1960, 5, 16)


def test_every_amount_in_a_dashboard_sentence_carries_its_unit():
    from gateway.flows.dashboard_texts import EN

    money = re.compile(r"\{(amount|amounts|baht)\}")
    for catalogue, units in ((TH, (" บ.", " บาท")), (EN, (" baht",))):
        for key, text in catalogue.items():
            for found in money.finditer(text):
                after = text[found.end() :]
                assert after.startswith(units), (key, text)
    assert TH["keep_daily_rate"].endswith("{now} บ.)") and "{now} baht" in EN["keep_daily_rate"]
