"""The export reads one consistent snapshot, and `flask export geojson` writes the same data to a file."""

import json
import time
import urllib.error
import urllib.request

import pytest

from app.queries.export import PlaceFilters, open_export
from app.services import moderation
from app.services.submissions import Submitter, submit_status
from tests.factories import make_place, make_user


def _collection(body) -> dict:
    return json.loads(b"".join(body))


def test_export_snapshot_ignores_changes_committed_while_it_streams(live_app, live_db):
    engine = live_app.extensions["stepfree_db"].engine
    with live_app.app_context():
        volunteer = make_user(live_db)
        moderator = make_user(live_db, role="moderator")
        place = make_place(live_db, wheelchair="unknown")
        submission = submit_status(live_db, Submitter(user=volunteer), place.id, {"wheelchair": "yes"})
        live_db.commit()

        state, body = open_export(engine, PlaceFilters())
        # A moderator approves and a new place appears after the snapshot was taken, before the body is read.
        moderation.approve(live_db, submission.id, moderator)
        make_place(live_db)
        live_db.commit()

        collection = _collection(body)
    assert state.matched == 1
    assert [f["properties"]["wheelchair"] for f in collection["features"]] == ["unknown"]
    _, after = open_export(engine, PlaceFilters())
    assert len(_collection(after)["features"]) == 2


def test_export_closed_early_gives_its_connection_back(live_app, live_db):
    engine = live_app.extensions["stepfree_db"].engine
    for _ in range(3):
        make_place(live_db)
    live_db.commit()
    checked_out = engine.pool.checkedout()
    for _ in range(engine.pool.size() + 2):
        state, body = open_export(engine, PlaceFilters())
        body.close()
    assert engine.pool.checkedout() == checked_out
    _, body = open_export(engine, PlaceFilters())
    assert len(_collection(body)["features"]) == 3


@pytest.mark.parametrize("method, headers, status", [
    ("HEAD", {}, 200),
    ("GET", {"If-None-Match": "*"}, 304),
    ("GET", {}, 200),
])
def test_export_over_http_leaves_no_transaction_open(live_app, live_db, live_server, method, headers, status):
    engine = live_app.extensions["stepfree_db"].engine
    make_place(live_db)
    live_db.commit()
    checked_out = engine.pool.checkedout()
    request = urllib.request.Request(f"{live_server}/export/places.geojson", method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            answered, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        answered, body = error.code, error.read()
    assert answered == status
    assert (len(body) > 0) == (method == "GET" and status == 200)
    deadline = time.monotonic() + 5
    while engine.pool.checkedout() != checked_out and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.pool.checkedout() == checked_out


def test_export_cli_writes_the_filtered_collection(runner, session, tmp_path):
    wanted = make_place(session, wheelchair="yes", category="health")
    make_place(session, wheelchair="no", category="health")
    make_place(session, wheelchair="yes", category="food")
    target = tmp_path / "places.geojson"
    result = runner.invoke(args=["export", "geojson", str(target), "--wheelchair", "yes,limited",
                                 "--category", "health"])
    assert result.exit_code == 0, result.output
    collection = json.loads(target.read_text())
    assert [f["id"] for f in collection["features"]] == [wanted.id]
    assert "Wrote 1 places" in result.output
    assert not list(tmp_path.glob(".*partial"))


def test_export_cli_lines_to_standard_output(runner, session):
    places = [make_place(session) for _ in range(2)]
    result = runner.invoke(args=["export", "geojson", "-", "--lines"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(p.id for p in places)


@pytest.mark.parametrize("args, option", [
    (["--bbox", "1,2,3"], "--bbox"),
    (["--wheelchair", "maybe"], "--wheelchair"),
    (["--updated-since", "last week"], "--updated-since"),
])
def test_export_cli_names_the_bad_option(runner, tmp_path, args, option):
    target = tmp_path / "out.geojson"
    result = runner.invoke(args=["export", "geojson", str(target), *args])
    assert result.exit_code == 2
    assert option in result.output
    assert not target.exists()


def test_export_cli_failure_keeps_the_previous_file(runner, session, tmp_path, monkeypatch):
    """A run that dies half-way leaves yesterday's complete file in place, and no partial file beside it."""
    for _ in range(3):
        make_place(session)
    target = tmp_path / "places.geojson"
    target.write_text('{"previous": "complete"}')
    from app.queries import export as queries

    def dying(conn, filters, chunk_bytes=queries.CHUNK_BYTES):
        yield b'{"type":"Feature","id":1}\n'
        raise ConnectionError("the database went away")

    monkeypatch.setattr(queries, "iter_feature_lines", dying)
    result = runner.invoke(args=["export", "geojson", str(target)])
    assert result.exit_code != 0
    assert target.read_text() == '{"previous": "complete"}'
    assert not list(tmp_path.glob(".*partial"))
