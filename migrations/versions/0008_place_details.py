"""Place details: entrance, toilet and parking details (issue 14), and the `details` submission kind

Twelve nullable columns on places (NULL: nobody knows), each checked like the columns before them, and the
`details` kind in the submissions' kind check.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KINDS_BEFORE = "kind IN ('status', 'new_place', 'correction', 'report', 'still_correct')"
KINDS_AFTER = "kind IN ('status', 'new_place', 'correction', 'report', 'still_correct', 'details')"

# (column, type, CHECK condition): the values of geo/fields.py as they were when this migration was written.
COLUMNS = [
    ("step_count", sa.SmallInteger(), "step_count BETWEEN 0 AND 50"),
    ("step_height", sa.SmallInteger(), "step_height BETWEEN 0 AND 100"),
    ("ramp", sa.String(length=16), "ramp IN ('yes', 'no', 'portable')"),
    ("door_width", sa.SmallInteger(), "door_width BETWEEN 30 AND 300"),
    ("automatic_door", sa.String(length=16), "automatic_door IN ('yes', 'no')"),
    ("step_free_entrance", sa.String(length=16), "step_free_entrance IN ('yes', 'no')"),
    ("step_free_entrance_where", sa.Text(), "char_length(step_free_entrance_where) <= 255"),
    ("toilets_grab_rails", sa.String(length=16), "toilets_grab_rails IN ('yes', 'no')"),
    ("toilets_turning_space", sa.String(length=16), "toilets_turning_space IN ('yes', 'no')"),
    ("toilets_door_width", sa.SmallInteger(), "toilets_door_width BETWEEN 30 AND 300"),
    ("parking_disabled", sa.String(length=16), "parking_disabled IN ('yes', 'no')"),
    ("hearing_loop", sa.String(length=16), "hearing_loop IN ('yes', 'no', 'limited')"),
]


def _replace_check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    op.create_check_constraint(name, table, condition)


def upgrade() -> None:
    for name, type_, condition in COLUMNS:
        op.add_column("places", sa.Column(name, type_, nullable=True))
        op.create_check_constraint(name, "places", condition)
    _replace_check("submissions", "kind", KINDS_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM submissions WHERE kind = 'details'")
    _replace_check("submissions", "kind", KINDS_BEFORE)
    for name, _type, _condition in reversed(COLUMNS):
        op.drop_column("places", name)

