"""Photos' files, served from the photo store (app/photos.py) by their content names.

A shown photo's file never changes under its name, so it is cached for a year by browsers and any CDN. A photo
waiting for review is served only to moderators, never cached; anything else is a 404, whether or not a file
of that name exists.
"""

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from app.db import get_session
from app.errors import NotFound
from app.photos import photo_store
from app.services import photos

bp = Blueprint("media", __name__, url_prefix="/media")

YEAR = 365 * 24 * 3600


@bp.get("/photos/<name>")
def photo(name: str):
    found = photos.find_by_file(get_session(), name)
    shown = found is not None and found[1] == "approved"
    reviewing = (found is not None and found[1] == "pending" and current_user.is_authenticated
                 and current_user.is_moderator)
    data = photo_store().read(name) if shown or reviewing else None
    if data is None:
        if shown or reviewing:
            current_app.logger.warning("photo file %s is missing from the photo store", name)
        raise NotFound(_("There is no photo %(id)s.", id=name), "name")
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(name.removesuffix(".jpg"))
    if shown:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response.make_conditional(request)
