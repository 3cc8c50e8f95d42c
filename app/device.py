"""The anonymous device token: a random value in a cookie that groups an anonymous visitor's submissions.

The token is created on first need and sent back in a long-lived, HttpOnly cookie. Only its SHA-256 hash
reaches the database; it is never shown in any public output.
"""

import re
import secrets

from flask import Flask, g, request
from flask_login import current_user

from app.services.submissions import Submitter, hash_device_token

COOKIE = "stepfree_device"
MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetime at 400 days
_VALID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def device_token(create: bool = True) -> str | None:
    """This visitor's device token, creating one (sent back as a cookie) if it has none yet."""
    token = request.cookies.get(COOKIE)
    if token and _VALID.match(token):
        return token
    if "new_device_token" in g:
        return g.new_device_token
    if not create:
        return None
    g.new_device_token = secrets.token_urlsafe(32)
    return g.new_device_token


def device_hash(create: bool = False) -> str | None:
    token = device_token(create=create)
    return hash_device_token(token) if token else None


def current_submitter() -> Submitter:
    user = current_user if current_user.is_authenticated else None
    return Submitter.for_device_token(user, device_token())


def current_volunteer() -> Submitter:
    """Who is looking at their own things: the signed-in account, else this device (neither: no cookie yet).
    Reading never creates a device cookie."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return Submitter.for_device_token(user, None if user else device_token(create=False))


def rate_limit_key() -> str:
    """Rate limits count per account when signed in, else per device token."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"device:{device_hash(create=True)}"


def init_device_cookie(app: Flask) -> None:
    @app.after_request
    def set_device_cookie(response):
        token = g.pop("new_device_token", None)
        if token is not None:
            response.set_cookie(COOKIE, token, max_age=MAX_AGE, httponly=True, samesite="Lax",
                                secure=request.is_secure or app.config["SESSION_COOKIE_SECURE"])
        return response
