"""Versioned static URLs: every url_for('static', ...) carries a hash of the file's content.

A release that changes a script changes its URL, so browsers and caches in between never pair a new page
with an old cached script; and since a versioned URL always names the same bytes, it can be cached for a
year without asking again. Vendor files (Leaflet, copied at setup) get the same treatment.
"""

import hashlib
import os

from flask import Flask, Response, request
from werkzeug.security import safe_join

VERSION_ARG = "v"
VERSION_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
_EXTENSION = "stepfree_static_versions"


def init_static_files(app: Flask) -> None:
    """Add a content hash to static URLs and serve versioned requests with a long cache lifetime."""
    app.extensions[_EXTENSION] = {}

    @app.url_defaults
    def add_static_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and VERSION_ARG not in values and "filename" in values:
            version = static_version(app, values["filename"])
            if version is not None:
                values[VERSION_ARG] = version

    # An after_request hook rather than an override of send_static_file: it sees 304 answers too, needs no
    # change to the app class, and keeps the whole policy in this module. Only a request naming the file's
    # current hash may be kept for a year; any other (no v, an old release's v) is revalidated each time,
    # so a stale or unversioned URL is never pinned to bytes that may change.
    @app.after_request
    def static_cache_control(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code >= 400:
            return response
        offered = request.args.get(VERSION_ARG)
        current = bool(offered) and offered == static_version(app, (request.view_args or {}).get("filename", ""))
        # Replaces what SEND_FILE_MAX_AGE_DEFAULT would have set, Expires included.
        response.headers.pop("Expires", None)
        response.headers["Cache-Control"] = IMMUTABLE if current else "no-cache"
        return response


def static_version(app: Flask, filename: str) -> str | None:
    """The first hex digits of the file's SHA-256, computed once per file and process; None if it is missing."""
    versions: dict[str, str] = app.extensions[_EXTENSION]
    version = versions.get(filename)
    if version is None:
        path = safe_join(app.static_folder, filename) if app.static_folder else None
        if path is None or not os.path.isfile(path):
            return None  # not cached: a file copied in later (static/vendor at setup) still gets its hash
        with open(path, "rb") as file:
            version = hashlib.file_digest(file, "sha256").hexdigest()[:VERSION_LENGTH]
        versions[filename] = version
    return version


def clear_static_versions(app: Flask) -> None:
    """Forget the computed hashes, so changed files get new URLs (a new release does this by restarting)."""
    app.extensions[_EXTENSION].clear()
