"""Accounts: registration, sign-in checks, roles and bans."""

import re
import secrets
from functools import cache

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.models import ROLES, User
from app.models.base import utcnow
from app.services.audit import record_event

# scrypt, werkzeug's memory-hard default, with its parameters spelled out so they never drift silently.
PASSWORD_METHOD = "scrypt:32768:8:1"
PASSWORD_MIN = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def validate_new_account(email: str, password: str, display_name: str) -> None:
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationError(_("Enter a valid email address, like name@example.org."), "email")
    if len(password) < PASSWORD_MIN:
        raise ValidationError(ngettext("The password must have at least %(num)s character.",
                                       "The password must have at least %(num)s characters.", PASSWORD_MIN), "password")
    if not display_name.strip() or len(display_name) > 80:
        raise ValidationError(_("Enter a display name of 1 to 80 characters."), "display_name")


def _unknown_role(role: str) -> str:
    return _("Unknown role '%(role)s'; use one of %(roles)s.", role=role, roles=", ".join(ROLES))


def create_user(session: Session, email: str, password: str, display_name: str | None = None,
                role: str = "volunteer") -> User:
    """Create an account; the email must be unused and the password long enough."""
    email = normalise_email(email)
    display_name = (display_name or email.split("@")[0]).strip()
    validate_new_account(email, password, display_name)
    if role not in ROLES:
        raise ValidationError(_unknown_role(role), "role")
    # Hash first, so a taken address answers in the same time as a free one.
    password_hash = hash_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_("An account with this email address already exists. Sign in instead."), "email")
    user = User(email=email, password_hash=password_hash, display_name=display_name, role=role)
    session.add(user)
    session.flush()
    return user


@cache
def _unknown_account_hash() -> str:
    """A hash to check passwords against when no account has the email, made once per process."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose email and password match, or None.

    Exactly one password check runs either way, so the time taken does not reveal whether the email exists.
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    matches = check_password_hash(user.password_hash if user else _unknown_account_hash(), password)
    return user if user is not None and matches else None


def change_password(session: Session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; every other session of the account ends."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationError(_("The current password is wrong."), "current_password")
    if len(new or "") < PASSWORD_MIN:
        raise ValidationError(ngettext("The new password must have at least %(num)s character.",
                                       "The new password must have at least %(num)s characters.", PASSWORD_MIN),
                              "new_password")
    user.password_hash = hash_password(new)
    user.end_all_sessions()
    session.flush()
    return user


def set_public_name(session: Session, user: User, public: bool) -> User:
    """Choose whether public pages (leaderboards, place histories) show the display name; the default is no."""
    user.public_name = bool(public)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no user %(id)s.", id=user_id))
    return user


def set_role(session: Session, actor: User | None, user: User, role: str) -> User:
    """Change a user's role and record it in the audit log."""
    if role not in ROLES:
        raise ValidationError(_unknown_role(role), "role")
    if actor is not None and actor.id == user.id and role != "admin":
        raise Forbidden(_("You cannot remove your own admin role; ask another admin."), "role")
    if user.role == role:
        return user
    before = user.role
    user.role = role
    record_event(session, actor, "role_change", target_user_id=user.id, details={"from": before, "to": role})
    return user


def ban_user(session: Session, actor: User | None, user: User, reason: str) -> User:
    """Ban an account: it is signed out and can no longer submit. Idempotent."""
    if actor is not None and actor.id == user.id:
        raise Forbidden(_("You cannot ban yourself."), "user")
    if user.is_banned:
        return user
    user.banned_at = utcnow()
    user.ban_reason = (reason or "").strip()[:500] or None
    user.end_all_sessions()
    record_event(session, actor, "ban", target_user_id=user.id, reason=user.ban_reason)
    return user


def unban_user(session: Session, actor: User | None, user: User) -> User:
    if not user.is_banned:
        return user
    user.banned_at = None
    user.ban_reason = None
    record_event(session, actor, "unban", target_user_id=user.id)
    return user


def count_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin")) or 0


def generate_password() -> str:
    return secrets.token_urlsafe(15)
