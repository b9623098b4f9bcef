"""A fund's short name, which heads its reminders and notices (issue 18).

Groups made before this revision have none: their SMS are headed by their full name,
cut to fit, until the committee gives one with `groups rules CODE --short-name`.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 07:10:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("short_name", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("short_name")
