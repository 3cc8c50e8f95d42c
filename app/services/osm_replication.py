"""Following an OpenStreetMap replication source (minutely, hourly or daily diffs) with pyosmium.

A source is a URL or a local directory in the standard layout (state.txt, 000/000/001.osc.gz and
000/000/001.state.txt). The sequence reached and the data's timestamp live in osm_replication, committed with
each diff's places, so a run stopped anywhere resumes at the next diff and never applies one twice; applying the
same diff again would change nothing anyway (the merge finds OSM unchanged). A session-level advisory lock, held
on a connection of its own across the per-diff commits, lets a second run (two cron jobs overlapping) exit at once
instead of waiting.
"""

import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.request import Request, urlopen

import requests
from flask_babel import gettext as _
from osmium.replication.server import OsmosisState, ReplicationServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import OsmReplication
from app.services.osm_diff import apply_change, osm_state, read_change
from app.services.osm_import import ImportSummary

log = logging.getLogger(__name__)

# pg_try_advisory_lock key: one replication run at a time.
REPLICATION_LOCK_KEY = 0x5354_4550_5245_504C  # "STEPREPL"


class ReplicationError(AppError):
    """The replication source or the stored state cannot be used; nothing more was applied."""

    status = 400
    code = "osm_replication"


@dataclass
class AppliedDiff:
    sequence: int
    timestamp: object
    summary: ImportSummary


class _Server(ReplicationServer):
    """pyosmium's server, also reading file:// URLs (its requests session knows only HTTP)."""

    def open_url(self, url: Request):
        if url.full_url.startswith("file:"):
            return urlopen(url)
        return super().open_url(url)


def source_url(source: str) -> str:
    """A replication base URL ending in '/': a local directory becomes a file:// URL."""
    if "://" not in source:
        folder = Path(source)
        if not folder.is_dir():
            raise ReplicationError(_("%(source)s: no such directory. Give a replication URL (e.g. "
                                     "https://planet.openstreetmap.org/replication/minute/) or a directory holding "
                                     "state.txt.", source=source), "source")
        source = folder.resolve().as_uri()
    return source if source.endswith("/") else source + "/"


def replicate(session: Session, source: str, index: Path, *, start_sequence: int | None = None,
              max_diffs: int | None = None, on_diff: Callable[[AppliedDiff], None] | None = None) -> list[AppliedDiff]:
    """Apply the source's diffs after the stored sequence, in order, committing after each one."""
    url = source_url(source)
    with session.get_bind().engine.connect() as lock:
        if not lock.scalar(select(func.pg_try_advisory_lock(REPLICATION_LOCK_KEY))):
            raise ReplicationError(_("Another 'flask osm replicate' run holds the lock: this one stops. It is safe "
                                     "to leave the next run to cron."), "source")
        try:
            with _Server(url) as server:
                return list(_apply_diffs(session, server, url, index, start_sequence, max_diffs, on_diff))
        finally:
            lock.execute(select(func.pg_advisory_unlock(REPLICATION_LOCK_KEY)))
            lock.commit()


def _apply_diffs(session: Session, server: ReplicationServer, url: str, index: Path, start_sequence: int | None,
                 max_diffs: int | None, on_diff) -> Iterator[AppliedDiff]:
    latest = server.get_state_info()
    if latest is None:
        raise ReplicationError(_("%(url)s: no replication state (state.txt) could be read there. Check the URL or "
                                 "directory and the network; nothing was applied.", url=url), "source")
    state = osm_state(session)
    if start_sequence is None:
        start_sequence = state.sequence
    if start_sequence is None:
        raise ReplicationError(_("No replication sequence is known yet: pass --start-sequence N, the sequence of "
                                 "the extract you imported (its state.txt, or the sequence its header names)."),
                               "start_sequence")
    state.source = url
    session.commit()
    last = latest.sequence if max_diffs is None else min(latest.sequence, start_sequence + max_diffs)
    for sequence in range(start_sequence + 1, last + 1):
        yield _apply_one(session, server, url, index, sequence, on_diff)


def _apply_one(session: Session, server: ReplicationServer, url: str, index: Path, sequence: int,
               on_diff) -> AppliedDiff:
    info: OsmosisState | None = server.get_state_info(sequence)
    if info is None:
        raise ReplicationError(_("%(url)s: the state of diff %(sequence)s cannot be read. Check the source; the "
                                 "diffs before it are applied and the next run resumes here.", url=url,
                                 sequence=sequence), "source")
    try:
        body = server.get_diff_block(sequence)
    except (requests.RequestException, OSError) as error:
        raise ReplicationError(_("%(url)s: diff %(sequence)s cannot be downloaded (%(reason)s). The diffs before it "
                                 "are applied and the next run resumes here.", url=url, sequence=sequence,
                                 reason=str(error)), "source") from None
    name = server.get_diff_url(sequence)[len(url):]
    with tempfile.TemporaryDirectory(prefix="stepfree-replication-") as folder:
        path = Path(folder) / f"{sequence}.{server.diff_type}"
        path.write_bytes(body)
        try:
            summary = apply_change(session, read_change(path), index, source=name)
            state = osm_state(session)
            state.sequence, state.data_timestamp = sequence, info.timestamp
        except BaseException:
            session.rollback()
            raise
    session.commit()
    diff = AppliedDiff(sequence, info.timestamp, summary)
    log.info("OSM replication: applied diff %s (%s) of %s", sequence, info.timestamp, url)
    if on_diff is not None:
        on_diff(diff)
    return diff


def freshness(session: Session) -> OsmReplication | None:
    """How fresh the OSM data is (for /data): the import, the sequence and timestamp reached, the last update."""
    return session.get(OsmReplication, 1)
