"""Members' rights over their data: consent, an access log, retention and anonymising.

Existing members migrate with their consent "not recorded" (both columns empty). The
operator job (`operator`: the command line with no person named) joins the jobs that
may write a register change, so anonymising can say who did it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 04:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JOBS = ("reconcile", "lapse", "sweeper", "import", "demo", "migration", "setup")
NEW_JOBS = (*JOBS, "operator")


def _check(prefix: str, jobs: tuple[str, ...], *, optional: bool = False) -> str:
    one = f"({prefix}_member_id IS NULL) <> ({prefix}_job IS NULL)"
    empty = f"({prefix}_member_id IS NULL AND {prefix}_job IS NULL)"
    job = f"{prefix}_job IS NULL OR {prefix}_job IN ({', '.join(repr(j) for j in jobs)})"
    return f"({one} OR {empty}) AND ({job})" if optional else f"({one}) AND ({job})"


def _member_changes_jobs(jobs: tuple[str, ...]) -> None:
    with op.batch_alter_table("member_changes") as batch:
        batch.drop_constraint(op.f("ck_member_changes_by_actor"), type_="check")
        batch.create_check_constraint(op.f("ck_member_changes_by_actor"), _check("by", jobs))


def upgrade() -> None:
    """Apply this revision."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("consent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("consent_how", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_members_consent_how_known"),
            "consent_how IS NULL OR consent_how IN ('paper', 'spoken', 'sms')",
        )
        batch.create_check_constraint(
            op.f("ck_members_consent_whole"), "(consent_on IS NULL) = (consent_how IS NULL)"
        )
    with op.batch_alter_table("groups") as batch:
        batch.add_column(
            sa.Column("retention_years", sa.Integer(), server_default="10", nullable=False)
        )
        batch.create_check_constraint(
            op.f("ck_groups_retention_years_range"), "retention_years BETWEEN 1 AND 100"
        )
    _member_changes_jobs(NEW_JOBS)
    op.create_table(
        "member_access",
        sa.Column("id", big, autoincrement=True, nullable=False),
        sa.Column(
            "group_id",
            big,
            sa.ForeignKey("groups.id", name=op.f("fk_member_access_group_id_groups")),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            big,
            sa.ForeignKey("members.id", name=op.f("fk_member_access_member_id_members")),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            big,
            sa.ForeignKey("users.id", name=op.f("fk_member_access_user_id_users")),
            nullable=True,
        ),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("what", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column(
            "by_member_id",
            big,
            sa.ForeignKey("members.id", name=op.f("fk_member_access_by_member_id_members")),
            nullable=True,
        ),
        sa.Column("by_job", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            _check("by", NEW_JOBS, optional=True), name=op.f("ck_member_access_by_actor")
        ),
        sa.CheckConstraint(
            "channel IN ('dashboard', 'cli')", name=op.f("ck_member_access_channel_known")
        ),
        sa.CheckConstraint(
            "what IN ('page', 'export', 'anonymise')", name=op.f("ck_member_access_what_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_access")),
    )
    op.create_index(
        op.f("ix_member_access_group_at"), "member_access", ["group_id", "at"], unique=False
    )
    op.create_index(
        op.f("ix_member_access_member_id"), "member_access", ["member_id"], unique=False
    )


def downgrade() -> None:
    """Undo this revision (refused once an operator job has written a register change)."""
    written = op.get_bind().execute(
        sa.text("SELECT id FROM member_changes WHERE by_job = 'operator'")
    ).first()
    if written is not None:
        raise RuntimeError("register changes by the operator job exist: they cannot go back")
    op.drop_index(op.f("ix_member_access_member_id"), table_name="member_access")
    op.drop_index(op.f("ix_member_access_group_at"), table_name="member_access")
    op.drop_table("member_access")
    _member_changes_jobs(JOBS)
    with op.batch_alter_table("groups") as batch:
        batch.drop_constraint(op.f("ck_groups_retention_years_range"), type_="check")
        batch.drop_column("retention_years")
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint(op.f("ck_members_consent_whole"), type_="check")
        batch.drop_constraint(op.f("ck_members_consent_how_known"), type_="check")
        batch.drop_column("anonymised_at")
        batch.drop_column("consent_how")
        batch.drop_column("consent_on")
