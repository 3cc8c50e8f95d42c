"""Absolute URLs for links that leave the page (OGC API links, examples on the data page), and safe local
redirect targets.

Built from PUBLIC_URL when it is set, so a Host header sent by a client (or rewritten by a proxy) never
decides where StepFree's links point; otherwise from the request, as Flask does.
"""

from urllib.parse import urlsplit

from flask import current_app, request, url_for


def external_url(endpoint: str, **values) -> str:
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    if public:
        return public + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def external_request_url() -> str:
    """This request's own URL, query string included."""
    public = current_app.config["PUBLIC_URL"].rstrip("/")
    if public:
        return public + request.script_root + request.full_path.rstrip("?")
    return request.url


def safe_next(target: str | None) -> str:
    """Only follow a local path, never another host (open redirect).

    Browsers read a backslash as a slash (`/\\evil.example` is `//evil.example`) and drop tabs and newlines
    inside URLs, so a target holding any of them is refused rather than checked.
    """
    if (target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc
            and not any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        return target
    return url_for("pages.index")
