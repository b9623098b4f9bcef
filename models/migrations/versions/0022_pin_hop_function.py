"""PostgreSQL: a USSD PIN hop in one round trip (check, count the try, record the hop).

The gateway calls it when the session's snapshot already says what each verdict shows
(gateway/services/ussd_pin.py). Under the member's lock it compares the stored PIN hash
with the one made from the typed PIN, counts a wrong try (the third locks), and stores
the hop with its verdict and screen, as the general path does. It returns nothing, and
writes nothing, when anything is not plainly as the snapshot assumed: another member on
the phone, another language or status, no PIN or one under an older key (the general
path renews it), a session with hops stored already. The caller then takes the general
path, which decides and explains.

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
    SELECT * INTO m FROM members WHERE id = p_member_id AND phone = p_phone FOR UPDATE;
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
    -- Hops stored already (a verdict, a PIN set, a repeat): the general path weighs them.
    PERFORM 1 FROM ussd_hops WHERE session_id = p_session_id;
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


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION satja_pin_hop")
