"""Streaming reads of the published places for the GeoJSON exports, the `flask export` command and the OGC API.

PostgreSQL builds each feature's JSON text (ST_AsGeoJSON + json_build_object) and COPY streams those lines
out; Python only frames them. This keeps the export near the speed of psql's own COPY and its memory flat
in the number of places: nothing is held but one chunk of text (benchmarks/export_bench.py measures both).
Each export reads inside one read-only REPEATABLE READ transaction, so it reflects a single moment even
while moderators approve changes.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, Select, and_, func, literal, select, text, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.models import Place
from app.queries.features import feature_column
from app.queries.places import is_published
from geo import a11yjson
from geo.bbox import BBox
from geo.geojson import COLLECTION_TAIL, collection_head

# COPY's CSV format with a quote and a delimiter that JSON text never contains (PostgreSQL escapes control
# characters inside JSON strings) passes each feature through byte for byte, with no COPY escaping.
_COPY_OPTIONS = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
CHUNK_BYTES = 256 * 1024
# Joins the features inside one COPY row: a control character, so never raw inside JSON text, and not one
# that makes COPY's CSV format quote the row (unlike a newline).
FEATURE_SEPARATOR = b"\x1e"
IDS_PER_ROW = 1000
# Bump when the feature format changes, so caches holding the old format are not answered 304.
FORMAT_VERSION = "3"  # 2: features carry check_date:wheelchair; 3: and the details

# The export's profiles: StepFree's own features (OSM's keys), or A11yJSON's PlaceInfo shape, which Python
# makes from each full feature (geo/a11yjson.py): a second profile, so the first keeps PostgreSQL's speed.
PROFILES: dict[str, Callable[[dict], dict] | None] = {"osm": None, "a11yjson": a11yjson.feature}


@dataclass(frozen=True)
class PlaceFilters:
    """Which published places a download or an OGC page holds; empty means all."""

    bbox: BBox | None = None
    wheelchair: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    updated_since: datetime | None = None
    # Only the OGC API's `datetime` interval sets an upper end.
    updated_until: datetime | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query-string parameters, as app.params.place_filters reads them."""
        args = {}
        if self.bbox is not None:
            args["bbox"] = ",".join(f"{v:g}" for v in self.bbox.as_tuple())
        if self.wheelchair:
            args["wheelchair"] = ",".join(self.wheelchair)
        if self.category:
            args["category"] = ",".join(self.category)
        if self.updated_since is not None:
            args["updated_since"] = self.updated_since.isoformat()
        if self.updated_until is not None:
            args["updated_until"] = self.updated_until.isoformat()
        return args


def place_conditions(filters: PlaceFilters):
    """The WHERE clause selecting the published places the filters ask for."""
    conditions = [is_published()]
    if filters.bbox is not None:
        # `&&` (GeoAlchemy2's intersects) is exact for points and served by the GiST index.
        conditions.append(Place.geom.intersects(func.ST_MakeEnvelope(*filters.bbox.as_tuple(), 4326)))
    if filters.wheelchair:
        conditions.append(Place.wheelchair.in_(filters.wheelchair))
    if filters.category:
        conditions.append(Place.category.in_(filters.category))
    if filters.updated_since is not None:
        conditions.append(Place.updated_at >= filters.updated_since)
    if filters.updated_until is not None:
        conditions.append(Place.updated_at <= filters.updated_until)
    return and_(*conditions)


def feature_json():
    """SQL building one place's RFC 7946 Feature as JSON text (the full feature of app/queries/features.py)."""
    return feature_column(full=True)


def features_select(filters: PlaceFilters) -> Select:
    """Select the feature text of every matching published place."""
    return select(feature_json()).where(place_conditions(filters))


@dataclass(frozen=True)
class DatasetState:
    """What one snapshot holds: when it was taken, when the data last changed, whether OSM data is in it."""

    taken_at: datetime
    last_modified: datetime | None
    has_osm_places: bool
    fingerprint: str = field(repr=False)
    # How many features the export of this snapshot holds: sent ahead of a download, so a cut file shows.
    matched: int = 0

    def etag(self, variant: str) -> str:
        """A validator for one representation (format + filters) of this dataset state."""
        return hashlib.sha256(f"{FORMAT_VERSION}|{variant}|{self.fingerprint}".encode()).hexdigest()[:32]


@contextmanager
def read_snapshot(bind: Engine | Connection) -> Iterator[Connection]:
    """Open one read-only REPEATABLE READ transaction (UTC) to read a consistent snapshot in."""
    if isinstance(bind, Connection):
        # Already inside a transaction (a test's outer one): a savepoint in it is the snapshot.
        with bind.begin_nested():
            bind.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
            yield bind
        return
    with bind.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn:
        with conn.begin():
            conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'")
            # JIT compiling the feature expressions costs more than it saves on a streaming read (measured).
            conn.exec_driver_sql("SET LOCAL jit = off")
            yield conn


def snapshot_bind(session: Session) -> Engine | Connection:
    """What read_snapshot should open its transaction on for this session."""
    return session.get_bind()


def dataset_state(conn: Connection, filters: PlaceFilters) -> DatasetState:
    """Measure the snapshot: any approved change, hide, import or verification anywhere changes the fingerprint."""
    # Places are never deleted, and every change bumps updated_at except a verification that confirms the
    # values, which only moves last_verified_at: these three cover every change to what an export shows.
    # The fingerprint's count visits every place anyway; counting the matching ones in the same pass is free.
    matching = place_conditions(filters)
    taken_at, total, matched, max_updated, max_verified = conn.execute(
        select(func.now(), func.count(), func.count().filter(matching), func.max(Place.updated_at),
               func.max(Place.last_verified_at)).select_from(Place)).one()
    has_osm = conn.scalar(select(select(Place.id).where(matching, Place.osm_id.is_not(None)).exists()))
    moments = [m for m in (max_updated, max_verified) if m is not None]
    fingerprint = f"{total}|{max_updated and max_updated.isoformat()}|{max_verified and max_verified.isoformat()}"
    return DatasetState(taken_at=taken_at, last_modified=max(moments) if moments else None,
                        has_osm_places=bool(has_osm), fingerprint=fingerprint, matched=matched)


def copy_select(filters: PlaceFilters) -> Select:
    """The statement COPY streams: one feature per row, or for table-wide exports a thousand per row.

    A download that reads (nearly) the whole table gets its features joined by PostgreSQL in id ranges, so
    Python handles a thousand rows instead of a million and the file comes out ordered by id. Downloads of
    an area or of recent changes select few rows through an index instead, one feature per row.
    """
    if filters.bbox is not None or filters.updated_since is not None or filters.updated_until is not None:
        return features_select(filters)
    series = func.generate_series(select(func.min(Place.id)).scalar_subquery(),
                                  select(func.max(Place.id)).scalar_subquery(),
                                  IDS_PER_ROW).table_valued("start").render_derived(name="ids")
    start = series.c.start
    separator = aggregate_order_by(literal(FEATURE_SEPARATOR.decode()), Place.id)
    # LATERAL, so each range's features are built once (a scalar subquery would run again for IS NOT NULL).
    chunk = (select(func.string_agg(feature_json(), separator).label("features"))
             .where(place_conditions(filters), Place.id >= start, Place.id < start + IDS_PER_ROW)
             .lateral("chunk"))
    return select(chunk.c.features).select_from(series).join(chunk, true()).where(chunk.c.features.is_not(None))


def _reshaped(chunk: bytes, reshape: Callable[[dict], dict]) -> bytes:
    """A chunk of feature lines, each feature reshaped into another profile."""
    lines = (json.dumps(reshape(json.loads(line)), ensure_ascii=False, separators=(",", ":"))
             for line in chunk.decode().splitlines())
    return "".join(f"{line}\n" for line in lines).encode()


def iter_feature_lines(conn: Connection, filters: PlaceFilters, chunk_bytes: int = CHUNK_BYTES, *,
                       profile: str = "osm") -> Iterator[bytes]:
    """Yield the matching features as UTF-8 JSON text, one per line, in chunks of whole lines."""
    reshape = PROFILES[profile]
    if reshape is not None:
        for chunk in iter_feature_lines(conn, filters, chunk_bytes):
            yield _reshaped(chunk, reshape)
        return
    compiled = copy_select(filters).compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH {_COPY_OPTIONS}", compiled.params) as copy:
            buffer: list[bytes] = []
            size = 0
            for data in copy:
                buffer.append(bytes(data))
                size += len(data)
                if size >= chunk_bytes:
                    yield b"".join(buffer).replace(FEATURE_SEPARATOR, b"\n")
                    buffer, size = [], 0
            if buffer:
                yield b"".join(buffer).replace(FEATURE_SEPARATOR, b"\n")


def iter_collection_features(conn: Connection, filters: PlaceFilters, *, profile: str = "osm") -> Iterator[bytes]:
    """Yield the matching features separated by commas, as the inside of a FeatureCollection's array."""
    separator = b""
    for chunk in iter_feature_lines(conn, filters, profile=profile):
        # Every line ends in a newline; a comma after each and none after the last keeps the array valid.
        text = chunk[:-1].replace(b"\n", b"\n,")
        yield separator + text
        separator = b"\n,"


def _use_utc(session: Session) -> None:
    # feature_json renders timestamps in the transaction's time zone; the API always speaks UTC.
    session.execute(text("SET LOCAL TimeZone = 'UTC'"))


def count_places(session: Session, filters: PlaceFilters) -> int:
    """How many published places match the filters."""
    return session.scalar(select(func.count()).select_from(Place).where(place_conditions(filters)))


def feature_page(session: Session, filters: PlaceFilters, *, limit: int, after_id: int = 0) -> list[tuple[int, str]]:
    """Up to `limit` matching features with an id above after_id, as (id, JSON text), by id."""
    _use_utc(session)
    rows = session.execute(
        select(Place.id, feature_json()).where(place_conditions(filters), Place.id > after_id)
        .order_by(Place.id).limit(limit))
    return [(place_id, text) for place_id, text in rows]


# Above this many rows the collection's spatial extent comes from the planner's statistics, not a full scan.
EXACT_EXTENT_MAX_ROWS = 50_000


def extent(session: Session) -> tuple[tuple[float, float, float, float] | None, datetime | None, datetime | None]:
    """The published places' bounding box and the span of their updated_at."""
    first, last = session.execute(
        select(func.min(Place.updated_at), func.max(Place.updated_at)).where(is_published())).one()
    rows = session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'places'::regclass"))
    box = None
    if rows is not None and rows > EXACT_EXTENT_MAX_ROWS:
        # GIS clients ask for the collection on every open; an estimate (it may include hidden places) is
        # what they need to frame the layer, and it costs nothing.
        box = session.scalar(text("SELECT ST_EstimatedExtent('public', 'places', 'geom')::text"))
    if box is None:
        box = session.scalar(select(func.ST_Extent(Place.geom)).where(is_published()))
    if box is None:
        return None, first, last
    # ST_Extent's text is BOX(minx miny,maxx maxy).
    corners = box[box.index("(") + 1:-1].replace(",", " ").split()
    return tuple(float(v) for v in corners), first, last


def place_feature(session: Session, place_id: int) -> tuple[int, str] | None:
    """One published place's version and full feature (JSON text), or None."""
    _use_utc(session)
    row = session.execute(select(Place.version, feature_json()).where(is_published(), Place.id == place_id)).first()
    return (row[0], row[1]) if row else None


def feature_by_id(session: Session, place_id: int) -> str | None:
    """One published place's feature as JSON text, or None."""
    found = place_feature(session, place_id)
    return found[1] if found else None


def _export_stream(bind: Engine | Connection, filters: PlaceFilters, line_delimited: bool, profile: str):
    with read_snapshot(bind) as conn:
        state = dataset_state(conn, filters)
        yield state
        if line_delimited:
            yield from iter_feature_lines(conn, filters, profile=profile)
            return
        yield collection_head(name="stepfree-places", taken_at=state.taken_at,
                              has_osm_places=state.has_osm_places,
                              extra={"profile": profile} if profile != "osm" else None).encode()
        yield from iter_collection_features(conn, filters, profile=profile)
        yield COLLECTION_TAIL.encode()


def open_export(bind: Engine | Connection, filters: PlaceFilters, *, line_delimited: bool = False,
                profile: str = "osm") -> tuple[DatasetState, Iterator[bytes]]:
    """Start an export in its own snapshot: its state now, its bytes as the iterator is read.

    The snapshot's transaction stays open until the iterator is exhausted or closed (a 304 answer or a
    client that hangs up closes it early).
    """
    stream = _export_stream(bind, filters, line_delimited, profile)
    state = next(stream)
    return state, stream
