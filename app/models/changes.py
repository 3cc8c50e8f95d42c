"""The change feed's log: one row per public change of a place (migration 0016 writes it by trigger;
app/queries/changes.py reads it)."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Integer, String, func, text
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from app.models.base import Base, in_list

CHANGE_ACTIONS = ("created", "changed", "hidden", "gone", "restored")


class Xid8(UserDefinedType):
    """PostgreSQL's 64-bit transaction id (it never wraps around): which transaction wrote a change."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "xid8"


ischema_names["xid8"] = Xid8  # so that reflection (the migration test, autogenerate) knows the type


class PlaceChange(Base):
    __tablename__ = "place_changes"
    __table_args__ = (
        CheckConstraint(in_list("action", CHANGE_ACTIONS), name="action"),
    )

    # The primary key is the feed's order, (transaction, id), and its only index: an import writes a row per place.
    xid: Mapped[int] = mapped_column(Xid8, primary_key=True, server_default=text("pg_current_xact_id()"))
    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # No foreign key: a deleted place's removal must still reach data users (migration 0016).
    place_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
