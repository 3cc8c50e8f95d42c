"""OpenStreetMap coverage (issue 15): unnamed places, their addresses, and the elevator category

- `name` may be NULL: toilets, elevators, parking and platforms rarely have one in OSM, yet matter most to
  wheelchair users; pages label them by their category.
- `address`: the object's addr:* tags (without the prefix), as OSM has them.
- `search_text`: what name search matches (the name and the address), kept by PostgreSQL, with a trigram
  index in place of the name's.
- `elevator` joins the categories.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CATEGORIES_BEFORE = ("'food', 'shopping', 'health', 'education', 'accommodation', 'leisure', 'culture', 'sport', "
                     "'public_transport', 'government', 'money_post', 'toilets', 'religion', 'parking', 'other'")
CATEGORIES_AFTER = CATEGORIES_BEFORE.replace("'parking', ", "'parking', 'elevator', ")
SEARCH_TEXT = ("coalesce(name, '') || ' ' || coalesce(address ->> 'street', '') || ' ' || "
               "coalesce(address ->> 'housenumber', '') || ' ' || coalesce(address ->> 'place', '') || ' ' || "
               "coalesce(address ->> 'postcode', '') || ' ' || coalesce(address ->> 'city', '')")


def upgrade() -> None:
    op.alter_column("places", "name", existing_type=sa.String(length=200), nullable=True)
    op.add_column("places", sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_check_constraint("address_is_object", "places", "jsonb_typeof(address) = 'object'")
    op.add_column("places", sa.Column("search_text", sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True),
                                      nullable=True))
    op.drop_index("ix_places_name_trgm", table_name="places")
    op.create_index("ix_places_search_text_trgm", "places", ["search_text"], postgresql_using="gin",
                    postgresql_ops={"search_text": "gin_trgm_ops"})
    op.drop_constraint(op.f("ck_places_category"), "places", type_="check")
    op.create_check_constraint("category", "places", f"category IN ({CATEGORIES_AFTER})")


def downgrade() -> None:
    op.execute("UPDATE places SET category = 'other' WHERE category = 'elevator'")
    op.drop_constraint(op.f("ck_places_category"), "places", type_="check")
    op.create_check_constraint("category", "places", f"category IN ({CATEGORIES_BEFORE})")
    op.drop_index("ix_places_search_text_trgm", table_name="places")
    op.create_index("ix_places_name_trgm", "places", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})
    op.drop_column("places", "search_text")
    op.drop_constraint(op.f("ck_places_address_is_object"), "places", type_="check")
    op.drop_column("places", "address")
    # Unnamed places get their category's name back.
    op.execute("UPDATE places SET name = initcap(replace(category, '_', ' ')) WHERE name IS NULL")
    op.alter_column("places", "name", existing_type=sa.String(length=200), nullable=False)
