"""Will the fund last? A year-by-year projection of members and money, pure and exact.

Nothing here reads the database or the clock: `models/foresight.py` gathers a group's
figures into a `Fund`, and this module projects it. People are counted in thousandths
(milli-members), rates in parts per million, money in satang. Each year the members at
its start pay and claim; then some die, some lapse, the rest grow a year older and a
year longer in the fund, and new members join. Money in is rounded down and money out
up, once per benefit and year, so rounding never flatters the fund. There are no
random draws: the same figures give the same projection, to the satang.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

DEFAULT_ASSUMPTIONS = (
    Path(__file__).resolve().parent.parent / "config" / "assumptions" / "default.toml"
)
MILLI = 1_000  # a member counted in thousandths
PPM = 1_000_000  # rates, shares and factors in parts per million
DAYS = 365
OLDEST = 110  # nobody is projected past this age
SEXES = ("m", "f", "x")  # x: not in the register; projected at the mean of both tables
# How a sex weighs in births, over 2: a woman counts whole, a member of unknown sex half.
WOMEN = {"m": 0, "f": 2, "x": 1}
MONTHS = 12
# The denominator every benefit's yearly total is divided by, once: milli-members, the
# rate, the women weight, the history factor, the paying share, milli-units, days.
DENOMINATOR = MILLI * PPM * 2 * PPM * PPM * MILLI * DAYS
BENEFITS = (
    "birth",
    "hospital",
    "elderly",
    "funeral",
    "disability",
    "education",
    "disaster",
    "other",
)


class AssumptionsError(ValueError):
    """The assumptions file is not usable; the message names the table and what is wrong."""


@dataclass(frozen=True)
class Steps:
    """A rate by age: (from age, value) steps, each holding until the next."""

    steps: tuple[tuple[int, int], ...]

    def at(self, age: int) -> int:
        """The value at this age (the first step's below it)."""
        value = self.steps[0][1]
        for start, step in self.steps:
            if age < start:
                break
            value = step
        return value


@dataclass(frozen=True)
class Assumptions:
    """What the projection assumes, as read from config/assumptions/*.toml."""

    version: str
    deaths_male: Steps  # ppm a year
    deaths_female: Steps
    births: Steps  # ppm of women a year
    admissions: Steps  # ppm a year
    nights: Steps  # thousandths of a night per stay
    disability: Steps  # ppm of people
    flat: dict[str, int]  # benefit -> ppm of members a year
    lapses: int  # ppm a year
    joiners: int  # ppm of members a year
    join_ages: Steps  # per-mille shares of joiners by age band
    ages: Steps  # per-mille shares of members of unknown age by age band
    least_events: int
    history_years: int
    matching_percent: int
    matching_satang: int  # a year

    def deaths(self, age: int, sex: str) -> int:
        """Chance of dying within the year at this age (ppm); the mean for an unknown sex."""
        if age >= OLDEST:
            return PPM
        male, female = self.deaths_male.at(age), self.deaths_female.at(age)
        return {"m": male, "f": female}.get(sex, (male + female + 1) // 2)


def _thousandths(value: object, where: str) -> int:
    """A rate per 1,000 (or nights) as an integer count of thousandths, checked."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise AssumptionsError(f"{where}: a number of 0 or more, not {value!r}")
    return int((Decimal(str(value)) * MILLI).to_integral_value(ROUND_HALF_UP))


def _steps(raw: object, where: str) -> Steps:
    if not isinstance(raw, list) or not raw:
        raise AssumptionsError(f"{where}: a list of [from age, rate] steps")
    steps = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)):
            raise AssumptionsError(f"{where}: each step is [from age, rate], not {item!r}")
        steps.append((item[0], _thousandths(item[1], where)))
    ages = [age for age, _ in steps]
    if ages != sorted(set(ages)) or ages[0] != 0:
        raise AssumptionsError(f"{where}: steps start at age 0 and go up")
    return Steps(tuple(steps))


def parse_assumptions(text: str) -> Assumptions:
    """Read an assumptions file (TOML); AssumptionsError names what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssumptionsError(f"not a TOML file: {exc}") from None
    try:
        deaths, members, flat = data["deaths"], data["members"], data["flat"]
        history, matching = data["history"], data["matching"]
        found = Assumptions(
            version=str(data["version"]),
            deaths_male=_steps(deaths["male"], "deaths.male"),
            deaths_female=_steps(deaths["female"], "deaths.female"),
            births=_steps(data["births"]["women"], "births.women"),
            admissions=_steps(data["hospital"]["admissions"], "hospital.admissions"),
            nights=_steps(data["hospital"]["nights"], "hospital.nights"),
            disability=_steps(data["disability"]["share"], "disability.share"),
            flat={k: _thousandths(flat.get(k, 0), f"flat.{k}") for k in BENEFITS[5:]},
            lapses=_thousandths(members["lapses"], "members.lapses"),
            joiners=_thousandths(members["joiners"], "members.joiners"),
            join_ages=_steps(members["join_ages"], "members.join_ages"),
            ages=_steps(members["ages"], "members.ages"),
            least_events=int(history["least_events"]),
            history_years=int(history["years"]),
            matching_percent=int(matching["percent_of_contributions"]),
            matching_satang=int(matching["baht_per_year"]) * 100,
        )
    except KeyError as exc:
        raise AssumptionsError(f"missing {exc.args[0]!r}") from None
    if any(rate > PPM for rate in (found.lapses, found.joiners)):
        raise AssumptionsError("members: lapses and joiners are at most 1,000 per 1,000")
    return found


def load_assumptions(path: Path | None = None) -> Assumptions:
    """The assumptions in this file, or the shipped default."""
    return parse_assumptions((path or DEFAULT_ASSUMPTIONS).read_text("utf-8"))


class Line(Protocol):
    """A benefit of the schedule, as models.welfare.Benefit has it."""

    type: str
    unit: str
    per_claim: int
    per_year: int
    waiting_days: int | None
    min_age: int | None
    max_age: int | None

    def amount_for(self, years: int) -> int:
        """Baht per unit after this many years of membership."""


Cell = tuple[int, str, int]  # (age, sex, whole years in the fund)


@dataclass(frozen=True)
class Fund:
    """A fund as it stands today, and the rates that move it (from the group or the tables)."""

    year: int  # the calendar year now; year 1 of the projection ends a year from today
    balance_satang: int  # bank and cash with collectors
    daily_rate_satang: int
    paying_ppm: int  # share of members who pay (and so may claim): those not in arrears
    waiting_days: int
    members: Mapping[Cell, int]  # milli-members
    lapses_ppm: int
    joiners_ppm: int
    join_ages: Mapping[int, int]  # age -> ppm of joiners (sums to PPM)
    factors: Mapping[str, int] = field(default_factory=dict)  # benefit -> the group's A/E, ppm


@dataclass(frozen=True)
class Year:
    """One projected year: members at its start, who came and went, money in and out."""

    year: int  # the calendar year it ends in
    members: int  # whole members at the start (rounded)
    joined: int
    died: int
    lapsed: int
    contributions_satang: int
    matching_satang: int
    benefits_satang: dict[str, int]
    balance_satang: int  # at the end

    @property
    def paid_out_satang(self) -> int:
        """Every benefit of the year together."""
        return sum(self.benefits_satang.values())


@dataclass(frozen=True)
class MemberPath:
    """The members, year by year, and what each benefit's claims come to before amounts."""

    members: list[int]  # milli-members at each year's start
    paying: list[int]  # milli-members who pay, times PPM
    moves: list[tuple[int, int, int]]  # (joined, died, lapsed), milli-members
    # benefit -> per year -> (age, years in fund) -> exposure (see DENOMINATOR)
    exposure: dict[str, list[dict[tuple[int, int], int]]]


def _rates(a: Assumptions, age: int, sex: str) -> dict[str, int]:
    """Each benefit's yearly chance for one member of this age and sex (ppm, women x2)."""
    return {
        "birth": a.births.at(age) * WOMEN[sex],
        "hospital": a.admissions.at(age) * 2,
        "elderly": PPM * 2,
        "funeral": a.deaths(age, sex) * 2,
        "disability": a.disability.at(age) * 2,
        **{kind: rate * 2 for kind, rate in a.flat.items()},
    }


def _spread(total: int, shares: Mapping[int, int]) -> dict[int, int]:
    """Split total by ppm shares, rounding down; what is left goes to the largest share."""
    parts = {key: total * share // PPM for key, share in shares.items()}
    if parts:
        parts[max(shares, key=lambda k: (shares[k], -k))] += total - sum(parts.values())
    return parts


def project_members(fund: Fund, assumptions: Assumptions, years: int, cap: int) -> MemberPath:
    """Members year by year and each benefit's exposure; cap: years in fund that still matter."""
    cells = {(a, s, min(t, cap)): n for (a, s, t), n in fund.members.items() if n}
    path = MemberPath([], [], [], {kind: [] for kind in BENEFITS})
    rates_of: dict[tuple[int, str], dict[str, int]] = {}
    for _ in range(years):
        total = sum(cells.values())
        path.members.append(total)
        path.paying.append(total * fund.paying_ppm)
        exposure: dict[str, dict[tuple[int, int], int]] = {kind: {} for kind in BENEFITS}
        following: dict[Cell, int] = {}
        died = lapsed = 0
        for (age, sex, tenure), n in cells.items():
            rates = rates_of.get((age, sex))
            if rates is None:
                rates = rates_of[(age, sex)] = _rates(assumptions, age, sex)
            weight = n * fund.paying_ppm
            for kind, rate in rates.items():
                if rate:
                    factor = fund.factors.get(kind, PPM)
                    bucket = exposure[kind]
                    bucket[(age, tenure)] = bucket.get((age, tenure), 0) + weight * rate * factor
            dead = n * assumptions.deaths(age, sex) // PPM
            gone = (n - dead) * fund.lapses_ppm // PPM
            died, lapsed = died + dead, lapsed + gone
            if n - dead - gone and age + 1 <= OLDEST:
                key = (age + 1, sex, min(tenure + 1, cap))
                following[key] = following.get(key, 0) + n - dead - gone
        joined = total * fund.joiners_ppm // PPM
        for age, n in _spread(joined, fund.join_ages).items():
            if n:
                following[(age, "x", 0)] = following.get((age, "x", 0), 0) + n
        for kind in BENEFITS:
            path.exposure[kind].append(exposure[kind])
        path.moves.append((joined, died, lapsed))
        cells = following
    return path


def _units(line: Line, assumptions: Assumptions, age: int) -> int:
    """Thousandths of the line's unit one claim (or a year's claims) comes to at this age."""
    if line.unit == "month":
        return min(MONTHS, line.per_year) * MILLI
    if line.unit == "night":
        return min(assumptions.nights.at(age), line.per_claim * MILLI)
    return MILLI


def _eligible_days(tenure: int, waiting: int) -> int:
    """Days of a year of membership past the waiting period (the year ending tenure+1)."""
    return max(0, min(DAYS, DAYS * (tenure + 1) - waiting))


def payouts(line: Line, path: MemberPath, assumptions: Assumptions, fund: Fund) -> list[int]:
    """What one benefit line pays each year (satang, rounded up once a year)."""
    waiting = fund.waiting_days if line.waiting_days is None else line.waiting_days
    low, high = line.min_age or 0, line.max_age if line.max_age is not None else OLDEST
    amounts: dict[int, int] = {}
    units: dict[int, int] = {}
    out = []
    for exposure in path.exposure[line.type]:
        total = 0
        for (age, tenure), weight in exposure.items():
            if not low <= age <= high:
                continue
            amount = amounts.get(tenure)
            if amount is None:
                amount = amounts[tenure] = (
                    line.amount_for(tenure) * 100 * _eligible_days(tenure, waiting)
                )
            unit = units.get(age)
            if unit is None:
                unit = units[age] = _units(line, assumptions, age)
            total += weight * amount * unit
        out.append(-(-total // DENOMINATOR))
    return out


def contributions(path: MemberPath, daily_rate_satang: int) -> list[int]:
    """Members' money in each year (satang, rounded down): those who pay, every day."""
    return [paying * daily_rate_satang * DAYS // (MILLI * PPM) for paying in path.paying]


def matching(assumptions: Assumptions, paid: list[int]) -> list[int]:
    """Matching money each year, as the assumptions count on it."""
    return [c * assumptions.matching_percent // 100 + assumptions.matching_satang for c in paid]


def balances(start: int, money_in: list[int], money_out: list[int]) -> list[int]:
    """The fund's balance at the end of each year."""
    out, balance = [], start
    for got, spent in zip(money_in, money_out, strict=True):
        balance += got - spent
        out.append(balance)
    return out


@dataclass(frozen=True)
class Suggestion:
    """One change that keeps the fund above zero for the horizon, the rest left as it is."""

    kind: str  # daily_rate | amount | min_age
    benefit: str | None
    value: int  # satang a day | percent of today's amounts | age
    amounts: tuple[int, ...] = ()  # the benefit's baht per unit after the change, tiers too


@dataclass(frozen=True)
class Projection:
    """The projection of one fund under one schedule."""

    years: list[Year]
    runs_out: int | None  # the calendar year the balance first falls below zero
    suggestions: list[Suggestion]

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return {
            "runs_out": self.runs_out,
            "years": [dataclasses.asdict(y) for y in self.years],
            "suggestions": [dataclasses.asdict(s) for s in self.suggestions],
        }


def tenure_cap(schedule_lines: list[Line], fund: Fund) -> int:
    """Years in the fund past which nothing changes: the last tier, the longest wait."""
    waits = [fund.waiting_days] + [ln.waiting_days or 0 for ln in schedule_lines]
    tiers = [years for ln in schedule_lines for years, _ in getattr(ln, "tiers", ())]
    return max([1 + max(waits) // DAYS, *tiers])


def _lowest(ok: Callable[[int], bool], low: int, high: int) -> int | None:
    """The smallest value in [low, high] for which ok holds (ok monotone), or None."""
    if not ok(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _scaled(line: Line, percent: int) -> Line:
    """The line with every amount at percent of today's, in whole baht (rounded down)."""
    tiers = tuple((years, amount * percent // 100) for years, amount in getattr(line, "tiers", ()))
    return dataclasses.replace(line, amount=line.amount * percent // 100, tiers=tiers)


def project(
    fund: Fund,
    lines: Mapping[str, Line],
    assumptions: Assumptions,
    years: int = 10,
    *,
    suggest: bool = True,
) -> Projection:
    """Project the fund for `years` under these benefit lines; what keeps it above zero."""
    path = project_members(fund, assumptions, years, tenure_cap(list(lines.values()), fund))
    paid = {kind: payouts(line, path, assumptions, fund) for kind, line in lines.items()}
    given = contributions(path, fund.daily_rate_satang)
    matched = matching(assumptions, given)
    out = [sum(p[y] for p in paid.values()) for y in range(years)]
    ends = balances(fund.balance_satang, [c + m for c, m in zip(given, matched, strict=True)], out)
    rows = [
        Year(
            year=fund.year + y + 1,
            members=(path.members[y] + MILLI // 2) // MILLI,
            joined=(path.moves[y][0] + MILLI // 2) // MILLI,
            died=(path.moves[y][1] + MILLI // 2) // MILLI,
            lapsed=(path.moves[y][2] + MILLI // 2) // MILLI,
            contributions_satang=given[y],
            matching_satang=matched[y],
            benefits_satang={kind: p[y] for kind, p in paid.items()},
            balance_satang=ends[y],
        )
        for y in range(years)
    ]
    short = next((row.year for row in rows if row.balance_satang < 0), None)
    found: list[Suggestion] = []
    if short is not None and suggest:
        found = _suggestions(fund, lines, assumptions, path, paid, given)
    return Projection(rows, short, found)


def _holds(start: int, money_in: list[int], money_out: list[int]) -> bool:
    return all(b >= 0 for b in balances(start, money_in, money_out))


def _suggestions(
    fund: Fund,
    lines: Mapping[str, Line],
    assumptions: Assumptions,
    path: MemberPath,
    paid: dict[str, list[int]],
    given: list[int],
) -> list[Suggestion]:
    """The least contribution, and for each benefit the largest amount or lowest age, that hold."""
    years = len(given)
    out = [sum(p[y] for p in paid.values()) for y in range(years)]

    def income(rate: int) -> list[int]:
        got = contributions(path, rate)
        return [c + m for c, m in zip(got, matching(assumptions, got), strict=True)]

    found = []
    rate = _lowest(
        lambda r: _holds(fund.balance_satang, income(r), out),
        fund.daily_rate_satang,
        fund.daily_rate_satang * 100,
    )
    if rate is not None:
        found.append(Suggestion("daily_rate", None, rate))
    money_in = income(fund.daily_rate_satang)
    for kind, line in lines.items():
        if not any(paid[kind]):
            continue
        others = [out[y] - paid[kind][y] for y in range(years)]

        def holds_with(changed: Line, others: list[int] = others) -> bool:
            spent = payouts(changed, path, assumptions, fund)
            return _holds(
                fund.balance_satang, money_in, [a + b for a, b in zip(others, spent, strict=True)]
            )

        cut = _lowest(lambda p, line=line: holds_with(_scaled(line, 100 - p)), 0, 100)
        if cut is not None and cut < 100:
            scaled = _scaled(line, 100 - cut)
            amounts = (scaled.amount, *(a for _, a in scaled.tiers))
            found.append(Suggestion("amount", kind, 100 - cut, amounts))
        if line.min_age is not None:
            age = _lowest(
                lambda a, line=line: holds_with(dataclasses.replace(line, min_age=a)),
                line.min_age,
                OLDEST + 1,
            )
            if age is not None and age <= OLDEST:
                found.append(Suggestion("min_age", kind, age))
    return found
