""""/check": the places near a volunteer that are due for a check, one tap each, and peer checks.

The page is a shell: static/js/check.js asks /api/check for the places and /api/peer-checks for the changes,
and sends the answers through the JSON API (and its offline outbox), so answering never loads a page.
"""

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from app.db import get_session
from app.errors import NotFound
from app.params import point_param
from app.queries.events import get_event
from geo.fields import ACCESSIBILITY_FIELDS, FIELDS
from geo.vocabulary import TOILETS_LABELS, WHEELCHAIR_LABELS

bp = Blueprint("check", __name__)


@bp.get("/check")
def index():
    """`near=lon,lat` stands in for the phone's position; `event=<slug>` keeps to a mapping event's area."""
    config = current_app.config
    near = point_param(request.args) if request.args.get("near") else None
    slug = request.args.get("event")
    event = get_event(get_session(), slug) if slug else None
    if slug and event is None:
        raise NotFound(_("There is no mapping event %(slug)s.", slug=repr(slug)), "event")
    return render_template("check.html", event=event, check_config={
        "centre": [config["MAP_CENTER_LON"], config["MAP_CENTER_LAT"]], "near": near,
        "event": event.slug if event else None,
        # The words for the values in peer checks' before → after (the places themselves come with labels).
        "fieldLabels": {key: _(FIELDS[key].label) for key in ACCESSIBILITY_FIELDS},
        "valueLabels": {"wheelchair": _translated(WHEELCHAIR_LABELS),
                        "toilets_wheelchair": _translated(TOILETS_LABELS)},
    })


def _translated(labels: dict[str, str]) -> dict[str, str]:
    """A table of English words (geo/vocabulary.py) in the request's language, keyed as before."""
    return {key: _(label) for key, label in labels.items()}
