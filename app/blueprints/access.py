"""Role checks for views: anonymous visitors are sent to sign in, signed-in users without the role get 403."""

from functools import wraps

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import Forbidden
from app.extensions import login_manager

# Each role may do what the roles below it may: an organiser runs mapping events, a moderator also decides.
ROLE_RANK = {"volunteer": 0, "organiser": 1, "moderator": 2, "admin": 3}


def holds(user, role: str) -> bool:
    """Whether `user` (current_user) is signed in, not banned, and holds `role` or a higher one."""
    return user.is_authenticated and not user.is_banned and ROLE_RANK[user.role] >= ROLE_RANK[role]


def required_role(endpoint: str | None) -> str | None:
    """The role a view demands (set by role_required), or None."""
    return getattr(current_app.view_functions.get(endpoint or ""), "required_role", None)


def _only_for(role: str) -> str:
    """Who a page is for, as one whole sentence per role (translators see each one)."""
    sentences = {"volunteer": _("This page is for volunteers only."),
                 "organiser": _("This page is for organisers only."),
                 "moderator": _("This page is for moderators only."),
                 "admin": _("This page is for admins only.")}
    return sentences[role]


def role_required(role: str):
    """Allow the view only to signed-in users holding `role` or a higher one."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.is_banned:
                raise Forbidden(_("This account is banned."), code="banned")
            if ROLE_RANK[current_user.role] < ROLE_RANK[role]:
                raise Forbidden(_only_for(role))
            return view(*args, **kwargs)
        wrapped.required_role = role
        return wrapped
    return decorator
