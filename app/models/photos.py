from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, SmallInteger, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list
from app.photos import THUMB_EDGE
from geo.vocabulary import PHOTO_LICENCES, PHOTO_REMOVAL_REASONS, PHOTO_SUBJECTS

NAME_PATTERN = "^[0-9a-f]{64}[.]jpg$"


class Photo(Base):
    """A photo of a place: the names of its files in the photo store (app/photos.py), never the image itself.

    It is sent as a `photo` submission and shown once that is approved; a moderator may remove it later (the
    files are deleted then, the row stays as the record of what was shown and why it went). A photo that was
    not accepted has its files deleted by `flask photos prune` once its decision can no longer be undone.
    """

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint(in_list("subject", PHOTO_SUBJECTS), name="subject"),
        CheckConstraint(in_list("licence", PHOTO_LICENCES), name="licence"),
        CheckConstraint(f"name ~ '{NAME_PATTERN}' AND thumbnail ~ '{NAME_PATTERN}'", name="content_names"),
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint(f"removed_reason IS NULL OR {in_list('removed_reason', PHOTO_REMOVAL_REASONS)}",
                        name="removed_reason"),
        CheckConstraint("(removed_at IS NULL) = (removed_reason IS NULL)", name="removal_complete"),
        CheckConstraint("char_length(credit) <= 80", name="credit_length"),
        Index("ix_photos_place_id", "place_id"),
        Index("ix_photos_submission_id", "submission_id", unique=True),
        # The media route finds a photo by either file's name.
        Index("ix_photos_name", "name"),
        Index("ix_photos_thumbnail", "thumbnail"),
        Index("ix_photos_shown", "place_id", postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    name: Mapped[str] = mapped_column(String(68))
    thumbnail: Mapped[str] = mapped_column(String(68))
    width: Mapped[int] = mapped_column(SmallInteger)
    height: Mapped[int] = mapped_column(SmallInteger)
    subject: Mapped[str] = mapped_column(String(16))
    licence: Mapped[str] = mapped_column(String(16))
    # The author's public name when they chose to show it, else NULL ("StepFree contributors").
    credit: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_reason: Mapped[str | None] = mapped_column(String(16))
    removed_note: Mapped[str | None] = mapped_column(String(500))

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        """The thumbnail's width and height (the photo scaled to a long edge of THUMB_EDGE), for <img> sizes."""
        scale = min(1.0, THUMB_EDGE / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))
