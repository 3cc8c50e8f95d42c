"""What brings volunteers back: peer votes on applied changes, places a volunteer cannot tell about, notices
of verdicts, and mapping events with their participants.

A volunteer is either an account (`user_id`) or an anonymous device (`device_hash`, the SHA-256 of its cookie
token); the tables that record a volunteer carry exactly one of the two.
"""

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list

ONE_VOLUNTEER = "(user_id IS NULL) <> (device_hash IS NULL)"
NOTICE_VERDICTS = ("approved", "rejected")


class Vote(Base):
    """A signed-in volunteer's agreement or disagreement with an applied change (a revision)."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("revision_id", "voter_id", name="uq_votes_revision_voter"),
        Index("ix_votes_voter_id", "voter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agrees: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CheckSkip(Base):
    """"Can't tell": the volunteer is not offered this place again in /check."""

    __tablename__ = "check_skips"
    __table_args__ = (
        CheckConstraint(ONE_VOLUNTEER, name="one_volunteer"),
        Index("ux_check_skips_user", "user_id", "place_id", unique=True, postgresql_where=text("user_id IS NOT NULL")),
        Index("ux_check_skips_device", "device_hash", "place_id", unique=True,
              postgresql_where=text("device_hash IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Notice(Base):
    """An in-app message to a volunteer about a verdict on one of their submissions."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(ONE_VOLUNTEER, name="one_volunteer"),
        CheckConstraint(in_list("verdict", NOTICE_VERDICTS), name="verdict"),
        Index("ix_notices_user_id_created_at", "user_id", "created_at"),
        Index("ix_notices_device_hash_created_at", "device_hash", "created_at"),
        Index("ix_notices_unread_user", "user_id", postgresql_where=text("read_at IS NULL")),
        Index("ix_notices_unread_device", "device_hash", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MappingEvent(Base):
    """A mapping event: an area, a time window and a goal (the share of places with a known status)."""

    __tablename__ = "mapping_events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("goal_known_pct BETWEEN 1 AND 100", name="goal_range"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'", name="slug_format"),
        CheckConstraint("char_length(btrim(name)) > 0", name="name_not_blank"),
        Index("ix_mapping_events_area", "area", postgresql_using="gist"),
        Index("ix_mapping_events_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(1000))
    area: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    goal_known_pct: Mapped[int] = mapped_column(SmallInteger, default=80, server_default="80")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EventParticipant(Base):
    """Someone who joined a mapping event: an account or an anonymous device."""

    __tablename__ = "event_participants"
    __table_args__ = (
        CheckConstraint(ONE_VOLUNTEER, name="one_volunteer"),
        Index("ux_event_participants_user", "event_id", "user_id", unique=True,
              postgresql_where=text("user_id IS NOT NULL")),
        Index("ux_event_participants_device", "event_id", "device_hash", unique=True,
              postgresql_where=text("device_hash IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("mapping_events.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
