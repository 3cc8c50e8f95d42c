"""Public pages: the map and the visitor's own submissions."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from app.db import get_session
from app.device import device_hash
from app.queries.submissions import list_for_author
from geo.categories import CATEGORIES

bp = Blueprint("pages", __name__)

REASON_LABELS = {
    "wrong": "The information was not correct.",
    "duplicate": "This place or change was already on the map.",
    "spam": "Treated as spam.",
    "unverifiable": "A moderator could not confirm it.",
    "other": "Another reason (see the note).",
    "banned": "Submissions from this account or device are blocked.",
}
PROBLEM_LABELS = {
    "wrong_location": "Wrong location", "closed": "Closed or gone", "wrong_status": "Wrong accessibility status",
    "offensive": "Offensive or spam", "other": "Something else",
}


@bp.get("/")
def index():
    config = current_app.config
    return render_template(
        "map.html", categories=CATEGORIES, problems=PROBLEM_LABELS,
        map_config={"tileUrl": config["TILE_URL"], "tileAttribution": config["TILE_ATTRIBUTION"],
                    "center": [config["MAP_CENTER_LAT"], config["MAP_CENTER_LON"]], "zoom": config["MAP_ZOOM"]})


@bp.get("/my/submissions")
def my_submissions():
    user_id = current_user.id if current_user.is_authenticated else None
    listing = list_for_author(get_session(), user_id, None if user_id else device_hash())
    return render_template("my_submissions.html", submissions=listing, reasons=REASON_LABELS,
                           problems=PROBLEM_LABELS)
