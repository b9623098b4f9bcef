"""The projection page and the learning day, as the dashboard and the command line show them."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.flows.dashboard_texts import DASHBOARD_TEXTS, benefit_label
from gateway.flows.money import format_baht
from models.db import Database
from models.foresight import Gathered, projection_of
from models.learning_day import COLUMNS, learning_day, sort_lines
from models.projection import (
    Assumptions,
    Line,
    Projection,
    Suggestion,
    load_assumptions,
    project,
)
from models.registry import Group

__all__ = ["COLUMNS", "load_assumptions"]  # the pages name the columns; the app reads the file

MOST_BAHT = 1_000_000  # no benefit pays more per unit; a typo of extra zeros is refused
OLDEST_AGE = 110
CHART_W, CHART_H, CHART_PAD = 640, 220, 30


@dataclass(frozen=True)
class Field:
    """One input of the schedule form: its name, label and today's value."""

    name: str
    benefit: str
    label: str
    value: str


def form_fields(lines: Mapping[str, Line], lang: str) -> list[Field]:
    """The schedule form: each benefit's amount, its tiers' amounts, and its lowest age."""
    t = DASHBOARD_TEXTS[lang]
    fields = []
    for kind, line in lines.items():
        fields.append(Field(f"{kind}.amount", kind, t["projection_amount"], str(line.amount)))
        for i, (years, amount) in enumerate(getattr(line, "tiers", ())):
            label = t["projection_tier"].format(years=years)
            fields.append(Field(f"{kind}.tier{i}", kind, label, str(amount)))
        if line.min_age is not None:
            fields.append(
                Field(f"{kind}.min_age", kind, t["projection_min_age"], str(line.min_age))
            )
    return fields


class BadField(ValueError):
    """A form value that is not a whole number in range: the field and the most allowed."""

    def __init__(self, name: str, most: int) -> None:
        super().__init__(name)
        self.name, self.most = name, most


def _whole(value: str, name: str, most: int) -> int:
    text = value.strip().replace(",", "").translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
    if not text.isascii() or not text.isdigit() or int(text) > most:
        raise BadField(name, most)
    return int(text)


def edited_lines(lines: Mapping[str, Line], form: Mapping[str, str]) -> dict[str, Line] | None:
    """The schedule with the form's amounts and ages, or None when the form changes nothing."""
    changed, out = False, {}
    for kind, line in lines.items():
        amount, min_age = line.amount, line.min_age
        tiers = list(getattr(line, "tiers", ()))
        if f"{kind}.amount" in form:
            amount = _whole(form[f"{kind}.amount"], f"{kind}.amount", MOST_BAHT)
        for i, (years, _) in enumerate(tiers):
            if f"{kind}.tier{i}" in form:
                tiers[i] = (years, _whole(form[f"{kind}.tier{i}"], f"{kind}.tier{i}", MOST_BAHT))
        if line.min_age is not None and f"{kind}.min_age" in form:
            min_age = _whole(form[f"{kind}.min_age"], f"{kind}.min_age", OLDEST_AGE)
        new = dataclasses.replace(line, amount=amount, tiers=tuple(tiers), min_age=min_age)
        changed = changed or new != line
        out[kind] = new
    return out if changed else None


def suggestion_text(s: Suggestion, lines: Mapping[str, Line], rate: int, lang: str) -> str:
    """One way to keep the fund above zero, in words."""
    t = DASHBOARD_TEXTS[lang]
    if s.kind == "daily_rate":
        baht = format_baht(s.value, decimals=True)
        return t["keep_daily_rate"].format(baht=baht, now=format_baht(rate, decimals=True))
    name = benefit_label(s.benefit, lang)
    if s.kind == "amount":
        amounts = " / ".join(f"{a:,}" for a in s.amounts)
        return t["keep_amount"].format(benefit=name, percent=s.value, amounts=amounts)
    return t["keep_min_age"].format(benefit=name, age=s.value, now=lines[s.benefit].min_age)


def basis_lines(gathered: Gathered, lang: str) -> list[str]:
    """What the projection rests on, one sentence a line."""
    t, basis = DASHBOARD_TEXTS[lang], gathered.basis
    out = [
        t["basis_members"].format(members=f"{basis['members']:,}", paying=basis["paying_percent"])
    ]
    if basis["without_birth_date"]:
        out.append(t["basis_no_birth"].format(count=f"{basis['without_birth_date']:,}"))
    if basis["without_sex"]:
        out.append(t["basis_no_sex"])
    names = {"lapses": t["basis_lapses"], "joiners": t["basis_joiners"]}
    own = [names[k] for k in names if basis[k]["source"] == "group"]
    own += [benefit_label(k, lang) for k, v in basis["claims"].items() if v["source"] == "group"]
    tables = [names[k] for k in names if basis[k]["source"] != "group"]
    tables += [
        benefit_label(k, lang)
        for k, v in basis["claims"].items()
        if v["source"] != "group" and k in gathered.lines
    ]
    if own:
        out.append(t["basis_own"].format(what=", ".join(own)))
    if tables:
        version = basis["assumptions"]
        out.append(t["basis_tables"].format(version=version, what=", ".join(tables)))
    return out


@dataclass(frozen=True)
class Chart:
    """Two lines of year-end balances, scaled to the page's drawing, and where zero is."""

    today: str  # SVG polyline points
    edited: str
    zero_y: int
    labels: list[tuple[int, int]]  # (x, BE year)
    top_satang: int
    bottom_satang: int


def chart(years: list[int], today: list[int], edited: list[int] | None) -> Chart:
    """The balances as points on a CHART_W x CHART_H drawing, zero always in view."""
    values = today + (edited or []) + [0]
    top, bottom = max(values), min(values)
    span = (top - bottom) or 1
    step = (CHART_W - 2 * CHART_PAD) // max(1, len(years) - 1)

    def y(satang: int) -> int:
        return CHART_PAD + (top - satang) * (CHART_H - 2 * CHART_PAD) // span

    def points(series: list[int]) -> str:
        return " ".join(f"{CHART_PAD + i * step},{y(v)}" for i, v in enumerate(series))

    labels = [(CHART_PAD + i * step, year + 543) for i, year in enumerate(years)]
    return Chart(points(today), points(edited) if edited else "", y(0), labels, top, bottom)


@dataclass(frozen=True)
class ProjectionPage:
    """Today's projection, the edited one if the form changed anything, and their words."""

    today: Projection
    edited: Projection | None
    fields: list[Field]
    suggestions: list[str]
    basis: list[str]
    chart: Chart
    bad: str | None  # the refusal line when the form had a bad value


def projection_page(
    db: Database,
    group_id: int,
    today: dt.date,
    assumptions: Assumptions,
    form: Mapping[str, str],
    lang: str,
    years: int = 10,
) -> ProjectionPage:
    """The group's projection under today's schedule and under the form's, side by side."""
    with db.transaction() as session:
        group = session.get(Group, group_id)
        now, gathered = projection_of(session, group, today, assumptions, years)
    lines, bad, edited = gathered.lines, None, None
    try:
        changed = edited_lines(lines, form)
    except BadField as exc:
        changed = None
        # The field as the form labels it, not its input name (hospital.amount).
        field = next(
            f"{benefit_label(f.benefit, lang)}: {f.label}"
            for f in form_fields(lines, lang)
            if f.name == exc.name
        )
        t = DASHBOARD_TEXTS[lang]
        unit = t["years"] if exc.name.endswith(".min_age") else t["baht"]
        bad = t["projection_bad"].format(field=field, most=f"{exc.most:,} {unit}")
    if changed is not None:
        edited = project(gathered.fund, changed, assumptions, years)
    shown = {
        **{f.name: f.value for f in form_fields(lines, lang)},
        **(dict(form) if not bad else {}),
    }
    fields = [
        dataclasses.replace(f, value=shown.get(f.name, f.value)) for f in form_fields(lines, lang)
    ]
    rate = gathered.fund.daily_rate_satang
    return ProjectionPage(
        today=now,
        edited=edited,
        fields=fields,
        suggestions=[suggestion_text(s, lines, rate, lang) for s in now.suggestions],
        basis=basis_lines(gathered, lang),
        chart=chart(
            [row.year for row in now.years],
            [row.balance_satang for row in now.years],
            [row.balance_satang for row in edited.years] if edited else None,
        ),
        bad=bad,
    )


def network_page(
    db: Database, day: dt.date, assumptions: Assumptions, sort: str, descending: bool
) -> dict[str, Any]:
    """The learning day's figures, the groups in the order asked for."""
    with db.transaction() as session:
        report = learning_day(session, day, assumptions)
    report["groups"] = sort_lines(report["groups"], sort, descending)
    return report
