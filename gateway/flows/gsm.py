"""How long a text is on a phone: GSM-7 or UCS-2, characters and SMS parts."""

from __future__ import annotations

# GSM 03.38 basic set; the extension set costs two characters each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    """True when every character fits the GSM-7 alphabet."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def length(text: str) -> int:
    """Characters as the network counts them (GSM-7 extension characters count two)."""
    if is_gsm7(text):
        return sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    # UCS-2 counts UTF-16 code units; Thai is all in the basic plane.
    return len(text.encode("utf-16-le")) // 2


def sms_parts(text: str) -> int:
    """How many SMS parts the text takes (160/153 GSM-7, 70/67 UCS-2)."""
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    n = length(text)
    return 1 if n <= single else -(-n // multi)


def ussd_budget(text: str) -> int:
    """The most characters a USSD screen may hold: 160 in GSM-7, 80 otherwise."""
    return 160 if is_gsm7(text) else 80
