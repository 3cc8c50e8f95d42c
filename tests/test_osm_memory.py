"""An import's memory does not grow with the file: a file ten times larger needs no more than a fixed working set
more. Each import runs in a process of its own (as benchmarks/import_bench.py runs them), so its peak anonymous
memory is its own; the imports are rolled back.

Without the bounded read queues of app/services/osm_reader.py, libosmium's reader threads hold more decoded
blocks the larger the file, and the import of the million objects needed about 30 MB more than that of 100,000.
"""

import os

import pytest
from alembic import command

from app.dbadmin import drop_database, ensure_database
from app.schema import alembic_config
from benchmarks.import_bench import run_child
from benchmarks.synthetic_osm import write_realistic
from tests.conftest import throwaway_database_url

# The import's own buffers (chunks read ahead, a batch of staged rows, the read queues) fill once a file has some
# ten thousand places: a bound for their growth between a file with 1,500 places and one with 15,000.
WORKING_SET_MB = 20


@pytest.fixture
def empty_database():
    url = throwaway_database_url("stepfree_memory")
    ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    yield url
    drop_database(url)


def test_peak_memory_of_an_import_stays_flat_from_100k_to_1m_objects(empty_database, tmp_path, monkeypatch):
    for name in ("OSMIUM_MAX_INPUT_QUEUE_SIZE", "OSMIUM_MAX_OSMDATA_QUEUE_SIZE"):
        monkeypatch.delitem(os.environ, name, raising=False)  # the children use the reader's own setting
    peaks = {}
    for objects in (100_000, 1_000_000):
        path = tmp_path / f"realistic-{objects}.osm.pbf"
        write_realistic(path, objects)
        run = run_child("import", path, empty_database)
        assert run["count"] > objects // 100  # the places were imported
        peaks[objects] = run["anonymous_mb"]
    assert peaks[1_000_000] - peaks[100_000] < WORKING_SET_MB, peaks
