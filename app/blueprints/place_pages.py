"""The public page of one place: what is known about its accessibility, its photos, and its full history."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.api import limited
from app.db import get_session
from app.device import current_submitter
from app.errors import NotFound
from app.queries import duplicates as duplicate_queries
from app.queries.history import get_visible_place, list_revisions
from app.services import photos, submissions
from app.timefmt import ago
from geo.categories import CATEGORY_BY_KEY
from geo.vocabulary import PHOTO_PROBLEM_LABELS

bp = Blueprint("place_pages", __name__, url_prefix="/places")
# "checked 3 years ago": for any page that says how old a value is.
bp.add_app_template_filter(ago, "ago")


@bp.get("/<int:place_id>")
def show(place_id: int):
    session = get_session()
    is_moderator = current_user.is_authenticated and current_user.is_moderator
    if not is_moderator and (into := duplicate_queries.surviving_place(session, place_id)) is not None:
        # A merged duplicate lives on in the place it was merged into; moderators see its own page and history.
        return redirect(url_for(".show", place_id=into.id), 302)
    place = get_visible_place(session, place_id, include_unpublished=is_moderator)
    return render_template("places/show.html", place=place, values=place.snapshot(),
                           history=list_revisions(session, place.id), is_moderator=is_moderator,
                           category=CATEGORY_BY_KEY.get(place.category),
                           photos=[photos.photo_view(photo) for photo in photos.shown_photos(session, place.id)],
                           photo_problems=[(code, _(label)) for code, label in PHOTO_PROBLEM_LABELS.items()],
                           tile_url=current_app.config["TILE_URL"],
                           tile_attribution=current_app.config["TILE_ATTRIBUTION"])


@bp.post("/<int:place_id>/photos/<int:photo_id>/report")
@limited
def report_photo(place_id: int, photo_id: int):
    """The place page's report of a photo (a form; the sheet sends the same to the JSON API)."""
    session = get_session()
    if photos.get_photo(session, photo_id).place_id != place_id:
        raise NotFound(_("There is no photo %(id)s.", id=photo_id), "photo_id")
    submissions.submit_photo_report(session, current_submitter(), photo_id,
                                    {"problem": request.form.get("problem"), "note": request.form.get("note")})
    session.commit()
    flash(_("Thank you. A moderator will look at the photo soon."), "success")
    return redirect(url_for(".show", place_id=place_id), 303)
