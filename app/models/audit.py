from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list

REVISION_SOURCES = ("moderation", "auto_approval", "correction", "import", "revert", "undo", "demo", "merge")
MODERATION_ACTIONS = (
    "claim", "release", "approve", "reject", "skip", "undo", "revert", "hide", "unhide", "dismiss",
    "correct", "ban", "unban", "role_change", "auto_approve", "import", "import_conflict", "reopen",
    "remove_photo", "merge", "hold_upstream", "release_upstream",
)


class Revision(Base):
    """One applied change to a place: the values before and after, who made it and from which submission."""

    __tablename__ = "revisions"
    __table_args__ = (
        CheckConstraint(in_list("source", REVISION_SOURCES), name="source"),
        UniqueConstraint("place_id", "version", name="uq_revisions_place_version"),
        # Partial: imports write a revision per place with neither (migration 0014). A place's revisions are read
        # in version order, through uq_revisions_place_version.
        Index("ix_revisions_submission_id", "submission_id", postgresql_where=text("submission_id IS NOT NULL")),
        Index("ix_revisions_actor_id", "actor_id", postgresql_where=text("actor_id IS NOT NULL")),
        Index("ix_revisions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    # The place's version after this change.
    version: Mapped[int]
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict] = mapped_column(JSONB)
    after: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Peer checks: how many signed-in volunteers agree and disagree with this change (kept with the votes).
    agree_count: Mapped[int] = mapped_column(default=0, server_default="0")
    disagree_count: Mapped[int] = mapped_column(default=0, server_default="0")


class ModerationEvent(Base):
    """Append-only audit log of moderator and admin actions; a database trigger refuses updates and deletes."""

    __tablename__ = "moderation_events"
    __table_args__ = (
        CheckConstraint(in_list("action", MODERATION_ACTIONS), name="action"),
        Index("ix_moderation_events_created_at", "created_at"),
        Index("ix_moderation_events_actor_id", "actor_id"),
        Index("ix_moderation_events_submission_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    target_device_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
