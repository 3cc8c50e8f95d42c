import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, in_list

# organiser: runs mapping events (moderators and admins may too).
ROLES = ("volunteer", "organiser", "moderator", "admin")


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_list("role", ROLES), name="role"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="volunteer", server_default="volunteer")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    banned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ban_reason: Mapped[str | None] = mapped_column(String(500))
    # Opt-in: only then does the display name appear on public pages (leaderboards, histories); else "a volunteer".
    public_name: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The language chosen in the menu (a catalog's code), or None: then the cookie and the browser decide.
    locale: Mapped[str | None] = mapped_column(String(16))
    # Part of every session cookie; a new token ends all sessions issued with the old one.
    session_token: Mapped[str] = mapped_column(
        String(64), default=new_session_token, server_default=text("replace(gen_random_uuid()::text, '-', '')"))

    def get_id(self) -> str:
        """What the session cookie stores: the account and its current session token."""
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def may_organise(self) -> bool:
        return self.role in ("organiser", "moderator", "admin")

    @property
    def public_label(self) -> str | None:
        """The name public pages may show, or None when the volunteer stays anonymous (the default)."""
        return self.display_name if self.public_name else None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class DeviceBan(Base):
    """A ban of an anonymous device token; only the token's hash is ever stored."""

    __tablename__ = "device_bans"

    device_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    banned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
