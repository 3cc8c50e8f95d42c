"""Lighter revision indexes (issue 15): an import writes fewer index entries per revision

- ix_revisions_submission_id and ix_revisions_actor_id become partial (WHERE ... IS NOT NULL): imports, which
  write a revision per place, leave both NULL, and nothing looks revisions up by a NULL submission or actor;
- ix_revisions_place_id_created_at goes: a place's revisions are read in version order, which
  uq_revisions_place_version serves.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PARTIAL = ("submission_id", "actor_id")


def upgrade() -> None:
    for column in PARTIAL:
        op.drop_index(f"ix_revisions_{column}", table_name="revisions")
        op.create_index(f"ix_revisions_{column}", "revisions", [column],
                        postgresql_where=sa.text(f"{column} IS NOT NULL"))
    op.drop_index("ix_revisions_place_id_created_at", table_name="revisions")


def downgrade() -> None:
    op.create_index("ix_revisions_place_id_created_at", "revisions", ["place_id", "created_at"])
    for column in PARTIAL:
        op.drop_index(f"ix_revisions_{column}", table_name="revisions")
        op.create_index(f"ix_revisions_{column}", "revisions", [column])
