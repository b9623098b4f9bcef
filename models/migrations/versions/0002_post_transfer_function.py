"""PostgreSQL: post a plain new transfer in one round trip.

The function locks both accounts, checks their limits, inserts the journal row and
moves the running totals, as the Python general path does. It returns nothing when
anything is not plainly fine (a missing account, an overdraft, a known or refused
key); the caller then takes the general path, which decides and explains. Each
statement in a PL/pgSQL function sees what committed before it, so the checks read
the balances as they are once the locks are held.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION satja_post_transfer(
    p_group_id bigint, p_debit_key varchar, p_credit_key varchar, p_amount bigint,
    p_phase varchar, p_key varchar, p_code varchar, p_member_id bigint,
    p_collector_id bigint, p_business_date date, p_note varchar, p_created_at timestamp
) RETURNS SETOF transfers
LANGUAGE plpgsql AS $$
DECLARE
    posted bigint := CASE WHEN p_phase = 'single' THEN p_amount ELSE 0 END;
    pending bigint := CASE WHEN p_phase = 'pending' THEN p_amount ELSE 0 END;
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    inserted transfers%ROWTYPE;
BEGIN
    IF p_phase NOT IN ('single', 'pending') THEN
        RETURN;
    END IF;
    -- Both locks in id order, as the general path takes them: no deadlocks.
    PERFORM 1 FROM accounts
        WHERE group_id = p_group_id AND key IN (p_debit_key, p_credit_key)
        ORDER BY id FOR UPDATE;
    SELECT * INTO d FROM accounts WHERE group_id = p_group_id AND key = p_debit_key;
    SELECT * INTO c FROM accounts WHERE group_id = p_group_id AND key = p_credit_key;
    IF d.id IS NULL OR c.id IS NULL
       OR (d.debits_must_not_exceed_credits
           AND d.debits_posted + posted + d.debits_pending + pending > d.credits_posted)
       OR (d.credits_must_not_exceed_debits
           AND d.credits_posted + d.credits_pending > d.debits_posted + posted)
       OR (c.credits_must_not_exceed_debits
           AND c.credits_posted + posted + c.credits_pending + pending > c.debits_posted)
       OR (c.debits_must_not_exceed_credits
           AND c.debits_posted + c.debits_pending > c.credits_posted + posted)
       OR EXISTS (SELECT 1 FROM transfer_refusals WHERE key = p_key)
    THEN
        RETURN;
    END IF;
    INSERT INTO transfers (key, group_id, debit_account_id, credit_account_id, amount, code,
                           phase, member_id, collector_id, business_date, note, created_at)
    VALUES (p_key, p_group_id, d.id, c.id, p_amount, p_code, p_phase, p_member_id,
            p_collector_id, p_business_date, p_note, p_created_at)
    ON CONFLICT DO NOTHING
    RETURNING * INTO inserted;
    IF inserted.id IS NULL THEN
        RETURN;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + posted,
                        debits_pending = debits_pending + pending
        WHERE id = d.id;
    UPDATE accounts SET credits_posted = credits_posted + posted,
                        credits_pending = credits_pending + pending
        WHERE id = c.id;
    RETURN NEXT inserted;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION satja_post_transfer")
