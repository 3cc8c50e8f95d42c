"""Admin pages: the user list, role changes and bans."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, Length

from app.blueprints.access import role_required
from app.db import get_session
from app.models import ROLES
from app.queries import users as user_queries
from app.services import accounts, bans
from geo.vocabulary import ROLE_LABELS

bp = Blueprint("admin", __name__, url_prefix="/admin")


class RoleForm(FlaskForm):
    role = StringField(_l("Role"), validators=[AnyOf(ROLES)])


class BanForm(FlaskForm):
    reason = StringField(_l("Reason for the ban"), validators=[Length(max=500)])


@bp.get("/users")
@role_required("admin")
def users():
    query = request.args.get("q", "").strip()
    listing = user_queries.list_users(get_session(), search=query)
    return render_template("admin/users.html", users=listing, query=query, roles=ROLES)


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    form = RoleForm()
    session = get_session()
    user = accounts.get_user(session, user_id)
    if form.validate_on_submit():
        accounts.set_role(session, current_user, user, form.role.data)
        session.commit()
        flash(_("%(name)s is now %(role)s.", name=user.display_name, role=_(ROLE_LABELS[user.role])), "success")
    else:
        flash(_("Choose one of the listed roles."), "error")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/ban")
@role_required("admin")
def ban(user_id: int):
    form = BanForm()
    session = get_session()
    user = accounts.get_user(session, user_id)
    if form.validate_on_submit():
        # The same ban as the moderators' one, so the user's pending submissions are rejected too.
        rejected = bans.ban(session, current_user, bans.Author(user_id=user.id), form.reason.data)
        session.commit()
        flash(ngettext("%(name)s is banned; %(num)s pending submission rejected. Review their applied changes on "
                       "the ban page.",
                       "%(name)s is banned; %(num)s pending submissions rejected. Review their applied changes on "
                       "the ban page.", len(rejected), name=user.display_name), "success")
    else:
        flash(_("The reason may have at most 500 characters."), "error")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/unban")
@role_required("admin")
def unban(user_id: int):
    form = FlaskForm()
    session = get_session()
    user = accounts.get_user(session, user_id)
    if form.validate_on_submit():
        accounts.unban_user(session, current_user, user)
        session.commit()
        flash(_("%(name)s may submit again.", name=user.display_name), "success")
    return redirect(url_for("admin.users"))
