"""People's names as an SMS or a USSD screen shows them: no title, cut whole.

A title is taken off only when it stands apart as a word: followed by a space, or ended
by its own dot (น.ส.มาลี). Written together without a dot it may be the start of a
given name (นางนวล is a name, not นาง + นวล), so it stays.
"""

from __future__ import annotations

from gateway.flows.gsm import is_gsm7

NAME_LIMIT = 12
# Titles written as words: they count only when a space follows them.
WORD_TITLES = frozenset(
    {
        "นาย",
        "นาง",
        "นางสาว",
        "เด็กชาย",
        "เด็กหญิง",
        "คุณ",
        "พระ",
        "พระครู",
        "พระมหา",
        "สามเณร",
        "แม่ชี",
        "กำนัน",
        "ผู้ใหญ่บ้าน",
        "ผู้ใหญ่",
        "ว่าที่",
        "MR",
        "MRS",
        "MS",
        "MISS",
        "DR",
    }
)
# Abbreviated titles and ranks end in a dot, so they may also be glued to the name.
DOTTED_TITLES = tuple(
    sorted(
        {
            "น.ส.",
            "ด.ช.",
            "ด.ญ.",
            "ดร.",
            "นพ.",
            "พญ.",
            "ทพ.",
            "ทพญ.",
            "ภก.",
            "ผศ.",
            "รศ.",
            "ศ.",
            "ผญบ.",
            "อสม.",
            "จ.ส.ต.",
            "จ.ส.ท.",
            "จ.ส.อ.",
            "ส.ต.",
            "ส.ท.",
            "ส.อ.",
            "ส.ต.ต.",
            "ส.ต.ท.",
            "ส.ต.อ.",
            "ด.ต.",
            "ร.ต.",
            "ร.ท.",
            "ร.อ.",
            "ร.ต.ต.",
            "ร.ต.ท.",
            "ร.ต.อ.",
            "พ.ต.",
            "พ.ท.",
            "พ.อ.",
            "พ.ต.ต.",
            "พ.ต.ท.",
            "พ.ต.อ.",
            "พล.ต.",
            "พล.ท.",
            "พล.อ.",
            "พล.ต.ต.",
            "พล.ต.ท.",
            "พล.ต.อ.",
            "พ.จ.อ.",
            "MR.",
            "MRS.",
            "MS.",
            "DR.",
        },
        key=len,
        reverse=True,
    )
)
# Thai vowels and tone marks written above, below or after their consonant: a cut
# never leaves them behind. Leading vowels (เ แ โ ใ ไ) go with the consonant after them.
FOLLOWING = frozenset("\u0e30\u0e31\u0e32\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a")
FOLLOWING |= frozenset("\u0e45\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")
LEADING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")


def _title_at_start(words: list[str]) -> list[str] | None:
    """The words with one leading title taken off, or None when none stands apart."""
    first = words[0]
    if len(words) > 1 and (first.upper() in WORD_TITLES or first.upper() in DOTTED_TITLES):
        return words[1:]
    for title in DOTTED_TITLES:
        if first.upper().startswith(title) and len(first) > len(title):
            return [first[len(title) :], *words[1:]]
    return None


def without_title(name: str) -> str:
    """A name with the titles that stand apart taken off (นาย สมชาย ใจดี -> สมชาย ใจดี)."""
    words = name.split()
    while words and (rest := _title_at_start(words)) is not None:
        words = rest
    return " ".join(words)


def clusters(text: str) -> list[str]:
    """Text as the pieces a cut may fall between: a consonant with its vowels and marks."""
    pieces: list[str] = []
    for char in text:
        glued = pieces and (char in FOLLOWING or all(c in LEADING for c in pieces[-1]))
        if glued:
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def cut(text: str, limit: int) -> str:
    """At most `limit` characters of text, never parting a Thai vowel or tone mark."""
    if len(text) <= limit:
        return text
    kept = ""
    for piece in clusters(text):
        if len(kept) + len(piece) > limit:
            break
        kept += piece
    return kept.rstrip("".join(LEADING))


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """The given name without a title, cut to fit an SMS (นาง มาลี ใจดี -> มาลี)."""
    bare = without_title(name.strip()) or name.strip()
    first = bare.split()[0] if bare.split() else bare
    return cut(first, limit)


FUND_NAME_LIMIT = 20  # characters of the fund's name at the head of a reminder or notice


def fund_heading(
    name: str, short: str | None = None, *, code: str | None = None, lang: str = "th"
) -> str:
    """What heads a fund's SMS: its short name, else its name cut at a space or a cluster.

    An English SMS stays in GSM-7 (160 characters a part): a Thai name gives way to the
    fund's code there.
    """
    heading = short.strip() if short and short.strip() else _cut_fund_name(name)
    if lang != "th" and code and not is_gsm7(heading):
        return code
    return heading


def _cut_fund_name(name: str) -> str:
    name = " ".join(name.split())
    if len(name) <= FUND_NAME_LIMIT:
        return name
    head = name[: FUND_NAME_LIMIT + 1]
    if " " in head:
        return head.rsplit(" ", 1)[0]
    return cut(name, FUND_NAME_LIMIT)
