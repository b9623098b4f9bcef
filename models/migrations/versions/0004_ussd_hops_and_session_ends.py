"""USSD: answered hops (for repeats and PIN verdicts) and end-of-session notices.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 23:16:56.847146
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('ussd_session_ends',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('input', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.String(length=200), nullable=True),
    sa.Column('hops', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ussd_session_ends')),
    sa.UniqueConstraint('session_id', name=op.f('uq_ussd_session_ends_session_id'))
    )
    op.create_table('ussd_hops',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.String(length=100), nullable=False),
    sa.Column('hop', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('screen', sa.Text(), nullable=False),
    sa.Column('pin_ok', sa.Boolean(), nullable=True),
    sa.Column('pin_set', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_ussd_hops_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ussd_hops')),
    sa.UniqueConstraint('session_id', 'hop', name='uq_ussd_hops_session_hop')
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table('ussd_hops')
    op.drop_table('ussd_session_ends')
