"""Possible duplicates (issue 15): a volunteer's place that OpenStreetMap later also has, and its merge

- the `duplicate` submission kind: filed by app/services/duplicates.py with origin 'import', on the volunteer's
  place, proposing {"duplicate_of": <the OSM place's id>};
- a unique index on (volunteer place, OSM place) over every duplicate item whatever its state, so a pair is filed
  once: a pending, merged or rejected ("not the same place") pair is never filed again, even by two imports at once;
- places.merged_into_id: the place a merged place was folded into (it is hidden too; its page links there);
- a GiST index of the volunteers' places alone: the pairing looks them up around each OSM place an import or a
  diff brought, or (for a whole import) walks them all, without touching the OSM places' far larger index;
- the revision source and the audit action `merge`.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

KINDS_BEFORE = ("kind IN ('status', 'new_place', 'correction', 'report', 'still_correct', 'details', 'photo', "
                "'photo_report')")
KINDS_AFTER = KINDS_BEFORE[:-1] + ", 'duplicate')"
ACTIONS_BEFORE = ("action IN ('claim', 'release', 'approve', 'reject', 'skip', 'undo', 'revert', 'hide', 'unhide', "
                  "'dismiss', 'correct', 'ban', 'unban', 'role_change', 'auto_approve', 'import', 'import_conflict', "
                  "'reopen', 'remove_photo')")
ACTIONS_AFTER = ACTIONS_BEFORE[:-1] + ", 'merge')"
SOURCES_BEFORE = "source IN ('moderation', 'auto_approval', 'correction', 'import', 'revert', 'undo', 'demo')"
SOURCES_AFTER = SOURCES_BEFORE[:-1] + ", 'merge')"


def _replace_check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(name, table, condition)


def upgrade() -> None:
    _replace_check("submissions", "kind", KINDS_AFTER)
    _replace_check("moderation_events", "action", ACTIONS_AFTER)
    _replace_check("revisions", "source", SOURCES_AFTER)
    op.create_index("ux_submissions_duplicate_pair", "submissions",
                    ["place_id", sa.text("(proposed ->> 'duplicate_of')")], unique=True,
                    postgresql_where=sa.text("kind = 'duplicate'"))
    op.create_index("ix_places_volunteer_geom", "places", ["geom"], postgresql_using="gist",
                    postgresql_where=sa.text("source = 'volunteer'"))
    op.add_column("places", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_places_merged_into_id_places"), "places", "places", ["merged_into_id"], ["id"])
    op.create_check_constraint("not_merged_into_itself", "places", "merged_into_id <> id")


def downgrade() -> None:
    # The audit log is append-only: a database that has merged places keeps its events and cannot go back.
    _replace_check("moderation_events", "action", ACTIONS_BEFORE)
    # A merge's revisions stay in the places' histories, recorded as a moderator's decision.
    op.execute("UPDATE revisions SET source = 'moderation' WHERE source = 'merge'")
    _replace_check("revisions", "source", SOURCES_BEFORE)
    op.drop_column("places", "merged_into_id")
    op.drop_index("ix_places_volunteer_geom", "places")
    op.drop_index("ux_submissions_duplicate_pair", "submissions")
    op.execute("DELETE FROM notices WHERE submission_id IN (SELECT id FROM submissions WHERE kind = 'duplicate')")
    op.execute("UPDATE revisions SET submission_id = NULL WHERE submission_id IN "
               "(SELECT id FROM submissions WHERE kind = 'duplicate')")
    op.execute("DELETE FROM submissions WHERE kind = 'duplicate'")
    _replace_check("submissions", "kind", KINDS_BEFORE)
