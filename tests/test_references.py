"""References a keypad can type: digits and a check digit; old ones still read as typed."""

from __future__ import annotations

import pytest

from models.references import id_for_ref, old_ref_for, ref_for

SAMPLE = [1, 2, 9, 10, 99, 1023, 1234, 9_999, 10_000, 32_767, 123_456, 999_999]


@pytest.mark.parametrize("record_id", [*SAMPLE, 10**6, 10**9, 34_359_738_367])
def test_references_are_digits_and_round_trip(record_id):
    ref = ref_for(record_id)
    assert ref.isdigit()
    assert id_for_ref(ref) == record_id
    assert id_for_ref("#" + ref) == record_id and id_for_ref(f" {ref} ") == record_id


def test_five_to_seven_digits_up_to_the_millionth_record():
    assert [len(ref_for(i)) for i in (1, 9_999, 10_000, 99_999, 100_000, 999_999)] == [
        5,
        5,
        6,
        6,
        7,
        7,
    ]
    assert ref_for(1234) == "12340"


@pytest.mark.parametrize("record_id", SAMPLE)
def test_one_mistyped_digit_never_names_another_record(record_id):
    ref = ref_for(record_id)
    typos = {ref[:i] + d + ref[i + 1 :] for i in range(len(ref)) for d in "0123456789"} - {ref}
    assert all(id_for_ref(t) is None for t in typos)


@pytest.mark.parametrize("record_id", SAMPLE)
def test_two_neighbours_swapped_never_name_another_record(record_id):
    ref = ref_for(record_id)
    swaps = {ref[:i] + ref[i + 1] + ref[i] + ref[i + 2 :] for i in range(len(ref) - 1)} - {ref}
    assert all(id_for_ref(t) is None for t in swaps)


def test_references_already_issued_keep_working_as_typed():
    # Every old reference reads as before, but those of five characters or more that are
    # all digits: they are read as today's form, so that a mistyped new reference never
    # falls back on an old reading. Old references have five characters only past the
    # 32,767th record, and about 3 in 100 of those are all digits.
    unread = []
    for record_id in range(1, 40_000):
        old = old_ref_for(record_id)
        if id_for_ref(old) != record_id or id_for_ref(old.lower()) != record_id:
            unread.append(old)
    assert all(old.isdigit() and len(old) >= 5 for old in unread)
    assert len(old_ref_for(32_767)) == 4 and len(old_ref_for(32_768)) == 5
    assert len(unread) < 0.04 * (40_000 - 32_768)
    assert id_for_ref("#" + old_ref_for(1000).lower()) == 1000


def test_an_old_reference_mistyped_is_still_caught():
    old = old_ref_for(1234)
    assert old == "16JD" and id_for_ref(old) == 1234
    assert id_for_ref("17JD") is None and id_for_ref("16JE") is None


@pytest.mark.parametrize("text", ["", "12", "123", "#ABC-1", "00000", "0000", "1" * 13])
def test_what_is_no_reference(text):
    assert id_for_ref(text) is None
