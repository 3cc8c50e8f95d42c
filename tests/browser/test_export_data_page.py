"""The data page in a real browser: accessible at phone size, and its form builds a filtered download."""

import json
from pathlib import Path

from tests.browser.conftest import axe_violations, describe
from tests.factories import make_place


def test_data_page_downloads_the_filtered_places(phone_page, live_server, live_db):
    wanted = make_place(live_db, wheelchair="yes", lon=9.52, lat=47.14)
    make_place(live_db, wheelchair="no", lon=9.53, lat=47.15)
    make_place(live_db, wheelchair="yes", lon=8.54, lat=47.37)
    live_db.commit()
    page = phone_page
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Data", exact=True).click()
    page.wait_for_url(f"{live_server}/data")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.get_by_label("Area (optional)").fill("9.4,47.0,9.7,47.3")
    page.get_by_label("Accessible (yes)").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download GeoJSON").click()
    download = download_info.value
    assert download.suggested_filename.startswith("stepfree-places-")
    assert download.suggested_filename.endswith(".geojson")
    collection = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert [f["id"] for f in collection["features"]] == [wanted.id]
