"""Photos of places (issue 14): the `photos` table, the `photo` and `photo_report` submission kinds, and the
`remove_photo` audit action

The table holds the names of each photo's files in the photo store (app/photos.py), never the images.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('status', 'new_place', 'correction', 'report', 'still_correct', 'details')"
KINDS_AFTER = ("kind IN ('status', 'new_place', 'correction', 'report', 'still_correct', 'details', 'photo', "
               "'photo_report')")
ACTIONS_BEFORE = ("action IN ('claim', 'release', 'approve', 'reject', 'skip', 'undo', 'revert', 'hide', 'unhide', "
                  "'dismiss', 'correct', 'ban', 'unban', 'role_change', 'auto_approve', 'import', 'import_conflict', "
                  "'reopen')")
ACTIONS_AFTER = ACTIONS_BEFORE[:-1] + ", 'remove_photo')"
NAME_PATTERN = "^[0-9a-f]{64}[.]jpg$"


def _replace_check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(name, table, condition)


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=68), nullable=False),
        sa.Column("thumbnail", sa.String(length=68), nullable=False),
        sa.Column("width", sa.SmallInteger(), nullable=False),
        sa.Column("height", sa.SmallInteger(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("licence", sa.String(length=16), nullable=False),
        sa.Column("credit", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_reason", sa.String(length=16), nullable=True),
        sa.Column("removed_note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("subject IN ('entrance', 'toilet', 'parking', 'inside')", name=op.f("ck_photos_subject")),
        sa.CheckConstraint("licence IN ('CC-BY-SA-4.0', 'CC0-1.0')", name=op.f("ck_photos_licence")),
        sa.CheckConstraint(f"name ~ '{NAME_PATTERN}' AND thumbnail ~ '{NAME_PATTERN}'",
                           name=op.f("ck_photos_content_names")),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_photos_size_positive")),
        sa.CheckConstraint("removed_reason IS NULL OR removed_reason IN ('privacy', 'wrong_place', 'offensive', "
                           "'unclear', 'other', 'not_accepted')", name=op.f("ck_photos_removed_reason")),
        sa.CheckConstraint("(removed_at IS NULL) = (removed_reason IS NULL)", name=op.f("ck_photos_removal_complete")),
        sa.CheckConstraint("char_length(credit) <= 80", name=op.f("ck_photos_credit_length")),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"], name=op.f("fk_photos_place_id_places")),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name=op.f("fk_photos_submission_id_submissions")),
        sa.ForeignKeyConstraint(["removed_by_id"], ["users.id"], name=op.f("fk_photos_removed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    op.create_index("ix_photos_place_id", "photos", ["place_id"])
    op.create_index("ix_photos_submission_id", "photos", ["submission_id"], unique=True)
    op.create_index("ix_photos_name", "photos", ["name"])
    op.create_index("ix_photos_thumbnail", "photos", ["thumbnail"])
    op.create_index("ix_photos_shown", "photos", ["place_id"], postgresql_where=sa.text("removed_at IS NULL"))
    _replace_check("submissions", "kind", KINDS_AFTER)
    _replace_check("moderation_events", "action", ACTIONS_AFTER)


def downgrade() -> None:
    # The audit log is append-only: a database that has removed photos keeps its events and cannot go back.
    _replace_check("moderation_events", "action", ACTIONS_BEFORE)
    op.drop_table("photos")
    # Their photos' files stay in the store; the submissions that carried them go.
    op.execute("DELETE FROM notices WHERE submission_id IN "
               "(SELECT id FROM submissions WHERE kind IN ('photo', 'photo_report'))")
    op.execute("DELETE FROM submissions WHERE kind IN ('photo', 'photo_report')")
    _replace_check("submissions", "kind", KINDS_BEFORE)
