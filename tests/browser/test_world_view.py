"""A phone zoomed all the way out sees clusters of the whole world, not "Zoom in to see places"."""

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from app.cli.demo import build_demo_places
from app.models import Place
from app.services.places import create_place
from tests.browser.conftest import axe_violations, describe


def test_phone_map_at_the_lowest_zoom_shows_clusters_of_every_place(phone_page, live_server, live_db):
    for values in build_demo_places():
        create_place(live_db, values, source="demo", revision_source="demo")
    create_place(live_db, {"name": "Sydney Opera House", "category": "culture", "lon": 151.215, "lat": -33.857,
                           "wheelchair": "yes"}, source="demo", revision_source="demo")
    live_db.commit()
    published = live_db.scalar(select(func.count()).select_from(Place).where(
        Place.hidden_at.is_(None), Place.gone_at.is_(None)))
    page = phone_page
    # Zoom 0 on a 390 px wide phone: the view spans more than the world, beyond ±180° and ±85°.
    page.goto(f"{live_server}/#map=0/0/0")
    clusters = page.locator(".leaflet-marker-icon.sf-cluster")
    expect(clusters.first).to_be_visible()
    # Not "Zoom in to see places.": the status counts what the clusters hold.
    expect(page.locator("#map-status")).to_contain_text(re.compile(rf"^{published} places in \d+ groups"))
    labels = [clusters.nth(i).get_attribute("aria-label") for i in range(clusters.count())]
    counts = [int(re.match(r"^Group of ([\d,]+) places?", label).group(1).replace(",", "")) for label in labels]
    assert sum(counts) == published and len(counts) >= 2, labels  # Europe and Australia apart
    assert axe_violations(page) == [], describe(axe_violations(page))
