"""Every SMS template fits its budget when filled with the longest values it can meet."""

from __future__ import annotations

import string

import pytest

from config.settings import PRIVACY_CONTACT_MAX
from gateway.flows import texts
from gateway.flows.gsm import is_gsm7, sms_parts
from gateway.flows.sms_grammar import ALIASES
from gateway.flows.texts import CATALOGUES, NAME_LIMIT, TH, UNKNOWN_SENDER, render
from gateway.services.sms.commands import USAGE

LONGEST = {
    "amount": "99,999",  # a year at 273 baht a day
    "cash": "9,999,999",
    "total": "9,999,999",
    "max": "99,999",
    "name": "ก" * NAME_LIMIT,
    "number": "99999",
    "ref": "ZZZZZZZZ",
    "date": "30 มี.ค. 2569",
    "days": "9999",
    "count": "999",
    "pending": "999",
    "who": "+66 81 234 5678",
    "ussd": "*1234*5678#",
    "verb": "UNDO",
    "handed": "9,999,999",
    "fund": "99,999,999",
    "members": "99,999",
    "arrears": "99,999",
    "open": "999",
    "declared": "999",
    "disputed": "999",
    "held": "99",
    "short": "99",
    "month": "มี.ค. 2569",
    "benefit": max((TH[k] for k in TH if k.startswith("benefit_")), key=len),
    "reason": "ก" * 30,
    "bank": "9,999,999",
    "age": "120",
    "most": "366",
    "left": "999",  # days before lapsing (lapse_days), or units left this year
    "baht": "99999",
    "taken": "9,999,999",
    "by": "ก" * NAME_LIMIT,
    "lines": "99999 " + "ก" * NAME_LIMIT + " 9,999,999 บ. ถึง 30 มี.ค. 2569",
    "more": "99",
    "contact": "x" * PRIVACY_CONTACT_MAX,  # SATJA_PRIVACY_CONTACT at its longest
    "listed": ", ".join(["99999 " + "ก" * NAME_LIMIT] * 3),
    "documents": "ก" * 25 + "...",  # services/sms/welfare.py cuts the list to 28
    "document": "ก" * 40,  # models/welfare.py: DOCUMENT_LENGTH
    "lapse": "999",
    "year": "2569",
    "given": "99,999",
    "received": "99,999",
    "group": "ก" * 20,  # gateway/flows/names.py: FUND_NAME_LIMIT, models/registry.py
    "owed": "99,999",  # a member lapses long before owing more (groups rules --lapse-days)
    "since": "30 มี.ค. 2569",
    "until": "30 มี.ค. 2569",
    "unit": "month",  # rendered in the catalogue's word: เดือน, months
}
TWO_PARTS_ALLOWED = {
    "help_member",
    "help_collector",
    "help_treasurer",
    "recon_collector",
    "recon_treasurer",
    "meeting",
    "claim_to_decide",
    "help_committee",
    "bal_household",  # a household's balances, one line each (services/sms/member.py)
    "err_phone_several",
    # Welfare given or taken back: rare, and headed by the fund's name so that it is
    # trusted; a name, a benefit and a reference leave too little room in one part.
    "welfare_paid",
    "welfare_paid_funeral",
    "claim_reversed",
    "claim_second_needed",
}


def longest_word(key):
    """The longest word, Thai alias or English, of the commands whose error is `key`."""
    verbs = {verb for verb, usage in USAGE.items() if usage == key}
    verbs |= {"err_benefit": {"CLAIM"}, "err_amount": {"PAY", "RCV"}}.get(key, set())
    return max([*verbs, *(w for w, v in ALIASES.items() if v in verbs)], key=len)


def fields(template):
    """The names a template fills, those inside a format spec (`{most:{unit}}`) too."""
    names = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name:
            names.add(name)
        if spec:
            names |= fields(spec)
    return names


def longest_values(lang, template, key=""):
    names = fields(template)
    values = {k: LONGEST[k] for k in names if k not in ("state", "word")}
    if lang == "en":
        values = {k: ("Bartholomewss" if k in ("name", "by") else v) for k, v in values.items()}
        values["date"] = "30 Sep 2026"
        values["month"] = "Sep 2026"
        values["benefit"] = "disability"
        values["reason"] = "x" * 30
        values["lines"] = "99999 Bartholomewss 9,999,999 baht, through 30 Sep 2026"
        values["listed"] = ", ".join(["99999 Bartholomewss"] * 3)
        # A fund names its documents in Thai: the English texts fit 70 with them too.
        values["documents"], values["document"] = "x" * 25 + "...", "x" * 40
        values["group"] = "x" * 20
        values["since"] = values["until"] = "30 Sep 2026"
    if "word" in names:  # the command word as typed: the longest that reaches this template
        values["word"] = longest_word(key)
    if "state" in names:
        values["state"] = max(
            (render(lang, k, days=LONGEST["days"]) for k in ("behind", "ahead", "even")), key=len
        )
    return values


CASES = [(lang, key) for lang, catalogue in CATALOGUES.items() for key in catalogue]


@pytest.mark.parametrize(("lang", "key"), CASES)
def test_every_template_fits(lang, key):
    template = CATALOGUES[lang][key]
    text = render(lang, key, **longest_values(lang, template, key))
    allowed = 2 if key in TWO_PARTS_ALLOWED else 1
    assert sms_parts(text) <= allowed, (len(text), text)
    if lang == "en":
        assert is_gsm7(text), text


@pytest.mark.parametrize(("lang", "key"), CASES)
def test_str_format_fills_a_template_as_the_counting_formatter_does(lang, key, monkeypatch):
    values = longest_values(lang, CATALOGUES[lang][key], key)
    quick = render(lang, key, **values)
    monkeypatch.setattr(texts, "_counts", lambda _template: True)  # every template the slow way
    assert render(lang, key, **values) == quick


def test_both_catalogues_have_the_same_keys():
    assert CATALOGUES["th"].keys() == CATALOGUES["en"].keys()


def test_unknown_sender_gets_both_languages_in_two_parts_at_most():
    assert sms_parts(UNKNOWN_SENDER) <= 2
    assert "ลงทะเบียน" in UNKNOWN_SENDER and "registered" in UNKNOWN_SENDER
