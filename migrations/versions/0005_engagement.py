"""Engagement: "still correct" answers, peer votes on changes, skipped places, verdict notices, mapping events

Adds the still_correct submission kind and the vote origin (a value reopened by disagreeing volunteers, which
names the revision it disputes), vote counters on revisions, the organiser role and the opt-in public name.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('status', 'new_place', 'correction', 'report')"
KINDS_AFTER = "kind IN ('status', 'new_place', 'correction', 'report', 'still_correct')"
ORIGINS_BEFORE = "origin IN ('volunteer', 'import')"
ORIGINS_AFTER = "origin IN ('volunteer', 'import', 'vote')"
AUTHOR_BEFORE = "origin = 'import' OR author_id IS NOT NULL OR device_hash IS NOT NULL"
AUTHOR_AFTER = "origin <> 'volunteer' OR author_id IS NOT NULL OR device_hash IS NOT NULL"
ROLES_BEFORE = "role IN ('volunteer', 'moderator', 'admin')"
ROLES_AFTER = "role IN ('volunteer', 'organiser', 'moderator', 'admin')"
ACTIONS = ("'claim', 'release', 'approve', 'reject', 'skip', 'undo', 'revert', 'hide', 'unhide', 'dismiss', "
           "'correct', 'ban', 'unban', 'role_change', 'auto_approve', 'import', 'import_conflict'")
ONE_VOLUNTEER = "(user_id IS NULL) <> (device_hash IS NULL)"


def _volunteer(table: str) -> list:
    """The columns and check of a table that records one volunteer: an account or an anonymous device."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f(f"fk_{table}_user_id_users")),
                  nullable=True),
        sa.Column("device_hash", sa.String(64), nullable=True),
        sa.CheckConstraint(ONE_VOLUNTEER, name=op.f(f"ck_{table}_one_volunteer")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _unique_per_volunteer(table: str, key: str, *, key_first: bool) -> None:
    """One row per volunteer and `key`, whichever way the volunteer is known."""
    for column, suffix in (("user_id", "user"), ("device_hash", "device")):
        op.create_index(f"ux_{table}_{suffix}", table, [key, column] if key_first else [column, key], unique=True,
                        postgresql_where=sa.text(f"{column} IS NOT NULL"))


def _replace_check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(name, table, condition)


def upgrade() -> None:
    _replace_check("submissions", "kind", KINDS_AFTER)
    _replace_check("submissions", "origin", ORIGINS_AFTER)
    _replace_check("submissions", "has_author", AUTHOR_AFTER)
    _replace_check("users", "role", ROLES_AFTER)
    _replace_check("moderation_events", "action", f"action IN ({ACTIONS}, 'reopen')")
    op.add_column("users", sa.Column("public_name", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("revisions", sa.Column("agree_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("revisions", sa.Column("disagree_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column("submissions", sa.Column("revision_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_submissions_revision_id_revisions"), "submissions", "revisions",
                          ["revision_id"], ["id"])
    op.create_index("ux_submissions_open_dispute", "submissions", ["revision_id"], unique=True,
                    postgresql_where=sa.text("state = 'pending' AND revision_id IS NOT NULL"))
    # An author's record (trust) counts decided submissions only; the queue asks it for each page's authors.
    op.create_index("ix_submissions_author_decided", "submissions", ["author_id", "state"],
                    postgresql_where=sa.text("state IN ('approved', 'rejected')"))
    # Peer checks read recent changes near a volunteer: revisions by time.
    op.create_index("ix_revisions_created_at", "revisions", ["created_at"])

    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), sa.ForeignKey("revisions.id", name=op.f("fk_votes_revision_id_revisions")),
                  nullable=False),
        sa.Column("voter_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f("fk_votes_voter_id_users")),
                  nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
        sa.UniqueConstraint("revision_id", "voter_id", name="uq_votes_revision_voter"),
    )
    op.create_index("ix_votes_voter_id", "votes", ["voter_id"])

    op.create_table(
        "check_skips",
        *_volunteer("check_skips"),
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("places.id", name=op.f("fk_check_skips_place_id_places")),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    _unique_per_volunteer("check_skips", "place_id", key_first=False)

    op.create_table(
        "notices",
        *_volunteer("notices"),
        sa.Column("submission_id", sa.Integer(),
                  sa.ForeignKey("submissions.id", name=op.f("fk_notices_submission_id_submissions")), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("verdict IN ('approved', 'rejected')", name=op.f("ck_notices_verdict")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_user_id_created_at", "notices", ["user_id", "created_at"])
    op.create_index("ix_notices_device_hash_created_at", "notices", ["device_hash", "created_at"])
    op.create_index("ix_notices_unread_user", "notices", ["user_id"], postgresql_where=sa.text("read_at IS NULL"))
    op.create_index("ix_notices_unread_device", "notices", ["device_hash"],
                    postgresql_where=sa.text("read_at IS NULL"))

    op.create_table(
        "mapping_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("area", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("goal_known_pct", sa.SmallInteger(), server_default="80", nullable=False),
        sa.Column("created_by_id", sa.Integer(),
                  sa.ForeignKey("users.id", name=op.f("fk_mapping_events_created_by_id_users")), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_mapping_events_ends_after_start")),
        sa.CheckConstraint("goal_known_pct BETWEEN 1 AND 100", name=op.f("ck_mapping_events_goal_range")),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'", name=op.f("ck_mapping_events_slug_format")),
        sa.CheckConstraint("char_length(btrim(name)) > 0", name=op.f("ck_mapping_events_name_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_mapping_events_slug")),
    )
    op.create_index("ix_mapping_events_area", "mapping_events", ["area"], postgresql_using="gist")
    op.create_index("ix_mapping_events_starts_at", "mapping_events", ["starts_at"])

    op.create_table(
        "event_participants",
        *_volunteer("event_participants"),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey(
            "mapping_events.id", name=op.f("fk_event_participants_event_id_mapping_events"), ondelete="CASCADE"),
            nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    _unique_per_volunteer("event_participants", "event_id", key_first=True)


def downgrade() -> None:
    op.drop_table("event_participants")
    op.drop_index("ix_mapping_events_area", table_name="mapping_events")
    op.drop_table("mapping_events")
    op.drop_table("notices")
    op.drop_table("check_skips")
    op.drop_table("votes")
    op.drop_index("ix_revisions_created_at", table_name="revisions")
    op.drop_index("ix_submissions_author_decided", table_name="submissions")
    op.drop_index("ux_submissions_open_dispute", table_name="submissions")
    op.drop_constraint(op.f("fk_submissions_revision_id_revisions"), "submissions", type_="foreignkey")
    op.drop_column("submissions", "revision_id")
    op.drop_column("revisions", "disagree_count")
    op.drop_column("revisions", "agree_count")
    op.drop_column("users", "public_name")
    op.execute("DELETE FROM submissions WHERE kind = 'still_correct' OR origin = 'vote'")
    op.execute("UPDATE users SET role = 'volunteer' WHERE role = 'organiser'")
    _replace_check("moderation_events", "action", f"action IN ({ACTIONS})")
    _replace_check("users", "role", ROLES_BEFORE)
    _replace_check("submissions", "has_author", AUTHOR_BEFORE)
    _replace_check("submissions", "origin", ORIGINS_BEFORE)
    _replace_check("submissions", "kind", KINDS_BEFORE)
