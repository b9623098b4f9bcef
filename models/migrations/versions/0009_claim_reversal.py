"""Claims: a paid claim may be reversed, keeping the reversing transfer, who and why.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
BEFORE = "status IN ('filed', 'paid', 'rejected')"
AFTER = "status IN ('filed', 'paid', 'rejected', 'reversed')"


def upgrade() -> None:
    """Apply this revision."""
    # Batch mode: SQLite changes a CHECK constraint by copying the table.
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('reversal_id', BIG_ID, nullable=True))
        batch.add_column(sa.Column('reversed_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('reversal_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('reversed_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_claims_reversal_id_transfers'), 'transfers', ['reversal_id'], ['id']
        )
        batch.drop_constraint(op.f('ck_claims_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_claims_status_known'), sa.text(AFTER))


def downgrade() -> None:
    """Undo this revision."""
    # A reversed claim reads as paid and then undone; its reversal stays in the journal.
    op.execute("UPDATE claims SET status = 'paid' WHERE status = 'reversed'")
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(op.f('ck_claims_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_claims_status_known'), sa.text(BEFORE))
        batch.drop_constraint(op.f('fk_claims_reversal_id_transfers'), type_='foreignkey')
        batch.drop_column('reversed_at')
        batch.drop_column('reversal_reason')
        batch.drop_column('reversed_by')
        batch.drop_column('reversal_id')
