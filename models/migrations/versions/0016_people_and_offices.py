"""People and offices: a typed actor on every write, offices with their history, linked logins.

Members' single `role` becomes office terms (a collector, treasurer or chair from the day
they joined). Claims, settlements and new transfers record who acted as a member id or a
named job; the old free-text columns stay, and claims and settlements are matched to the
person where the text names one (`member:<id>`, or a member's or login's exact name in
the group); rows where nobody can be found are marked as written before the change.
Transfers are append-only: rows written before this revision keep no actor.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

JOBS = ("reconcile", "lapse", "sweeper", "import", "demo", "migration", "setup")
OFFICES = ("collector", "treasurer", "chair", "secretary", "auditor", "committee")


# The free-text "who" columns and the typed actor that replaces each.
WHO = (
    ("claims", "filed_by", "filed_by"),
    ("claims", "decided_by", "decided_by"),
    ("claims", "reversed_by", "reversed_by"),
    ("reconcile_resolutions", "by", "by_name"),
)


def _check(prefix: str, *, optional: bool = False) -> str:
    one = f"({prefix}_member_id IS NULL) <> ({prefix}_job IS NULL)"
    empty = f"({prefix}_member_id IS NULL AND {prefix}_job IS NULL)"
    job = f"{prefix}_job IS NULL OR {prefix}_job IN ({', '.join(repr(j) for j in JOBS)})"
    return f"({one} OR {empty}) AND ({job})" if optional else f"({one}) AND ({job})"


def _columns(table: str, prefix: str) -> list[sa.Column]:
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    fk = sa.ForeignKey("members.id", name=op.f(f"fk_{table}_{prefix}_member_id_members"))
    return [
        sa.Column(f"{prefix}_member_id", big, fk, nullable=True),
        sa.Column(f"{prefix}_job", sa.String(length=16), nullable=True),
    ]


def upgrade() -> None:
    """Apply this revision."""
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "offices",
        sa.Column("id", big, primary_key=True),
        sa.Column(
            "group_id",
            big,
            sa.ForeignKey("groups.id", name=op.f("fk_offices_group_id_groups")),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            big,
            sa.ForeignKey("members.id", name=op.f("fk_offices_member_id_members")),
            nullable=False,
        ),
        sa.Column("office", sa.String(length=12), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        *_columns("offices", "ended_by"),
        *_columns("offices", "by"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            f"office IN ({', '.join(repr(o) for o in OFFICES)})", name=op.f("ck_offices_office_known")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_offices_ends_after_start")
        ),
        sa.CheckConstraint(_check("by"), name=op.f("ck_offices_by_actor")),
        sa.CheckConstraint(_check("ended_by", optional=True), name=op.f("ck_offices_ended_by_actor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offices")),
    )
    op.create_index(op.f("ix_offices_group_id"), "offices", ["group_id"])
    op.create_index(op.f("ix_offices_member_id"), "offices", ["member_id"])
    op.execute(
        "INSERT INTO offices (group_id, member_id, office, starts_on, by_job, created_at) "
        "SELECT group_id, id, role, joined_on, 'migration', created_at FROM members "
        "WHERE role IN ('collector', 'treasurer', 'chair')"
    )
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint(op.f("ck_members_role_known"), type_="check")
        batch.drop_column("role")

    op.create_table(
        "member_changes",
        sa.Column("id", big, primary_key=True),
        sa.Column(
            "group_id",
            big,
            sa.ForeignKey("groups.id", name=op.f("fk_member_changes_group_id_groups")),
            nullable=False,
        ),
        sa.Column(
            "member_id",
            big,
            sa.ForeignKey("members.id", name=op.f("fk_member_changes_member_id_members")),
            nullable=False,
        ),
        sa.Column("what", sa.String(length=24), nullable=False),
        sa.Column("old", sa.String(length=200), nullable=True),
        sa.Column("new", sa.String(length=200), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        *_columns("member_changes", "by"),
        sa.CheckConstraint(_check("by"), name=op.f("ck_member_changes_by_actor")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_changes")),
    )
    op.create_index(op.f("ix_member_changes_member_id"), "member_changes", ["member_id"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("member_id", big, nullable=True))
        batch.create_foreign_key(op.f("fk_users_member_id_members"), "members", ["member_id"], ["id"])

    with op.batch_alter_table("claims") as batch:
        batch.alter_column("filed_by", existing_type=sa.String(length=120), nullable=True)
        fk = sa.ForeignKey("members.id", name=op.f("fk_claims_first_approval_member_id_members"))
        batch.add_column(sa.Column("first_approval_member_id", big, fk, nullable=True))
        for prefix in ("filed_by", "decided_by", "reversed_by"):
            for col in _columns("claims", prefix):
                batch.add_column(col)
            batch.create_check_constraint(op.f(f"ck_claims_{prefix}_actor"), _check(prefix, optional=True))
    with op.batch_alter_table("reconcile_resolutions") as batch:
        batch.alter_column("by_name", existing_type=sa.String(length=120), nullable=True)
        for col in _columns("reconcile_resolutions", "by"):
            batch.add_column(col)
        batch.create_check_constraint(op.f("ck_reconcile_resolutions_by_actor"), _check("by", optional=True))
    # Transfers are append-only (their triggers stay): the columns are added in place.
    big_plain = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.add_column("transfers", sa.Column("by_member_id", big_plain, nullable=True))
    op.add_column("transfers", sa.Column("by_job", sa.String(length=16), nullable=True))

    _find_people()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION satja_post_transfer")
        op.execute(FUNCTION)


def _find_people() -> None:
    """Match the old free text to a person where it names one."""
    bind = op.get_bind()
    for table, prefix, text in WHO:
        group = "group_id"
        rows = bind.execute(
            sa.text(f"SELECT id, {text}, {group} FROM {table} WHERE {text} IS NOT NULL")
        ).all()
        for row_id, said, group_id in rows:
            member_id = None
            if said.startswith("member:") and said[7:].isdigit():
                member_id = bind.execute(
                    sa.text("SELECT id FROM members WHERE id = :i AND group_id = :g"),
                    {"i": int(said[7:]), "g": group_id},
                ).scalar()
            name = said[5:] if said.startswith("name:") else said
            if member_id is None:
                found = bind.execute(
                    sa.text("SELECT id FROM members WHERE group_id = :g AND name = :n"),
                    {"g": group_id, "n": name.strip()},
                ).all()
                member_id = found[0][0] if len(found) == 1 else None
            values = {"m": member_id, "j": None if member_id else "migration", "i": row_id}
            bind.execute(
                sa.text(
                    f"UPDATE {table} SET {prefix}_member_id = :m, {prefix}_job = :j WHERE id = :i"
                ),
                values,
            )


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION satja_post_transfer")
        op.execute(OLD_FUNCTION)
    op.drop_column("transfers", "by_job")
    op.drop_column("transfers", "by_member_id")
    # The typed actors go back to the text the old columns held.
    for table, prefix, text in WHO:
        op.execute(
            f"UPDATE {table} SET {text} = CASE WHEN {prefix}_member_id IS NOT NULL "
            f"THEN 'member:' || CAST({prefix}_member_id AS VARCHAR(20)) "
            f"ELSE 'job:' || {prefix}_job END "
            f"WHERE {text} IS NULL AND ({prefix}_member_id IS NOT NULL OR {prefix}_job IS NOT NULL)"
        )
    with op.batch_alter_table("reconcile_resolutions") as batch:
        batch.drop_constraint(op.f("ck_reconcile_resolutions_by_actor"), type_="check")
        batch.drop_column("by_job")
        batch.drop_column("by_member_id")
    op.execute("UPDATE reconcile_resolutions SET by_name = 'unknown' WHERE by_name IS NULL")
    with op.batch_alter_table("reconcile_resolutions") as batch:
        batch.alter_column("by_name", existing_type=sa.String(length=120), nullable=False)
    with op.batch_alter_table("claims") as batch:
        for prefix in ("filed_by", "decided_by", "reversed_by"):
            batch.drop_constraint(op.f(f"ck_claims_{prefix}_actor"), type_="check")
            batch.drop_column(f"{prefix}_job")
            batch.drop_column(f"{prefix}_member_id")
        batch.drop_column("first_approval_member_id")
    op.execute("UPDATE claims SET filed_by = 'unknown' WHERE filed_by IS NULL")
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("filed_by", existing_type=sa.String(length=120), nullable=False)
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_member_id_members"), type_="foreignkey")
        batch.drop_column("member_id")
    op.drop_index(op.f("ix_member_changes_member_id"), table_name=op.f("member_changes"))
    op.drop_table("member_changes")
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("role", sa.String(length=10), nullable=False, server_default="member")
        )
    # A member's last office (chair over treasurer over collector) becomes their role again.
    for office in ("collector", "treasurer", "chair"):
        op.execute(
            f"UPDATE members SET role = '{office}' WHERE id IN "
            f"(SELECT member_id FROM offices WHERE office = '{office}' AND ends_on IS NULL)"
        )
    with op.batch_alter_table("members") as batch:
        batch.create_check_constraint(
            op.f("ck_members_role_known"), "role IN ('member', 'collector', 'treasurer', 'chair')"
        )
    op.drop_index(op.f("ix_offices_member_id"), table_name=op.f("offices"))
    op.drop_index(op.f("ix_offices_group_id"), table_name=op.f("offices"))
    op.drop_table("offices")


_POST = """
CREATE FUNCTION satja_post_transfer(
    p_group_id bigint, p_debit_key varchar, p_credit_key varchar, p_amount bigint,
    p_phase varchar, p_key varchar, p_code varchar, p_member_id bigint,
    p_collector_id bigint, p_business_date date, p_note varchar, p_created_at timestamp{params}
) RETURNS SETOF transfers
LANGUAGE plpgsql AS $$
DECLARE
    posted bigint := CASE WHEN p_phase = 'single' THEN p_amount ELSE 0 END;
    pending bigint := CASE WHEN p_phase = 'pending' THEN p_amount ELSE 0 END;
    d accounts%ROWTYPE;
    c accounts%ROWTYPE;
    inserted transfers%ROWTYPE;
BEGIN
    IF p_phase NOT IN ('single', 'pending') THEN
        RETURN;
    END IF;
    -- Both locks in id order, as the general path takes them: no deadlocks.
    PERFORM 1 FROM accounts
        WHERE group_id = p_group_id AND key IN (p_debit_key, p_credit_key)
        ORDER BY id FOR UPDATE;
    SELECT * INTO d FROM accounts WHERE group_id = p_group_id AND key = p_debit_key;
    SELECT * INTO c FROM accounts WHERE group_id = p_group_id AND key = p_credit_key;
    IF d.id IS NULL OR c.id IS NULL
       OR (d.debits_must_not_exceed_credits
           AND d.debits_posted + posted + d.debits_pending + pending > d.credits_posted)
       OR (d.credits_must_not_exceed_debits
           AND d.credits_posted + d.credits_pending > d.debits_posted + posted)
       OR (c.credits_must_not_exceed_debits
           AND c.credits_posted + posted + c.credits_pending + pending > c.debits_posted)
       OR (c.debits_must_not_exceed_credits
           AND c.debits_posted + c.debits_pending > c.credits_posted + posted)
       OR EXISTS (SELECT 1 FROM transfer_refusals WHERE key = p_key)
    THEN
        RETURN;
    END IF;
    INSERT INTO transfers (key, group_id, debit_account_id, credit_account_id, amount, code,
                           phase, member_id, collector_id, business_date, note, created_at{cols})
    VALUES (p_key, p_group_id, d.id, c.id, p_amount, p_code, p_phase, p_member_id,
            p_collector_id, p_business_date, p_note, p_created_at{vals})
    ON CONFLICT DO NOTHING
    RETURNING * INTO inserted;
    IF inserted.id IS NULL THEN
        RETURN;
    END IF;
    UPDATE accounts SET debits_posted = debits_posted + posted,
                        debits_pending = debits_pending + pending
        WHERE id = d.id;
    UPDATE accounts SET credits_posted = credits_posted + posted,
                        credits_pending = credits_pending + pending
        WHERE id = c.id;
    RETURN NEXT inserted;
END $$
"""
FUNCTION = _POST.format(
    params=", p_by_member_id bigint, p_by_job varchar",
    cols=", by_member_id, by_job",
    vals=", p_by_member_id, p_by_job",
)
OLD_FUNCTION = _POST.format(params="", cols="", vals="")
