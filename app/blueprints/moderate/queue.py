"""The moderation queue: list and claim pending submissions, review one, decide, undo.

Moderators work one claimed item at a time: every decision commits, then claims the next item matching
the filters they last used and opens it, so the keyboard flow is "a", "a", "r 2 Enter", ... without
returning to the list.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask import session as web_session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.blueprints.access import role_required
from app.blueprints.moderate.blueprint import bp, render_review
from app.db import get_session
from app.errors import ValidationError
from app.i18n import label_in_sentence
from app.params import int_param, queue_filters, whole_number
from app.policy import current_policy
from app.queries import moderation as queue
from app.services import claims, moderation, reports, reverts
from geo.vocabulary import MODERATOR_REASONS, REASON_LABELS

SKIPPED_MAX = 200
SKIPPED_SHOWN = 5


def _filters_from_session() -> queue.QueueFilters:
    try:
        return queue_filters(MultiDict(web_session.get("mod_filters", {})))
    except ValidationError:
        return queue.QueueFilters()


def _open_next(notice: str | None = None):
    """Claim the next item for the current moderator and open it, or go back to the queue when none is left."""
    session = get_session()
    skipped = web_session.get("mod_skipped", [])
    submission = claims.claim_next(session, current_user, _filters_from_session(), exclude_ids=skipped,
                                   policy=current_policy())
    session.commit()
    if notice:
        flash(notice, "success")
    if submission is None:
        flash(_("Nothing left to review with these filters."), "info")
        return redirect(url_for("moderate.index", **_filters_from_session().as_args()))
    return redirect(url_for("moderate.review", submission_id=submission.id))


def _remember_decision(submission_id: int) -> None:
    web_session["mod_last_decision"] = submission_id


@bp.get("")
@role_required("moderator")
def index():
    filters = queue_filters(request.args)
    page = int_param(request.args, "page", default=1, maximum=10_000)
    session = get_session()
    rows = queue.list_queue(session, filters, current_policy(), offset=(page - 1) * queue.QUEUE_PAGE_SIZE)
    counts, matching = queue.pending_counts(session, filters, current_policy())
    return render_template("moderate/queue.html", rows=rows, counts=counts, matching=matching, filters=filters,
                           page=page, page_size=queue.QUEUE_PAGE_SIZE,
                           filter_args=filters.as_args(), tile_url=current_app.config["TILE_URL"],
                           tile_attribution=current_app.config["TILE_ATTRIBUTION"],
                           last_decision=web_session.get("mod_last_decision"))


@bp.post("/next")
@role_required("moderator")
def review_next():
    filters = queue_filters(request.form)
    web_session["mod_filters"] = filters.as_args()
    web_session["mod_skipped"] = []
    return _open_next()


@bp.get("/submissions/<int:submission_id>")
@role_required("moderator")
def review(submission_id: int):
    return render_review(submission_id)


@bp.post("/submissions/<int:submission_id>/claim")
@role_required("moderator")
def claim(submission_id: int):
    claims.claim(get_session(), submission_id, current_user, policy=current_policy())
    get_session().commit()
    return redirect(url_for("moderate.review", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/approve")
@role_required("moderator")
def approve(submission_id: int):
    moderation.approve(get_session(), submission_id, current_user,
                       over_conflict=request.form.get("over_conflict") == "1")
    get_session().commit()
    _remember_decision(submission_id)
    return _open_next(_("Approved submission %(id)s. Press u to undo.", id=submission_id))


@bp.post("/submissions/<int:submission_id>/reject")
@role_required("moderator")
def reject(submission_id: int):
    reason = request.form.get("reason", "")
    if reason not in MODERATOR_REASONS:
        raise ValidationError(_("Choose a reason for the rejection (keys 1 to 5)."), "reason")
    moderation.reject(get_session(), submission_id, current_user, reason, request.form.get("note"))
    get_session().commit()
    _remember_decision(submission_id)
    return _open_next(_("Rejected submission %(id)s (%(reason)s). Press u to undo.", id=submission_id,
                        reason=label_in_sentence(REASON_LABELS[reason])))


@bp.post("/submissions/<int:submission_id>/skip")
@role_required("moderator")
def skip(submission_id: int):
    claims.release(get_session(), submission_id, current_user, action="skip")
    get_session().commit()
    # Skipped items stay out of this moderator's "next" until they start a new round from the queue.
    web_session["mod_skipped"] = (web_session.get("mod_skipped", []) + [submission_id])[-SKIPPED_MAX:]
    return _open_next(_("Skipped submission %(id)s; it is back in the queue for others.", id=submission_id))


@bp.post("/submissions/<int:submission_id>/release")
@role_required("admin")
def release(submission_id: int):
    claims.release(get_session(), submission_id, current_user)
    get_session().commit()
    flash(_("Released submission %(id)s back to the queue.", id=submission_id), "success")
    return redirect(url_for("moderate.review", submission_id=submission_id))


@bp.post("/undo")
@role_required("moderator")
def undo():
    submission_id = web_session.get("mod_last_decision")
    if submission_id is None:
        flash(_("There is no recent decision of yours to undo."), "error")
        return redirect(url_for("moderate.index"))
    reverts.undo_decision(get_session(), submission_id, current_user, policy=current_policy())
    get_session().commit()
    web_session.pop("mod_last_decision", None)
    flash(_("Undone: submission %(id)s is pending again and yours to decide.", id=submission_id), "success")
    return redirect(url_for("moderate.review", submission_id=submission_id))


@bp.post("/submissions/<int:submission_id>/<any(correct, hide, revert, dismiss):action>")
@role_required("moderator")
def resolve_report(submission_id: int, action: str):
    form = request.form
    session = get_session()
    if action == "correct":
        reports.correct_place(session, submission_id, current_user, form.to_dict())
        done = _("Corrected the place (report %(id)s). Press u to undo.", id=submission_id)
    elif action == "hide":
        reports.hide_place(session, submission_id, current_user)
        done = _("Hid the place (report %(id)s). Press u to undo.", id=submission_id)
    elif action == "revert":
        reports.revert_place(session, submission_id, current_user, _version(form))
        done = _("Reverted the place (report %(id)s). Press u to undo.", id=submission_id)
    else:
        reports.dismiss(session, submission_id, current_user, form.get("reason", ""), form.get("note"))
        done = _("Dismissed the report (report %(id)s). Press u to undo.", id=submission_id)
    session.commit()
    _remember_decision(submission_id)
    return _open_next(done)


def _version(form) -> int:
    if not form.get("version"):
        raise ValidationError(_("Choose the version to revert to."), "version")
    return whole_number(form["version"], "version")


def _skipped_summary(skipped: list[tuple[int, str]]) -> str:
    """One message for everything a bulk decision left pending: flashes live in the session cookie, which
    browsers and servers cap at a few kilobytes, so a few reasons are shown and the rest are counted."""
    shown = "; ".join(f"{submission_id} ({_shorten(why)})" for submission_id, why in skipped[:SKIPPED_SHOWN])
    rest = len(skipped) - min(len(skipped), SKIPPED_SHOWN)
    if rest:
        return ngettext("Left %(num)s pending: %(shown)s, and %(rest)s more. Open them from the queue to see why.",
                        "Left %(num)s pending: %(shown)s, and %(rest)s more. Open them from the queue to see why.",
                        len(skipped), shown=shown, rest=rest)
    return ngettext("Left %(num)s pending: %(shown)s. Open them from the queue to see why.",
                    "Left %(num)s pending: %(shown)s. Open them from the queue to see why.", len(skipped), shown=shown)


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


@bp.post("/bulk")
@role_required("moderator")
def bulk():
    form = request.form
    ids = [whole_number(i, "ids") for i in form.getlist("ids")]
    session = get_session()
    result = moderation.bulk_decide(session, ids, current_user, form.get("action", ""), form.get("reason"),
                                    form.get("note"))
    session.commit()
    decided = len(result.decided)
    if form.get("action") == "approve":
        flash(ngettext("Approved %(num)s submission.", "Approved %(num)s submissions.", decided), "success")
    else:
        flash(ngettext("Rejected %(num)s submission.", "Rejected %(num)s submissions.", decided), "success")
    if result.skipped:
        flash(_skipped_summary(result.skipped), "error")
    back = form.get("next", "")
    return redirect(back if back.startswith("/moderate") else url_for("moderate.index"))

