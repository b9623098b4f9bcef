"""PINs: an HMAC under a key kept outside the database, rotated and renewed on entry."""

from __future__ import annotations

import pytest
from people import walk

from config.settings import DEV_PIN_KEY, UnsafeSettings, load_settings, refuse_unsafe
from models.base import utcnow
from models.pins import HASHER, check_pin, hash_pin, key_id, set_pin
from models.registry import Member

NEW, OLD = "n" * 32, "o" * 32
PAY = ["2", "30", "1"]  # to the PIN screen: 30 baht to the first collector


def pin_hash(db, member_id):
    with db.transaction() as session:
        return session.get(Member, member_id).pin_hash


def store(db, member_id, value):
    with db.transaction() as session:
        session.get(Member, member_id).pin_hash = value


def test_a_pin_is_stored_as_an_hmac_of_member_and_pin_with_its_key_id(client, db, fund):
    member_id = fund["member"][0]
    walk(client, fund["member"][2], ["6", "3958", "3958"])
    stored = pin_hash(db, member_id)
    scheme, name, digest = stored.split("$")
    assert (scheme, name, len(digest)) == ("hmac-sha256", key_id(DEV_PIN_KEY), 64)
    assert "3958" not in stored
    # The same PIN is another hash for another member, and under another key.
    assert hash_pin(member_id + 1, "3958", [DEV_PIN_KEY]) != stored
    assert hash_pin(member_id, "3958", [NEW]) != stored
    assert hash_pin(member_id, "3958", [DEV_PIN_KEY]) == stored


def test_an_argon2_pin_is_checked_once_more_and_replaced_on_the_next_right_entry(client, db, fund):
    member_id, _, phone = fund["member"]
    argon = HASHER.hash("3958")
    store(db, member_id, argon)
    assert "รหัส PIN ไม่ถูก" in walk(client, phone, [*PAY, "1111"])[-1]
    assert pin_hash(db, member_id) == argon  # a wrong entry changes nothing but the count
    assert walk(client, phone, [*PAY, "3958", "1"])[-1].startswith("END แจ้งแล้ว #")
    assert pin_hash(db, member_id) == hash_pin(member_id, "3958", [DEV_PIN_KEY])
    assert walk(client, phone, [*PAY, "3958", "1"])[-1].startswith("END แจ้งแล้ว #")


def test_a_key_can_be_rotated(db, fund):
    member_id = fund["member"][0]
    now = utcnow()
    with db.transaction() as session:
        member = session.get(Member, member_id)
        set_pin(member, "3958", [OLD])
        session.flush()  # check_pin reads the row again, under its lock
        # The new key first, the old one still listed: the PIN verifies and is renewed.
        assert not check_pin(member, "1111", now, [NEW, OLD])
        assert member.pin_hash == hash_pin(member_id, "3958", [OLD])
        assert check_pin(member, "3958", now, [NEW, OLD])
        assert member.pin_hash == hash_pin(member_id, "3958", [NEW])
        assert member.pin_tries == 0
        # Once the old key is gone, a hash under it matches nothing, and costs no try.
        set_pin(member, "3958", [OLD])
        session.flush()
        for _ in range(4):
            assert not check_pin(member, "3958", now, [NEW])
        assert member.pin_tries == 0 and member.pin_locked_until is None


def test_pin_keys_are_read_newest_first():
    settings = load_settings({"SATJA_PIN_KEYS": f" {NEW} , {OLD},"})
    assert settings.pin_keys == (NEW, OLD)
    assert load_settings({}).pin_keys == (DEV_PIN_KEY,)
    assert NEW not in repr(settings)


SAFE = {"SATJA_ENV": "production", "SATJA_SECRET_KEY": "k" * 32, "SATJA_CALLBACK_TOKEN": "t" * 24}


@pytest.mark.parametrize(
    "keys", [None, DEV_PIN_KEY, "p" * 31, f"{NEW},{DEV_PIN_KEY}", f"{NEW},short"]
)
def test_production_requires_pin_keys(keys):
    env = SAFE if keys is None else {**SAFE, "SATJA_PIN_KEYS": keys}
    with pytest.raises(UnsafeSettings, match="SATJA_PIN_KEYS"):
        refuse_unsafe(load_settings(env))
    refuse_unsafe(load_settings({**SAFE, "SATJA_PIN_KEYS": f"{NEW},{OLD}"}))
