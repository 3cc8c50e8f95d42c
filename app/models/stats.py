"""Rollups of the public statistics and of the moderation queue's counts; written only by database triggers.

Migration 0006 defines them and the triggers that keep them exact. Counters carry a `shard` (the writing
connection's pg_backend_pid() % 8) so concurrent writers add to different rows: read them with sum(...) over
the shards. A shard's value may be negative; only the sum is a count.
"""

from datetime import date

from sqlalchemy import Date, Integer, PrimaryKeyConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

# The side of the cells that /stats reports coverage by area in, in degrees (as migration 0006 has it).
AREA_DEGREES = 0.5


class PlaceCount(Base):
    """Published places by category and wheelchair status."""

    __tablename__ = "stats_places"
    __table_args__ = (PrimaryKeyConstraint("category", "wheelchair", "shard"),)

    category: Mapped[str] = mapped_column(String(32))
    wheelchair: Mapped[str] = mapped_column(String(16))
    shard: Mapped[int] = mapped_column(SmallInteger)
    n: Mapped[int] = mapped_column(Integer)


class AreaCount(Base):
    """Published places, and those with a known status, per cell of AREA_DEGREES (cx, cy: the cell's index)."""

    __tablename__ = "stats_areas"
    __table_args__ = (PrimaryKeyConstraint("cx", "cy", "shard"),)

    cx: Mapped[int] = mapped_column(Integer)
    cy: Mapped[int] = mapped_column(Integer)
    shard: Mapped[int] = mapped_column(SmallInteger)
    places: Mapped[int] = mapped_column(Integer)
    known: Mapped[int] = mapped_column(Integer)


class CoverageWeek(Base):
    """How the number of published places, and of known ones, changed in an ISO week (Monday, UTC)."""

    __tablename__ = "stats_coverage_weekly"
    __table_args__ = (PrimaryKeyConstraint("week", "shard"),)

    week: Mapped[date] = mapped_column(Date)
    shard: Mapped[int] = mapped_column(SmallInteger)
    places: Mapped[int] = mapped_column(Integer)
    known: Mapped[int] = mapped_column(Integer)


class ContributionWeek(Base):
    """Volunteers' submissions of a kind made in an ISO week."""

    __tablename__ = "stats_contributions_weekly"
    __table_args__ = (PrimaryKeyConstraint("week", "kind", "shard"),)

    week: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    shard: Mapped[int] = mapped_column(SmallInteger)
    n: Mapped[int] = mapped_column(Integer)


class PendingCount(Base):
    """Pending submissions of a kind: the moderation queue's counts."""

    __tablename__ = "stats_pending"
    __table_args__ = (PrimaryKeyConstraint("kind", "shard"),)

    kind: Mapped[str] = mapped_column(String(16))
    shard: Mapped[int] = mapped_column(SmallInteger)
    n: Mapped[int] = mapped_column(Integer)


class LatencyMinute(Base):
    """Moderators' decisions made in an ISO week after waiting `minutes` whole minutes."""

    __tablename__ = "stats_latency"
    __table_args__ = (PrimaryKeyConstraint("week", "minutes", postgresql_include=["n"]),)

    week: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)


class LatencyHour(Base):
    """The same decisions by whole hours waited: where to look in the minutes for a percentile."""

    __tablename__ = "stats_latency_hours"
    __table_args__ = (PrimaryKeyConstraint("week", "hours", postgresql_include=["n"]),)

    week: Mapped[date] = mapped_column(Date)
    hours: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
