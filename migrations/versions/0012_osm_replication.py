"""OSM diffs and replication (issue 15): how fresh the OpenStreetMap data is, and what a diff needs to place objects

- osm_replication: one row, the state of the OSM data: the file of the last full import, the replication sequence
  and data timestamp reached, when the last diff was applied, and the token of the node location index file that
  belongs to this database (app/services/osm_diff.py explains the choice of a file).
- osm_node_overlay: node locations changed by diffs since that import (NULL: deleted), read before the index file,
  so a diff and the locations it brings commit or roll back together.
- osm_ways / osm_relations: what a diff needs to place an object it does not carry whole: the node lists of the
  ways that could be places (and of the member ways of relations that could be), the members of relations that
  could be places, and their tags. GIN indexes find the ways a moved node belongs to, the relations a way does.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "osm_replication",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("imported_file", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("sequence", sa.BigInteger(), nullable=True),
        sa.Column("data_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_update_file", sa.Text(), nullable=True),
        sa.Column("node_index_token", sa.Text(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_osm_replication_single_row")),
    )
    op.create_table(
        "osm_node_overlay",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("x", sa.Integer(), nullable=True),
        sa.Column("y", sa.Integer(), nullable=True),
    )
    op.create_table(
        "osm_ways",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("nodes", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
    op.create_index("ix_osm_ways_nodes", "osm_ways", ["nodes"], postgresql_using="gin")
    op.create_table(
        "osm_relations",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("members", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("member_ways", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("tags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
    op.create_index("ix_osm_relations_member_ways", "osm_relations", ["member_ways"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_osm_relations_member_ways", table_name="osm_relations")
    op.drop_table("osm_relations")
    op.drop_index("ix_osm_ways_nodes", table_name="osm_ways")
    op.drop_table("osm_ways")
    op.drop_table("osm_node_overlay")
    op.drop_table("osm_replication")
