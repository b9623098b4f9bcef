"""Thai phone numbers: every usual spelling in, E.164 out."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


class InvalidPhone(ValueError):
    """The text is not a valid phone number."""


def thai_digits_to_ascii(text: str) -> str:
    """Replace Thai digits ๐–๙ with 0–9."""
    return text.translate(THAI_DIGITS)


# Parsing a number costs ~0.5 ms of CPU, and every USSD hop names its caller's: a
# process remembers the numbers it has seen lately (the answer is the text's alone).
@lru_cache(maxsize=8192)
def normalize_phone(text: str) -> str:
    """Return the E.164 form of a mobile number written any usual Thai way."""
    raw = thai_digits_to_ascii(text).strip()
    try:
        number = phonenumbers.parse(raw, "TH")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {text!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {text!r}")
    # Members live on SMS and USSD, which a landline cannot receive.
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhone(f"not a mobile number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def phone_key(text: str) -> str:
    """One key for a number however it is written: E.164 when valid, else its digits."""
    try:
        return normalize_phone(text)
    except InvalidPhone:
        # Not a mobile: still one key for every spelling, so limits cannot be side-stepped.
        return "?" + "".join(c for c in thai_digits_to_ascii(text) if c.isdigit())[:20]


def mask_phone(e164: str) -> str:
    """Hide all but the last four digits, for logs."""
    return "*" * max(0, len(e164) - 4) + e164[-4:]


def display_phone(e164: str) -> str:
    """Format a Thai number the way people write it (081 234 5678)."""
    number = phonenumbers.parse(e164, "TH")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
