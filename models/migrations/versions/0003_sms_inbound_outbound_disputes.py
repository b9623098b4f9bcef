"""SMS: inbound messages, the outbound outbox, disputes, and the reminder opt-out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:47:01.043078
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('inbound_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider_id', sa.String(length=100), nullable=False),
    sa.Column('from_phone', sa.String(length=20), nullable=False),
    sa.Column('to_code', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=True),
    sa.Column('link_id', sa.String(length=100), nullable=True),
    sa.Column('network_code', sa.String(length=10), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbound_messages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_id', name=op.f('uq_inbound_messages_provider_id'))
    )
    op.create_table('outbound_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('inbound_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_phone', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('provider_id', sa.String(length=100), nullable=True),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('reply', 'receipt', 'notice', 'reminder', 'summary')", name=op.f('ck_outbound_messages_kind_known')),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'submitted', 'buffered', 'delivered', 'rejected', 'failed')", name=op.f('ck_outbound_messages_status_known')),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_outbound_messages_group_id_groups')),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'], name=op.f('fk_outbound_messages_inbound_id_inbound_messages')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_outbound_messages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages'))
    )
    op.create_index(op.f('ix_outbound_messages_provider_id'), 'outbound_messages', ['provider_id'], unique=False)
    op.create_index('ix_outbound_messages_status_created', 'outbound_messages', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_outbound_messages_to_phone'), 'outbound_messages', ['to_phone'], unique=False)
    op.create_table('disputes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('inbound_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_disputes_group_id_groups')),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'], name=op.f('fk_disputes_inbound_id_inbound_messages')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_disputes_member_id_members')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_disputes_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('transfer_id', 'member_id', name='uq_disputes_transfer')
    )
    op.add_column('members', sa.Column('reminders_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column('members', 'reminders_opt_out')
    op.drop_table('disputes')
    op.drop_index(op.f('ix_outbound_messages_to_phone'), table_name='outbound_messages')
    op.drop_index('ix_outbound_messages_status_created', table_name='outbound_messages')
    op.drop_index(op.f('ix_outbound_messages_provider_id'), table_name='outbound_messages')
    op.drop_table('outbound_messages')
    op.drop_table('inbound_messages')
