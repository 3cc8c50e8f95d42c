"""Absolute URLs for links that leave the page (OGC API links, examples on the data page).

Built from PUBLIC_URL when it is set, so a Host header sent by a client (or rewritten by a proxy) never
decides where StepFree's links point; otherwise from the request, as Flask does.
"""

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
