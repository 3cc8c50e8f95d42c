"""Public statistics (/stats, /api/stats) and the moderation queue's counts, read from the rollups that database
triggers keep exact (migration 0006, app/models/stats.py): a few small rows per figure, never a scan of the
places or submissions, so a view costs the same with a thousand places as with millions.

Weeks are ISO weeks in UTC, named by their Monday, as the rollups' `stats_week()` cuts them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.models import (
    AreaCount,
    ContributionWeek,
    CoverageWeek,
    PendingCount,
    PlaceCount,
)
from app.models.stats import AREA_DEGREES
from app.models.submissions import SUBMISSION_KINDS
from geo.categories import CATEGORIES, CATEGORY_BY_KEY
from geo.fields import KINDS
from geo.vocabulary import WHEELCHAIR_LABELS, WHEELCHAIR_VALUES

WEEKS = 26
# The figures, by the names their charts, tables and CSV files carry.
FIGURES = ("coverage-by-category", "coverage-by-area", "coverage-weekly", "contributions-weekly",
           "moderation-latency", "queue")


def week_of(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def recent_weeks(today: date, count: int = WEEKS) -> list[date]:
    """The Mondays of the last `count` weeks, oldest first, ending with this week."""
    last = week_of(today)
    return [last - timedelta(weeks=count - 1 - i) for i in range(count)]


@dataclass(frozen=True)
class Coverage:
    places: int = 0
    known: int = 0

    @property
    def known_pct(self) -> float | None:
        """The share of places with a known status, in per cent with one decimal (None without places)."""
        return round(100 * self.known / self.places, 1) if self.places else None


@dataclass(frozen=True)
class CategoryCoverage:
    category: str
    by_status: dict[str, int]

    @property
    def coverage(self) -> Coverage:
        return Coverage(sum(self.by_status.values()), sum(n for s, n in self.by_status.items() if s != "unknown"))


@dataclass(frozen=True)
class AreaCoverage:
    bbox: tuple[float, float, float, float]
    coverage: Coverage

    @property
    def label(self) -> str:
        return ",".join(f"{v:g}" for v in self.bbox)


@dataclass(frozen=True)
class Latency:
    """Moderators' decisions in a week (or the whole window, week None) and the p50/p90 of whole minutes waited."""

    week: date | None
    decisions: int
    p50: int | None
    p90: int | None


@dataclass(frozen=True)
class Statistics:
    weeks: list[date]
    by_category: list[CategoryCoverage]
    by_area: list[AreaCoverage]
    coverage_weekly: list[tuple[date, Coverage]]
    contributions_weekly: list[tuple[date, dict[str, int]]]
    latency: Latency
    latency_weekly: list[Latency]
    pending: dict[str, int]

    @property
    def coverage(self) -> Coverage:
        return total_coverage(self.by_category)

    @property
    def by_status(self) -> dict[str, int]:
        return {s: sum(c.by_status[s] for c in self.by_category) for s in WHEELCHAIR_VALUES}


def total_coverage(by_category: list[CategoryCoverage]) -> Coverage:
    return Coverage(sum(c.coverage.places for c in by_category), sum(c.coverage.known for c in by_category))


def pending_by_kind_statement():
    """Pending submissions per kind, summed over the rollup's shards."""
    return select(PendingCount.kind, func.sum(PendingCount.n).label("n")).group_by(PendingCount.kind)


def pending_by_kind(session: Session) -> dict[str, int]:
    """Pending submissions per kind, every kind present (zero included)."""
    counts = dict.fromkeys(SUBMISSION_KINDS, 0)
    counts.update(session.execute(pending_by_kind_statement()).all())
    return counts


def coverage_by_category(session: Session) -> list[CategoryCoverage]:
    """Published places per category (all categories, in their usual order) and wheelchair status."""
    counts = {(c.key, s): 0 for c in CATEGORIES for s in WHEELCHAIR_VALUES}
    counts.update(((category, status), n) for category, status, n in session.execute(
        select(PlaceCount.category, PlaceCount.wheelchair, func.sum(PlaceCount.n))
        .group_by(PlaceCount.category, PlaceCount.wheelchair)))
    return [CategoryCoverage(c.key, {s: counts[c.key, s] for s in WHEELCHAIR_VALUES}) for c in CATEGORIES]


def coverage_by_area(session: Session) -> list[AreaCoverage]:
    """Published and known places per cell of AREA_DEGREES that holds any, the fullest first."""
    places = func.sum(AreaCount.places)
    rows = session.execute(select(AreaCount.cx, AreaCount.cy, places, func.sum(AreaCount.known))
                           .group_by(AreaCount.cx, AreaCount.cy).having(places > 0)
                           .order_by(places.desc(), AreaCount.cx, AreaCount.cy))
    return [AreaCoverage((cx * AREA_DEGREES, cy * AREA_DEGREES, (cx + 1) * AREA_DEGREES, (cy + 1) * AREA_DEGREES),
                         Coverage(n, known)) for cx, cy, n, known in rows]


def coverage_weekly(session: Session, weeks: list[date], now: Coverage) -> list[tuple[date, Coverage]]:
    """Places and known places at the end of each week: today's figures less the changes of the weeks after."""
    changes = {week: Coverage(n, known) for week, n, known in session.execute(
        select(CoverageWeek.week, func.sum(CoverageWeek.places), func.sum(CoverageWeek.known))
        .where(CoverageWeek.week > weeks[0]).group_by(CoverageWeek.week))}
    # Changes dated after this week (a place created with a future date) are in today's figures too.
    later = Coverage(sum(c.places for week, c in changes.items() if week > weeks[-1]),
                     sum(c.known for week, c in changes.items() if week > weeks[-1]))
    series = []
    for week in reversed(weeks):
        series.append((week, Coverage(now.places - later.places, now.known - later.known)))
        change = changes.get(week, Coverage())
        later = Coverage(later.places + change.places, later.known + change.known)
    return series[::-1]


def contributions_weekly(session: Session, weeks: list[date]) -> list[tuple[date, dict[str, int]]]:
    """Volunteers' submissions per week and kind."""
    counts = defaultdict(int)
    counts.update(((week, kind), n) for week, kind, n in session.execute(
        select(ContributionWeek.week, ContributionWeek.kind, func.sum(ContributionWeek.n))
        .where(ContributionWeek.week.between(weeks[0], weeks[-1]))
        .group_by(ContributionWeek.week, ContributionWeek.kind)))
    return [(week, {kind: counts[week, kind] for kind in SUBMISSION_KINDS}) for week in weeks]


# The p50 and p90 of whole minutes waited, per week decided and (week NULL) over the window, exactly as
# percentile_disc over floor(minutes) of the same decisions: the rank it answers is ceil(fraction · n) in
# float8 (at least 1). The hour histogram says which hour holds that sample and how many decisions came
# before it; that hour's minute rows (at most 60, through the primary key) then give the minute.
LATENCY_SQL = text("""
WITH running AS (
    SELECT week, hours, n, sum(n) OVER (PARTITION BY week ORDER BY hours) AS upto,
           sum(n) OVER (PARTITION BY week) AS total
    FROM stats_latency_hours WHERE week BETWEEN :first AND :last AND n > 0
    UNION ALL
    SELECT NULL, hours, n, sum(n) OVER (ORDER BY hours), sum(n) OVER ()
    FROM (SELECT hours, sum(n)::integer AS n FROM stats_latency_hours
          WHERE week BETWEEN :first AND :last AND n > 0 GROUP BY hours) AS window_hours
), ranked AS (
    SELECT *, greatest(1, ceil(0.5 * total::float8)) AS rank50, greatest(1, ceil(0.9 * total::float8)) AS rank90
    FROM running
), located AS (
    SELECT week, max(total)::bigint AS total,
           min(hours) FILTER (WHERE upto >= rank50) AS hour50,
           max(rank50) - min(upto - n) FILTER (WHERE upto >= rank50) AS nth50,
           min(hours) FILTER (WHERE upto >= rank90) AS hour90,
           max(rank90) - min(upto - n) FILTER (WHERE upto >= rank90) AS nth90
    FROM ranked GROUP BY week
)
SELECT l.week, p.percentile, l.total, m.minutes
FROM located AS l
CROSS JOIN LATERAL (VALUES (50, l.hour50, l.nth50), (90, l.hour90, l.nth90)) AS p (percentile, hours, nth)
CROSS JOIN LATERAL (
    SELECT minutes FROM (
        SELECT minutes, sum(sum(n)::integer) OVER (ORDER BY minutes) AS upto FROM stats_latency
        WHERE week = ANY(CASE WHEN l.week IS NULL THEN CAST(:weeks AS date[]) ELSE ARRAY[l.week] END)
          AND minutes BETWEEN p.hours * 60 AND p.hours * 60 + 59 AND n > 0
        GROUP BY minutes) AS counted
    WHERE upto >= p.nth ORDER BY minutes LIMIT 1
) AS m
""")


def moderation_latency(session: Session, weeks: list[date]) -> tuple[Latency, list[Latency]]:
    """The p50 and p90 of whole minutes from submission to a moderator's decision, over the window and per week
    (equal to percentile_disc over floor(minutes) of the same decisions; see LATENCY_SQL)."""
    found: dict[date | None, dict] = defaultdict(dict)
    for week, percentile, total, minutes in session.execute(
            LATENCY_SQL, {"first": weeks[0], "last": weeks[-1], "weeks": weeks}):
        found[week].update({"decisions": total, percentile: minutes})

    def latency(week: date | None) -> Latency:
        figures = found.get(week, {})
        return Latency(week, figures.get("decisions", 0), figures.get(50), figures.get(90))

    return latency(None), [latency(week) for week in weeks]


def read_statistics(session: Session, today: date) -> Statistics:
    """Every figure of /stats, for the weeks up to the one holding `today` (UTC)."""
    weeks = recent_weeks(today)
    by_category = coverage_by_category(session)
    latency, latency_weekly = moderation_latency(session, weeks)
    return Statistics(weeks=weeks, by_category=by_category, by_area=coverage_by_area(session),
                      coverage_weekly=coverage_weekly(session, weeks, total_coverage(by_category)),
                      contributions_weekly=contributions_weekly(session, weeks),
                      latency=latency, latency_weekly=latency_weekly, pending=pending_by_kind(session))


def _coverage_json(coverage: Coverage) -> dict:
    return {"places": coverage.places, "known": coverage.known, "known_pct": coverage.known_pct}


def _latency_json(latency: Latency) -> dict:
    return {"decisions": latency.decisions, "p50_minutes": latency.p50, "p90_minutes": latency.p90}


def as_json(stats: Statistics) -> dict:
    """The figures as /api/stats answers them (the numbers of /stats and its CSV files)."""
    return {
        "weeks": {"first": stats.weeks[0].isoformat(), "last": stats.weeks[-1].isoformat(),
                  "time_zone": "UTC", "starts_on": "Monday"},
        "coverage": {
            **_coverage_json(stats.coverage), "by_status": stats.by_status,
            "by_category": [{"category": c.category, **_coverage_json(c.coverage), "by_status": c.by_status}
                            for c in stats.by_category],
            "by_area": [{"bbox": list(a.bbox), **_coverage_json(a.coverage)} for a in stats.by_area],
            "weekly": [{"week": week.isoformat(), **_coverage_json(c)} for week, c in stats.coverage_weekly],
        },
        "contributions": {"weekly": [{"week": week.isoformat(), "by_kind": by_kind, "total": sum(by_kind.values())}
                                     for week, by_kind in stats.contributions_weekly]},
        "moderation": {
            "latency": {**_latency_json(stats.latency),
                        "weekly": [{"week": w.week.isoformat(), **_latency_json(w)} for w in stats.latency_weekly]},
            "queue": {"by_kind": stats.pending, "total": sum(stats.pending.values())},
        },
        # Words for the keys above, in the request's language; JSON objects have no order, so the kinds' order
        # comes as a list.
        "labels": {"category": {c.key: _(c.label) for c in CATEGORIES},
                   "wheelchair": {s: _(label) for s, label in WHEELCHAIR_LABELS.items()},
                   "kind": {k: _(KINDS[k].label) for k in SUBMISSION_KINDS}},
        "kinds": list(SUBMISSION_KINDS),
    }


@dataclass(frozen=True)
class Table:
    """One figure as the page's data table and its CSV file: column headings, then rows whose first cell
    names the row. Its words are in the request's language (translated when the table is made)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _blank(value) -> object:
    return "" if value is None else value


def tables(stats: Statistics) -> dict[str, Table]:
    """Every figure of FIGURES as a table, in the request's language."""
    statuses = tuple(_(WHEELCHAIR_LABELS[s]) for s in WHEELCHAIR_VALUES)
    places, known, known_pct, week = _("Places"), _("Known status"), _("Known (%)"), _("Week (Monday)")
    return {
        "coverage-by-category": Table(
            _("Coverage by category"), (_("Category"), places, known, known_pct, *statuses),
            [(_(CATEGORY_BY_KEY[c.category].label), c.coverage.places, c.coverage.known,
              _pct(c.coverage.known_pct), *(c.by_status[s] for s in WHEELCHAIR_VALUES)) for c in stats.by_category]),
        "coverage-by-area": Table(
            _("Coverage by area"), (_("Area (minLon,minLat,maxLon,maxLat)"), places, known, known_pct),
            [(a.label, a.coverage.places, a.coverage.known, _pct(a.coverage.known_pct)) for a in stats.by_area]),
        "coverage-weekly": Table(
            _("Coverage over time"), (week, places, known, known_pct),
            [(monday.isoformat(), c.places, c.known, _pct(c.known_pct)) for monday, c in stats.coverage_weekly]),
        "contributions-weekly": Table(
            _("Contributions per week"), (week, *(_(KINDS[k].label) for k in SUBMISSION_KINDS), _("Total")),
            [(monday.isoformat(), *by_kind.values(), sum(by_kind.values()))
             for monday, by_kind in stats.contributions_weekly]),
        "moderation-latency": Table(
            _("Time to a moderator's decision"), (week, _("Decisions"), _("Median (p50), minutes"),
                                                   _("p90, minutes")),
            [(w.week.isoformat(), w.decisions, _blank(w.p50), _blank(w.p90)) for w in stats.latency_weekly]),
        "queue": Table(
            _("Moderation queue"), (_("Kind"), _("Pending")),
            [(_(KINDS[k].label), n) for k, n in stats.pending.items()]),
    }
