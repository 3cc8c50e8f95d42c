"""The upstream queue (/moderate/osm): what StepFree would give back to OpenStreetMap, field by field, with the
downloads OSM mappers take (an osmChange file, a MapRoulette challenge) and the holds. Imports nothing from
queue.py, tools.py or duplicates.py.
"""

import io
from datetime import UTC, datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.access import role_required
from app.blueprints.moderate.blueprint import bp
from app.db import get_session
from app.queries import osm_upstream as upstream
from app.services import osm_upstream as holds
from geo.categories import CATEGORIES
from geo.vocabulary import REVISION_SOURCE_LABELS

# The page lists the newest this many ready places; the files carry them all.
PAGE_ITEMS = 200


@bp.get("/osm")
@role_required("moderator")
def upstream_queue():
    session = get_session()
    items = upstream.upstream_items(session, include_held=True)
    ready = [i for i in items if i.conflict is None and i.hold is None]
    return render_template(
        "moderate/upstream.html", ready=ready[:PAGE_ITEMS], ready_count=len(ready),
        conflicts=[i for i in items if i.conflict is not None and i.hold is None],
        held=[i for i in items if i.hold is not None], conflict_reasons=upstream.CONFLICT_REASONS,
        source_labels=REVISION_SOURCE_LABELS, categories=CATEGORIES)


@bp.get("/osm/stepfree.osc")
@role_required("moderator")
def upstream_osmchange():
    out = io.StringIO()
    upstream.write_osmchange_file(upstream.offered(upstream.upstream_items(get_session())), out)
    return _download(out.getvalue(), "application/xml", "osc")


@bp.get("/osm/maproulette.geojson")
@role_required("moderator")
def upstream_maproulette():
    out = io.StringIO()
    upstream.write_maproulette_file(upstream.offered(upstream.upstream_items(get_session())), out)
    return _download(out.getvalue(), "application/geo+json-seq", "geojson")


def _download(body: str, mimetype: str, suffix: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="stepfree-{stamp}.{suffix}"', "Cache-Control": "no-store"})


@bp.post("/osm/places/<int:held_place_id>/hold")
@role_required("moderator")
def hold_upstream(held_place_id: int):
    session = get_session()
    holds.hold(session, held_place_id, request.form.get("reason", ""), current_user)
    session.commit()
    flash(_("Held back from OpenStreetMap: it stays out of every file until released."), "success")
    return redirect(url_for("moderate.upstream_queue"), 303)


@bp.post("/osm/places/<int:held_place_id>/release")
@role_required("moderator")
def release_upstream(held_place_id: int):
    session = get_session()
    holds.release(session, held_place_id, current_user)
    session.commit()
    flash(_("Released: the place's changes are offered to OpenStreetMap again."), "success")
    return redirect(url_for("moderate.upstream_queue"), 303)
