"""User language: the language an account chose in the menu, used wherever it signs in

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: no choice made; the cookie, then the browser's Accept-Language decide.
    op.add_column('users', sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('users', 'locale')
