"""Giving back to OpenStreetMap (issue 16): what an osmChange must carry, and moderators' holds.

- osm_nodes: each node that is a place, as OSM has it: version, every tag, location (1e-7 degrees);
- osm_ways.version, osm_relations.version: NULL for rows stored before, until the next import or diff;
- osm_upstream_holds: a place a moderator holds back from OSM, with the reason;
- audit actions `hold_upstream` and `release_upstream`.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ACTIONS_BEFORE = ("action IN ('claim', 'release', 'approve', 'reject', 'skip', 'undo', 'revert', 'hide', 'unhide', "
                  "'dismiss', 'correct', 'ban', 'unban', 'role_change', 'auto_approve', 'import', 'import_conflict', "
                  "'reopen', 'remove_photo', 'merge')")
ACTIONS_AFTER = ACTIONS_BEFORE[:-1] + ", 'hold_upstream', 'release_upstream')"


def _replace_check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(name, table, condition)


def upgrade() -> None:
    op.create_table(
        "osm_nodes",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
    )
    for table in ("osm_ways", "osm_relations"):
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=True))
    op.create_table(
        "osm_upstream_holds",
        sa.Column("place_id", sa.Integer(), sa.ForeignKey("places.id", name=op.f("fk_osm_upstream_holds_place_id_places")),
                  primary_key=True, autoincrement=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("held_by_id", sa.Integer(), sa.ForeignKey("users.id", name=op.f("fk_osm_upstream_holds_held_by_id_users")),
                  nullable=True),
        sa.Column("held_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    _replace_check("moderation_events", "action", ACTIONS_AFTER)


def downgrade() -> None:
    # The audit log is append-only: a database with holds in it keeps its events and cannot go back.
    _replace_check("moderation_events", "action", ACTIONS_BEFORE)
    op.drop_table("osm_upstream_holds")
    for table in ("osm_ways", "osm_relations"):
        op.drop_column(table, "version")
    op.drop_table("osm_nodes")
