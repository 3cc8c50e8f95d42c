from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from geoalchemy2.shape import to_shape
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list
from geo.fields import COLUMN_FIELDS, DETAIL_FIELDS, FIELDS, Field
from geo.vocabulary import DESCRIPTION_MAX, OSM_TYPES

PLACE_SOURCES = ("osm", "volunteer", "demo")
SEARCH_TEXT = ("coalesce(name, '') || ' ' || coalesce(address ->> 'street', '') || ' ' || "
               "coalesce(address ->> 'housenumber', '') || ' ' || coalesce(address ->> 'place', '') || ' ' || "
               "coalesce(address ->> 'postcode', '') || ' ' || coalesce(address ->> 'city', '')")


def _detail_check(field: Field) -> CheckConstraint:
    """The CHECK a detail column carries (NULL, unknown, always passes), from its field's table entry."""
    if field.type == "choice":
        condition = in_list(field.key, field.choices)
    elif field.type == "text":
        condition = f"char_length({field.key}) <= {field.max_length}"
    else:
        condition = f"{field.key} BETWEEN {field.minimum} AND {field.maximum}"
    return CheckConstraint(condition, name=field.key)


class Place(Base):
    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(in_list("wheelchair", FIELDS["wheelchair"].choices), name="wheelchair"),
        CheckConstraint(in_list("toilets_wheelchair", FIELDS["toilets_wheelchair"].choices), name="toilets_wheelchair"),
        CheckConstraint(f"char_length(description) <= {DESCRIPTION_MAX}", name="description_length"),
        CheckConstraint(in_list("category", FIELDS["category"].choices), name="category"),
        CheckConstraint(in_list("source", PLACE_SOURCES), name="source"),
        CheckConstraint(f"osm_type IS NULL OR {in_list('osm_type', OSM_TYPES)}", name="osm_type"),
        CheckConstraint("(osm_type IS NULL) = (osm_id IS NULL)", name="osm_identity_complete"),
        CheckConstraint("char_length(btrim(name)) > 0", name="name_not_blank"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("merged_into_id <> id", name="not_merged_into_itself"),
        *(_detail_check(FIELDS[key]) for key in DETAIL_FIELDS),
        UniqueConstraint("osm_type", "osm_id", name="uq_places_osm_identity"),
        Index("ix_places_geom", "geom", postgresql_using="gist"),
        Index("ix_places_updated_at", "updated_at"),
        # Possible duplicates look up volunteers' places only (app/services/duplicates.py).
        Index("ix_places_volunteer_geom", "geom", postgresql_using="gist",
              postgresql_where=text("source = 'volunteer'")),
        CheckConstraint("jsonb_typeof(address) = 'object'", name="address_is_object"),
        # Name search is a case-insensitive substring match (ILIKE '%...%') of the name and the address: a
        # trigram index serves it.
        Index("ix_places_search_text_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    # NULL for places whose kind rarely has a name (toilets, elevators, parking, platforms): pages label them by
    # their category (place_label).
    name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    wheelchair: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    toilets_wheelchair: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    # Text with a CHECK on characters, so the limit is the same 255 characters the API and OSM use.
    description: Mapped[str | None] = mapped_column(Text)
    # The details (geo/fields.py DETAIL_FIELDS): NULL when nobody knows; lengths in whole centimetres.
    step_count: Mapped[int | None] = mapped_column(SmallInteger)
    step_height: Mapped[int | None] = mapped_column(SmallInteger)
    ramp: Mapped[str | None] = mapped_column(String(16))
    door_width: Mapped[int | None] = mapped_column(SmallInteger)
    automatic_door: Mapped[str | None] = mapped_column(String(16))
    step_free_entrance: Mapped[str | None] = mapped_column(String(16))
    step_free_entrance_where: Mapped[str | None] = mapped_column(Text)
    toilets_grab_rails: Mapped[str | None] = mapped_column(String(16))
    toilets_turning_space: Mapped[str | None] = mapped_column(String(16))
    toilets_door_width: Mapped[int | None] = mapped_column(SmallInteger)
    parking_disabled: Mapped[str | None] = mapped_column(String(16))
    hearing_loop: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="volunteer", server_default="volunteer")
    osm_type: Mapped[str | None] = mapped_column(String(8))
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    # The OSM object's addr:* tags without the prefix ({"street": ..., "housenumber": ...}); NULL when none.
    address: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    # What name search matches: the name and the address (kept by PostgreSQL).
    search_text: Mapped[str | None] = mapped_column(Text, Computed(SEARCH_TEXT, persisted=True))
    # The OSM values the last import saw, for a three-way merge on the next import.
    osm_seen: Mapped[dict | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A volunteer's place merged into the OSM place it duplicated (app/services/duplicates.py); it is hidden too.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))

    @property
    def is_published(self) -> bool:
        return self.hidden_at is None and self.gone_at is None

    def snapshot(self) -> dict:
        """The place's values as a revision records them (geo.fields.PLACE_FIELDS), JSON-ready."""
        point = to_shape(self.geom)
        return {**{key: getattr(self, key) for key in COLUMN_FIELDS},
                "lon": round(point.x, 7), "lat": round(point.y, 7),
                "hidden": self.hidden_at is not None, "gone": self.gone_at is not None}


class PlaceGridCell(Base):
    """Counts of published places per grid cell, category and status, as of the last fold.

    Cell side at `level` is GRID_BASE · 2^level degrees, and a level-L cell index is the level-0 index >> L.
    The map's clusters read this plus the PlaceGridDelta rows not folded yet (app/services/grid.py).
    """

    __tablename__ = "place_grid"
    __table_args__ = (
        PrimaryKeyConstraint("level", "cx", "cy", "category", "wheelchair",
                             postgresql_include=["n", "sum_lon", "sum_lat"]),
    )

    level: Mapped[int] = mapped_column(SmallInteger)
    cx: Mapped[int]
    cy: Mapped[int]
    category: Mapped[str] = mapped_column(String(32))
    wheelchair: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]
    sum_lon: Mapped[float] = mapped_column(Float)
    sum_lat: Mapped[float] = mapped_column(Float)


class PlaceGridDelta(Base):
    """One statement's change to a level-0 grid cell, appended by a trigger on places; folded into place_grid.

    Appending rather than updating shared counts means concurrent writers never wait on each other here.
    """

    __tablename__ = "place_grid_delta"
    __table_args__ = (Index("ix_place_grid_delta_cx_cy", "cx", "cy"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    cx: Mapped[int]
    cy: Mapped[int]
    category: Mapped[str] = mapped_column(String(32))
    wheelchair: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]
    sum_lon: Mapped[float] = mapped_column(Float)
    sum_lat: Mapped[float] = mapped_column(Float)


GRID_BASE = 0.005
GRID_LEVELS = 8
