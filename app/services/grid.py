"""Folding the place grid's deltas into its pyramid, and who does it.

Writers of places never touch place_grid: a trigger appends signed per-cell deltas (place_grid_delta, migration
0011), and the map sums place_grid and the committed deltas in one statement. A fold moves committed deltas
into place_grid so the map keeps reading few rows; it never changes what the map answers. The database
function place_grid_fold does the work in one statement under an advisory lock it only tries: a second fold
returns at once, and writers never wait on a fold (they insert deltas, it deletes committed ones).

Who folds:
- `flask grid fold`: safe from cron (every minute is plenty); it prints what it did.
- The OSM import, after it commits: fold(session) at the end of `flask osm import`, so its deltas (one per
  cell, category and status per statement) leave the map's reads at once.
- The app itself (fold_after_writes): after a successful write request has been answered, when at least
  FOLD_THRESHOLD deltas wait. Without it the table would grow for as long as the app runs and nobody set up
  the cron job, and every map read would sum more of it. Doing it after the answer (the response's close)
  costs the writer nothing; trying the lock means a request never waits on a fold already under way; and
  counting at most FOLD_THRESHOLD rows keeps the check itself a few index pages. A threshold rather than a
  fold per write keeps folds rare at a volunteer's pace: 1,000 deltas add well under a millisecond to a map
  read, and folding them takes a few milliseconds.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import Database, get_database

log = logging.getLogger(__name__)

FOLD_THRESHOLD = 1_000
# Deltas per fold transaction: each batch is short, and a huge backlog (a bulk load that did not fold) moves
# in steps, the lock released between them.
FOLD_BATCH = 50_000
# The advisory lock key place_grid_fold and place_grid_rebuild take (migration 0011: "STEPGRID").
FOLD_LOCK_KEY = 0x5354_4550_4752_4944

FOLD_SQL = text("SELECT deltas_folded, cells_updated FROM place_grid_fold(:batch)")
# How many deltas wait, counting no further than the threshold.
PENDING_SQL = text("SELECT count(*) FROM (SELECT FROM place_grid_delta LIMIT :limit) AS d")


@dataclass
class FoldResult:
    """What a fold did: deltas folded, place_grid rows written, and whether another fold held the lock."""

    deltas: int = 0
    cells: int = 0
    busy: bool = False


def fold(session: Session, batch: int = FOLD_BATCH, progress: Callable[[int], None] | None = None) -> FoldResult:
    """Fold the committed grid deltas into place_grid, committing each batch in a short transaction of its own.

    Give it a session with no pending work of its own: it commits. Returns at once if another fold runs.
    progress, if given, is called with the number of deltas each batch folded.
    """
    result = FoldResult()
    while True:
        row = session.execute(FOLD_SQL, {"batch": batch}).one_or_none()
        session.commit()
        if row is None:
            result.busy = True
            return result
        result.deltas += row.deltas_folded
        result.cells += row.cells_updated
        if progress is not None:
            progress(row.deltas_folded)
        if row.deltas_folded < batch:
            return result


def pending_deltas(session: Session, limit: int | None = FOLD_THRESHOLD) -> int:
    """How many deltas wait to be folded, counting no further than `limit` (all of them: None)."""
    return session.scalar(PENDING_SQL, {"limit": limit})


def fold_if_due(session: Session, threshold: int = FOLD_THRESHOLD) -> FoldResult | None:
    """Fold when at least `threshold` deltas wait; None when fewer do."""
    due = pending_deltas(session, threshold) >= threshold
    session.rollback()
    return fold(session) if due else None


def _fold_quietly(database: Database, threshold: int) -> None:
    """The after-answer fold: a failure is logged, never raised (the answer has already gone out)."""
    try:
        with database.sessionmaker() as session:
            result = fold_if_due(session, threshold)
    except sa_exc.SQLAlchemyError:
        log.exception("folding the place grid's deltas failed; the next write or `flask grid fold` retries")
        return
    if result is not None:
        log.info("folded %d place grid deltas into %d cells%s", result.deltas, result.cells,
                 " (another fold was running)" if result.busy else "")


def fold_after_writes(app: Flask, threshold: int = FOLD_THRESHOLD) -> None:
    """After each successful write request's answer, fold the grid's deltas if `threshold` or more wait."""
    @app.after_request
    def schedule_fold(response: Response) -> Response:
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            database = get_database()
            response.call_on_close(lambda: _fold_quietly(database, threshold))
        return response
