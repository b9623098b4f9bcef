"""Welfare: benefit schedules and claims; members' birth dates; the bank may not go below zero.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 01:20:41.264177
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('benefit_schedules',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_benefit_schedules_group_id_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_schedules'))
    )
    op.create_index(op.f('ix_benefit_schedules_group_id'), 'benefit_schedules', ['group_id'], unique=False)
    op.create_table('claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('schedule_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('benefit', sa.String(length=12), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filed_by', sa.String(length=120), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('beneficiary_name', sa.String(length=120), nullable=True),
    sa.Column('beneficiary_phone', sa.String(length=20), nullable=True),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("benefit IN ('birth', 'hospital', 'elderly', 'funeral', 'disability', 'education', 'disaster', 'other')", name=op.f('ck_claims_benefit_known')),
    sa.CheckConstraint("status IN ('filed', 'paid', 'rejected')", name=op.f('ck_claims_status_known')),
    sa.CheckConstraint('units > 0 AND amount > 0', name=op.f('ck_claims_positive')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_claims_group_id_groups')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_claims_member_id_members')),
    sa.ForeignKeyConstraint(['schedule_id'], ['benefit_schedules.id'], name=op.f('fk_claims_schedule_id_benefit_schedules')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_claims_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    op.create_index(op.f('ix_claims_group_id'), 'claims', ['group_id'], unique=False)
    op.create_index(op.f('ix_claims_member_id'), 'claims', ['member_id'], unique=False)
    op.add_column('members', sa.Column('born_on', sa.Date(), nullable=True))
    # The bank joins the collectors' cash: the ledger refuses to take it below zero.
    op.execute("UPDATE accounts SET credits_must_not_exceed_debits = true WHERE key = 'fund_bank'")


def downgrade() -> None:
    """Undo this revision."""
    op.execute("UPDATE accounts SET credits_must_not_exceed_debits = false WHERE key = 'fund_bank'")
    op.drop_column('members', 'born_on')
    op.drop_index(op.f('ix_claims_member_id'), table_name='claims')
    op.drop_index(op.f('ix_claims_group_id'), table_name='claims')
    op.drop_table('claims')
    op.drop_index(op.f('ix_benefit_schedules_group_id'), table_name='benefit_schedules')
    op.drop_table('benefit_schedules')
