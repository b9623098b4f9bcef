"""PostgreSQL: a USSD payment's two database hops, each in one round trip.

`satja_pin_hop` checks a PIN: under the member's lock it compares the stored PIN hash
with the one made from the typed PIN, counts a wrong try (the third locks) and stores
the hop with its verdict and screen. `satja_declare_hop` declares the payment once the
PIN hop's verdict is stored: it finds the collector named, posts the pending transfer
through `satja_post_transfer`, writes the collector's SMS and stores the hop, the
reference (`satja_ref`, as models/references.py makes it) written into both in place
of a mark no name can hold (a control character).

The gateway calls them when the session's snapshot already says what each outcome
shows (gateway/services/ussd_fast.py). Each returns nothing, and writes nothing, when
anything is not plainly as the snapshot assumed: another member on the phone, another
language or status, no PIN or one under an older key (the general path renews it), a
session with other hops stored, a collector not found, a posting the ledger's fast path
refuses. The caller then takes the general path, which decides and explains.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 14:00:00
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION satja_pin_hop(
    p_phone varchar, p_member_id bigint, p_lang varchar, p_status varchar,
    p_session_id varchar, p_hop integer, p_text text, p_hash varchar,
    p_right text, p_wrong text, p_locked text,
    p_now timestamp, p_lock_until timestamp, p_wrong_tries integer, p_created_at timestamp
) RETURNS TABLE (screen text, pin_ok boolean, moved boolean)
LANGUAGE plpgsql AS $$
DECLARE
    m members%ROWTYPE;
    scheme text := split_part(p_hash, '$', 1) || '$' || split_part(p_hash, '$', 2) || '$';
    answer text;
    verdict boolean;
    tries integer;
    until timestamp;
BEGIN
    SELECT * INTO m FROM members WHERE members.id = p_member_id AND members.phone = p_phone
        FOR UPDATE;
    IF NOT FOUND OR m.status <> p_status OR m.lang <> p_lang OR m.pin_hash IS NULL
       OR left(m.pin_hash, length(scheme)) <> scheme THEN
        RETURN;
    END IF;
    -- A phone another member shares: the general path asks who is calling.
    PERFORM 1 FROM members
        WHERE phone = p_phone AND id <> p_member_id AND status NOT IN ('withdrawn', 'deceased');
    IF FOUND THEN
        RETURN;
    END IF;
    -- Hops stored before are menu hops of this member at these inputs, or the general
    -- path weighs them (a verdict, a PIN set, a repeat, another phone's, other inputs).
    PERFORM 1 FROM ussd_hops h
        WHERE h.session_id = p_session_id
          AND NOT coalesce(h.member_id = p_member_id AND h.pin_ok IS NULL AND NOT h.pin_set
                           AND h.hop < p_hop
                           AND (h.text = '' OR left(p_text, length(h.text) + 1) = h.text || '*'),
                           false);
    IF FOUND THEN
        RETURN;
    END IF;
    tries := m.pin_tries;
    until := m.pin_locked_until;
    IF until IS NOT NULL AND until > p_now THEN
        answer := p_locked;  -- locked meanwhile: no verdict, no try counted
    -- Digests of both compared, not the hashes: the time taken tells nothing of the hash.
    ELSIF sha256(convert_to(m.pin_hash, 'UTF8')) = sha256(convert_to(p_hash, 'UTF8')) THEN
        answer := p_right;
        verdict := true;
        tries := 0;
    ELSE
        verdict := false;
        tries := tries + 1;
        answer := p_wrong;
        IF tries >= p_wrong_tries THEN
            tries := 0;
            until := p_lock_until;
            answer := p_locked;
        END IF;
    END IF;
    IF tries <> m.pin_tries OR until IS DISTINCT FROM m.pin_locked_until THEN
        UPDATE members SET pin_tries = tries, pin_locked_until = until WHERE id = m.id;
    END IF;
    INSERT INTO ussd_hops (session_id, hop, member_id, text, screen, pin_ok, pin_set, created_at)
    VALUES (p_session_id, p_hop, m.id, p_text, answer, verdict, false, p_created_at);
    screen := answer;
    pin_ok := verdict;
    moved := tries <> m.pin_tries OR until IS DISTINCT FROM m.pin_locked_until;
    RETURN NEXT;
END $$
"""

REF = """
CREATE FUNCTION satja_ref(p_id bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    -- Damm's table, row by row (models/references.py): the id, then its check digit.
    damm integer[] := ARRAY[0,3,1,7,5,9,8,6,4,2,7,0,9,2,1,5,4,8,6,3,4,2,0,6,8,7,1,3,5,9,1,7,5,0,9,8,3,4,2,6,6,1,2,3,0,4,5,9,7,8,3,6,7,4,2,0,9,5,8,1,5,8,6,9,7,2,0,1,3,4,8,9,4,5,3,6,2,0,1,7,9,4,3,8,6,1,7,2,0,5,2,5,8,1,4,3,6,7,9,0];
    body text := CASE WHEN p_id < 1000 THEN lpad(p_id::text, 4, '0') ELSE p_id::text END;
    interim integer := 0;
BEGIN
    FOR i IN 1..length(body) LOOP
        interim := damm[interim * 10 + substr(body, i, 1)::integer + 1];
    END LOOP;
    RETURN body || interim::text;
END $$
"""

DECLARE = """
CREATE FUNCTION satja_declare_hop(
    p_phone varchar, p_member_id bigint, p_lang varchar, p_status varchar,
    p_session_id varchar, p_hop integer, p_text text, p_pin_text text,
    p_collector integer, p_amount bigint, p_key varchar, p_today date,
    p_screen text, p_sms_th text, p_sms_en text, p_mark text, p_kind varchar, p_queued varchar,
    p_now timestamp, p_created_at timestamp
) RETURNS TABLE (screen text, message_id bigint, collector_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    m members%ROWTYPE;
    payee members%ROWTYPE;
    posted transfers%ROWTYPE;
    ref text;
    sms text;
BEGIN
    SELECT * INTO m FROM members WHERE id = p_member_id AND phone = p_phone;
    IF NOT FOUND OR m.status <> p_status OR m.lang <> p_lang OR m.pin_hash IS NULL
       OR m.pin_locked_until > p_now THEN
        RETURN;
    END IF;
    PERFORM 1 FROM members
        WHERE phone = p_phone AND id <> p_member_id AND status NOT IN ('withdrawn', 'deceased');
    IF FOUND THEN
        RETURN;
    END IF;
    -- The hop before: this member's right PIN, at the inputs before these. Any other hop
    -- stored is a menu hop of theirs at these inputs, or the general path weighs it.
    PERFORM 1 FROM ussd_hops h
        WHERE h.session_id = p_session_id AND h.hop = p_hop - 1 AND h.member_id = p_member_id
          AND h.pin_ok AND NOT h.pin_set AND h.text = p_pin_text;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    PERFORM 1 FROM ussd_hops h
        WHERE h.session_id = p_session_id AND h.hop <> p_hop - 1
          AND NOT coalesce(h.member_id = p_member_id AND h.pin_ok IS NULL AND NOT h.pin_set
                           AND h.hop < p_hop - 1
                           AND (h.text = '' OR left(p_text, length(h.text) + 1) = h.text || '*'),
                           false);
    IF FOUND THEN
        RETURN;
    END IF;
    -- The collector named, holding the office today (models/offices.py: holders).
    SELECT * INTO payee FROM members
        WHERE group_id = m.group_id AND number = p_collector
          AND id IN (SELECT member_id FROM offices WHERE office = 'collector'
                     AND starts_on <= p_today AND (ends_on IS NULL OR ends_on > p_today));
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO posted FROM satja_post_transfer(
        m.group_id, 'collector_cash:' || payee.id, 'member:' || m.id, p_amount, 'pending',
        p_key, 'contribution', m.id, payee.id, p_today, NULL, p_created_at, m.id, NULL);
    IF posted.id IS NULL THEN
        RETURN;  -- a key seen before, or a limit: the general path replays or refuses
    END IF;
    ref := satja_ref(posted.id);
    -- In the collector's language; Thai for any other, as render() does.
    sms := replace(CASE WHEN payee.lang = 'en' THEN p_sms_en ELSE p_sms_th END, p_mark, ref);
    INSERT INTO outbound_messages (group_id, member_id, to_phone, text, kind, status,
                                   attempts, created_at, updated_at)
    VALUES (m.group_id, payee.id, payee.phone, sms, p_kind, p_queued, 0, p_created_at,
            p_created_at)
    RETURNING id INTO message_id;
    screen := replace(p_screen, p_mark, ref);
    INSERT INTO ussd_hops (session_id, hop, member_id, text, screen, pin_ok, pin_set, created_at)
    VALUES (p_session_id, p_hop, m.id, p_text, screen, NULL, false, p_created_at);
    collector_id := payee.id;
    RETURN NEXT;
END $$
"""


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(REF)
        op.execute(DECLARE)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION satja_declare_hop")
        op.execute("DROP FUNCTION satja_ref")
        op.execute("DROP FUNCTION satja_pin_hop")
