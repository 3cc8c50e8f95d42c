"""The JSON API of checking places again (/check and peer checks): what is due near me, "still correct",
"can't tell", recent changes near me, and votes on them. On the `api` blueprint, with its JSON-only CSRF rule."""

import json

from flask import Response, jsonify
from flask import request as flask_request
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.api import _json_body, _submit, bp, limited
from app.db import get_session
from app.device import current_submitter
from app.errors import NotFound, ValidationError
from app.i18n import place_label
from app.params import int_param, point_param
from app.policy import current_policy
from app.queries import check as check_queries
from app.queries.events import get_event
from app.services import checks, submissions
from geo.categories import CATEGORY_BY_KEY
from geo.vocabulary import TOILETS_LABELS, WHEELCHAIR_LABELS


def _event_id(args) -> int | None:
    slug = args.get("event")
    if not slug:
        return None
    event = get_event(get_session(), slug)
    if event is None:
        raise NotFound(_("There is no mapping event %(slug)s.", slug=repr(slug)), "event")
    return event.id


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


@bp.get("/check")
def due():
    """The places nearest `near` that are due for a check, nearest first, as GeoJSON."""
    args = flask_request.args
    lon, lat = point_param(args)
    limit = int_param(args, "limit", default=10, maximum=check_queries.CHECK_LIMIT_MAX)
    found = check_queries.due_places(get_session(), current_policy(), lon=lon, lat=lat,
                                     submitter=current_submitter(), limit=limit, event_id=_event_id(args))
    features = [{
        "type": "Feature", "id": p.id,
        "geometry": {"type": "Point", "coordinates": [round(p.lon, 7), round(p.lat, 7)]},
        "properties": {
            "id": p.id, "name": p.name, "category": p.category,
            "category_label": _(CATEGORY_BY_KEY[p.category].label),
            "wheelchair": p.wheelchair, "wheelchair_label": _(WHEELCHAIR_LABELS[p.wheelchair]),
            "toilets:wheelchair": p.toilets_wheelchair, "toilets_label": _(TOILETS_LABELS[p.toilets_wheelchair]),
            "wheelchair:description": p.description, "version": p.version,
            "last_verified_at": _iso(p.last_verified_at), "distance_m": round(p.distance_m),
        }} for p in found]
    return Response(json.dumps({"type": "FeatureCollection", "features": features}),
                    mimetype="application/geo+json")


@bp.post("/places/<int:place_id>/still-correct")
@limited
def still_correct(place_id: int):
    return _submit(lambda session, submitter, body: submissions.submit_still_correct(
        session, submitter, place_id, body.get("base_version"), policy=current_policy()))


@bp.post("/places/<int:place_id>/skip")
def skip(place_id: int):
    """"Can't tell": not offered to this volunteer again. Stores no submission; answers 204."""
    _json_body()
    session = get_session()
    checks.skip_place(session, current_submitter(), place_id)
    session.commit()
    return "", 204


@bp.get("/peer-checks")
def peer_checks():
    """Recent changes by other volunteers near `near` that the signed-in volunteer may agree with or not."""
    args = flask_request.args
    lon, lat = point_param(args)
    limit = int_param(args, "limit", default=10, maximum=check_queries.CHECK_LIMIT_MAX)
    if not current_user.is_authenticated:
        return jsonify({"changes": [], "sign_in_required": True})
    found = check_queries.peer_checks(get_session(), current_policy(), lon=lon, lat=lat, user=current_user,
                                      limit=limit)
    return jsonify({"changes": [{
        "revision_id": c.revision_id, "place_id": c.place_id, "place_name": place_label(c.place_name, c.category),
        "category": c.category, "category_label": _(CATEGORY_BY_KEY[c.category].label),
        "before": c.before, "after": c.after, "changed_at": _iso(c.created_at),
        "author": c.author_label, "distance_m": round(c.distance_m)} for c in found]})


@bp.post("/revisions/<int:revision_id>/votes")
@limited
def vote(revision_id: int):
    """{"vote": "agree"|"disagree"} from a signed-in volunteer on someone else's change."""
    body = _json_body()
    choice = body.get("vote")
    if choice not in ("agree", "disagree"):
        raise ValidationError(_("vote must be agree or disagree."), "vote")
    session = get_session()
    user = current_user if current_user.is_authenticated else None
    revision, reopened = checks.vote(session, user, revision_id, choice == "agree", policy=current_policy())
    session.commit()
    return jsonify({"revision_id": revision.id, "vote": choice, "agree": revision.agree_count,
                    "disagree": revision.disagree_count, "reopened": reopened is not None}), 201

