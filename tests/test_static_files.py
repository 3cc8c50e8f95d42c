"""Static URLs carry a hash of the file's content; only a request with the current hash is cached for long."""

import hashlib
import re
from pathlib import Path

import pytest
from flask import url_for

from app.static_files import IMMUTABLE, clear_static_versions

STATIC_URL = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def _version_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


@pytest.fixture
def static_dir(app, tmp_path):
    """A static folder of the test's own, so a test can change a file's content."""
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "tool.js").write_text("console.log('one');\n")
    app.static_folder = str(tmp_path)
    return tmp_path


def test_static_urls_of_the_map_page_carry_the_content_hash(client, app):
    page = client.get("/").get_data(as_text=True)
    urls = STATIC_URL.findall(page)
    assert any("vendor/leaflet/leaflet.js" in u for u in urls) and any("js/map.js" in u for u in urls)
    for url in urls:
        path, _, query = url.partition("?")
        file = Path(app.static_folder) / path.removeprefix("/static/")
        assert query == f"v={_version_of(file)}", url


def test_changed_content_gets_a_new_url_in_a_new_process(app, static_dir):
    with app.test_request_context():
        first = url_for("static", filename="js/tool.js")
        (static_dir / "js" / "tool.js").write_text("console.log('two');\n")
        # Hashed once per process: a running process keeps the URL its pages already point to.
        assert url_for("static", filename="js/tool.js") == first
        clear_static_versions(app)  # as a restart with the new release does
        second = url_for("static", filename="js/tool.js")
    assert second != first
    assert second == f"/static/js/tool.js?v={_version_of(static_dir / 'js' / 'tool.js')}"


def test_missing_file_gets_no_version(app, static_dir):
    with app.test_request_context():
        assert url_for("static", filename="js/nothing.js") == "/static/js/nothing.js"
        assert url_for("static", filename="../secret.txt") == "/static/../secret.txt"


def test_versioned_request_is_cached_for_a_year(client, app, static_dir):
    with app.test_request_context():
        url = url_for("static", filename="js/tool.js")
    with client.get(url) as response:
        assert response.status_code == 200 and response.get_data(as_text=True) == "console.log('one');\n"
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Expires" not in response.headers


@pytest.mark.parametrize("query", ["", "?v=", "?v=0123456789"])
def test_unversioned_or_stale_request_is_revalidated(client, static_dir, query):
    with client.get(f"/static/js/tool.js{query}") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"


def test_revalidation_keeps_the_cache_header(client, app, static_dir):
    with app.test_request_context():
        url = url_for("static", filename="js/tool.js")
    with client.get(url) as first:
        etag = first.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status_code == 304 and response.headers["Cache-Control"] == IMMUTABLE


def test_missing_static_file_is_404(client, static_dir):
    assert client.get("/static/js/nothing.js?v=0123456789").status_code == 404
