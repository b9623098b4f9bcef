"""Demo data: the Nam Khao fund (README, Two commands), and the provincial network around it.

Names and numbers are synthetic and deterministic; dates are counted back from the
day of seeding, so the demo never looks years in arrears.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.conventions import SATANG_PER_BAHT
from models.actors import Actor, Job
from models.ledger import Account, Code, TransferSpec, create_transfer
from models.offices import Office, OfficeTerm
from models.registry import Group, Member, add_group, add_member, give_office, set_beneficiary
from models.users import DEMO_USER, User, add_user

NAMKHAO = "NAMKHAO"
# The demo's dashboard login (DEMO_USER); production refuses it (models/users.py).
DEMO_PASSWORD = "satja-demo-2569"
NAMKHAO_NAME = "กองทุนสวัสดิการชุมชนตำบลน้ำขาว"
NAMKHAO_SHORT = "กองทุนฯ ต.น้ำขาว"  # heads its reminders and notices
NAMKHAO_MEMBERS = 1_368
NAMKHAO_CONTRIBUTIONS_BAHT = 554_871
NAMKHAO_MATCHING_BAHT = {"local_government": 10_000, "codi_seed": 100_000}
NETWORK_GROUPS = 50
NETWORK_MEMBERS = 25_505
# The source's "กองทุนสัจจะ" of about 8 million baht is members' own money, as Nam Khao's
# 554,871 baht is; it names matching money for Nam Khao alone, so only Nam Khao has any.
NETWORK_MEMBERS_BAHT = 8_000_000
# Ages today for the demo's birth dates: (from, to, weight), a village fund's make-up
# with children as members (config/assumptions/default.toml, members.ages).
AGE_BANDS = ((1, 15, 12), (15, 30, 13), (30, 45, 20), (45, 60, 22), (60, 75, 20), (75, 90, 13))

MALE_NAMES = (
    "สมชาย",
    "บุญมี",
    "ประเสริฐ",
    "อำนวย",
    "ประยูร",
    "ทองใบ",
    "ชูศักดิ์",
    "สมหมาย",
    "บุญช่วย",
    "สุวรรณ",
    "ธวัชชัย",
    "นิพนธ์",
    "ฮาซัน",
    "อับดุลเลาะ",
    "มะรอนิง",
    "ยูโซะ",
    "แวมะ",
    "สุไลมาน",
    "อาแว",
    "คำปุน",
)
FEMALE_NAMES = (
    "สมศรี",
    "มาลี",
    "สุนีย์",
    "วิไล",
    "สมพร",
    "จำเนียร",
    "บุญเรือน",
    "สายสุนีย์",
    "ละเอียด",
    "สุดใจ",
    "อารีย์",
    "เพ็ญศรี",
    "วันเพ็ญ",
    "ประไพ",
    "กาญจนา",
    "อุไร",
    "ดวงใจ",
    "รอฮานี",
    "ซารีฟะ",
    "ฟาตีมะห์",
)
LAST_NAMES = (
    "ใจดี",
    "ศรีสุข",
    "ทองคำ",
    "แก้วมณี",
    "บุญมา",
    "สุขสวัสดิ์",
    "รักษาศรี",
    "มีสุข",
    "ชูช่วย",
    "แสงทอง",
    "หนูแก้ว",
    "เพชรรัตน์",
    "จันทร์หอม",
    "คงแก้ว",
    "ขุนทอง",
    "สะอิ",
    "หมัดอาดัม",
    "เจ๊ะแว",
    "ลาเต๊ะ",
    "สาและ",
    "ดอเลาะ",
    "หวันละเบ๊ะ",
    "บินหมาน",
    "ทองสุข",
    "นาคสุข",
    "ศรีทอง",
    "พรหมทอง",
    "ชุมทอง",
    "ด้วงทอง",
    "แก้วกาญจน์",
)
MOBILE_PREFIXES = (
    "81",
    "82",
    "83",
    "84",
    "85",
    "86",
    "87",
    "89",
    "91",
    "92",
    "93",
    "94",
    "95",
    "96",
    "97",
    "98",
    "99",
    "61",
    "62",
    "63",
    "64",
    "65",
)


@dataclass(frozen=True)
class Official:
    """A demo official (collector, treasurer, chair, …) a newcomer can try."""

    role: str  # their offices, e.g. "collector+committee"
    number: int
    name: str
    phone: str


def _people(rng: random.Random, taken: set[str]) -> Iterator[tuple[str, str]]:
    """Endless synthetic (name, E.164 phone) pairs, never repeating a phone."""
    while True:
        if rng.random() < 0.45:
            first = "นาย" + rng.choice(MALE_NAMES)
        else:
            first = rng.choice(("นาง", "นางสาว")) + rng.choice(FEMALE_NAMES)
        name = f"{first} {rng.choice(LAST_NAMES)}"
        phone = f"+66{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        if phone in taken:
            continue
        if not phonenumbers.is_valid_number(phonenumbers.parse(phone)):
            continue
        taken.add(phone)
        yield name, phone


def _born(rng: random.Random, today: dt.date, joined_on: dt.date) -> dt.date:
    """A birth date for a demo member: an age drawn from AGE_BANDS, never after joining."""
    low, high, _ = rng.choices(AGE_BANDS, [w for *_, w in AGE_BANDS])[0]
    born = today - dt.timedelta(days=rng.randrange(low * 365, high * 365))
    return min(born, joined_on)


def _split(total: int, weights: list[float]) -> list[int]:
    """Split a whole-number total in proportion to weights, summing exactly."""
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    for i in range(total - sum(parts)):
        parts[i % len(parts)] += 1
    return parts


DEMO = Actor.system(Job.DEMO)

# NAMKHAO's officers, by position in its register; everyone after them is a member.
# The third collector also sits on the committee (so may decide claims, as in many funds).
NAMKHAO_OFFICES: list[tuple[Office, ...]] = [
    (Office.CHAIR,),
    (Office.TREASURER,),
    (Office.COLLECTOR,),
    (Office.COLLECTOR,),
    (Office.COLLECTOR, Office.COMMITTEE),
    (Office.COLLECTOR,),
    (Office.COLLECTOR,),
    (Office.COLLECTOR,),
    (Office.SECRETARY,),
    (Office.AUDITOR,),
    (Office.COMMITTEE,),
    (Office.COMMITTEE,),
]
# Member numbers sharing the first one's phone: a parent and their children.
HOUSEHOLDS = ((20, 21, 22), (40, 41), (60, 61, 62, 63))
NETWORK_OFFICES: list[tuple[Office, ...]] = [
    (Office.TREASURER,),
    (Office.COLLECTOR,),
    (Office.COLLECTOR,),
]


def _add(session: Session, group: Group, offices: tuple[Office, ...], **fields: object) -> Member:
    """A demo member, and the offices they hold from joining."""
    member = add_member(session, group, by=DEMO, **fields)  # type: ignore[arg-type]
    for office in offices:
        give_office(session, member, office, member.joined_on, DEMO)
    return member


def _post(session: Session, **fields: object) -> None:
    outcome = create_transfer(session, TransferSpec(**fields, by=DEMO))  # type: ignore[arg-type]
    if not outcome.ok:
        raise RuntimeError(f"demo transfer {fields['key']} refused: {outcome.refused}")


def _post_opening(session: Session, group: Group, member: Member, baht: int) -> None:
    """The balance brought over from the paper notebook, as money already banked."""
    _post(
        session,
        key=f"demo:{group.code}:opening:{member.number}",
        group_id=group.id,
        debit="fund_bank",
        credit=f"member:{member.id}",
        amount=baht * SATANG_PER_BAHT,
        code=Code.OPENING,
        business_date=member.joined_on,
        member_id=member.id,
        note="ยอดยกมาจากสมุด",
    )


def _add_matching(session: Session, group: Group, sources: dict[str, int], day: dt.date) -> None:
    for source, baht in sources.items():
        _post(
            session,
            key=f"demo:{group.code}:matching:{source}",
            group_id=group.id,
            debit="fund_bank",
            credit=f"matching:{source}",
            amount=baht * SATANG_PER_BAHT,
            code=Code.MATCHING,
            business_date=day,
        )


def seed_namkhao(
    session: Session, today: dt.date, progress: Callable[[int], None] = lambda _n: None
) -> list[Official]:
    """Create NAMKHAO with its 1,368 members and exactly its 554,871 baht."""
    rng = random.Random(2547)  # 2004 CE, the year Nam Khao began
    people = _people(rng, set(session.scalars(select(Member.phone))))
    group = add_group(session, NAMKHAO, NAMKHAO_NAME, short_name=NAMKHAO_SHORT)
    roles = NAMKHAO_OFFICES + [()] * (NAMKHAO_MEMBERS - len(NAMKHAO_OFFICES))
    balances = _split(NAMKHAO_CONTRIBUTIONS_BAHT, [rng.uniform(250, 560) for _ in roles])
    members: list[Member] = []
    ages = random.Random(2547 + 543)  # its own draws: the names and numbers stay as they were
    for role, balance in zip(roles, balances, strict=True):
        behind = rng.choices((0, 5, 20, 45, 75, -30, -60), (50, 15, 12, 8, 3, 8, 4))[0]
        name, phone = next(people)
        joined_on = today - dt.timedelta(days=balance + behind - 1)
        member = _add(
            session,
            group,
            role,
            name=name,
            phone=phone,
            joined_on=joined_on,
            lang="en" if rng.random() < 0.03 else "th",
            born_on=_born(ages, today, joined_on),
        )
        members.append(member)
    collectors = [m for m, held in zip(members, roles, strict=False) if Office.COLLECTOR in held]
    _households(session, members, today)
    for member, balance in zip(members, balances, strict=True):
        collector = collectors[member.number % len(collectors)]
        member.collector_id = collector.id  # their usual collector
        _seed_history(session, group, member, collector, balance, rng, today)
        progress(1)
    _seed_handovers(session, group, collectors, today)
    _add_matching(session, group, NAMKHAO_MATCHING_BAHT, today - dt.timedelta(days=120))
    return officials(session, group)


def _households(session: Session, members: list[Member], today: dt.date) -> None:
    """A few homes where children are members on a parent's phone; parents name a beneficiary."""
    for numbers in HOUSEHOLDS:
        parent, *children = (members[n - 1] for n in numbers)
        surname = parent.name.split()[-1]
        for child, years in zip(children, (9, 12, 15), strict=False):
            title = "ด.ช." if child.name.startswith("นาย") else "ด.ญ."
            given = child.name.split()[0].removeprefix("นางสาว").removeprefix("นาง")
            child.name = f"{title}{given.removeprefix('นาย')} {surname}"
            child.phone, child.lang = parent.phone, parent.lang
            child.born_on = min(child.joined_on, today - dt.timedelta(days=years * 365))
        set_beneficiary(session, parent, children[0].name, None, "ลูก", DEMO)


def _seed_history(
    session: Session,
    group: Group,
    member: Member,
    collector: Member,
    balance_baht: int,
    rng: random.Random,
    today: dt.date,
) -> None:
    """The notebook balance as an opening transfer, then recent cash via a collector."""
    recent = [30, 30] if balance_baht >= 120 else []
    opening = balance_baht - sum(recent)
    _post_opening(session, group, member, opening)
    for months_ago, baht in enumerate(recent, start=1):
        day = today - dt.timedelta(days=30 * months_ago - rng.randrange(0, 10))
        _post(
            session,
            key=f"demo:{group.code}:pay:{member.number}:{months_ago}",
            group_id=group.id,
            debit=f"collector_cash:{collector.id}",
            credit=f"member:{member.id}",
            amount=baht * SATANG_PER_BAHT,
            code=Code.CONTRIBUTION,
            business_date=day,
            member_id=member.id,
            collector_id=collector.id,
        )


def _seed_handovers(
    session: Session, group: Group, collectors: list[Member], today: dt.date
) -> None:
    """Collectors hand half their cash to the treasurer; the rest stays in hand."""
    for collector in collectors:
        account = session.scalars(
            select(Account).where(
                Account.group_id == group.id, Account.key == f"collector_cash:{collector.id}"
            )
        ).one()
        hand_over = account.debit_balance // 2
        if hand_over <= 0:
            continue
        _post(
            session,
            key=f"demo:{group.code}:handover:{collector.number}",
            group_id=group.id,
            debit="fund_bank",
            credit=f"collector_cash:{collector.id}",
            amount=hand_over,
            code=Code.HANDOVER,
            business_date=today - dt.timedelta(days=10),
            collector_id=collector.id,
        )


def seed_network(
    session_factory: Callable[[], object],
    today: dt.date,
    progress: Callable[[int], None] = lambda _n: None,
) -> None:
    """Add the 49 other groups: 25,505 members and 8,000,000 baht of their own with NAMKHAO."""
    rng = random.Random(2548)
    ages = random.Random(2548 + 543)
    others = NETWORK_GROUPS - 1
    sizes = _split(
        NETWORK_MEMBERS - NAMKHAO_MEMBERS, [rng.uniform(0.4, 1.6) for _ in range(others)]
    )
    member_money = NETWORK_MEMBERS_BAHT - NAMKHAO_CONTRIBUTIONS_BAHT
    group_money = _split(member_money, [size * rng.uniform(0.8, 1.2) for size in sizes])
    for index, (size, money) in enumerate(zip(sizes, group_money, strict=True), start=2):
        with session_factory() as session:  # type: ignore[attr-defined]
            people = _people(rng, set(session.scalars(select(Member.phone))))
            group = add_group(
                session,
                f"SK{index:02d}",
                f"กองทุนสวัสดิการชุมชน หมู่ {index}",
                short_name=f"กองทุนฯ หมู่ {index}",
            )
            roles = NETWORK_OFFICES + [()] * (size - len(NETWORK_OFFICES))
            balances = _split(money, [rng.uniform(100, 200) for _ in roles])
            for role, balance in zip(roles, balances, strict=True):
                name, phone = next(people)
                joined_on = today - dt.timedelta(days=balance - 1 + rng.choice((0, 0, 3, 10)))
                member = _add(
                    session,
                    group,
                    role,
                    name=name,
                    phone=phone,
                    joined_on=joined_on,
                    born_on=_born(ages, today, joined_on),
                )
                _post_opening(session, group, member, balance)
                progress(1)


def officials(session: Session, group: Group) -> list[Official]:
    """The group's office holders, by member number, with their offices."""
    held: dict[int, list[str]] = {}
    people: dict[int, Member] = {}
    for member, office in session.execute(
        select(Member, OfficeTerm.office)
        .join(OfficeTerm, OfficeTerm.member_id == Member.id)
        .where(Member.group_id == group.id, OfficeTerm.ends_on.is_(None))
        .order_by(Member.number, OfficeTerm.id)
    ):
        held.setdefault(member.id, []).append(office)
        people[member.id] = member
    return [Official("+".join(held[m.id]), m.number, m.name, m.phone) for m in people.values()]


def households(session: Session, group: Group) -> dict[str, list[Member]]:
    """The group's shared phones, each with the members on it, by member number."""
    shared: dict[str, list[Member]] = {}
    for member in session.scalars(
        select(Member).where(Member.group_id == group.id).order_by(Member.number)
    ):
        shared.setdefault(member.phone, []).append(member)
    return {phone: people for phone, people in shared.items() if len(people) > 1}


def demo_login(session: Session, group: Group) -> None:
    """The demo's dashboard login for NAMKHAO, unless it exists."""
    if session.scalars(select(User.id).where(User.username == DEMO_USER)).first() is None:
        treasurer = next(o for o in officials(session, group) if o.role == Office.TREASURER)
        member = session.scalars(
            select(Member).where(Member.group_id == group.id, Member.number == treasurer.number)
        ).one()
        add_user(session, DEMO_USER, treasurer.name, DEMO_PASSWORD, group, "th", member)
