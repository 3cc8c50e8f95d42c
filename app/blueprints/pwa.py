"""The service worker, served from the site's root so that it may control every page.

It is rendered rather than served as a static file: the list of files to keep for offline use carries the
content hashes of app/static_files.py, and its build id is derived from them. A release that changes any of
those files changes the worker's bytes, which is what makes a browser install the new worker (and its
activate handler drop the old caches), so a phone never stays on a stale copy of the app.
"""

import hashlib

from flask import Blueprint, Response, current_app, render_template, url_for

from app.i18n import catalog_version

bp = Blueprint("pwa", __name__)

# What the map needs to open without a connection: the files the map page loads, so installing from it finds
# them in the browser's HTTP cache. Each URL carries its content hash (?v=...).
SHELL_FILES = (
    "css/stepfree.css", "css/map.css", "css/offline.css",
    "vendor/leaflet/leaflet.css", "vendor/leaflet/leaflet.js",
    "js/i18n.js", "js/site.js", "js/pwa.js", "js/outbox.js", "js/offline.js", "js/freshness.js", "js/map.js",
    "icons/icon-192.png",
)


@bp.get("/sw.js")
def service_worker():
    """The worker script, never kept by a cache, allowed to control the whole site."""
    # The scripts' words in every language (a few kB each): whichever the phone shows, it has them offline.
    words = [url_for("language.script_words", code=code, v=catalog_version(code))
             for code in current_app.extensions["stepfree_locales"]]
    shell = ["/"] + [url_for("static", filename=name) for name in SHELL_FILES] + words
    # The worker's own source counts too: a change to its strategy must also start from fresh caches.
    source, _, _ = current_app.jinja_env.loader.get_source(current_app.jinja_env, "sw.js")
    build = hashlib.sha256("\n".join([source, *shell]).encode()).hexdigest()[:12]
    script = render_template("sw.js", build=build, shell=shell)
    response = Response(script, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
