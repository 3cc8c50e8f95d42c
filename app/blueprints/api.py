"""The JSON API the map page uses (and a phone app could): places in a view, one place, submissions.

POST endpoints accept only application/json, which a cross-site HTML form cannot send and which
cross-origin scripts can only send after a CORS preflight we never grant; that, plus the Origin check
below, is this API's CSRF protection, so it works for clients without a session too.
"""

import json

from flask import Blueprint, Response, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app import abuse, validation
from app.blueprints.api_openapi import OPENAPI, openapi_document
from app.db import get_database, get_session
from app.device import current_submitter, device_hash, rate_limit_key
from app.errors import AppError, Forbidden, NotFound, ValidationError
from app.extensions import csrf, limiter
from app.inputs import parse_json_object
from app.params import (
    SEARCH_LIMIT_DEFAULT,
    SEARCH_LIMIT_MAX,
    SEARCH_Q_MAX,
    SEARCH_Q_MIN,
    bbox_param,
    category_param,
    int_param,
    wheelchair_param,
)
from app.photos import photo_store
from app.policy import current_policy
from app.queries import changes as changes_queries
from app.queries import duplicates as duplicate_queries
from app.queries import export as export_queries
from app.queries import map as map_queries
from app.services import photos, submissions
from app.urls import external_url
from geo import suggest
from geo.categories import CATEGORY_BY_KEY
from geo.fields import DEPRECATED_ALIASES, DETAIL_FIELDS, Kind
from geo.geojson import LICENSE, LICENSE_URL, attribution
from geo.vocabulary import TOILETS_LABELS, WHEELCHAIR_LABELS

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

DEFAULT_LIMIT = 500
# What /suggest-status reads: the details, validated as a details submission's, none required.
SUGGEST_KIND = Kind("suggest", "", optional=DETAIL_FIELDS)


def _submission_limit() -> str:
    return current_app.config["RATELIMIT_SUBMISSIONS"]


def _address_limit() -> str:
    return current_app.config["RATELIMIT_SUBMISSIONS_ADDRESS"]


def _ip_key() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


submission_limits = [
    limiter.shared_limit(_address_limit, scope="submissions-ip", key_func=_ip_key),
    limiter.shared_limit(_submission_limit, scope="submissions-author", key_func=rate_limit_key),
]


def limited(view):
    for decorator in reversed(submission_limits):
        view = decorator(view)
    return view


def _json_body() -> dict:
    if not request.is_json:
        raise AppError(_("Send the body as JSON with the header Content-Type: application/json."), "Content-Type",
                       code="unsupported_media_type", status=415)
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise AppError(_("Cross-site requests are not accepted."), "Origin", code="cross_origin", status=403)
    return parse_json_object(request.get_data(cache=True))


def _created(submission) -> tuple[Response, int]:
    state = submission.state
    updated = submission.updated_by_repeat
    if submission.kind == "photo":
        message = _("Thank you. Your photo is shown once a moderator has approved it.")
    elif state == "approved":
        message = _("Saved. The map shows it now.")
    elif updated:
        message = _("Your earlier answer, still waiting for review, now says this. A moderator will check it soon.")
    else:
        message = _("Sent for review. A moderator will check it soon.")
    answer = {"id": submission.id, "kind": submission.kind, "state": state, "place_id": submission.place_id,
              "updated": updated, "message": message}
    if submission.kind in ("photo", "photo_report"):
        answer["photo_id"] = submission.proposed["photo_id"]
    return jsonify(answer), 201


@bp.get("/places")
def places():
    args = request.args
    # Any view, up to the whole world: wide ones are answered with clusters from the grid pyramid.
    box = bbox_param(args, required=True)
    limit = int_param(args, "limit", default=DEFAULT_LIMIT, maximum=current_app.config["API_PLACES_LIMIT_MAX"])
    flt = map_queries.MapFilter(box=box, wheelchair=wheelchair_param(args), category=category_param(args))
    with get_database().read_rows() as fetch:
        found = map_queries.view_features(fetch, flt, limit)
    head = json.dumps({"type": "FeatureCollection", "clustered": found.clustered, "limit": limit,
                       "numberReturned": found.count, "bbox": list(box.as_tuple())})
    body = head[:-1] + ', "features": [' + found.joined + "]}"
    return Response(body, mimetype="application/geo+json")


@bp.get("/changes")
def changes():
    """The change feed (app/queries/changes.py), with the exports' attribution."""
    cursor = changes_queries.parse_cursor(request.args.get("since"))
    limit = int_param(request.args, "limit", default=changes_queries.CHANGES_LIMIT_DEFAULT,
                      maximum=changes_queries.CHANGES_LIMIT_MAX)
    page = changes_queries.changes_since(get_session(), cursor, limit)
    body = {"type": "FeatureCollection", "attribution": attribution(True), "license": LICENSE,
            "license_url": LICENSE_URL, "next": page.next_cursor, "more": page.more,
            "features": [change.feature for change in page.changes]}
    response = Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype="application/geo+json")
    response.headers["Link"] = f'<{url_for("api.changes", since=page.next_cursor, limit=limit)}>; rel="next"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/places/search")
def search():
    query = request.args.get("q", "").strip()
    if not SEARCH_Q_MIN <= len(query) <= SEARCH_Q_MAX:
        raise ValidationError(_("q must have %(min)s to %(max)s characters.", min=SEARCH_Q_MIN, max=SEARCH_Q_MAX), "q")
    near = None
    if request.args.get("near"):
        try:
            lon, lat = (float(v) for v in request.args["near"].split(","))
        except ValueError:
            raise ValidationError(_("near must be lon,lat."), "near") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(_("near must be lon,lat within range."), "near")
        near = (lon, lat)
    limit = int_param(request.args, "limit", default=SEARCH_LIMIT_DEFAULT, maximum=SEARCH_LIMIT_MAX)
    found = map_queries.search_features(get_session(), query, near, limit)
    return Response('{"type": "FeatureCollection", "features": [' + ",".join(found) + "]}",
                    mimetype="application/geo+json")


@bp.get("/places/<int:place_id>")
def place(place_id: int):
    session = get_session()
    found = export_queries.place_feature(session, place_id)
    if found is None:
        if (into := duplicate_queries.surviving_place(session, place_id)) is not None:
            # A merged duplicate: a link or bookmark to it reaches the place it was merged into.
            return redirect(url_for(".place", place_id=into.id), 302)
        raise NotFound(_("There is no place %(id)s.", id=place_id), "place_id")
    version, text = found
    feature = json.loads(text)
    properties = feature["properties"]
    user_id = current_user.id if current_user.is_authenticated else None
    pending = map_queries.pending_for_visitor(session, place_id, user_id, device_hash())
    properties.update({
        # What the sheet shows in words, and the version a status answer is based on.
        "category_label": _(CATEGORY_BY_KEY[properties["category"]].label),
        "wheelchair_label": _(WHEELCHAIR_LABELS[properties["wheelchair"]]),
        "toilets_label": _(TOILETS_LABELS[properties["toilets:wheelchair"]]),
        "version": version,
        # Only the visitor's own pending work, and only what they need to know: that it awaits review.
        "your_pending": [{"kind": s.kind, "submitted_at": s.created_at.isoformat()} for s in pending],
        # Approved photos only, each with its licence and credit (app/services/photos.py).
        "photos": [photos.photo_view(photo) for photo in photos.shown_photos(session, place_id)],
        **{old: properties[new] for old, new in DEPRECATED_ALIASES.items()},
    })
    feature["links"] = [{"rel": "alternate", "type": "text/html", "href": url_for("pages.index", place=place_id)}]
    return Response(json.dumps(feature), mimetype="application/geo+json")


def _submit(store, read_body=_json_body) -> tuple[Response, int]:
    """Run one submission service on the body for the current visitor, commit, and answer 201."""
    body = read_body()
    submitter = current_submitter()
    if submitter.user is None and g.get("banned_account_id") is not None:
        abuse.pause_network()
        raise Forbidden(_("Your account is banned and cannot send submissions, signed in or not."), code="banned")
    if submitter.user is None and abuse.network_paused():
        raise Forbidden(_("Anonymous submissions from this network are paused for a while after abuse. "
                          "Sign in to send your answer."), code="network_paused")
    session = get_session()
    try:
        submission = store(session, submitter, body)
    except Forbidden as error:
        if error.code == "banned" and submitter.user is None:
            abuse.pause_network()  # so that dropping the banned cookie does not let the device back in
        raise
    session.commit()
    return _created(submission)


def _submit_change(service, place_id: int) -> tuple[Response, int]:
    """A change to a published place, as of the version the sender saw (`base_version`)."""
    return _submit(lambda session, submitter, body: service(
        session, submitter, place_id, body, body.get("base_version"), policy=current_policy()))


@bp.post("/places/<int:place_id>/status")
@limited
def submit_status(place_id: int):
    return _submit_change(submissions.submit_status, place_id)


@bp.post("/places/<int:place_id>/details")
@limited
def submit_details(place_id: int):
    return _submit_change(submissions.submit_details, place_id)


@bp.post("/suggest-status")
def suggest_status():
    """The wheelchair value the sent details suggest, and why (geo/suggest.py); stores nothing."""
    details = validation.clean(SUGGEST_KIND, _json_body())
    wheelchair, reason = suggest.suggest_status(details)
    return jsonify({"wheelchair": wheelchair, "reason_key": reason, "reason": _(suggest.REASONS[reason])})


@bp.post("/places")
@limited
def submit_new_place():
    return _submit(lambda session, submitter, body: submissions.submit_new_place(
        session, submitter, body, policy=current_policy()))


@bp.post("/places/<int:place_id>/reports")
@limited
def submit_report(place_id: int):
    return _submit(lambda session, submitter, body: submissions.submit_report(session, submitter, place_id, body))


@bp.post("/places/<int:place_id>/corrections")
@limited
def submit_correction(place_id: int):
    return _submit_change(submissions.submit_correction, place_id)


def _photo_form() -> dict:
    """A photo's upload: a multipart form, which any site could send from a plain HTML form, so it must carry
    the page's CSRF token (header X-CSRFToken, or field csrf_token) and, when the browser says, come from here."""
    if request.mimetype != "multipart/form-data":
        raise AppError(_("Send the photo as multipart/form-data with the file in the field photo."), "Content-Type",
                       code="unsupported_media_type", status=415)
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise AppError(_("Cross-site requests are not accepted."), "Origin", code="cross_origin", status=403)
    try:
        csrf.protect()
    except CSRFError:
        raise Forbidden(_("Send the page's CSRF token in the X-CSRFToken header: reload the page and try again."),
                        "X-CSRFToken", code="csrf_failed") from None
    upload = request.files.get("photo")
    return {"photo": upload.read() if upload else None, "subject": request.form.get("subject"),
            "licence": request.form.get("licence")}


@bp.post("/places/<int:place_id>/photos")
@limited
def submit_photo(place_id: int):
    return _submit(lambda session, submitter, form: submissions.submit_photo(
        session, submitter, place_id, form["photo"], form, photo_store()), read_body=_photo_form)


@bp.post("/photos/<int:photo_id>/reports")
@limited
def submit_photo_report(photo_id: int):
    return _submit(lambda session, submitter, body: submissions.submit_photo_report(
        session, submitter, photo_id, body))


@bp.get("/openapi.json")
def openapi():
    config = current_app.config
    document = openapi_document(external_url(".openapi").rsplit("/", 1)[0],
                                limit_max=config["API_PLACES_LIMIT_MAX"], default_limit=DEFAULT_LIMIT,
                                submission_limit=config["RATELIMIT_SUBMISSIONS"],
                                address_limit=config["RATELIMIT_SUBMISSIONS_ADDRESS"],
                                max_content_length=config["MAX_CONTENT_LENGTH"])
    return Response(json.dumps(document), mimetype=OPENAPI)
