"""What StepFree keeps about its OpenStreetMap data between a full import and the diffs that follow it
(migration 0012; app/services/osm_diff.py and osm_replication.py write it)."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class OsmReplication(Base):
    """The one row saying how fresh the OSM data is and which node index file belongs to this database."""

    __tablename__ = "osm_replication"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=1)
    imported_file: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The replication source followed (a URL); sequence and data_timestamp: the last diff applied, or the
    # extract's own replication header after an import.
    source: Mapped[str | None] = mapped_column(Text)
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    data_timestamp: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_update_file: Mapped[str | None] = mapped_column(Text)
    node_index_token: Mapped[str | None] = mapped_column(Text)
    # How many objects with a category key the last full import read (migration 0017): the progress length of the
    # next import of the same extract.
    candidates: Mapped[int | None] = mapped_column(BigInteger)


class OsmNodeOverlay(Base):
    """A node location a diff changed since the import (x, y in 1e-7 degrees; NULL: the node was deleted)."""

    __tablename__ = "osm_node_overlay"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    x: Mapped[int | None] = mapped_column(Integer)
    y: Mapped[int | None] = mapped_column(Integer)


class OsmWay(Base):
    """A way that is or could become a place, or a member way of such a relation: its node list and tags."""

    __tablename__ = "osm_ways"
    __table_args__ = (Index("ix_osm_ways_nodes", "nodes", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    nodes: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    tags: Mapped[dict] = mapped_column(JSONB)
    # OSM's version of the way (migration 0015; NULL until the first import or diff after it).
    version: Mapped[int | None] = mapped_column(Integer)


class OsmRelation(Base):
    """A relation that is or could become a place: its members ([type, ref, role]) and tags."""

    __tablename__ = "osm_relations"
    __table_args__ = (Index("ix_osm_relations_member_ways", "member_ways", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    members: Mapped[list] = mapped_column(JSONB)
    member_ways: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    tags: Mapped[dict] = mapped_column(JSONB)
    version: Mapped[int | None] = mapped_column(Integer)


class OsmNode(Base):
    """A node that is a place, as OSM has it: what an osmChange <modify> of it must carry (migration 0015)."""

    __tablename__ = "osm_nodes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer)
    tags: Mapped[dict] = mapped_column(JSONB)
    # The location in 1e-7 degrees, as OSM stores it: written back exactly.
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)


class OsmUpstreamHold(Base):
    """A place whose changes a moderator holds back from OpenStreetMap, and why (app/services/osm_upstream.py)."""

    __tablename__ = "osm_upstream_holds"

    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), primary_key=True, autoincrement=False)
    reason: Mapped[str] = mapped_column(String(500))
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
