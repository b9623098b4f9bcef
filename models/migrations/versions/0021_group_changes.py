"""Changes to a group's rules, kept with who made them (`groups rules`).

Before this revision a rule change checked who asked but kept no record of it; changes
made before it are not known.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 11:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

JOBS = ("reconcile", "lapse", "sweeper", "import", "demo", "migration", "setup", "operator")


def upgrade() -> None:
    """Apply this revision."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    one = "(by_member_id IS NULL) <> (by_job IS NULL)"
    job = f"by_job IS NULL OR by_job IN ({', '.join(repr(j) for j in JOBS)})"
    op.create_table(
        "group_changes",
        sa.Column("id", big, primary_key=True),
        sa.Column(
            "group_id",
            big,
            sa.ForeignKey("groups.id", name=op.f("fk_group_changes_group_id_groups")),
            nullable=False,
        ),
        sa.Column("what", sa.String(length=24), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=True),
        sa.Column("new", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column(
            "by_member_id",
            big,
            sa.ForeignKey("members.id", name=op.f("fk_group_changes_by_member_id_members")),
            nullable=True,
        ),
        sa.Column("by_job", sa.String(length=16), nullable=True),
        sa.CheckConstraint(f"({one}) AND ({job})", name=op.f("ck_group_changes_by_actor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_changes")),
    )
    op.create_index(
        op.f("ix_group_changes_group_id"), "group_changes", ["group_id"], unique=False
    )


def downgrade() -> None:
    """Revert this revision (the record of rule changes goes with it)."""
    op.drop_index(op.f("ix_group_changes_group_id"), table_name="group_changes")
    op.drop_table("group_changes")
