"""Dashboard logins: a session version that logout and disabling move on, and a disabled mark.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('users') as batch:
        batch.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )
        batch.add_column(sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('users') as batch:
        batch.drop_column('disabled_at')
        batch.drop_column('session_version')
