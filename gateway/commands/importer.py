"""Import members from a CSV file: validate every line first, then all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.phones import InvalidPhone, normalize_phone
from models.registry import (
    LANGUAGES,
    Group,
    Member,
    RegistryError,
    Role,
    add_member,
)

HEADER = ("name", "phone", "role", "joined", "lang")


@dataclass(frozen=True)
class MemberRow:
    """One valid line of the file."""

    line: int
    name: str
    phone: str
    role: str
    joined_on: dt.date
    lang: str


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
    role = (fields.get("role") or "").strip().lower() or Role.MEMBER.value
    if role not in Role.__members__.values():
        problems.append(f"role {role!r} is not one of {', '.join(Role)}")
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
    return {"name": name, "phone": phone, "role": role, "joined_on": joined, "lang": lang}, problems


def validate_csv(session: Session, text: str, today: dt.date) -> list[MemberRow]:
    """Parse and check the whole file; raise ImportRejected listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(h.strip().lower() for h in (reader.fieldnames or ()))
    if header != HEADER:
        raise ImportRejected([f"line 1: header must be {','.join(HEADER)}"])
    rows: list[MemberRow] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if None in fields:
            problems.append(f"line {line}: more than {len(HEADER)} columns")
            continue
        values, wrong = _check_line(fields, today)
        phone = values["phone"]
        if phone and phone in seen:
            wrong.append(f"phone repeats line {seen[phone]}")
        elif phone:
            seen[phone] = line
        problems.extend(f"line {line}: {why}" for why in wrong)
        if not wrong:
            rows.append(MemberRow(line=line, **values))
    if seen:
        taken = set(session.scalars(select(Member.phone).where(Member.phone.in_(seen))))
        problems.extend(f"line {seen[p]}: phone {p} is already registered" for p in sorted(taken))
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
) -> list[Member]:
    """Add validated rows to the group (the caller's transaction commits them all)."""
    added = []
    for row in rows:
        try:
            member = add_member(
                session,
                group,
                name=row.name,
                phone=row.phone,
                role=row.role,
                joined_on=row.joined_on,
                lang=row.lang,
            )
        except RegistryError as exc:
            raise ImportRejected([f"line {row.line}: {exc}"]) from None
        added.append(member)
        progress(1)
    return added
