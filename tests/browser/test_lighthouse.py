"""Lighthouse (mobile, its default form factor) on the map page: accessibility 100 and best practices 100.

Lighthouse comes from npm (package.json) and drives the Debian Chromium itself. The map's background tiles come
from a tile server of the test's own on loopback, as they would from a real one: without tiles the page would
log failed loads, which best practices counts against it, and which no deployment has. The server offers
high-resolution ("@2x") tiles, which a phone's screen needs: with 256-pixel tiles on its 1.75× screen,
Lighthouse's image-size-responsive audit fails (best practices 96), rightly, as the map looks blurred.
"""

import json
import os
import struct
import subprocess
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app import create_app
from tests.browser.test_map_phone import _load_demo
from tests.conftest import make_test_config
from tests.servers import in_thread, serving

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"


def _png(size: int, grey: int) -> bytes:
    """A plain grey square PNG of `size` pixels, like a tile of open country."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([grey]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# Tiles as a tile server with high-resolution tiles sends them: 256 pixels square, and 512 for "@2x" (Leaflet
# asks for those on a screen of more than one pixel per CSS pixel when TILE_URL holds "{r}").
TILE = _png(256, 230)
TILE_2X = _png(512, 230)


class _Tiles(BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self):
        self.asked.append(self.path)
        tile = TILE_2X if "@2x" in self.path else TILE
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(tile)))
        self.send_header("Cache-Control", "max-age=86400")
        self.end_headers()
        self.wfile.write(tile)

    def log_message(self, *args):
        pass


@pytest.fixture
def tile_server():
    _Tiles.asked = []
    with in_thread(ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)) as url:
        yield url


def _failures(report: dict, category: str) -> list[str]:
    """The audits of a category that did not pass, with what Lighthouse says about them."""
    failed = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
            items = audit.get("details", {}).get("items", [])[:5]
            failed.append(f"{ref['id']}: {audit['title']} {json.dumps(items)[:600]}")
    return failed


def test_lighthouse_mobile_scores_the_map_100_for_accessibility_and_best_practices(database_url, live_db,
                                                                                     tile_server, tmp_path):
    _load_demo(live_db)
    app = create_app(make_test_config(database_url, TILE_URL=f"{tile_server}/{{z}}/{{x}}/{{y}}{{r}}.png"))
    report_path = tmp_path / "lighthouse.json"
    with serving(app) as url:
        done = subprocess.run(
            [str(LIGHTHOUSE), f"{url}/", "--only-categories=accessibility,best-practices", "--output=json",
             f"--output-path={report_path}", "--quiet", "--chrome-flags=--headless=new --no-sandbox"],
            env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(report_path.read_text())
    assert report["configSettings"]["formFactor"] == "mobile"
    assert not report.get("runtimeError"), report["runtimeError"]
    # Lighthouse's phone has 1.75 device pixels per CSS pixel: the map asked for the sharp tiles.
    assert _Tiles.asked and all(path.endswith("@2x.png") for path in _Tiles.asked), _Tiles.asked[:5]
    scores = {name: report["categories"][name]["score"] for name in ("accessibility", "best-practices")}
    problems = _failures(report, "accessibility") + _failures(report, "best-practices")
    assert scores == {"accessibility": 1, "best-practices": 1}, "\n".join(problems)
