"""`flask osm upload`: the upstream queue through the OSM API 0.6, against a small local server that follows the
API's documentation (tests/osm_api.py): changesets with their tags, batches within the server's size limit, the
diffResult's versions kept, and a 409 turned into "needs refresh", never a forced write."""

import urllib.request

import pytest
from sqlalchemy import select

from app.models import OsmNode, OsmRelation, OsmWay, Place
from app.queries.osm_upstream import NEEDS_REFRESH, upstream_items
from app.services.osm_upload import start_authorization
from tests.osm_api import TOKEN, OsmApiState, serve
from tests.test_osm_diffs import run
from tests.test_osm_liechtenstein import extract_path
from tests.test_osm_upstream import approve, local_values, pick_places, read_objects

MODELS = {"node": OsmNode, "way": OsmWay, "relation": OsmRelation}


@pytest.fixture
def imported(tmp_path, runner):
    run(runner, "import", extract_path(), "--node-index", tmp_path / "nodes.idx")


@pytest.fixture
def osm_api(app, monkeypatch):
    state = OsmApiState(objects={(kind, osm_id): {"version": entry["version"], "tags": entry["tags"]}
                                 for (short, osm_id), entry in read_objects(extract_path()).items()
                                 for kind in [{"n": "node", "w": "way", "r": "relation"}[short]]})
    base, stop = serve(state)
    monkeypatch.setitem(app.config, "OSM_API_URL", base)
    monkeypatch.setitem(app.config, "OSM_OAUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "OSM_UPLOAD_ENABLED", True)
    yield state
    stop()


def approved_places(session) -> dict:
    places = pick_places(session)
    second_node = session.scalars(select(OsmNode).where(OsmNode.id != places["node"].osm_id)
                                  .order_by(OsmNode.id)).first()
    places["other_node"] = session.scalar(select(Place).where(Place.osm_type == "node",
                                                              Place.osm_id == second_node.id))
    wanted = {kind: local_values(place)["wheelchair"] for kind, place in places.items()}
    for kind, place in places.items():
        approve(session, place, {"wheelchair": wanted[kind]})
    return {kind: (place, wanted[kind]) for kind, place in places.items()}


def test_upload_sends_batches_as_changesets_and_keeps_the_new_versions(session, runner, imported, osm_api):
    osm_api.maximum_elements = 3
    places = approved_places(session)
    result = runner.invoke(args=["osm", "upload"])
    assert result.exit_code == 0, result.output
    assert "Uploaded 4 objects" in result.output
    assert len(osm_api.changesets) == 2  # 4 objects, at most 3 per changeset
    for changeset in osm_api.changesets.values():
        assert changeset["tags"]["created_by"] == "StepFree"
        assert changeset["tags"]["comment"] and changeset["tags"]["source"] == "survey;StepFree"
        assert changeset["open"] is False
    for place, wheelchair in places.values():
        served = osm_api.objects[place.osm_type, place.osm_id]
        assert served["tags"]["wheelchair"] == wheelchair and "check_date:wheelchair" in served["tags"]
        stored = session.get(MODELS[place.osm_type], place.osm_id)
        assert stored.version == served["version"] and stored.tags == served["tags"]
    session.expire_all()
    assert upstream_items(session) == []  # what OSM now says is StepFree's value: nothing left to offer
    assert "Uploaded 0 objects" in runner.invoke(args=["osm", "upload"]).output


def test_a_version_conflict_is_never_forced_and_asks_for_a_refresh(session, runner, imported, osm_api):
    places = approved_places(session)
    edited, _wanted = places["node"]
    # Someone edits the node in OSM after StepFree's import.
    osm_api.objects["node", edited.osm_id]["version"] += 1
    osm_api.objects["node", edited.osm_id]["tags"]["opening_hours"] = "24/7"
    result = runner.invoke(args=["osm", "upload"])
    assert result.exit_code == 0, result.output
    assert "Uploaded 3 objects" in result.output and f"node/{edited.osm_id}" in result.output
    served = osm_api.objects["node", edited.osm_id]
    assert served["tags"]["opening_hours"] == "24/7" and "check_date:wheelchair" not in served["tags"]
    session.expire_all()
    [item] = upstream_items(session)
    assert (item.ref, item.conflict) == (f"node/{edited.osm_id}", NEEDS_REFRESH)


def test_upload_is_off_by_default_and_needs_a_token(session, runner, imported, osm_api, app):
    approved_places(session)
    app.config["OSM_UPLOAD_ENABLED"] = False
    result = runner.invoke(args=["osm", "upload"])
    assert result.exit_code != 0 and "OSM_UPLOAD_ENABLED" in result.output
    app.config["OSM_UPLOAD_ENABLED"] = True
    app.config["OSM_OAUTH_TOKEN"] = "wrong"
    result = runner.invoke(args=["osm", "upload"])
    assert result.exit_code != 0 and "401" in result.output
    assert not osm_api.changesets  # nothing was written


def test_authorize_gets_a_token_with_pkce(runner, osm_api, monkeypatch):
    monkeypatch.setattr("secrets.token_urlsafe", lambda n: "a-fixed-verifier-for-the-test")
    authorization = start_authorization(osm_api_base(runner), "stepfree-client")
    # The operator opens the address and approves: the server shows the code.
    with urllib.request.urlopen(authorization.url, timeout=10) as response:
        code = response.read().decode()
    result = runner.invoke(args=["osm", "authorize", "--client-id", "stepfree-client"], input=code + "\n")
    assert result.exit_code == 0, result.output
    assert f"OSM_OAUTH_TOKEN={TOKEN}" in result.output and "/oauth2/authorize?" in result.output
    # A code is good once, and only with its verifier.
    result = runner.invoke(args=["osm", "authorize", "--client-id", "stepfree-client"], input=code + "\n")
    assert result.exit_code != 0 and "400" in result.output


def osm_api_base(runner) -> str:
    return runner.app.config["OSM_API_URL"]
