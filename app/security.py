"""Security headers on every answer, and the proxy setting that decides whose address a request comes from.

One small after_request rather than Flask-Talisman: the policy depends on one setting (the tile server),
it is a handful of headers we want to read in one place, and Talisman's other features (forcing HTTPS,
cookie flags) overlap with settings StepFree already has, where a second source of truth would drift.
"""

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

HSTS_SECONDS = 365 * 24 * 3600


def content_security_policy(tile_url: str) -> str:
    """Scripts, styles and requests only from this site; images also from the tile server; no framing."""
    images = ["'self'", "data:"]
    tile_origin = _origin(tile_url)
    if tile_origin:
        images.append(tile_origin)
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "worker-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute URL template; None for a relative one (served from this site)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    # Leaflet's {s} stands for the subdomains a, b, c: allow them with a wildcard.
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def init_security(app: Flask) -> None:
    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies:
        # Behind N proxies, the client is the address the outermost one saw; never trust more hops than that.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    policy = content_security_policy(app.config["TILE_URL"])

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "geolocation=(self), camera=(self), microphone=()"
        if request.is_secure:
            headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
        return response
