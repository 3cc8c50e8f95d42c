"""A separate PostGIS database filled with N synthetic places, for benchmarks (shared by the export and map-API ones).

    python -m benchmarks.synthetic --places 1000000            # create or reuse stepfree_bench_1000000
    python -m benchmarks.synthetic --places 100000 --refill    # fill again from scratch

The server comes from STEPFREE_BENCH_SERVER_URL, else STEPFREE_TEST_SERVER_URL, else DATABASE_URL; the
database is named after N, so a filled one is reused by the next run instead of being filled again.

Places are written by one INSERT ... SELECT over generate_series (about 10 s per million), not through the
ORM or the services: the export and the map API read only the `places` table, so the benchmark database has
no revisions, submissions or users. The mix is meant to look like a real map: places gather around ~50 real
city centres with a Gaussian spread, most statuses are unknown as in OpenStreetMap, a few are hidden or gone.
"""

import argparse
import logging
import os
import sys
import time

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.config import normalise_database_url
from app.dbadmin import drop_database, ensure_database
from app.schema import alembic_config
from geo.categories import CATEGORY_KEYS
from geo.fields import SUBMISSION_KINDS

log = logging.getLogger(__name__)

DEFAULT_PLACES = 1_000_000

# (name, longitude, latitude, spread in degrees): real city centres; bigger cities spread wider.
CITIES = (
    ("Berlin", 13.4050, 52.5200, 0.12), ("Hamburg", 9.9937, 53.5511, 0.10), ("Munich", 11.5820, 48.1351, 0.09),
    ("Cologne", 6.9603, 50.9375, 0.07), ("Vienna", 16.3738, 48.2082, 0.09), ("Zurich", 8.5417, 47.3769, 0.05),
    ("Vaduz", 9.5209, 47.1410, 0.02), ("Paris", 2.3522, 48.8566, 0.12), ("Lyon", 4.8357, 45.7640, 0.06),
    ("Marseille", 5.3698, 43.2965, 0.06), ("London", -0.1276, 51.5072, 0.15), ("Manchester", -2.2426, 53.4808, 0.07),
    ("Edinburgh", -3.1883, 55.9533, 0.05), ("Dublin", -6.2603, 53.3498, 0.06), ("Amsterdam", 4.9041, 52.3676, 0.06),
    ("Brussels", 4.3517, 50.8503, 0.05), ("Copenhagen", 12.5683, 55.6761, 0.06), ("Stockholm", 18.0686, 59.3293, 0.07),
    ("Oslo", 10.7522, 59.9139, 0.06), ("Helsinki", 24.9384, 60.1699, 0.06), ("Warsaw", 21.0122, 52.2297, 0.08),
    ("Prague", 14.4378, 50.0755, 0.07), ("Budapest", 19.0402, 47.4979, 0.07), ("Rome", 12.4964, 41.9028, 0.09),
    ("Milan", 9.1900, 45.4642, 0.07), ("Madrid", -3.7038, 40.4168, 0.10), ("Barcelona", 2.1734, 41.3851, 0.07),
    ("Lisbon", -9.1393, 38.7223, 0.06), ("Athens", 23.7275, 37.9838, 0.07), ("Istanbul", 28.9784, 41.0082, 0.14),
    ("New York", -74.0060, 40.7128, 0.15), ("Boston", -71.0589, 42.3601, 0.07), ("Chicago", -87.6298, 41.8781, 0.12),
    ("Toronto", -79.3832, 43.6532, 0.10), ("Montreal", -73.5673, 45.5017, 0.08),
    ("San Francisco", -122.4194, 37.7749, 0.06), ("Los Angeles", -118.2437, 34.0522, 0.18),
    ("Mexico City", -99.1332, 19.4326, 0.14), ("Bogotá", -74.0721, 4.7110, 0.08),
    ("São Paulo", -46.6333, -23.5505, 0.15), ("Buenos Aires", -58.3816, -34.6037, 0.12),
    ("Cape Town", 18.4241, -33.9249, 0.08),
    ("Nairobi", 36.8219, -1.2921, 0.07), ("Cairo", 31.2357, 30.0444, 0.10), ("Mumbai", 72.8777, 19.0760, 0.10),
    ("Delhi", 77.1025, 28.7041, 0.12), ("Bangkok", 100.5018, 13.7563, 0.10), ("Singapore", 103.8198, 1.3521, 0.06),
    ("Tokyo", 139.6503, 35.6762, 0.15), ("Seoul", 126.9780, 37.5665, 0.10), ("Sydney", 151.2093, -33.8688, 0.12),
    ("Melbourne", 144.9631, -37.8136, 0.10), ("Auckland", 174.7633, -36.8485, 0.07),
)
WORDS = ("Café", "Bakery", "Pharmacy", "Library", "Town hall", "Post office", "Museum", "Hotel", "Bistro",
         "Bookshop", "Clinic", "Gallery", "Bank", "Sports hall", "Chapel", "Kiosk", "Station", "Cinema")
DESCRIPTIONS = ("Ramp at the side entrance; ring the bell.", "One 5 cm step at the door, staff help.",
                "Lift to all floors; wide doors.", "Entrance via the courtyard, \"Hof 2\", no steps.",
                "Steep ramp (about 12 %), handrail on the left.")


def server_url() -> str:
    """The PostgreSQL server benchmarks run on, from the environment."""
    for name in ("STEPFREE_BENCH_SERVER_URL", "STEPFREE_TEST_SERVER_URL", "DATABASE_URL"):
        if os.environ.get(name):
            return normalise_database_url(os.environ[name])
    raise SystemExit("Set STEPFREE_BENCH_SERVER_URL (or DATABASE_URL) to a PostGIS server, e.g. "
                     "postgresql://postgres@127.0.0.1:54263")


def database_url(places: int, server: str | None = None) -> str:
    """The URL of the benchmark database holding `places` places."""
    return make_url(server or server_url()).set(database=f"stepfree_bench_{places}").render_as_string(
        hide_password=False)


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join(str(v) if not isinstance(v, str) else "'" + v.replace("'", "''") + "'"
                                for v in values) + "]"


def fill_places(url: str, places: int, seed: float = 0.42) -> None:
    """Insert `places` synthetic places with one INSERT ... SELECT (deterministic for a seed)."""
    cities = len(CITIES)
    engine = create_engine(url)
    statement = f"""
    WITH r AS (
        SELECT g, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5,
               (g % {cities}) + 1 AS c
        FROM generate_series(1, :places) AS g
    )
    INSERT INTO places (geom, name, category, wheelchair, toilets_wheelchair, description, source, osm_type,
                        osm_id, version, hidden_at, gone_at, created_at, updated_at, last_verified_at)
    SELECT ST_SetSRID(ST_MakePoint(
               ({_sql_array(c[1] for c in CITIES)})[c]
                 + ({_sql_array(c[3] for c in CITIES)})[c] * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2),
               ({_sql_array(c[2] for c in CITIES)})[c]
                 + 0.7 * ({_sql_array(c[3] for c in CITIES)})[c] * sqrt(-2 * ln(1 - u1)) * sin(2 * pi() * u2)),
             4326),
           ({_sql_array(WORDS)})[1 + g % {len(WORDS)}] || ' ' || ({_sql_array(c[0] for c in CITIES)})[c]
             || ' ' || g,
           ({_sql_array(CATEGORY_KEYS)})[1 + (g / 7) % {len(CATEGORY_KEYS)}],
           CASE WHEN u3 < 0.18 THEN 'yes' WHEN u3 < 0.27 THEN 'limited' WHEN u3 < 0.38 THEN 'no' ELSE 'unknown' END,
           CASE WHEN u4 < 0.08 THEN 'yes' WHEN u4 < 0.14 THEN 'no' ELSE 'unknown' END,
           CASE WHEN u5 < 0.1 THEN ({_sql_array(DESCRIPTIONS)})[1 + g % {len(DESCRIPTIONS)}] END,
           CASE WHEN g % 10 < 8 THEN 'osm' ELSE 'volunteer' END,
           CASE WHEN g % 10 < 6 THEN 'node' WHEN g % 10 < 8 THEN 'way' END,
           CASE WHEN g % 10 < 8 THEN 1000000000 + g END,
           1 + (g % 3),
           CASE WHEN g % 211 = 0 THEN now() END,
           CASE WHEN g % 307 = 0 THEN now() END,
           now() - make_interval(days => (u4 * 1500)::int),
           now() - make_interval(days => (u5 * 700)::int),
           CASE WHEN u3 < 0.38 THEN now() - make_interval(days => (u2 * 700)::int) END
        FROM r
    """
    with engine.begin() as conn:
        # Row triggers off for the bulk insert (the place_grid pyramid would be updated a million times);
        # the grid is rebuilt in one pass afterwards.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SELECT setseed(:seed)"), {"seed": seed})
        conn.execute(text(statement), {"places": places})
        conn.execute(text("SELECT place_grid_rebuild()"))
        conn.execute(text("SELECT stats_places_rebuild()"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE places"))
        conn.execute(text("VACUUM ANALYZE place_grid"))
    engine.dispose()


# Submissions over the last two years, more of them recently; most decided, the latest still pending. A wait
# for a decision is exponential around a few hours with a long tail; a third of the approvals are trusted
# volunteers' answers, applied at once.
SUBMISSIONS_SQL = """
WITH r AS (
    SELECT g, random() AS u1, random() AS u2, random() AS u3, random() AS u4, random() AS u5
    FROM generate_series(1, :submissions) AS g
), s AS (
    SELECT g, u5, ({kinds})[1 + floor(u1 * {kind_count})::int] AS kind,
           CASE WHEN g % 33 = 0 THEN 'import' ELSE 'volunteer' END AS origin,
           now() - make_interval(secs => 730 * 86400 * u2 ^ 1.5) AS created_at,
           make_interval(secs => -ln(1 - u3) * 4 * 3600 * (1 + 9 * (u4 < 0.1)::int)) AS waited
    FROM r
), d AS (
    SELECT s.*, CASE WHEN created_at + waited > now() THEN 'pending' WHEN u5 > 0.85 THEN 'rejected'
                     WHEN origin = 'import' AND u5 > 0.5 THEN 'superseded' ELSE 'approved' END AS state
    FROM s
)
INSERT INTO submissions (kind, state, origin, place_id, proposed, author_id, device_hash, auto_approved,
                         decided_by_id, decided_at, reason_code, created_at)
SELECT kind, state, origin, CASE WHEN kind <> 'new_place' THEN :first_place + (g::bigint * 7919) % :places END,
       '{{}}'::jsonb, CASE WHEN origin = 'volunteer' AND g % 5 < 2 THEN :first_author + g % :authors END,
       CASE WHEN origin = 'volunteer' AND g % 5 >= 2 THEN md5('device' || g % 50000) END,
       state = 'approved' AND origin = 'volunteer' AND u5 < 0.33,
       CASE WHEN state IN ('approved', 'rejected') THEN :first_moderator + g % :moderators END,
       CASE WHEN state = 'approved' AND origin = 'volunteer' AND u5 < 0.33 THEN created_at
            WHEN state <> 'pending' THEN created_at + waited END,
       CASE WHEN state = 'rejected' THEN 'wrong' END, created_at
FROM d
"""


def fill_submissions(url: str, submissions: int, *, authors: int = 20000, moderators: int = 25,
                     seed: float = 0.24) -> None:
    """Insert volunteers, moderators and `submissions` synthetic submissions about the places already there,
    each with one INSERT ... SELECT; triggers stay on, so the rollups follow as in production (one aggregate
    per statement)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(:seed)"), {"seed": seed})
        first = {}
        for role, count in (("volunteer", authors), ("moderator", moderators)):
            conn.execute(text("""
                INSERT INTO users (email, display_name, password_hash, role)
                SELECT :role || '-' || g || '@bench.invalid', initcap(:role) || ' ' || g, 'x', :role
                FROM generate_series(1, :count) AS g"""), {"role": role, "count": count})
            first[role] = conn.scalar(text("SELECT min(id) FROM users WHERE role = :role AND email LIKE "
                                           "'%@bench.invalid'"), {"role": role})
        first_place, places = conn.execute(text("SELECT min(id), count(*) FROM places")).one()
        conn.execute(text(SUBMISSIONS_SQL.format(kinds=_sql_array(SUBMISSION_KINDS), kind_count=len(SUBMISSION_KINDS))),
                     {"submissions": submissions, "first_place": first_place, "places": places,
                      "first_author": first["volunteer"], "authors": authors,
                      "first_moderator": first["moderator"], "moderators": moderators})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def count_places(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM places"))
    finally:
        engine.dispose()


def ensure_synthetic_database(places: int = DEFAULT_PLACES, *, server: str | None = None,
                              refill: bool = False) -> str:
    """Create (or reuse, if already filled with `places` places) the benchmark database; return its URL."""
    url = database_url(places, server)
    if refill:
        drop_database(url)
    created = ensure_database(url)
    command.upgrade(alembic_config(url), "head")
    if not created and count_places(url) == places:
        log.info("reusing %s with %d places", make_url(url).database, places)
        return url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE places RESTART IDENTITY CASCADE"))
    engine.dispose()
    started = time.perf_counter()
    fill_places(url, places)
    log.info("filled %s with %d places in %.1f s", make_url(url).database, places, time.perf_counter() - started)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=DEFAULT_PLACES, help="how many places (default 1,000,000)")
    parser.add_argument("--refill", action="store_true", help="drop and fill again even if already filled")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark database and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.drop:
        drop_database(database_url(args.places))
        return 0
    url = ensure_synthetic_database(args.places, refill=args.refill)
    sys.stdout.write(make_url(url).render_as_string(hide_password=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
