"""Import members from a CSV file: validate every line first, then all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.actors import Actor, Job
from models.offices import Office
from models.phones import InvalidPhone, normalize_phone
from models.registry import (
    LANGUAGES,
    Group,
    Member,
    RegistryError,
    add_member,
    check_consent,
    check_office,
    check_phone_free,
    check_sex,
    edit_member,
    find_collector,
    give_office,
)

HEADER = ("name", "phone", "office", "joined", "lang")
# The register's other columns, each optional, after the first five.
MORE = ("born", "sex", "village", "collector", "consent", "consent_on")
# Files written before offices had their name: the same column, headed "role".
OLD_HEADER = ("name", "phone", "role", "joined", "lang")
BY = Actor.system(Job.IMPORT)


@dataclass(frozen=True)
class MemberRow:
    """One valid line of the file."""

    line: int
    name: str
    phone: str
    offices: tuple[Office, ...]
    joined_on: dt.date
    lang: str
    born_on: dt.date | None = None
    sex: str | None = None
    village: str | None = None
    collector: str | None = None  # a member number, checked against the group on import
    consent: tuple[dt.date, str] | None = None  # (day, how): PDPA consent on the paper form


class ImportRejected(ValueError):
    """The file has bad lines; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} bad line(s); nothing imported")
        self.problems = problems


def _check_line(fields: dict[str, str], today: dt.date) -> tuple[dict, list[str]]:
    """Parse one line's fields; return the values and what is wrong with them."""
    problems = []
    name = (fields.get("name") or "").strip()
    if not name or len(name) > 120:
        problems.append("name must be 1 to 120 characters")
    phone = ""
    try:
        phone = normalize_phone(fields.get("phone") or "")
    except InvalidPhone as exc:
        problems.append(str(exc))
    offices: list[Office] = []
    for word in (fields.get("office") or "").replace("+", " ").split():
        if word.lower() == "member":  # a plain member holds no office
            continue
        try:
            offices.append(check_office(word))
        except RegistryError as exc:
            problems.append(str(exc))
    joined_text = (fields.get("joined") or "").strip()
    joined = today
    if joined_text:
        try:
            joined = dt.date.fromisoformat(joined_text)
        except ValueError:
            problems.append(f"joined {joined_text!r} is not a date like 2024-05-16")
        else:
            if joined > today:
                problems.append(f"joined {joined_text} is in the future")
    lang = (fields.get("lang") or "").strip().lower() or "th"
    if lang not in LANGUAGES:
        problems.append(f"lang {lang!r} is not th or en")
    values = {"name": name, "phone": phone, "offices": tuple(offices)}
    born = None
    if born_text := (fields.get("born") or "").strip():
        try:
            born = dt.date.fromisoformat(born_text)
        except ValueError:
            problems.append(f"born {born_text!r} is not a date like 1960-05-16")
        else:
            if born > joined:
                problems.append("born after joining: check the dates")
    sex = None
    try:
        sex = check_sex(fields.get("sex"))
    except RegistryError as exc:
        problems.append(str(exc))
    village = (fields.get("village") or "").strip() or None
    if village and len(village) > 60:
        problems.append("village: at most 60 characters")
    collector = (fields.get("collector") or "").strip().lstrip("#") or None
    if collector and not collector.isdigit():
        problems.append(f"collector {collector!r} is not a member number")
    more = {"born_on": born, "sex": sex, "village": village, "collector": collector}
    more["consent"] = _consent(fields, joined, today, problems)
    return {**values, "joined_on": joined, "lang": lang, **more}, problems


def _consent(
    fields: dict[str, str], joined: dt.date, today: dt.date, problems: list[str]
) -> tuple[dt.date, str] | None:
    """The consent columns: how (paper, spoken, sms) and the day (default: joined)."""
    how_text = (fields.get("consent") or "").strip()
    on_text = (fields.get("consent_on") or "").strip()
    if not how_text:
        if on_text:
            problems.append("consent_on without consent (paper, spoken or sms)")
        return None
    try:
        how = check_consent(how_text)
        on = dt.date.fromisoformat(on_text) if on_text else joined
    except RegistryError as exc:
        problems.append(str(exc))
        return None
    except ValueError:
        problems.append(f"consent_on {on_text!r} is not a date like 2024-05-16")
        return None
    if on > today:
        problems.append(f"consent_on {on_text} is in the future")
        return None
    return on, how


def validate_csv(session: Session, text: str, today: dt.date, group: Group) -> list[MemberRow]:
    """Parse and check the whole file; raise ImportRejected listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(h.strip().lower() for h in (reader.fieldnames or ()))
    if header[:5] == OLD_HEADER:
        header = (*HEADER, *header[5:])
    reader.fieldnames = list(header)
    if (
        header[:5] != HEADER
        or any(h not in MORE for h in header[5:])
        or len(set(header)) < len(header)
    ):
        raise ImportRejected(
            [f"line 1: header must be {','.join(HEADER)} and any of {','.join(MORE)}"]
        )
    rows: list[MemberRow] = []
    problems: list[str] = []
    seen: dict[str, tuple[int, bool]] = {}  # phone: (first line, held an office)
    for fields in reader:
        line = reader.line_num
        if None in fields:
            problems.append(f"line {line}: more than {len(header)} columns")
            continue
        values, wrong = _check_line(fields, today)
        phone, official = values["phone"], bool(values["offices"])
        if phone and phone in seen and (official or seen[phone][1]):
            # A household may share a phone; an official's phone is theirs alone.
            wrong.append(f"phone repeats line {seen[phone][0]} (an official's phone)")
        elif phone and phone not in seen:
            seen[phone] = (line, official)
        problems.extend(f"line {line}: {why}" for why in wrong)
        if not wrong:
            rows.append(MemberRow(line=line, **values))
    for phone, (line, official) in seen.items():
        try:
            check_phone_free(session, group.id, phone, None)
            taken = session.scalars(select(Member.number).where(Member.phone == phone)).first()
            if official and taken is not None:
                raise RegistryError(f"phone is member {taken}'s: an official needs their own")
        except RegistryError as exc:
            problems.append(f"line {line}: {exc}")
    if not rows and not problems:
        problems.append("line 2: the file has no members")
    if problems:
        problems.sort(key=lambda p: int(p.split(":")[0].split()[1]))
        raise ImportRejected(problems)
    return rows


def import_members(
    session: Session,
    group: Group,
    rows: Iterable[MemberRow],
    progress: Callable[[int], None] = lambda _n: None,
    today: dt.date | None = None,
) -> list[Member]:
    """Add validated rows to the group (the caller's transaction commits them all)."""
    added, rows = [], list(rows)
    for row in rows:
        try:
            member = add_member(
                session,
                group,
                name=row.name,
                phone=row.phone,
                joined_on=row.joined_on,
                lang=row.lang,
                born_on=row.born_on,
                by=BY,
                consent=row.consent,
            )
            for office in row.offices:
                give_office(session, member, office, row.joined_on, BY)
            details = {"sex": row.sex, "village": row.village}
            edit_member(session, member, {k: v for k, v in details.items() if v}, BY)
        except RegistryError as exc:
            raise ImportRejected([f"line {row.line}: {exc}"]) from None
        added.append(member)
        progress(1)
    # Usual collectors last: a collector may be on a later line of the same file.
    for row, member in zip(rows, added, strict=True):
        if row.collector:
            try:
                collector = find_collector(session, group, row.collector, today or row.joined_on)
            except RegistryError as exc:
                raise ImportRejected([f"line {row.line}: {exc}"]) from None
            edit_member(session, member, {"collector_id": collector.id}, BY)
    return added
