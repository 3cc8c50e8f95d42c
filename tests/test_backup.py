"""A backup made as the README says (pg_dump, custom format) restores with pg_restore into a new database
that serves the same export, byte for byte, as the database it came from."""

import re
import shutil
import subprocess

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.dbadmin import drop_database, ensure_database
from app.schema import alembic_config
from app.services import moderation
from app.services.submissions import Submitter, submit_new_place, submit_status
from tests.conftest import make_test_config, throwaway_database_url
from tests.factories import make_place, make_user
from tests.pgcluster import PG_BIN

# The collection's head says when the snapshot was taken: the one member that differs between two downloads.
TIMESTAMP_MEMBER = re.compile(rb'"timeStamp": ?"[^"]*"')


def _tool(name: str) -> str:
    """The PostgreSQL client program of the server's major version, else the one on PATH."""
    path = PG_BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (PostgreSQL's client programs)")
    return found


def _libpq_url(url: str) -> str:
    # PostgreSQL's own programs read postgresql:// URLs, without SQLAlchemy's +driver.
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)} failed: {result.stderr or result.stdout}"


def _fill(url: str) -> None:
    """Places from OSM and from volunteers, approved, rejected and pending submissions, with revisions."""
    app = create_app(make_test_config(url))
    engine = create_engine(url)
    try:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            volunteer, moderator = make_user(session), make_user(session, role="moderator")
            cafe = make_place(session, name="Café Löwen", category="food", source="osm", osm_type="node",
                              osm_id=4242, lon=9.5212345, lat=47.1412345, wheelchair="limited")
            make_place(session, name="Rathaus", category="government", source="osm", osm_type="way", osm_id=77,
                       wheelchair="yes", toilets_wheelchair="yes")
            shop = make_place(session, source="volunteer", description='Ramp "left", 6 % slope')
            approved = submit_status(session, Submitter(user=volunteer), cafe.id,
                                     {"wheelchair": "yes", "description": "Ramp at the side door"})
            moderation.approve(session, approved.id, moderator)
            added = submit_new_place(session, Submitter(user=volunteer), {
                "name": "Bäckerei", "category": "food", "lon": 9.52, "lat": 47.14, "wheelchair": "no"})
            moderation.approve(session, added.id, moderator)
            rejected = submit_status(session, Submitter(user=volunteer), shop.id, {"wheelchair": "no"})
            moderation.reject(session, rejected.id, moderator, "wrong")
            submit_status(session, Submitter(user=volunteer), shop.id, {"toilets_wheelchair": "yes"})
            session.commit()
    finally:
        engine.dispose()
        app.extensions["stepfree_db"].engine.dispose()


def _served(url: str) -> dict[str, tuple[bytes, str]]:
    """Each download's bytes and ETag, and /readyz's status, from an app bound to the database at url."""
    app = create_app(make_test_config(url))
    client = app.test_client()
    served = {}
    try:
        for path in ("/export/places.geojson", "/export/places.geojsonl"):
            with client.get(path) as response:
                assert response.status_code == 200, response.get_data(as_text=True)
                served[path] = (response.get_data(), response.headers["ETag"])
        with client.get("/readyz") as response:
            served["/readyz"] = (response.get_data(), str(response.status_code))
    finally:
        app.extensions["stepfree_db"].engine.dispose()
    return served


def test_backup_restores_into_a_new_database_that_serves_the_same_export(tmp_path):
    source, restored = throwaway_database_url("stepfree_backup"), throwaway_database_url("stepfree_restored")
    dump = tmp_path / "stepfree.dump"
    try:
        ensure_database(source)
        command.upgrade(alembic_config(source), "head")
        _fill(source)
        before = _served(source)
        # The README's commands: dump; a new empty database with PostGIS; restore without the old owners.
        _run(_tool("pg_dump"), "--format=custom", f"--file={dump}", _libpq_url(source))
        _run(_tool("createdb"), f"--maintenance-db={_libpq_url(source)}", make_url(restored).database)
        _run(_tool("psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-c", "CREATE EXTENSION IF NOT EXISTS postgis",
             _libpq_url(restored))
        _run(_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={_libpq_url(restored)}", str(dump))
        after = _served(restored)
    finally:
        drop_database(source)
        drop_database(restored)
    geojson, geojsonl = "/export/places.geojson", "/export/places.geojsonl"
    assert before[geojsonl][0].count(b"\n") == 4  # four published places, one per line
    assert after[geojsonl] == before[geojsonl]
    assert TIMESTAMP_MEMBER.sub(b"", after[geojson][0]) == TIMESTAMP_MEMBER.sub(b"", before[geojson][0])
    assert TIMESTAMP_MEMBER.search(before[geojson][0]), "the collection's timeStamp member moved"
    assert after[geojson][1] == before[geojson][1]
    assert after["/readyz"][1] == "200"
