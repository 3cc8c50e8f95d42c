"""GET /api/changes, the change feed for data users (issue 16), and its Atom variant for people.

These run against the live server with real commits: what the feed may hand out depends on which transactions
have ended, which a test's own rolled-back transaction would hide.
"""

import json
import random
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Place
from app.services.places import apply_change
from tests.factories import make_place
from tests.servers import gunicorn

ATOM = "{http://www.w3.org/2005/Atom}"
WRITERS = 8
STEPS = 30


def get(url: str) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        with error:
            body, status = error.read().decode(), error.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def page(base: str, since: str = "", limit: int = 100) -> dict:
    status, body = get(f"{base}/api/changes?since={since}&limit={limit}")
    assert status == 200, body
    return body


def change(session: Session, place_id: int, values: dict) -> None:
    place = session.scalar(select(Place).where(Place.id == place_id).with_for_update())
    apply_change(session, place, values, revision_source="moderation", verified=True)
    session.commit()


def actions(body: dict) -> list[tuple[int, str]]:
    return [(f["id"], f["properties"]["action"]) for f in body["features"]]


def test_the_feed_gives_creations_changes_and_removals_in_order(live_db, live_server):
    base = live_server
    cafe, shop = make_place(live_db, name="Café"), make_place(live_db, name="Shop", category="shopping")
    live_db.commit()
    first = page(base)
    assert actions(first) == [(cafe.id, "created"), (shop.id, "created")]
    assert first["features"][0]["properties"]["name"] == "Café"
    assert "OpenStreetMap" in first["attribution"] and first["license"] == "ODbL-1.0"

    change(live_db, cafe.id, {"wheelchair": "yes"})
    change(live_db, shop.id, {"hidden": True})
    second = page(base, first["next"])
    assert actions(second) == [(cafe.id, "changed"), (shop.id, "hidden")]
    assert second["features"][0]["properties"]["wheelchair"] == "yes"
    removal = second["features"][1]
    assert removal["geometry"] is None and "name" not in removal["properties"]  # a hidden place's data stays hidden

    idle = page(base, second["next"])
    assert idle["features"] == [] and idle["next"] == second["next"] and idle["more"] is False
    change(live_db, shop.id, {"hidden": False})
    change(live_db, cafe.id, {"gone": True})
    assert actions(page(base, second["next"])) == [(shop.id, "restored"), (cafe.id, "gone")]


def test_a_change_that_commits_after_a_later_one_is_not_skipped(live_db, live_server, live_app):
    base = live_server
    early, late = make_place(live_db), make_place(live_db)
    live_db.commit()
    cursor = page(base)["next"]
    engine = live_app.extensions["stepfree_db"].engine
    with Session(engine) as slow:
        # The slow transaction writes first (it takes the lower change id), the fast one commits first.
        place = slow.scalar(select(Place).where(Place.id == early.id).with_for_update())
        apply_change(slow, place, {"wheelchair": "no"}, revision_source="moderation", verified=True)
        slow.flush()
        change(live_db, late.id, {"wheelchair": "yes"})
        held = page(base, cursor)
        assert held["features"] == [] and held["next"] == cursor  # the later change waits for the earlier one
        slow.commit()
    assert actions(page(base, cursor)) == [(early.id, "changed"), (late.id, "changed")]


def test_bad_cursors_and_limits_are_refused_naming_the_field(live_db, live_server):
    for query, field in (("since=abc", "since"), ("since=1.2.3", "since"), ("since=-1.0", "since"),
                         ("since=99999999999999999999.1", "since"), ("limit=0", "limit"), ("limit=100000", "limit")):
        status, body = get(f"{live_server}/api/changes?{query}")
        assert status == 400 and body["error"]["field"] == field, query


def test_cursors_survive_a_server_restart(live_db, database_url):
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key", "RATELIMIT_STORAGE_URI": "memory://"}
    first = make_place(live_db)
    live_db.commit()
    with gunicorn(env, "--workers", "1") as (base, _):
        cursor = page(base)["next"]
    second = make_place(live_db)
    live_db.commit()
    with gunicorn(env, "--workers", "1") as (base, _):
        assert actions(page(base, cursor)) == [(second.id, "created")]
    assert first.id != second.id


def _writer(engine, place_ids: list[int], seed: int, errors: list) -> None:
    rng = random.Random(seed)
    try:
        with Session(engine) as session:
            for _ in range(STEPS):
                roll = rng.random()
                if roll < 0.2:
                    make_place(session, name=f"New {seed}", wheelchair=rng.choice(["yes", "no"]))
                    session.commit()
                    continue
                place_id = rng.choice(place_ids)
                values = ({"hidden": rng.random() < 0.5} if roll < 0.45 else
                          {"gone": rng.random() < 0.5} if roll < 0.55 else
                          {"wheelchair": rng.choice(["yes", "limited", "no"]), "name": f"Name {rng.random():.6f}"})
                change(session, place_id, values)
    except Exception as error:  # handed to the test
        errors.append(error)


def test_a_polling_consumer_ends_with_exactly_the_places_of_a_full_export(live_db, live_server, live_app):
    base = live_server
    place_ids = [make_place(live_db, name=f"Place {n}").id for n in range(40)]
    live_db.commit()
    engine = live_app.extensions["stepfree_db"].engine
    errors: list = []
    writers = [threading.Thread(target=_writer, args=(engine, place_ids, seed, errors)) for seed in range(WRITERS)]
    held: dict[int, dict] = {}
    cursor = ""

    def poll() -> bool:
        nonlocal cursor
        body = page(base, cursor, limit=25)
        for feature in body["features"]:
            properties = feature["properties"]
            if properties.pop("action") in ("hidden", "gone"):
                held.pop(feature["id"], None)
            else:
                properties.pop("changed_at")
                held[feature["id"]] = feature
        cursor = body["next"]
        return body["more"]

    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 120
    while any(w.is_alive() for w in writers) and time.monotonic() < deadline:
        poll()
    for writer in writers:
        writer.join(timeout=60)
    assert not errors, errors
    while poll():
        pass
    status, export = get(f"{base}/export/places.geojson")
    assert status == 200
    expected = {feature["id"]: feature for feature in export["features"]}
    assert held.keys() == expected.keys()
    assert held == expected


def test_the_atom_feed_lists_an_areas_latest_changes_as_text(live_db, live_server):
    hostile = make_place(live_db, name="<b>Bold</b> & Co", lon=9.52, lat=47.14)
    make_place(live_db, name="Far away", lon=2.35, lat=48.85)
    live_db.commit()
    change(live_db, hostile.id, {"wheelchair": "yes"})
    status, body = get(f"{live_server}/data/changes.atom?bbox=9.4,47.0,9.6,47.3")
    assert status == 200
    feed = ET.fromstring(body)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 2 and all("<b>Bold</b> & Co" in title for title in titles)
    assert "Far away" not in body
    assert "&lt;b&gt;" in body  # escaped in the XML, never markup
    status, error = get(f"{live_server}/data/changes.atom")
    assert status == 400 and error["error"]["field"] == "bbox"

