"""Public statistics: every number on /stats, /api/stats and the CSV files equals a direct SQL count over the
places and submissions, right after each kind of change; the queue's counts come from the same rollups; the
latency percentiles equal PostgreSQL's percentile_disc."""

import csv
import io
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import text

from app.models.base import utcnow
from app.queries import moderation as queue
from app.queries.stats import FIGURES, recent_weeks
from app.services import moderation, reverts
from app.services.places import apply_change
from app.services.submissions import Submitter, hash_device_token, submit_new_place, submit_report, submit_status
from geo.bbox import BBox
from tests.factories import make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("stats-device"))
PUBLISHED = "hidden_at IS NULL AND gone_at IS NULL"
WEEK = "date_trunc('week', {} AT TIME ZONE 'UTC')::date"
DECIDED_BY_MODERATOR = ("origin = 'volunteer' AND NOT auto_approved AND state IN ('approved', 'rejected') "
                        "AND decided_at IS NOT NULL")
MINUTES = "floor(extract(epoch FROM decided_at - created_at) / 60)"


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.app_context():
        yield


# --- the same figures, counted directly ---------------------------------------------------------------------

def _rows(session, sql: str, **params) -> list[tuple]:
    return [tuple(row) for row in session.execute(text(sql), params)]


def _pct(places: int, known: int) -> float | None:
    return round(100 * known / places, 1) if places else None


def counted(session, weeks: list[date]) -> dict:
    """The numbers /api/stats answers (but the weekly coverage history), straight from places and submissions."""
    statuses = dict(_rows(session, f"SELECT wheelchair, count(*) FROM places WHERE {PUBLISHED} GROUP BY 1"))
    categories = {}
    for category, status, n in _rows(session, f"SELECT category, wheelchair, count(*) FROM places "
                                              f"WHERE {PUBLISHED} GROUP BY 1, 2"):
        categories.setdefault(category, {})[status] = n
    areas = _rows(session, f"""
        SELECT floor(ST_X(geom) / 0.5) * 0.5, floor(ST_Y(geom) / 0.5) * 0.5, count(*),
               count(*) FILTER (WHERE wheelchair <> 'unknown')
        FROM places WHERE {PUBLISHED} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2""")
    contributions = _rows(session, f"""
        SELECT {WEEK.format('created_at')}, kind, count(*) FROM submissions WHERE origin = 'volunteer'
        AND {WEEK.format('created_at')} BETWEEN :first AND :last GROUP BY 1, 2""", first=weeks[0], last=weeks[-1])
    places = sum(statuses.values())
    known = places - statuses.get("unknown", 0)
    return {
        "places": places, "known": known, "by_status": statuses,
        "by_category": {c: (sum(s.values()), sum(n for k, n in s.items() if k != "unknown"), s)
                        for c, s in categories.items()},
        "by_area": [([float(x), float(y), float(x) + 0.5, float(y) + 0.5], n, k, _pct(n, k)) for x, y, n, k in areas],
        "contributions": {(w.isoformat(), kind): n for w, kind, n in contributions},
        "queue": dict(_rows(session, "SELECT kind, count(*) FROM submissions WHERE state = 'pending' GROUP BY 1")),
        "latency": latency_by_sql(session, weeks),
    }


def latency_by_sql(session, weeks: list[date]) -> dict:
    """Decisions and percentile_disc(0.5, 0.9) of floor(minutes) waited, per week decided and over the window."""
    select = (f"SELECT count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY {MINUTES}), "
              f"percentile_disc(0.9) WITHIN GROUP (ORDER BY {MINUTES}) FROM submissions "
              f"WHERE {DECIDED_BY_MODERATOR} AND {WEEK.format('decided_at')} BETWEEN :first AND :last")
    found = {None: _rows(session, select, first=weeks[0], last=weeks[-1])[0]}
    for week in weeks:
        found[week.isoformat()] = _rows(session, select, first=week, last=week)[0]
    return {key: (n, None if p50 is None else int(p50), None if p90 is None else int(p90))
            for key, (n, p50, p90) in found.items()}


def assert_api_equals_sql(session, client) -> dict:
    """Fetch /api/stats and compare each of its numbers with the direct counts; return the answer."""
    answer = client.get("/api/stats").get_json()
    weeks = [date.fromisoformat(w["week"]) for w in answer["coverage"]["weekly"]]
    assert weeks == recent_weeks(utcnow().date())
    expected = counted(session, weeks)
    coverage = answer["coverage"]
    assert (coverage["places"], coverage["known"]) == (expected["places"], expected["known"])
    assert coverage["known_pct"] == _pct(expected["places"], expected["known"])
    assert {s: n for s, n in coverage["by_status"].items() if n} == expected["by_status"]
    by_category = {c["category"]: (c["places"], c["known"], {s: n for s, n in c["by_status"].items() if n})
                   for c in coverage["by_category"] if c["places"]}
    assert by_category == expected["by_category"]
    assert [(a["bbox"], a["places"], a["known"], a["known_pct"]) for a in coverage["by_area"]] == expected["by_area"]
    # This week's end is now: the series ends with today's figures.
    assert (coverage["weekly"][-1]["places"], coverage["weekly"][-1]["known"]) == (expected["places"],
                                                                                  expected["known"])
    contributions = {(w["week"], kind): n for w in answer["contributions"]["weekly"]
                     for kind, n in w["by_kind"].items() if n}
    assert contributions == expected["contributions"]
    assert {k: n for k, n in answer["moderation"]["queue"]["by_kind"].items() if n} == expected["queue"]
    assert answer["moderation"]["queue"]["total"] == sum(expected["queue"].values())
    latency = answer["moderation"]["latency"]
    got = {None: (latency["decisions"], latency["p50_minutes"], latency["p90_minutes"])}
    got.update({w["week"]: (w["decisions"], w["p50_minutes"], w["p90_minutes"]) for w in latency["weekly"]})
    assert got == expected["latency"]
    return answer


class _Tables(HTMLParser):
    """The page's data tables: caption id → rows of cell texts (the heading row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self._table, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._table = self.tables.setdefault(dict(attrs)["id"].removesuffix("-caption"), [])
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def page_tables(client) -> dict[str, list[list[str]]]:
    response = client.get("/stats")
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.get_data(as_text=True))
    return parser.tables


def assert_page_equals_api(client, answer: dict) -> None:
    """The page's tables say what the API says (itself checked against SQL)."""
    tables = page_tables(client)
    assert set(tables) == set(FIGURES)
    labels = answer["labels"]
    by_category = {r[0]: r[1:4] for r in tables["coverage-by-category"][1:]}
    for c in answer["coverage"]["by_category"]:
        pct = "" if c["known_pct"] is None else f"{c['known_pct']:.1f}"
        assert by_category[labels["category"][c["category"]]] == [str(c["places"]), str(c["known"]), pct]
    assert [r[:3] for r in tables["coverage-by-area"][1:]] == [
        [",".join(f"{v:g}" for v in a["bbox"]), str(a["places"]), str(a["known"])]
        for a in answer["coverage"]["by_area"]]
    assert [r[:3] for r in tables["coverage-weekly"][1:]] == [
        [w["week"], str(w["places"]), str(w["known"])] for w in answer["coverage"]["weekly"]]
    assert [r[0] for r in tables["contributions-weekly"][1:]] == [w["week"] for w in answer["contributions"]["weekly"]]
    assert [r[-1] for r in tables["contributions-weekly"][1:]] == [
        str(w["total"]) for w in answer["contributions"]["weekly"]]
    blank = lambda v: "" if v is None else str(v)  # noqa: E731
    assert tables["moderation-latency"][1:] == [
        [w["week"], str(w["decisions"]), blank(w["p50_minutes"]), blank(w["p90_minutes"])]
        for w in answer["moderation"]["latency"]["weekly"]]
    assert {r[0]: r[1] for r in tables["queue"][1:]} == {
        labels["kind"][k]: str(n) for k, n in answer["moderation"]["queue"]["by_kind"].items()}


# --- a small world -----------------------------------------------------------------------------------------

def _world(session):
    moderator = make_user(session, role="moderator")
    volunteer = make_user(session)
    places = [
        make_place(session, category="food", wheelchair="yes", lon=9.52, lat=47.14),
        make_place(session, category="food", wheelchair="unknown", lon=9.53, lat=47.15),
        make_place(session, category="health", wheelchair="limited", lon=8.54, lat=47.37),
        make_place(session, category="culture", wheelchair="no", lon=-0.12, lat=51.5),
        make_place(session, category="culture", wheelchair="unknown", lon=-0.13, lat=51.51),
    ]
    apply_change(session, places[4], {"gone": True}, revision_source="moderation", actor=moderator)
    submit_status(session, Submitter(user=volunteer), places[1].id, {"wheelchair": "no"})
    submit_status(session, DEVICE, places[0].id, {"toilets_wheelchair": "yes"})
    submit_report(session, DEVICE, places[2].id, {"problem": "closed"})
    submit_new_place(session, Submitter(user=volunteer), {"name": "Kiosk", "category": "food", "wheelchair": "yes",
                                                          "lon": 9.51, "lat": 47.13})
    session.commit()
    return moderator, volunteer, places


def test_every_number_equals_a_direct_count_and_follows_each_change(session, client):
    moderator, volunteer, places = _world(session)
    assert_page_equals_api(client, assert_api_equals_sql(session, client))

    # A new place, a status change, a hide, a decision, a new submission: each shows at once.
    make_place(session, category="sport", wheelchair="yes", lon=16.37, lat=48.2)
    session.commit()
    assert_api_equals_sql(session, client)
    apply_change(session, places[1], {"wheelchair": "limited"}, revision_source="moderation", actor=moderator)
    session.commit()
    assert_api_equals_sql(session, client)
    reverts.set_hidden(session, places[0].id, True, moderator)
    session.commit()
    assert_api_equals_sql(session, client)
    pending = session.scalars(text("SELECT id FROM submissions WHERE state = 'pending' AND kind = 'new_place'")).one()
    moderation.approve(session, pending, moderator)
    session.commit()
    answer = assert_api_equals_sql(session, client)
    assert answer["moderation"]["latency"]["decisions"] == 1
    submission = submit_status(session, DEVICE, places[2].id, {"description": "Lift at the back"})
    session.commit()
    assert submission.state == "pending"
    answer = assert_api_equals_sql(session, client)
    assert_page_equals_api(client, answer)


def test_bulk_sql_writes_keep_the_rollups_exact(session, client):
    _world(session)
    session.execute(text("""
        INSERT INTO places (geom, name, category, wheelchair, created_at)
        SELECT ST_SetSRID(ST_MakePoint(9 + g * 0.37, 47 + g * 0.11), 4326), 'Bulk ' || g,
               (ARRAY['food', 'sport', 'toilets'])[1 + g % 3], (ARRAY['yes', 'unknown', 'no', 'limited'])[1 + g % 4],
               now()
        FROM generate_series(1, 40) AS g"""))
    session.execute(text("UPDATE places SET wheelchair = 'unknown' WHERE name LIKE 'Bulk %' AND id % 3 = 0"))
    session.execute(text("UPDATE places SET hidden_at = now() WHERE name LIKE 'Bulk %' AND id % 5 = 0"))
    session.execute(text("UPDATE places SET category = 'other', name = name || '!' WHERE id % 2 = 0"))
    session.execute(text("UPDATE submissions SET state = 'withdrawn', decided_at = now() WHERE kind = 'report'"))
    session.execute(text("DELETE FROM places WHERE name LIKE 'Bulk %' AND id % 7 = 0"))
    session.commit()
    assert_api_equals_sql(session, client)


def test_rebuilding_the_rollups_gives_what_the_triggers_kept(session):
    _world(session)
    tables = {"stats_places": "category, wheelchair", "stats_areas": "cx, cy", "stats_coverage_weekly": "week",
              "stats_contributions_weekly": "week, kind", "stats_pending": "kind", "stats_latency": "week, minutes",
              "stats_latency_hours": "week, hours"}
    counters = {"stats_areas": "sum(places), sum(known)", "stats_coverage_weekly": "sum(places), sum(known)"}

    def snapshot():
        return {t: _rows(session, f"SELECT {key}, {counters.get(t, 'sum(n)')} FROM {t} GROUP BY {key} "
                                  f"HAVING {counters.get(t, 'sum(n)').replace(', ', ' <> 0 OR ')} <> 0 ORDER BY {key}")
                for t, key in tables.items()}

    kept = snapshot()
    session.execute(text("SELECT stats_places_rebuild(), stats_submissions_rebuild()"))
    assert snapshot() == kept
    assert kept["stats_places"] and kept["stats_pending"]


def test_concurrent_writers_of_the_same_counters_do_not_wait_for_each_other(engine):
    # Two transactions adding a food place with status yes and a new-place submission this week: without the
    # shards both would queue for the same counter rows until the first commits.
    connections = [engine.connect() for _ in range(12)]
    try:
        by_shard = {conn.scalar(text("SELECT stats_shard()")): conn for conn in connections}
        assert len(by_shard) >= 2
        for lon, conn in zip((9.5, 12.5), list(by_shard.values())[:2], strict=False):
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(text("""
                INSERT INTO places (geom, name, category, wheelchair)
                VALUES (ST_SetSRID(ST_MakePoint(:lon, 47.1), 4326), 'Concurrent', 'food', 'yes')"""), {"lon": lon})
            conn.execute(text("INSERT INTO submissions (kind, proposed, device_hash) VALUES ('new_place', '{}', 'd')"))
            assert conn.scalar(text("SELECT sum(n) FROM stats_places WHERE category = 'food' AND wheelchair = 'yes' "
                                    "AND shard = stats_shard()")) == 1
    finally:
        for conn in connections:
            conn.rollback()
            conn.close()


# --- coverage over time --------------------------------------------------------------------------------------

def _backdated_places(session, weeks_ago_and_status):
    for i, (weeks_ago, status) in enumerate(weeks_ago_and_status):
        session.execute(text("""
            INSERT INTO places (geom, name, category, wheelchair, created_at)
            VALUES (ST_SetSRID(ST_MakePoint(9.5, 47.1), 4326), :name, 'food', :status,
                    now() - make_interval(weeks => :weeks))"""),
                        {"name": f"Old {i}", "status": status, "weeks": weeks_ago})


def test_coverage_over_time_counts_places_from_their_week_and_changes_from_theirs(session, client):
    _backdated_places(session, [(30, "yes"), (20, "unknown"), (10, "no"), (10, "unknown"), (3, "yes"), (1, "limited")])
    session.commit()

    def series():
        return [(w["week"], w["places"], w["known"]) for w in client.get("/api/stats").get_json()["coverage"]["weekly"]]

    before = series()
    existing = f"""SELECT count(*), count(*) FILTER (WHERE wheelchair <> 'unknown') FROM places
                    WHERE {PUBLISHED} AND {WEEK.format('created_at')} <= :week"""
    expected = [(w, *_rows(session, existing, week=date.fromisoformat(w))[0]) for w, _, _ in before]
    assert before == expected
    assert before[0][1:] == (1, 1) and before[-1][1:] == (6, 4)

    # Today: an old unknown place becomes known and an old known one is hidden; only this week moves.
    old_unknown = session.scalars(text("SELECT id FROM places WHERE name = 'Old 1'")).one()
    old_known = session.scalars(text("SELECT id FROM places WHERE name = 'Old 0'")).one()
    session.execute(text("UPDATE places SET wheelchair = 'yes' WHERE id = :id"), {"id": old_unknown})
    session.execute(text("UPDATE places SET hidden_at = now() WHERE id = :id"), {"id": old_known})
    session.commit()
    after = series()
    assert after[:-1] == before[:-1]
    assert after[-1][1:] == (5, 4)


# --- contributions and the queue ---------------------------------------------------------------------------

def test_queue_counts_come_from_the_rollup_and_equal_a_direct_count(session, count_queries):
    _world(session)
    direct = dict(_rows(session, "SELECT kind, count(*) FROM submissions WHERE state = 'pending' GROUP BY 1"))

    with count_queries() as counted_statements:
        counts, matching = queue.pending_counts(session)
    assert {k: n for k, n in counts.items() if n} == direct and matching == sum(direct.values())
    assert "submissions" not in str(counted_statements), counted_statements

    with count_queries() as counted_statements:
        counts, matching = queue.pending_counts(session, queue.QueueFilters(kinds=("status", "report")))
    assert matching == direct["status"] + direct["report"]
    assert "submissions" not in str(counted_statements), counted_statements

    # A filter on the area narrows the rows to count: that one count looks at them.
    box = BBox(9.4, 47.0, 9.6, 47.2)
    counts, matching = queue.pending_counts(session, queue.QueueFilters(bbox=box))
    assert {k: n for k, n in counts.items() if n} == direct
    assert matching == session.scalar(text(
        "SELECT count(*) FROM submissions WHERE state = 'pending' "
        "AND ST_Intersects(geom, ST_MakeEnvelope(9.4, 47.0, 9.6, 47.2, 4326))")) == 3


def test_queue_page_counts_follow_a_decision(session, client, auth):
    moderator, _, _ = _world(session)
    auth.login_as("moderator")
    status = session.scalars(text("SELECT id FROM submissions WHERE kind = 'status' ORDER BY id LIMIT 1")).one()
    moderation.reject(session, status, moderator, "wrong")
    session.commit()
    html = client.get("/moderate").get_data(as_text=True)
    direct = session.scalar(text("SELECT count(*) FROM submissions WHERE state = 'pending' AND kind = 'status'"))
    assert direct == 1
    assert f'<span class="count" data-kind="status">{direct}</span>' in html


# --- moderation latency --------------------------------------------------------------------------------------

def test_latency_percentiles_equal_percentile_disc(session, client):
    moderator = make_user(session, role="moderator")
    place = make_place(session)
    # 400 decisions over three weeks, waits from seconds to ten days, some exactly on an hour, others not by a
    # moderator (auto-approved, an import conflict, a reopened value) and left out.
    session.execute(text("SELECT setseed(0.25)"))
    session.execute(text("""
        INSERT INTO submissions (kind, state, origin, place_id, proposed, device_hash, auto_approved,
                                 decided_by_id, decided_at, reason_code, created_at)
        SELECT 'status', CASE WHEN g % 3 = 0 THEN 'rejected' ELSE 'approved' END,
               CASE WHEN g % 17 = 0 THEN 'import' WHEN g % 19 = 0 THEN 'vote' ELSE 'volunteer' END,
               :place, '{"wheelchair": "yes"}', 'device', g % 13 = 0, :moderator, d.decided,
               CASE WHEN g % 3 = 0 THEN 'wrong' END,
               d.decided - CASE WHEN g % 11 = 0 THEN make_interval(hours => g % 5)
                                ELSE make_interval(secs => (random() ^ 3) * 864000) END
        FROM generate_series(1, 400) AS g
        CROSS JOIN LATERAL (SELECT now() - make_interval(days => (g % 3) * 7, mins => g % 50) AS decided) AS d"""),
                    {"place": place.id, "moderator": moderator.id})
    session.commit()
    answer = assert_api_equals_sql(session, client)
    latency = answer["moderation"]["latency"]
    decisions = session.scalar(text(f"SELECT count(*) FROM submissions WHERE {DECIDED_BY_MODERATOR}"))
    assert latency["decisions"] == decisions
    assert latency["decisions"] > 300 and latency["p50_minutes"] < latency["p90_minutes"]
    assert sum(w["decisions"] > 0 for w in latency["weekly"]) >= 3

    # An undone decision leaves the histogram, and the percentiles follow.
    decided = session.scalars(text(f"SELECT id FROM submissions WHERE {DECIDED_BY_MODERATOR} "
                                   "ORDER BY decided_at - created_at DESC LIMIT 40")).all()
    session.execute(text("UPDATE submissions SET state = 'pending', decided_at = NULL, decided_by_id = NULL, "
                         "reason_code = NULL WHERE id = ANY(:ids)"), {"ids": decided})
    session.commit()
    assert assert_api_equals_sql(session, client)["moderation"]["latency"]["p90_minutes"] < latency["p90_minutes"]


def test_latency_without_decisions_is_empty_not_zero(client):
    latency = client.get("/api/stats").get_json()["moderation"]["latency"]
    assert latency["decisions"] == 0 and latency["p50_minutes"] is None and latency["p90_minutes"] is None


# --- downloads ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("figure", FIGURES)
def test_each_figure_downloads_as_the_table_on_the_page(session, client, figure):
    _world(session)
    response = client.get(f"/stats/{figure}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    today = utcnow().date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="stepfree-{figure}-{today}.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == page_tables(client)[figure]
    assert len(rows) > 1


def test_an_unknown_figure_is_a_404_naming_it(client):
    response = client.get("/stats/everything.csv", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["field"] == "figure"


def test_recent_weeks_are_mondays_ending_this_week():
    weeks = recent_weeks(date(2025, 3, 5), count=3)  # a Wednesday
    assert weeks == [date(2025, 2, 17), date(2025, 2, 24), date(2025, 3, 3)]
    assert all(w.weekday() == 0 for w in weeks) and weeks[-1] + timedelta(days=2) == date(2025, 3, 5)
