"""The public page of one place: what is known about its accessibility, and its full history."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from app.db import get_session
from app.queries.history import get_visible_place, list_revisions
from app.timefmt import ago
from geo.categories import CATEGORY_BY_KEY

bp = Blueprint("place_pages", __name__, url_prefix="/places")
# "checked 3 years ago": for any page that says how old a value is.
bp.add_app_template_filter(ago, "ago")


@bp.get("/<int:place_id>")
def show(place_id: int):
    session = get_session()
    is_moderator = current_user.is_authenticated and current_user.is_moderator
    place = get_visible_place(session, place_id, include_unpublished=is_moderator)
    return render_template("places/show.html", place=place, values=place.snapshot(),
                           history=list_revisions(session, place.id), is_moderator=is_moderator,
                           category=CATEGORY_BY_KEY.get(place.category),
                           tile_url=current_app.config["TILE_URL"],
                           tile_attribution=current_app.config["TILE_ATTRIBUTION"])
