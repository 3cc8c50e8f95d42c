"""A bad OSM file gives a clear error and leaves the database as it was; the command line end to end."""

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ModerationEvent, Place, Revision, Submission
from app.services import osm_import
from app.services.osm_import import import_file, import_records
from app.services.osm_reader import OsmFileError, read_places
from tests.test_osm_liechtenstein import extract_path

DATA = Path(__file__).parent / "data" / "osm"


def _state(session) -> dict:
    """Everything an import may touch, to compare before and after."""
    counts = {model.__name__: session.scalar(select(func.count()).select_from(model))
              for model in (Place, Revision, Submission, ModerationEvent)}
    places = session.execute(select(Place.id, Place.version, Place.osm_seen, Place.gone_at).order_by(Place.id))
    return {**counts, "places": [tuple(row) for row in places]}


@pytest.fixture
def imported_v1(session):
    import_file(session, DATA / "merge_v1.osm")
    return _state(session)


@pytest.fixture
def truncated_pbf(tmp_path):
    data = extract_path().read_bytes()
    path = tmp_path / "cut-short.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_pbf_is_refused_and_changes_nothing(session, imported_v1, truncated_pbf):
    with pytest.raises(OsmFileError, match="truncated or corrupt"):
        import_file(session, truncated_pbf, mark_gone=True)
    assert _state(session) == imported_v1


def test_broken_xml_is_refused_and_changes_nothing(session, imported_v1):
    with pytest.raises(OsmFileError, match="XML parsing error"):
        import_file(session, DATA / "broken.osm", mark_gone=True)
    assert _state(session) == imported_v1


def test_failure_after_writes_rolls_the_whole_import_back(session, imported_v1, monkeypatch):
    monkeypatch.setattr(osm_import, "BATCH_SIZE", 2)  # so places are written before the failure
    monkeypatch.setattr(osm_import, "CHUNK_SIZE", 2)

    def records_then_failure():
        yield from read_places(DATA / "merge_v2.osm")
        yield from read_places(DATA / "values.osm")
        raise OsmFileError("the disk went away", "file")

    with pytest.raises(OsmFileError):
        import_records(session, records_then_failure(), source="test", bbox=None, mark_gone=True)
    assert _state(session) == imported_v1


@pytest.mark.parametrize("name, message", [
    ("missing.osm.pbf", "no such file"),
    ("data.csv", "unknown file type"),
    ("a-directory.osm", "is not a file"),
])
def test_unusable_paths_are_refused_with_what_to_do(session, tmp_path, name, message):
    (tmp_path / "data.csv").write_text("id,name\n")
    (tmp_path / "a-directory.osm").mkdir()
    with pytest.raises(OsmFileError, match=message):
        import_file(session, tmp_path / name)
    assert session.scalar(select(func.count()).select_from(Place)) == 0


def test_unreadable_file_is_refused(session, tmp_path, monkeypatch):
    path = tmp_path / "secret.osm"
    shutil.copy(DATA / "merge_v1.osm", path)
    path.chmod(0)
    if os.geteuid() == 0:
        # Root reads any file (CI runs as root): let the access check answer as it would for a normal user.
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(path) else real_access(p, mode))
    with pytest.raises(OsmFileError, match="permission denied"):
        import_file(session, path)


def test_cli_import_commits_and_prints_the_summary(runner, session):
    result = runner.invoke(args=["osm", "import", str(DATA / "merge_v1.osm")])
    assert result.exit_code == 0, result.output
    assert "created" in result.output and "OpenStreetMap contributors" in result.output
    assert session.scalar(select(func.count()).select_from(Place).where(Place.source == "osm")) == 10
    again = runner.invoke(args=["osm", "import", str(DATA / "merge_v1.osm")])
    assert again.exit_code == 0
    unchanged = next(line for line in again.output.splitlines() if line.strip().startswith("unchanged"))
    assert unchanged.split()[-1] == "10"
    assert session.scalar(select(func.count()).select_from(ModerationEvent)
                          .where(ModerationEvent.action == "import")) == 2


def test_cli_broken_file_exits_with_the_reason_and_imports_nothing(runner, session):
    result = runner.invoke(args=["osm", "import", str(DATA / "broken.osm")])
    assert result.exit_code == 1
    assert "Error:" in result.output and "Nothing was imported" in result.output
    assert session.scalar(select(func.count()).select_from(Place)) == 0


def test_cli_mark_gone_reports_the_places_it_marked(runner, session):
    assert runner.invoke(args=["osm", "import", str(DATA / "merge_v1.osm")]).exit_code == 0
    without = runner.invoke(args=["osm", "import", str(DATA / "merge_v2.osm")])
    assert "not in this file (see --mark-gone)" in without.output
    result = runner.invoke(args=["osm", "import", "--mark-gone", str(DATA / "merge_v2.osm")])
    assert result.exit_code == 0, result.output
    marked = next(line for line in result.output.splitlines() if line.strip().startswith("marked gone"))
    assert marked.split()[-1] == "2"
    assert session.scalar(select(func.count()).select_from(Place).where(Place.gone_at.is_not(None))) == 2
