"""Member registry and double-entry ledger, with append-only journal triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 22:09:45.646997
"""

from alembic import op
import sqlalchemy as sa

APPEND_ONLY = ('transfers', 'transfer_refusals')


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('daily_rate_satang', sa.Integer(), nullable=False),
    sa.Column('waiting_days', sa.Integer(), nullable=False),
    sa.Column('lapse_days', sa.Integer(), nullable=False),
    sa.Column('meeting_day', sa.Integer(), nullable=False),
    sa.Column('entrance_fee_satang', sa.Integer(), nullable=False),
    sa.Column('last_member_no', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('daily_rate_satang > 0', name=op.f('ck_groups_daily_rate_positive')),
    sa.CheckConstraint('entrance_fee_satang >= 0', name=op.f('ck_groups_entrance_fee_not_negative')),
    sa.CheckConstraint('lapse_days > 0', name=op.f('ck_groups_lapse_days_positive')),
    sa.CheckConstraint('meeting_day BETWEEN 1 AND 28', name=op.f('ck_groups_meeting_day_in_month')),
    sa.CheckConstraint('waiting_days >= 0', name=op.f('ck_groups_waiting_days_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('code', name=op.f('uq_groups_code'))
    )
    op.create_table('members',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('pin_tries', sa.Integer(), nullable=False),
    sa.Column('pin_locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("lang IN ('th', 'en')", name=op.f('ck_members_lang_known')),
    sa.CheckConstraint("role IN ('member', 'collector', 'treasurer', 'chair')", name=op.f('ck_members_role_known')),
    sa.CheckConstraint("status IN ('active', 'lapsed', 'withdrawn', 'deceased')", name=op.f('ck_members_status_known')),
    sa.CheckConstraint('number > 0', name=op.f('ck_members_number_positive')),
    sa.CheckConstraint('pin_tries >= 0', name=op.f('ck_members_pin_tries_not_negative')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_members_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('group_id', 'number', name='uq_members_group_number'),
    sa.UniqueConstraint('phone', name=op.f('uq_members_phone'))
    )
    op.create_index(op.f('ix_members_group_id'), 'members', ['group_id'], unique=False)
    op.create_table('transfer_refusals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_transfer_refusals_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_refusals')),
    sa.UniqueConstraint('key', name=op.f('uq_transfer_refusals_key'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('debits_must_not_exceed_credits', sa.Boolean(), nullable=False),
    sa.Column('credits_must_not_exceed_debits', sa.Boolean(), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('NOT credits_must_not_exceed_debits OR credits_posted + credits_pending <= debits_posted', name=op.f('ck_accounts_credits_within_debits')),
    sa.CheckConstraint('NOT debits_must_not_exceed_credits OR debits_posted + debits_pending <= credits_posted', name=op.f('ck_accounts_debits_within_credits')),
    sa.CheckConstraint('debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0', name=op.f('ck_accounts_totals_not_negative')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_accounts_group_id_groups')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_accounts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('group_id', 'key', name='uq_accounts_group_key')
    )
    op.create_index(op.f('ix_accounts_member_id'), 'accounts', ['member_id'], unique=False)
    op.create_table('transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('pending_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reversal_of', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('collector_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(phase IN ('post', 'void')) = (pending_id IS NOT NULL)", name=op.f('ck_transfers_resolution_names_pending')),
    sa.CheckConstraint("phase IN ('single', 'pending', 'post', 'void')", name=op.f('ck_transfers_phase_known')),
    sa.CheckConstraint("reversal_of IS NULL OR phase = 'single'", name=op.f('ck_transfers_reversal_is_single')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_transfers_amount_positive')),
    sa.CheckConstraint('debit_account_id <> credit_account_id', name=op.f('ck_transfers_two_accounts')),
    sa.ForeignKeyConstraint(['collector_id'], ['members.id'], name=op.f('fk_transfers_collector_id_members')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['accounts.id'], name=op.f('fk_transfers_credit_account_id_accounts')),
    sa.ForeignKeyConstraint(['debit_account_id'], ['accounts.id'], name=op.f('fk_transfers_debit_account_id_accounts')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_transfers_group_id_groups')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_transfers_member_id_members')),
    sa.ForeignKeyConstraint(['pending_id'], ['transfers.id'], name=op.f('fk_transfers_pending_id_transfers')),
    sa.ForeignKeyConstraint(['reversal_of'], ['transfers.id'], name=op.f('fk_transfers_reversal_of_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('key', name=op.f('uq_transfers_key')),
    sa.UniqueConstraint('pending_id', name=op.f('uq_transfers_pending_id')),
    sa.UniqueConstraint('reversal_of', name=op.f('uq_transfers_reversal_of'))
    )
    op.create_index('ix_transfers_credit_account', 'transfers', ['credit_account_id'], unique=False)
    op.create_index('ix_transfers_debit_account', 'transfers', ['debit_account_id'], unique=False)
    op.create_index('ix_transfers_group_date', 'transfers', ['group_id', 'business_date'], unique=False)
    op.create_index(op.f('ix_transfers_member_id'), 'transfers', ['member_id'], unique=False)
    for table in APPEND_ONLY:
        _refuse_changes(table)


def _refuse_changes(table: str) -> None:
    """Make the database itself refuse UPDATE and DELETE (and TRUNCATE) on a table."""
    message = f"{table} is append-only: post a reversal instead"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}"
            f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
        )


def _allow_changes(table: str) -> None:
    """Drop the append-only triggers (downgrade only)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
        op.execute(f"DROP FUNCTION {table}_append_only()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER {table}_no_{event}")


def downgrade() -> None:
    """Undo this revision."""
    for table in APPEND_ONLY:
        _allow_changes(table)
    op.drop_index(op.f('ix_transfers_member_id'), table_name='transfers')
    op.drop_index('ix_transfers_group_date', table_name='transfers')
    op.drop_index('ix_transfers_debit_account', table_name='transfers')
    op.drop_index('ix_transfers_credit_account', table_name='transfers')
    op.drop_table('transfers')
    op.drop_index(op.f('ix_accounts_member_id'), table_name='accounts')
    op.drop_table('accounts')
    op.drop_table('transfer_refusals')
    op.drop_index(op.f('ix_members_group_id'), table_name='members')
    op.drop_table('members')
    op.drop_table('groups')
