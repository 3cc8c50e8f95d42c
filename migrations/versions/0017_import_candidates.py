"""The candidate count of the last full import (osm_replication.candidates): a re-import of the same extract
takes it as its progress bar's length instead of counting the file first (app/services/osm_diff.py).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("osm_replication", sa.Column("candidates", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("osm_replication", "candidates")
