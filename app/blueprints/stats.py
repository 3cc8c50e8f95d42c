""""/stats" and "/api/stats": public statistics from rollups kept up to date as changes happen.

The page renders each figure's data table; static/js/stats.js draws the charts from /api/stats, which answers
the same numbers. Each figure can be downloaded as CSV. No personal data: counts and durations only.
"""

import csv
import io

from flask import Blueprint, Response, jsonify, render_template
from flask_babel import gettext as _

from app.db import get_session
from app.errors import NotFound
from app.models.base import utcnow
from app.queries.stats import FIGURES, WEEKS, as_json, read_statistics, tables

bp = Blueprint("stats", __name__)

# The page's area chart and table show the areas with the most places; the CSV and the API list them all.
SHOWN_AREAS = 20


@bp.get("/stats")
def index():
    stats = read_statistics(get_session(), today=utcnow().date())
    return render_template("stats.html", stats=stats, tables=tables(stats), weeks=WEEKS, shown_areas=SHOWN_AREAS)


@bp.get("/api/stats")
def api():
    return jsonify(as_json(read_statistics(get_session(), today=utcnow().date())))


@bp.get("/stats/<figure>.csv")
def download(figure: str):
    """One figure's table as CSV, with its headings as the first row."""
    if figure not in FIGURES:
        raise NotFound(_("There is no figure %(figure)s; the figures are %(figures)s.", figure=repr(figure),
                         figures=", ".join(FIGURES)), "figure")
    today = utcnow().date()
    table = tables(read_statistics(get_session(), today))[figure]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    filename = f"stepfree-{figure}-{today.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
