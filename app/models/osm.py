"""What StepFree keeps about its OpenStreetMap data between a full import and the diffs that follow it
(migration 0012; app/services/osm_diff.py and osm_replication.py write it)."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, SmallInteger, Text
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


class OsmRelation(Base):
    """A relation that is or could become a place: its members ([type, ref, role]) and tags."""

    __tablename__ = "osm_relations"
    __table_args__ = (Index("ix_osm_relations_member_ways", "member_ways", postgresql_using="gin"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    members: Mapped[list] = mapped_column(JSONB)
    member_ways: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    tags: Mapped[dict] = mapped_column(JSONB)
