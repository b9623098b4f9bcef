"""Names as SMS and USSD show them: titles only as whole words, cuts that keep marks."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.flows.names import (
    FUND_NAME_LIMIT,
    NAME_LIMIT,
    clusters,
    cut,
    fund_heading,
    short_name,
    without_title,
)


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("นาง มาลี ใจดี", "มาลี"),
        ("นาย สมชาย ศรีสุข", "สมชาย"),
        ("นางสาว วิไล ทองคำ", "วิไล"),
        ("เด็กหญิง ฝน ใจดี", "ฝน"),
        ("เด็กชาย ต้น ใจดี", "ต้น"),
        ("น.ส.วิไล ทองคำ", "วิไล"),
        ("น.ส. วิไล ทองคำ", "วิไล"),
        ("ด.ช.ต้น ใจดี", "ต้น"),
        ("ด.ญ. ฝน ใจดี", "ฝน"),
        ("ร.ต.อ.สมชาย ใจกล้า", "สมชาย"),
        ("จ.ส.ต. บุญมี ใจดี", "บุญมี"),
        ("ว่าที่ ร.ต. สมศักดิ์ ดีงาม", "สมศักดิ์"),
        ("พล.ต.อ.ประยุทธ ใจดี", "ประยุทธ"),
        ("กำนัน สมพร ใจดี", "สมพร"),
        ("Mrs. Somsri Jaidee", "Somsri"),
        ("Mr.John Collect", "John"),
        ("Ms Anna Member", "Anna"),
        # written together without a dot, a title may begin a given name: it stays
        ("นางนวล ใจดี", "นางนวล"),
        ("นางมาลี ใจดี", "นางมาลี"),
        ("นายสมชาย ศรีสุข", "นายสมชาย"),
        ("นางสาววิไล ทองคำ", "นางสาววิไล"),
        ("นาง", "นาง"),  # a title alone is all there is
        ("Miss", "Miss"),
        ("  ", ""),
    ],
)
def test_titles_count_only_as_whole_words(name, short):
    assert short_name(name) == short


def test_every_title_of_the_issue_is_known():
    for title in ("นาย", "นาง", "นางสาว", "น.ส.", "ด.ช.", "ด.ญ.", "เด็กชาย", "เด็กหญิง"):
        assert without_title(f"{title} ก ข") == "ก ข", title


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("สมศักดิ์ศรีประเสริฐวงศ์", "สมศักดิ์ศรีป"),  # cut between consonants
        ("ประเสริฐศักดิ์", "ประเสริฐศัก"),  # [:12] would leave ด without its ิ์
        ("กกกกกกกกกกกเมือง", "กกกกกกกกกกก"),  # never a leading vowel without its consonant
        ("กกกกกกกกกกน้ำ", "กกกกกกกกกกน้ำ"[:10]),  # น้ำ is three characters, kept whole
        ("Bartholomewss", "Bartholomews"),
    ],
)
def test_long_names_are_cut_whole(name, short):
    assert short_name(name) == short
    assert len(short_name(name)) <= NAME_LIMIT


THAI_MARKS = {c for c in map(chr, range(0x0E00, 0x0E7F)) if unicodedata.category(c) == "Mn"}


@pytest.mark.parametrize("limit", range(1, 16))
@pytest.mark.parametrize("text", ["สมศักดิ์ศรีประเสริฐวงศ์", "เฉลิมพระเกียรติ", "ไพโรจน์", "น้ำค้าง", "กิ่งแก้ว"])
def test_a_cut_never_parts_a_mark_or_a_leading_vowel(text, limit):
    kept = cut(text, limit)
    assert len(kept) <= limit and text.startswith(kept)
    rest = text[len(kept) :]
    assert not rest or (rest[0] not in THAI_MARKS and rest[0] not in "ะาำ")
    assert not kept or kept[-1] not in "เแโใไ"
    assert "".join(clusters(text)) == text


@pytest.mark.parametrize(
    ("name", "short", "lang", "heading"),
    [
        ("กองทุนบ้านนา", None, "th", "กองทุนบ้านนา"),
        ("กองทุนสวัสดิการชุมชนตำบลน้ำขาว", "กองทุนฯ ต.น้ำขาว", "th", "กองทุนฯ ต.น้ำขาว"),
        # No short name: cut at a space, else at a cluster (ชุม + ชน, never a lone vowel).
        ("กองทุนสวัสดิการชุมชน หมู่ 4", None, "th", "กองทุนสวัสดิการชุมชน"),
        ("กองทุนสวัสดิการชุมชนตำบลน้ำขาว", None, "th", "กองทุนสวัสดิการชุมชน"),
        ("กองทุนสวัสดิการที่นี่นี้", None, "th", "กองทุนสวัสดิการที่"),
        ("  กองทุนสวัสดิการชุมชน   ", "   ", "th", "กองทุนสวัสดิการชุมชน"),
        # An English SMS stays GSM-7: a Thai heading gives way to the fund's code.
        ("กองทุนบ้านนา", None, "en", "BANNA"),
        ("Ban Na fund", None, "en", "Ban Na fund"),
    ],
)
def test_a_funds_sms_is_headed_by_its_short_name_else_its_name_cut_whole(
    name, short, lang, heading
):
    assert fund_heading(name, short, code="BANNA", lang=lang) == heading
    assert len(heading) <= FUND_NAME_LIMIT
