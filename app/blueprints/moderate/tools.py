"""Moderation tools beyond the queue: bans with a revert preview, place reverts and hiding, the audit log.

The routes live on the `moderate` blueprint, so every one of them sits under /moderate and is covered by the
authorization test.
"""

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.blueprints.access import role_required
from app.blueprints.moderate.blueprint import bp
from app.db import get_session
from app.errors import ValidationError
from app.models import User
from app.models.audit import MODERATION_ACTIONS
from app.params import log_filters, whole_number
from app.queries import moderation as queue
from app.services import bans, moderation, reverts
from app.urls import safe_next
from geo.translatable import N_

_DEVICE_HASH = re.compile(r"^[0-9a-f]{64}$")
# Words for the keys of audit events' details (the log shows any other key with its underscores as spaces).
DETAIL_LABELS = {
    "from": N_("from"), "to": N_("to"), "kind": N_("kind"), "note": N_("note"), "fields": N_("fields"),
    "to_version": N_("to version"), "new_version": N_("new version"), "changed": N_("changed"),
    "revision_id": N_("revision id"), "agree": N_("agree"), "disagree": N_("disagree"), "osm": N_("osm"),
    "stepfree": N_("stepfree"), "superseded": N_("superseded"), "state": N_("state"),
    "reason_code": N_("reason code"), "ban_user_id": N_("ban user id"), "ban_device": N_("ban device"),
    "source": N_("source"), "created": N_("created"), "updated": N_("updated"), "unchanged": N_("unchanged"),
    "conflicts": N_("conflicts"), "gone": N_("gone"), "gone_kept_local": N_("gone kept local"),
    "not_in_file": N_("not in file"), "skipped": N_("skipped"), "unmapped_tags": N_("unmapped tags"),
    "value_notes": N_("value notes"), "by_status": N_("by status"), "photo_id": N_("photo id"),
    "addresses_updated": N_("addresses updated"), "possible_duplicates": N_("possible duplicates"),
    "carried": N_("carried over"), "moved": N_("moved"), "merged_into": N_("merged into"),
    "merged_from": N_("merged from"),
}
# Reasons the code itself writes into audit events (besides the codes of REASON_LABELS, and moderators' words).
STORED_REASONS = {"banned author's place": N_("banned author's place"),
                  "banned author's change": N_("banned author's change")}


def _author_from(values) -> bans.Author:
    """The ban target named by `user` (an id) or `device` (a token hash) in a query string or form."""
    user, device = values.get("user", ""), values.get("device", "")
    if user:
        return bans.Author(user_id=whole_number(user, "user"))
    if device:
        if not _DEVICE_HASH.match(device):
            raise ValidationError(_("device must be a device token hash (64 hexadecimal characters)."), "device")
        return bans.Author(device_hash=device)
    raise ValidationError(_("Name the user or the device to ban."), "user")


@bp.get("/ban")
@role_required("moderator")
def ban_preview():
    author = _author_from(request.args)
    session = get_session()
    user = session.get(User, author.user_id) if author.user_id else None
    if author.user_id and user is None:
        raise ValidationError(_("There is no user %(id)s.", id=author.user_id), "user")
    return render_template("moderate/ban.html", author=author, user=user,
                           already_banned=bans.is_banned(session, author), plans=bans.revert_plan(session, author),
                           pending=len(queue.pending_by_author_id(session, author.user_id, author.device_hash)))


@bp.post("/ban")
@role_required("moderator")
def ban():
    form = request.form
    author = _author_from(form)
    session = get_session()
    rejected = bans.ban(session, current_user, author, form.get("reason"))
    place_ids = [whole_number(i, "place") for i in form.getlist("place")]
    reverted = bans.revert_changes(session, current_user, author, place_ids=place_ids)
    session.commit()
    submissions = ngettext("%(num)s pending submission", "%(num)s pending submissions", len(rejected))
    places = ngettext("%(num)s place", "%(num)s places", len(reverted))
    if author.user_id:
        done = _("The account is banned. Rejected %(submissions)s and reverted %(places)s.", submissions=submissions,
                 places=places)
    else:
        done = _("The device is banned. Rejected %(submissions)s and reverted %(places)s.", submissions=submissions,
                 places=places)
    flash(done, "success")
    return redirect(url_for("moderate.ban_preview", **({"user": author.user_id} if author.user_id
                                                        else {"device": author.device_hash})))


@bp.post("/ban/lift")
@role_required("moderator")
def unban_device():
    author = _author_from(request.form)
    if author.device_hash is None:
        raise ValidationError(_("Lift account bans on the admin users page."), "user")
    bans.unban_device(get_session(), current_user, author.device_hash)
    get_session().commit()
    flash(_("The device may submit again."), "success")
    return redirect(url_for("moderate.ban_preview", device=author.device_hash))


@bp.post("/places/<int:place_id>/revert")
@role_required("moderator")
def revert_place(place_id: int):
    if not request.form.get("version"):
        raise ValidationError(_("Choose the version to revert to."), "version")
    version = whole_number(request.form["version"], "version")
    reverts.revert_place(get_session(), place_id, version, current_user,
                         reason=(request.form.get("reason") or "").strip()[:500] or None)
    get_session().commit()
    flash(_("Reverted to version %(version)s; the change is a new revision in the history.", version=version),
          "success")
    return redirect(url_for("place_pages.show", place_id=place_id), 303)


@bp.post("/places/<int:place_id>/<any(hide, unhide):action>")
@role_required("moderator")
def hide_place(place_id: int, action: str):
    reverts.set_hidden(get_session(), place_id, action == "hide", current_user,
                       reason=(request.form.get("reason") or "").strip()[:500] or None)
    get_session().commit()
    flash(_("The place is hidden from the public map.") if action == "hide" else _("The place is public again."),
          "success")
    return redirect(url_for("place_pages.show", place_id=place_id), 303)


@bp.post("/photos/<int:photo_id>/remove")
@role_required("moderator")
def remove_photo(photo_id: int):
    """Take a shown photo down for a reason; its files are deleted, its open reports resolved."""
    photo = moderation.remove_photo(get_session(), photo_id, current_user, request.form.get("reason", ""),
                                    request.form.get("note"))
    get_session().commit()
    flash(_("The photo is removed and its files are deleted."), "success")
    return redirect(safe_next(request.form.get("next") or url_for("place_pages.show", place_id=photo.place_id)), 303)


@bp.get("/log")
@role_required("moderator")
def audit_log():
    filters = log_filters(request.args)
    session = get_session()
    events = queue.list_events(session, filters)
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template("moderate/log.html", events=events, filters=filters, staff=queue.staff(session),
                           actions=MODERATION_ACTIONS, args=args, detail_labels=DETAIL_LABELS,
                           stored_reasons=STORED_REASONS)
