"""The register as funds keep it: sex, village, usual collector, beneficiary; shared phones.

A household may share one phone, so `members.phone` is no longer unique (an index
keeps lookups fast; the registry refuses a shared phone for an official).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 00:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint(op.f("uq_members_phone"), type_="unique")
        batch.create_index(op.f("ix_members_phone"), ["phone"])
        batch.add_column(sa.Column("sex", sa.String(length=1), nullable=True))
        batch.add_column(sa.Column("village", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("collector_id", big, nullable=True))
        batch.add_column(sa.Column("beneficiary_name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("beneficiary_phone", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("beneficiary_relation", sa.String(length=40), nullable=True))
        batch.create_foreign_key(
            op.f("fk_members_collector_id_members"), "members", ["collector_id"], ["id"]
        )
        batch.create_check_constraint(op.f("ck_members_sex_known"), "sex IS NULL OR sex IN ('f', 'm')")


def downgrade() -> None:
    """Undo this revision (refused while two members share a phone)."""
    shared = op.get_bind().execute(
        sa.text("SELECT phone FROM members GROUP BY phone HAVING count(*) > 1")
    ).first()
    if shared is not None:
        raise RuntimeError("members share a phone: give each their own before downgrading")
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint(op.f("ck_members_sex_known"), type_="check")
        batch.drop_constraint(op.f("fk_members_collector_id_members"), type_="foreignkey")
        for column in (
            "beneficiary_relation",
            "beneficiary_phone",
            "beneficiary_name",
            "collector_id",
            "village",
            "sex",
        ):
            batch.drop_column(column)
        batch.drop_index(op.f("ix_members_phone"))
        batch.create_unique_constraint(op.f("uq_members_phone"), ["phone"])
