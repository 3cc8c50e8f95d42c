"""How long the map page takes to show its first markers in each language, as a ratio to English (issue 13).

    python -m benchmarks.i18n_bench                  # 15 cold loads per language, interleaved
    python -m benchmarks.i18n_bench --loads 30 --places 100000

It serves the app (Werkzeug, threaded, on a free loopback port) over the synthetic benchmark database, and
opens the map in headless Chromium (/usr/bin/chromium) at a phone's size, each load in a fresh browser
context: nothing cached, so the language's catalog script (/i18n/<code>.js) is fetched every time, as on a
first visit. Loads of the languages take turns (en, de, fr, es, ar, en, ...), so a slower moment of the
machine hits them alike. A load's time is from navigation start to the first marker in the page. It prints
each language's median and range, the median's ratio to English, and whether each stays within 10 %.
"""

import argparse
import statistics
import sys
import threading

from werkzeug.serving import make_server

from app import create_app
from app.config import Config
from benchmarks.synthetic import ensure_synthetic_database

LANGUAGES = ("en", "de", "fr", "es", "ar")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
GOAL = 1.10


def run(places: int, loads: int) -> int:
    from playwright.sync_api import sync_playwright

    url = ensure_synthetic_database(places)
    app = create_app(Config(DATABASE_URL=url, SECRET_KEY="benchmark", TILE_URL="/no-tiles/{z}/{x}/{y}.png",
                            LOG_LEVEL="WARNING"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    times: dict[str, list[float]] = {code: [] for code in LANGUAGES}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for round_ in range(loads + 1):
                for code in LANGUAGES:
                    context = browser.new_context(**PHONE)
                    context.add_cookies([{"name": "stepfree_lang", "value": code, "url": base}])
                    page = context.new_page()
                    page.goto(f"{base}/")
                    page.wait_for_selector(".leaflet-marker-icon", timeout=30_000)
                    elapsed = page.evaluate("performance.now()")
                    assert page.evaluate("document.documentElement.lang") == code
                    context.close()
                    if round_:  # the first round warms the server, the database and Chromium's own files
                        times[code].append(elapsed)
                print(f"round {round_}/{loads}", file=sys.stderr, end="\r")
            browser.close()
    finally:
        server.shutdown()
    english = statistics.median(times["en"])
    print(f"\n{places:,} places, {loads} cold loads per language, 390×844 phone; ms to the first marker")
    print(f"{'language':<9} {'median':>8} {'min':>8} {'max':>8} {'ratio':>7}  within 10 %")
    failures = 0
    for code in LANGUAGES:
        median = statistics.median(times[code])
        ratio = median / english
        failures += ratio > GOAL
        print(f"{code:<9} {median:8.1f} {min(times[code]):8.1f} {max(times[code]):8.1f} {ratio:6.3f}×  "
              f"{'yes' if ratio <= GOAL else 'NO'}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=15, help="cold loads per language (after one warm-up round)")
    args = parser.parse_args(argv)
    return run(args.places, args.loads)


if __name__ == "__main__":
    sys.exit(main())
