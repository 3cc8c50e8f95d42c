from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list
from geo.fields import SUBMISSION_KINDS
from geo.vocabulary import REJECT_REASONS

# The kinds and the fields each carries: geo/fields.py.
# volunteer: sent by a person (signed in or an anonymous device); import: a conflict the OSM importer raised;
# vote: a value that enough volunteers disagreed with, reopened for a moderator (a report naming the revision).
SUBMISSION_ORIGINS = ("volunteer", "import", "vote")
SUBMISSION_STATES = ("pending", "approved", "rejected", "superseded", "withdrawn")
TERMINAL_STATES = ("approved", "rejected", "superseded", "withdrawn")


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint(in_list("kind", SUBMISSION_KINDS), name="kind"),
        CheckConstraint(in_list("state", SUBMISSION_STATES), name="state"),
        CheckConstraint(f"reason_code IS NULL OR {in_list('reason_code', REJECT_REASONS)}", name="reason_code"),
        CheckConstraint("state <> 'rejected' OR reason_code IS NOT NULL", name="rejection_has_reason"),
        CheckConstraint(in_list("origin", SUBMISSION_ORIGINS), name="origin"),
        CheckConstraint("origin <> 'volunteer' OR author_id IS NOT NULL OR device_hash IS NOT NULL", name="has_author"),
        CheckConstraint("kind = 'new_place' OR place_id IS NOT NULL", name="place_required"),
        CheckConstraint("(claimed_by_id IS NULL) = (claim_expires_at IS NULL)", name="claim_complete"),
        CheckConstraint("char_length(reason_note) <= 500", name="reason_note_length"),
        # The queue reads pending submissions oldest first; this index holds only those.
        Index("ix_submissions_pending_queue", "created_at", "id", postgresql_where=text("state = 'pending'")),
        Index("ix_submissions_place_id", "place_id"),
        Index("ix_submissions_author_id", "author_id"),
        # An author's record (trust) counts decided submissions only: this index holds just those.
        Index("ix_submissions_author_decided", "author_id", "state",
              postgresql_where=text("state IN ('approved', 'rejected')")),
        Index("ix_submissions_device_hash", "device_hash"),
        Index("ix_submissions_geom", "geom", postgresql_using="gist"),
        # One open dispute per change, however many more volunteers disagree.
        Index("ux_submissions_open_dispute", "revision_id", unique=True,
              postgresql_where=text("state = 'pending' AND revision_id IS NOT NULL")),
        # A possible duplicate is filed once per pair, whatever became of it (app/services/duplicates.py).
        Index("ux_submissions_duplicate_pair", "place_id", text("(proposed ->> 'duplicate_of')"), unique=True,
              postgresql_where=text("kind = 'duplicate'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    origin: Mapped[str] = mapped_column(String(16), default="volunteer", server_default="volunteer")
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    # The proposed values, keyed like Place fields (and for reports: problem and note).
    proposed: Mapped[dict] = mapped_column(JSONB)
    base_version: Mapped[int | None]
    # Where the change is: the place's point, or the proposed point of a new place. Lets the queue filter by area.
    geom: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason_code: Mapped[str | None] = mapped_column(String(16))
    reason_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # For a reopened value (origin vote): the applied change the volunteers disagreed with.
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id", use_alter=True))

    # Not stored: set when a volunteer's repeat updated this pending submission instead of adding another.
    updated_by_repeat = False

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES
