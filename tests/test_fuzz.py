"""Fuzzing the callbacks: any USSD text, any SMS body; never a 5xx, never a write from junk.

SATJA_FUZZ_EXAMPLES sets how many examples each test draws (CI: 6,000, then 5,000 on PostgreSQL).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.edge.africastalking import CONTROL
from gateway.flows.gsm import ussd_budget
from gateway.flows.sms_grammar import ParseError, parse
from gateway.services.ussd import SLOW_DOWN, SORRY
from models.disputes import Dispute
from models.ledger import Transfer
from models.registry import Member
from models.welfare import Claim

EXAMPLES = int(os.environ.get("SATJA_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
KEYPAD = "0123456789*#๐๑๒๓๔๕๖๗๘๙ "
TOKENS = st.one_of(
    st.sampled_from(["", "0", "00", "98", "1", "2", "3", "4", "5", "6", "30", "1234", "99999"]),
    st.text(alphabet=KEYPAD, max_size=12),
    st.text(max_size=20),
)
# The last input is junk: letters, symbols, or far too long for any screen.
JUNK = st.one_of(
    st.text(alphabet="abcxyzกขค!?.,-+#()", min_size=1, max_size=12),
    st.text(alphabet="0123456789", min_size=12, max_size=40),
)
_sessions = itertools.count()


def effects(db):
    """What a callback could change in the books and the registry."""
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Transfer)),
            session.scalar(select(func.count()).select_from(Dispute)),
            session.scalar(select(func.count()).select_from(Claim)),
            tuple(
                session.execute(
                    select(Member.lang, Member.pin_hash, Member.reminders_opt_out).order_by(
                        Member.id
                    )
                ).all()
            ),
        )


@pytest.fixture
def settings(settings):
    """No per-phone limits here: the fuzz is after the menus, not the "too many" answers."""
    return settings.with_(ussd_hops_per_minute=10**9, sms_per_minute=10**9)


CALLERS = ["member", "member_en", "collector", "treasurer", "outsider", "stranger"]


@pytest.mark.slow
def test_any_ussd_text_gets_a_screen_and_junk_writes_nothing(client, db, fund):
    screens = Counter()

    @FUZZ
    @given(earlier=st.lists(TOKENS, max_size=7), last=JUNK, who=st.sampled_from(CALLERS))
    def hop(earlier, last, who):
        before = effects(db)
        text = "*".join([*earlier, last])
        phone = fund[who][2] if who in fund else "+66899999999"
        form = {
            "sessionId": f"fuzz-{next(_sessions)}",
            "serviceCode": "*1234#",
            "phoneNumber": phone,
            "networkCode": "52001",
            "text": text,
        }
        response = client.post("/ussd", data=form)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert body[:4] in ("CON ", "END ")
        assert len(body) - 4 <= ussd_budget(body[4:])
        assert effects(db) == before
        screens["slow down" if body == SLOW_DOWN else "sorry" if body == SORRY else "menu"] += 1

    hop()
    # Most examples must reach the menus: a limit or an error screen answering them
    # all would pass the checks above while testing nothing.
    assert screens["sorry"] == 0
    assert screens["menu"] >= 0.9 * sum(screens.values()), screens


@pytest.mark.slow
@FUZZ
@given(body=st.text(max_size=200), who=st.sampled_from(["member", "collector", "treasurer"]))
@example(body="\x00PAY 4 30", who="collector")  # PostgreSQL refuses NUL in text
@example(body="", who="member")
def test_any_sms_body_gets_an_answer_and_junk_writes_nothing(client, db, fund, body, who):
    before = effects(db)
    response = client.post(
        "/sms/inbound",
        data={
            "from": fund[who][2],
            "to": "4567",
            "text": body,
            "id": f"fuzz-{next(_sessions)}",
        },
    )
    assert response.status_code < 500
    if isinstance(parse(CONTROL.sub("", body)), ParseError):  # as the edge reads it
        assert response.status_code == 200 and response.get_data(as_text=True)
        assert effects(db) == before
