"""Hostile callbacks: over-long fields and odd tokens get 4xx and change nothing, never 5xx."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.outbox import InboundMessage, OutboundMessage
from models.ussd import UssdHop, UssdSessionEnd

TOKEN = "t" * 24
SMS = {
    "from": "+66811000004",
    "to": "4567",
    "text": "BAL",
    "id": "ATXid_1",
    "linkId": "link-1",
    "networkCode": "52001",
    "date": "2026-11-16 10:30:00",
}
USSD = {
    "sessionId": "ATUid_1",
    "serviceCode": "*1234#",
    "phoneNumber": "+66811000004",
    "networkCode": "52001",
    "text": "",
}
END = {
    "sessionId": "ATUid_1",
    "status": "Success",
    "phoneNumber": "+66811000004",
    "input": "1",
    "durationInMillis": "2000",
    "hopsCount": "2",
}
DLR = {"id": "ATXid_9", "status": "Success", "phoneNumber": "+66811000004"}


@pytest.fixture
def settings(settings):
    """Callbacks behind a token, as in production."""
    return settings.with_(callback_token=TOKEN)


def rows(db):
    with db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (InboundMessage, OutboundMessage, UssdHop, UssdSessionEnd)
        )


@pytest.mark.parametrize(
    ("path", "form", "field", "length"),
    [
        ("/sms/inbound", SMS, "to", 21),
        ("/sms/inbound", SMS, "linkId", 101),
        ("/sms/inbound", SMS, "networkCode", 11),
        ("/sms/inbound", SMS, "date", 41),
        ("/sms/inbound", SMS, "from", 21),
        ("/sms/inbound", SMS, "id", 101),
        ("/ussd", USSD, "networkCode", 11),
        ("/ussd", USSD, "serviceCode", 21),
        ("/ussd", USSD, "sessionId", 101),
        ("/ussd", USSD, "text", 501),
        ("/ussd/events", END, "phoneNumber", 21),
        ("/ussd/events", END, "durationInMillis", 21),
        ("/sms/delivery", DLR, "failureReason", 201),
    ],
)
def test_an_over_long_field_is_a_400_and_writes_nothing(client, db, path, form, field, length):
    before = rows(db)
    response = client.post(f"{path}?token={TOKEN}", data={**form, field: "9" * length})
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)
    assert rows(db) == before


@pytest.mark.parametrize("path", ["/sms/inbound", "/ussd", "/ussd/events", "/sms/delivery"])
@pytest.mark.parametrize("token", ["ลับ", "t" * 23 + "é", "", "%00"])
def test_a_wrong_or_non_ascii_token_is_a_403(client, db, path, token):
    before = rows(db)
    response = client.post(f"{path}?token={token}", data=SMS if "sms" in path else USSD)
    assert response.status_code == 403
    assert rows(db) == before


def test_the_right_token_passes(client, db):
    assert client.post(f"/ussd?token={TOKEN}", data=USSD).status_code == 200


def test_a_known_provider_id_from_another_sender_is_a_409_with_nothing_told(client, db, fund):
    first = {**SMS, "from": fund["member"][2], "text": "BAL", "id": "ATXid_same"}
    reply = client.post(f"/sms/inbound?token={TOKEN}", data=first)
    assert reply.status_code == 200 and reply.get_data(as_text=True)  # the balance
    before = rows(db)
    other = {**first, "from": fund["collector"][2]}
    response = client.post(f"/sms/inbound?token={TOKEN}", data=other)
    assert (response.status_code, response.get_data(as_text=True)) == (409, "conflict\n")
    assert rows(db) == before
    # The true repeat, however the number is written, still gets its first answer.
    again = client.post(f"/sms/inbound?token={TOKEN}", data={**first, "from": "0811000004"})
    assert again.get_data(as_text=True) == reply.get_data(as_text=True)


FORMS = {"/sms/inbound": SMS, "/ussd": USSD, "/ussd/events": END, "/sms/delivery": DLR}


@pytest.mark.parametrize(
    ("path", "sent", "reason"),
    [
        *((path, {"json": form}, "not form-urlencoded") for path, form in FORMS.items()),
        ("/ussd", {"data": {**USSD, **{f"x{i}": "1" for i in range(60)}}}, "too many fields"),
    ],
)
def test_a_callback_the_edge_cannot_read_is_a_400_with_why(client, db, path, sent, reason):
    before = rows(db)
    response = client.post(f"{path}?token={TOKEN}", **sent)
    assert (response.status_code, response.get_data(as_text=True)) == (
        400,
        f"bad request: {reason}\n",
    )
    assert rows(db) == before


def test_a_ussd_hop_past_the_size_limit_is_a_413_and_writes_nothing(client, db):
    before = rows(db)
    response = client.post(f"/ussd?token={TOKEN}", data={**USSD, "text": "1" * 70_000})
    assert response.status_code == 413
    assert rows(db) == before


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("BAL+%E0%B8%A2%E0%B8%AD%E0%B8%94%2B1", "BAL ยอด+1"),  # plus, Thai, an escaped plus
        ("BAL%FF", "BAL\ufffd"),  # not UTF-8: replaced, and the SMS still answered
    ],
)
def test_a_callback_is_decoded_as_the_provider_encodes_it(client, db, fund, sent, kept):
    member = fund["member"][2].replace("+", "%2B")
    body = f"from={member}&to=4567&text={sent}&id=ATXid_enc&date=2026-11-16+10%3A30%3A00"
    response = client.post(
        f"/sms/inbound?token={TOKEN}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200 and response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(InboundMessage.text)).all() == [kept]


def test_a_field_sent_twice_is_read_as_first_sent_and_a_blank_one_is_kept(client, fund):
    # The member's number first, a stranger's after: the member's menu, not the stranger's
    # END. The blank text is the first hop's: dropped, it would be a 400.
    member = fund["member"][2].replace("+", "%2B")
    body = (
        f"sessionId=ATUid_2&serviceCode=*1234%23&phoneNumber={member}"
        "&phoneNumber=%2B66899999999&text="
    )
    response = client.post(
        f"/ussd?token={TOKEN}", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("CON ")


def test_a_chunked_hop_is_read_whole(client, fund):
    # No Content-Length: the server marks where the input ends, and werkzeug reads it.
    member = fund["member"][2].replace("+", "%2B")
    body = f"sessionId=ATUid_3&serviceCode=*1234%23&phoneNumber={member}&text=".encode()
    response = client.post(
        f"/ussd?token={TOKEN}",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("CON ")


@pytest.mark.parametrize(
    ("length", "why"),
    [
        ("+1", "body shorter than its Content-Length"),  # the sender hung up mid-body
        ("²", "missing from, id"),  # a digit to str.isdigit, not to int: read as werkzeug does
    ],
)
def test_a_cut_or_odd_body_is_a_400_and_writes_nothing(client, db, fund, length, why):
    member = fund["member"][2].replace("+", "%2B")
    body = f"from={member}&to=4567&text=PAY+5000&id=ATXid_cut".encode()
    sent = str(len(body) + 1) if length == "+1" else length
    before = rows(db)
    response = client.post(
        f"/sms/inbound?token={TOKEN}",
        data=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": sent},
    )
    assert (response.status_code, response.get_data(as_text=True)) == (400, f"bad request: {why}\n")
    assert rows(db) == before
