"""The moderation blueprint, its review screen and its one answer to a refused action.

Every route under /moderate lives on `bp`; queue.py (the queue, review, decisions, undo) and tools.py (bans,
place reverts and hiding, the audit log) add theirs to it, and import nothing from each other.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.access import holds, required_role
from app.db import get_session, rollback_request_session
from app.errors import AppError, NotFound, error_response, wants_json
from app.i18n import place_label
from app.queries import moderation as queue
from app.queries.history import list_revisions
from geo.categories import CATEGORIES
from geo.vocabulary import WHEELCHAIR_LABELS

bp = Blueprint("moderate", __name__, url_prefix="/moderate")


@bp.errorhandler(AppError)
def refused(error: AppError):
    """A refused action: a decision shows the review screen with the reason; an action on a place, or an undo,
    goes back where it came from with the reason on top; anything else answers the site's error page."""
    rollback_request_session()
    args = request.view_args or {}
    # Only someone the role check let through sees moderation pages; a missing submission has no screen.
    role = required_role(request.endpoint)
    acting = (request.method == "POST" and not wants_json() and not isinstance(error, NotFound)
              and role is not None and holds(current_user, role))
    if not acting:
        return error_response(error.status, error.code, error.message, error.field)
    if "submission_id" in args:
        return render_review(args["submission_id"], error=error.message), error.status
    if "place_id" in args or request.endpoint == "moderate.undo":
        flash(error.message, "error")
        back = (url_for("place_pages.show", place_id=args["place_id"]) if "place_id" in args
                else url_for("moderate.index"))
        return redirect(back, 303)
    return error_response(error.status, error.code, error.message, error.field)


def render_review(submission_id: int, error: str | None = None) -> str:
    """The review screen of one submission: current vs proposed, its neighbours, author and history."""
    session = get_session()
    context = queue.review_context(session, queue.get_submission(session, submission_id))
    revisions = list_revisions(session, context.place.id) if context.place is not None else []
    nearby_points = [{**p.snapshot(), "name": place_label(p), "status": _(WHEELCHAIR_LABELS[p.wheelchair])}
                     for p, _metres in context.nearby]
    return render_template("moderate/review.html", ctx=context, revisions=revisions, error=error,
                           nearby_points=nearby_points, history=revisions, is_moderator=True,
                           categories=CATEGORIES, tile_url=current_app.config["TILE_URL"],
                           tile_attribution=current_app.config["TILE_ATTRIBUTION"],
                           mine=context.holder is not None and context.holder.id == current_user.id,
                           last_decision=web_session.get("mod_last_decision"))
