"""GDAL as an independent client: it reads the downloaded files and StepFree's OGC API on a live server."""

import logging
import os
import re
import shutil
import subprocess

import pytest

from app.services import moderation
from app.services.submissions import Submitter, submit_status
from tests.factories import make_place, make_user

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin (make test installs it)")


def ogrinfo(*args: str) -> str:
    """Run ogrinfo talking only to this machine, and return its output."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"GDAL_HTTP_TIMEOUT": "20", "GDAL_HTTP_MAX_RETRY": "0", "NO_PROXY": "127.0.0.1",
                "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": "none"})
    result = subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _feature_count(output: str) -> int:
    return int(re.search(r"Feature Count: (\d+)", output).group(1))


def _fields(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(\S+): (\w+) \(", output, flags=re.MULTILINE))


@pytest.fixture
def places(session):
    made = [make_place(session, wheelchair="yes", source="osm", osm_type="node", osm_id=n) for n in (1, 2, 3)]
    made.append(make_place(session, wheelchair="no", description="Two steps"))
    return made


@pytest.mark.parametrize("path, suffix", [("/export/places.geojson", "geojson"),
                                          ("/export/places.geojsonl", "geojsonl")])
def test_gdal_reads_the_downloaded_export(client, places, tmp_path, path, suffix):
    target = tmp_path / f"places.{suffix}"
    target.write_bytes(client.get(path).get_data())
    output = ogrinfo("-al", "-so", str(target))
    assert _feature_count(output) == len(places)
    assert "Geometry: Point" in output
    fields = _fields(output)
    assert fields["name"] == "String" and fields["wheelchair"] == "String"
    assert fields["toilets:wheelchair"] == "String" and fields["wheelchair:description"] == "String"
    assert fields["osm_id"].startswith("Integer") and fields["updated_at"] == "DateTime"


def test_gdal_reads_a_filtered_export(client, places, tmp_path):
    target = tmp_path / "no.geojson"
    target.write_bytes(client.get("/export/places.geojson?wheelchair=no").get_data())
    output = ogrinfo("-al", str(target))
    assert _feature_count(output) == 1
    assert "wheelchair:description (String) = Two steps" in output


def test_gdal_opens_the_ogc_api_of_a_live_server(live_app, live_db, live_server, caplog):
    with live_app.app_context():
        volunteer = make_user(live_db)
        moderator = make_user(live_db, role="moderator")
        made = [make_place(live_db, name=f"Live place {n}", lon=9.5 + n / 100, lat=47.1) for n in range(5)]
        approved = submit_status(live_db, Submitter(user=volunteer), made[0].id, {"wheelchair": "limited"})
        moderation.approve(live_db, approved.id, moderator)
        submit_status(live_db, Submitter(user=volunteer), made[1].id, {"wheelchair": "no"})  # stays pending
        live_db.commit()

    source = f"OAPIF:{live_server}/ogc"
    listing = ogrinfo(source)
    assert re.search(r"^1: places \(title: Places\) \(Point\)", listing, flags=re.MULTILINE), listing

    # A small page size makes GDAL follow the `next` links.
    caplog.set_level(logging.INFO, logger="werkzeug")
    output = ogrinfo("-oo", "PAGE_SIZE=2", "-al", source, "places")
    assert any("items?limit=2&after=" in r.getMessage() for r in caplog.records), "GDAL followed no next link"
    assert _feature_count(output) == 5
    assert output.count("OGRFeature(places)") == 5
    assert "wheelchair (String) = limited" in output
    assert "wheelchair (String) = no" not in output
    for n in range(5):
        assert f"name (String) = Live place {n}" in output

    box = ogrinfo("-al", "-spat", "9.495", "47.0", "9.515", "47.2", source, "places")
    assert box.count("OGRFeature(places)") == 2
