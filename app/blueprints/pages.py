"""Public pages: the map and the visitor's own submissions."""

from flask import Blueprint, current_app, render_template

from app.db import get_session
from app.device import current_volunteer
from app.queries.submissions import list_for_author
from geo.categories import CATEGORIES

bp = Blueprint("pages", __name__)

@bp.get("/")
def index():
    config = current_app.config
    return render_template(
        "map.html", categories=CATEGORIES,
        map_config={"tileUrl": config["TILE_URL"], "tileAttribution": config["TILE_ATTRIBUTION"],
                    "center": [config["MAP_CENTER_LAT"], config["MAP_CENTER_LON"]], "zoom": config["MAP_ZOOM"]})


@bp.get("/my/submissions")
def my_submissions():
    volunteer = current_volunteer()
    listing = list_for_author(get_session(), volunteer.user.id if volunteer.user else None, volunteer.device_hash)
    return render_template("my_submissions.html", submissions=listing)
