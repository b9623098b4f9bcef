"""Reconciliation runs, items and resolutions; the ledger checkpoint; group limits; keyed SMS.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:44:36.794368
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('ledger_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upto_transfer_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_checkpoints'))
    )
    op.create_table('reconcile_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('previous_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lo_transfer_id', sa.BigInteger(), nullable=False),
    sa.Column('hi_transfer_id', sa.BigInteger(), nullable=False),
    sa.Column('hi_dispute_id', sa.BigInteger(), nullable=False),
    sa.Column('hi_resolution_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f('ck_reconcile_runs_status_known')),
    sa.CheckConstraint('lo_transfer_id <= hi_transfer_id', name=op.f('ck_reconcile_runs_range_ordered')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_reconcile_runs_group_id_groups')),
    sa.ForeignKeyConstraint(['previous_id'], ['reconcile_runs.id'], name=op.f('fk_reconcile_runs_previous_id_reconcile_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs')),
    sa.UniqueConstraint('group_id', 'business_date', name='uq_reconcile_runs_group_date')
    )
    op.create_table('reconcile_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('alert', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('transfer_id', sa.BigInteger(), nullable=True),
    sa.Column('member_id', sa.BigInteger(), nullable=True),
    sa.Column('collector_id', sa.BigInteger(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('age_days', sa.Integer(), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind IN ('matched', 'rejected', 'reversed', 'declared', 'disputed', 'cash_held', 'handover_short', 'ledger')", name=op.f('ck_reconcile_items_kind_known')),
    sa.ForeignKeyConstraint(['run_id'], ['reconcile_runs.id'], name=op.f('fk_reconcile_items_run_id_reconcile_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_items'))
    )
    op.create_index('ix_reconcile_items_run_kind', 'reconcile_items', ['run_id', 'kind'], unique=False)
    op.create_table('ledger_checkpoint_lines',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('debits_posted', sa.BigInteger(), nullable=False),
    sa.Column('credits_posted', sa.BigInteger(), nullable=False),
    sa.Column('debits_pending', sa.BigInteger(), nullable=False),
    sa.Column('credits_pending', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_checkpoint_lines_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_ledger_checkpoint_lines'))
    )
    op.create_table('reconcile_resolutions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('by_name', sa.String(length=120), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('confirm', 'reverse', 'note')", name=op.f('ck_reconcile_resolutions_action_known')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_reconcile_resolutions_group_id_groups')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_reconcile_resolutions_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_resolutions')),
    sa.UniqueConstraint('subject', name=op.f('uq_reconcile_resolutions_subject'))
    )
    op.add_column('groups', sa.Column('reminder_day', sa.Integer(), server_default='1', nullable=False))
    op.add_column('groups', sa.Column('pending_alert_days', sa.Integer(), server_default='3', nullable=False))
    op.add_column('groups', sa.Column('cash_age_days', sa.Integer(), server_default='7', nullable=False))
    op.add_column('groups', sa.Column('cash_limit_satang', sa.BigInteger(), server_default='500000', nullable=False))
    op.add_column('outbound_messages', sa.Column('key', sa.String(length=80), nullable=True))
    op.create_index('uq_outbound_messages_key', 'outbound_messages', ['key'], unique=True)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index('uq_outbound_messages_key', table_name='outbound_messages')
    op.drop_column('outbound_messages', 'key')
    op.drop_column('groups', 'cash_limit_satang')
    op.drop_column('groups', 'cash_age_days')
    op.drop_column('groups', 'pending_alert_days')
    op.drop_column('groups', 'reminder_day')
    op.drop_table('reconcile_resolutions')
    op.drop_table('ledger_checkpoint_lines')
    op.drop_index('ix_reconcile_items_run_kind', table_name='reconcile_items')
    op.drop_table('reconcile_items')
    op.drop_table('reconcile_runs')
    op.drop_table('ledger_checkpoints')
