"""Reconciliation by business date: a run's rectangle, the opening run, the legacy floor.

A run now covers the entries of business dates up to its day, ids up to its watermark,
less what the previous run covered (its day and watermark: lo_business_date and
lo_transfer_id). Runs made before this revision covered an id range whatever the dates;
their floor_transfer_id is set to their watermark, so every later run leaves those ids
alone, as those runs counted them already.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column('reconcile_runs', sa.Column('opening', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('reconcile_runs', sa.Column('lo_business_date', sa.Date(), nullable=True))
    op.add_column('reconcile_runs', sa.Column('floor_transfer_id', sa.BigInteger(), server_default='0', nullable=False))
    op.execute('UPDATE reconcile_runs SET floor_transfer_id = hi_transfer_id')


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column('reconcile_runs', 'floor_transfer_id')
    op.drop_column('reconcile_runs', 'lo_business_date')
    op.drop_column('reconcile_runs', 'opening')
