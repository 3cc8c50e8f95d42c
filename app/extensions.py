"""Flask extensions, created unbound here and bound to an app in create_app."""

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

csrf = CSRFProtect()


def client_address() -> str:
    """The client's address as the app sees it (the proxy's client when TRUSTED_PROXY_COUNT is set)."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


@limiter.request_filter
def _reads_are_not_limited() -> bool:
    # Only submissions are rate-limited; skipping the check keeps map reads cheap.
    return request.method in ("GET", "HEAD", "OPTIONS")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, minus the signer Flask builds for every request, even one without a
    session cookie (most map and API reads): a new empty session needs no signature checked."""

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
