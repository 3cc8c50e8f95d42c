""""/me" and "/notices": a volunteer's impact, and notices of verdicts on their submissions.

The volunteer is the signed-in account, or else this device's cookie, as on /my/submissions; looking never
creates a device cookie. The menu's unread count comes from this blueprint's context processor.
"""

from flask import Blueprint, flash, g, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.db import get_session
from app.device import current_volunteer
from app.models.base import utcnow
from app.queries.impact import AREA_METRES, volunteer_impact
from app.queries.notices import NoticeSummary, list_notices, notice_summary
from app.services.notices import mark_all_read

bp = Blueprint("me", __name__)


@bp.get("/me")
def index():
    impact = volunteer_impact(get_session(), current_volunteer(), today=utcnow().date())
    return render_template("me.html", impact=impact, area_metres=AREA_METRES)


@bp.get("/notices")
def notices():
    return render_template("notices.html", notices=list_notices(get_session(), current_volunteer()))


@bp.post("/notices/read")
def mark_read():
    session = get_session()
    marked = mark_all_read(session, current_volunteer())
    session.commit()
    flash(_("All notices are marked as read.") if marked else _("There were no unread notices."), "success")
    return redirect(url_for("me.notices"), 303)


def _notice_summary() -> NoticeSummary | None:
    # Asked once per request, and only when a page draws the menu (see notices_menu below).
    if "notice_summary" not in g:
        g.notice_summary = notice_summary(get_session(), current_volunteer())
    return g.notice_summary


@bp.app_context_processor
def notices_menu():
    """The menu's notices link, as a function the menu calls: a page that draws the menu pays one indexed
    statement; the 503 page (database_down) never calls it, and static files and the API never get it."""
    if not has_request_context() or request.endpoint == "static" or request.blueprint == "api":
        return {}
    return {"notices_menu": _notice_summary}
