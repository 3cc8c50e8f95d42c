"""Session tokens: signing out, changing the password or a ban ends every session of the account

A session cookie names the account and its current session token; replacing the token makes every cookie
issued before it worthless, including copies an attacker may hold.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # gen_random_uuid() is built into PostgreSQL 13+: existing accounts get a random token each.
    op.add_column('users', sa.Column('session_token', sa.String(length=64), nullable=False,
                                     server_default=sa.text("replace(gen_random_uuid()::text, '-', '')")))


def downgrade() -> None:
    op.drop_column('users', 'session_token')
