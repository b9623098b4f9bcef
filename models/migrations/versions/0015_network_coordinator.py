"""The network coordinator: a network login's phone and the network's meeting day.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-01 09:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('network_meeting_day', sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f('ck_users_network_meeting_day_in_month'), 'network_meeting_day BETWEEN 1 AND 28'
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('ck_users_network_meeting_day_in_month'), type_='check')
        batch.drop_column('network_meeting_day')
        batch.drop_column('phone')
