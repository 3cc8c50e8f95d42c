"""The change feed: every public change of a place since a cursor, in an order no commit can overtake.

Triggers on places (migration 0016) write one place_changes row per change, with the id of the transaction that
wrote it. Ids given out at insert time commit out of order: a transaction may take id 10, a later one id 11 and
commit first; a reader that had moved past 11 would never see 10. So the feed reads in (transaction id, row id)
order and only below a safe horizon, the oldest transaction still running (pg_snapshot_xmin): every transaction
below it has ended, so nothing can appear behind a cursor later. A long transaction (an import) holds the feed
back until it ends; then its changes come, none lost.

A cursor is "<transaction id>.<row id>" of the last change handed out: opaque to clients, kept in the database's
own counters, so it survives restarts. Each change comes with the place as it is now (created, changed, restored),
or without its data when the place is no longer published (hidden, gone): a consumer that applies the changes in
order holds what a fresh full export holds.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.models import Place
from app.queries.export import feature_json
from app.queries.places import is_published

CURSOR_PATTERN = r"^[0-9]{1,19}\.[0-9]{1,18}$"
CURSOR = re.compile(CURSOR_PATTERN[1:-1])
START = (0, 0)
REMOVALS = frozenset({"hidden", "gone"})
CHANGES_LIMIT_DEFAULT = 100
CHANGES_LIMIT_MAX = 1000

CHANGES_SQL = text("""
    SELECT c.xid::text AS xid, c.id, c.place_id, c.action, c.changed_at
    FROM place_changes c
    WHERE (c.xid, c.id) > (CAST(:xid AS text)::xid8, :id)
      AND c.xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY c.xid, c.id
    LIMIT :limit""")


@dataclass
class Change:
    cursor: str
    place_id: int
    action: str
    changed_at: datetime
    feature: dict


@dataclass
class ChangePage:
    changes: list[Change]
    next_cursor: str
    more: bool


def parse_cursor(raw: str | None) -> tuple[int, int]:
    if raw is None or raw == "":
        return START
    if CURSOR.fullmatch(raw) is None:
        raise ValidationError(_("since must be a cursor from an earlier answer (its next), or empty to start "
                                "from the beginning."), "since")
    xid, change_id = raw.split(".")
    return int(xid), int(change_id)


def format_cursor(xid: int | str, change_id: int) -> str:
    return f"{xid}.{change_id}"


def changes_since(session: Session, cursor: tuple[int, int], limit: int) -> ChangePage:
    """Up to `limit` changes after the cursor, each with the place as it is now or as a removal."""
    session.execute(text("SET LOCAL TimeZone = 'UTC'"))
    rows = session.execute(CHANGES_SQL, {"xid": str(cursor[0]), "id": cursor[1], "limit": limit + 1}).all()
    more = len(rows) > limit
    rows = rows[:limit]
    features = _features(session, {row.place_id for row in rows})
    changes = []
    for row in rows:
        feature = features.get(row.place_id)
        action = row.action
        if feature is None:  # no longer published: whatever happened then, the place is out now
            action = action if action in REMOVALS else "hidden"
            feature = {"type": "Feature", "id": row.place_id, "geometry": None, "properties": {}}
        else:
            feature = json.loads(feature)
            if action in REMOVALS:  # hidden, then shown again since: the later change says so too
                action = "changed"
        feature["properties"] = {**feature["properties"], "action": action,
                                 "changed_at": row.changed_at.isoformat().replace("+00:00", "Z")}
        changes.append(Change(format_cursor(row.xid, row.id), row.place_id, action, row.changed_at, feature))
    next_cursor = changes[-1].cursor if changes else format_cursor(*cursor)
    return ChangePage(changes, next_cursor, more)


def _features(session: Session, place_ids: set[int]) -> dict[int, str]:
    if not place_ids:
        return {}
    rows = session.execute(select(Place.id, feature_json()).where(is_published(), Place.id.in_(place_ids)))
    return dict(rows.tuples().all())


@dataclass
class AreaChange:
    change_id: int
    action: str
    changed_at: datetime
    place_id: int
    published: bool
    name: str | None
    category: str
    wheelchair: str


def latest_in_area(session: Session, bbox: tuple[float, float, float, float], limit: int) -> list[AreaChange]:
    """The latest changes of places in an area (where they are now), newest first: the Atom feed for people.

    A place that is no longer published comes without its name (a moderator may have hidden it for its text)."""
    rows = session.execute(text("""
        SELECT c.id, c.action, c.changed_at, p.id AS place_id,
               p.hidden_at IS NULL AND p.gone_at IS NULL AS published, p.name, p.category, p.wheelchair
        FROM place_changes c JOIN places p ON p.id = c.place_id
        WHERE p.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
        ORDER BY c.id DESC
        LIMIT :limit"""), dict(zip(("west", "south", "east", "north"), bbox, strict=True), limit=limit))
    return [AreaChange(*row) for row in rows]
