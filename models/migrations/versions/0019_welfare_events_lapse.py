"""Welfare as funds run it: claims' event and filing dates, documents received, lapse and return.

Claims filed before this revision keep their event date as their filing date.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 04:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("event_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("filed_on", sa.Date(), nullable=True))
    op.execute("UPDATE claims SET filed_on = event_date")
    op.create_table(
        "claim_documents",
        sa.Column("id", big, nullable=False),
        sa.Column("group_id", big, nullable=False),
        sa.Column("claim_id", big, nullable=False),
        sa.Column("document", sa.String(length=40), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_member_id", big, nullable=True),
        sa.Column("by_job", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            "((by_member_id IS NULL) <> (by_job IS NULL)) AND (by_job IS NULL OR by_job IN "
            "('reconcile', 'lapse', 'sweeper', 'import', 'demo', 'migration', 'setup'))",
            name=op.f("ck_claim_documents_by_actor"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_documents_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_claim_documents_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["by_member_id"], ["members.id"], name=op.f("fk_claim_documents_by_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_documents")),
        sa.UniqueConstraint(
            "claim_id", "document", name=op.f("uq_claim_documents_claim_document")
        ),
    )
    op.create_index(op.f("ix_claim_documents_claim_id"), "claim_documents", ["claim_id"])
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("status_on", sa.Date(), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(
            sa.Column("return_within_days", sa.Integer(), server_default="90", nullable=False)
        )
        batch.create_check_constraint(
            op.f("ck_groups_return_within_days_not_negative"), "return_within_days >= 0"
        )


def downgrade() -> None:
    """Undo this revision (the documents marked received are dropped with their table)."""
    with op.batch_alter_table("groups") as batch:
        batch.drop_constraint(op.f("ck_groups_return_within_days_not_negative"), type_="check")
        batch.drop_column("return_within_days")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("status_on")
    op.drop_index(op.f("ix_claim_documents_claim_id"), table_name="claim_documents")
    op.drop_table("claim_documents")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("filed_on")
        batch.drop_column("event_end")
