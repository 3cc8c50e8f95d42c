"""Possible duplicates on the review screen: the two places side by side, and the merge.

Rejecting one ("not the same place") is the queue's ordinary rejection (queue.py); merging is its own action,
since it changes two places (app/services/duplicates.py). Imports nothing from queue.py or tools.py.
"""

from flask import flash, redirect, url_for
from flask import session as web_session
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.access import role_required
from app.blueprints.moderate.blueprint import bp
from app.db import get_session
from app.i18n import place_label
from app.models import Place, Submission
from app.queries import duplicates as pairs
from app.services import duplicates


@bp.post("/submissions/<int:submission_id>/merge")
@role_required("moderator")
def merge(submission_id: int):
    session = get_session()
    submission = duplicates.merge(session, submission_id, current_user)
    osm = session.get(Place, duplicates.duplicate_of(submission))
    volunteer = session.get(Place, submission.place_id)
    session.commit()
    # "u" would otherwise undo the decision before this one: a merge itself is not undone in one step.
    web_session.pop("mod_last_decision", None)
    flash(_("Merged %(volunteer)s into %(osm)s (submission %(id)s). Both histories are kept on this page and the "
            "merged place's page.", volunteer=place_label(volunteer), osm=place_label(osm), id=submission_id),
          "success")
    return redirect(url_for("place_pages.show", place_id=osm.id), 303)


@bp.app_template_global("duplicate_pair")
def duplicate_pair(submission: Submission) -> pairs.DuplicatePair | None:
    """The review screen's two places of a `duplicate` item (None for other kinds)."""
    return pairs.duplicate_pair(get_session(), submission)


@bp.app_template_global("merged_into")
def merged_into(place: Place) -> Place | None:
    """The place a merged place was folded into, for its page's "merged into" line."""
    return pairs.merged_into(get_session(), place) if place.merged_into_id is not None else None
