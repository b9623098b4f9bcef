"""Which member is calling from a phone a household shares: the first USSD screens.

A pure fold like the menu's: the first inputs of the session pick a member (by the
number beside their name, `98` for the next names); the menu then runs on the inputs
after the choice, for that member alone, so the choice holds for the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.flows.gsm import ussd_budget
from gateway.flows.texts import short_name
from gateway.flows.ussd import BACK, MAIN, MAX_TRIES, MORE, WHOLE, Screen

PAGE = 3  # three names and the header fit the 80 characters of a Thai screen
NAME = 14  # characters of a name on the list

TEXTS = {
    "th": {
        "ask": "เลือกชื่อสมาชิกค่ะ",
        "more": "98 ต่อ",
        "hint": "ลองใหม่\n",
        "too_many": "ขออภัย ลองใหม่ภายหลังค่ะ",
    },
    "en": {
        "ask": "Who is calling?",
        "more": "98 More names",
        "hint": "Please try again\n",
        "too_many": "Sorry, please try again later.",
    },
}


@dataclass(frozen=True)
class Chosen:
    """The member picked (their place in the household) and the inputs the choice took."""

    index: int
    used: int


def labels(names: list[str]) -> list[str]:
    """How each member is listed: the first name, or the whole name where two would match."""
    short = [short_name(n) for n in names]
    return [
        (s if short.count(s) == 1 else " ".join(n.split()))[:NAME]
        for s, n in zip(short, names, strict=True)
    ]


def choose(names: list[str], inputs: list[str], lang: str) -> Chosen | Screen:
    """The member chosen by the first inputs, or the screen that asks for the choice."""
    page, tries, hint = 0, 0, False
    pages = -(-len(names) // PAGE)
    for used, value in enumerate(inputs, start=1):
        if WHOLE.fullmatch(value) and 1 <= int(value) <= len(names) and value != MORE:
            return Chosen(int(value) - 1, used)
        if value == MORE and page + 1 < pages:
            page, tries, hint = page + 1, 0, False
        elif value in (BACK, MAIN):
            page, tries, hint = 0, 0, False
        else:
            tries, hint = tries + 1, True
            if tries >= MAX_TRIES:
                return Screen(_texts(lang)["too_many"], end=True)
    return _page(labels(names), page, pages, hint, lang)


def _page(shown: list[str], page: int, pages: int, hint: bool, lang: str) -> Screen:
    t = _texts(lang)
    first = page * PAGE
    lines = [t["ask"]] + [f"{i} {n}" for i, n in enumerate(shown[first : first + PAGE], first + 1)]
    if page + 1 < pages:
        lines.append(t["more"])
    text = "\n".join(lines)
    if hint and len(t["hint"] + text) <= ussd_budget(t["hint"] + text):
        text = t["hint"] + text
    return Screen(text)


def _texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["th"])
