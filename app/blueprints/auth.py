"""Register, sign in, sign out, change the password, choose whether the display name is public.

Sign-in failures are throttled per account and per client address (only failures count, so a person who
types their password right is never held up), and registration per address, in the shared limiter store.
"""

import hashlib

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.db import get_session
from app.errors import AppError
from app.extensions import client_address, limiter, login_manager
from app.i18n import carry_language_over
from app.models import User
from app.params import INT4_MAX
from app.services import accounts
from app.urls import safe_next

bp = Blueprint("auth", __name__, url_prefix="/account")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The account a session cookie names, if the cookie's token is still the account's current one."""
    user_id, _colon, token = session_id.partition(":")
    if not user_id.isascii() or not user_id.isdigit() or int(user_id) > INT4_MAX or not token:
        return None
    user = get_session().get(User, int(user_id))
    if user is None:
        return None
    if user.is_banned:
        # The ban ended this session, but the signed cookie still says whose it was: keep refusing their
        # submissions instead of taking them as an anonymous visitor's.
        g.banned_account_id = user.id
        return None
    return user if user.session_token == token else None


def _sign_in_failed(response) -> bool:
    return response.status_code != 302


def _account_key() -> str:
    # Hashed, so the limiter's store never holds the addresses people typed.
    email = accounts.normalise_email(request.form.get("email", ""))
    return "account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


login_limits = (
    limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"], key_func=_account_key,
                  scope="login-account", methods=["POST"], deduct_when=_sign_in_failed),
    limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ADDRESS"], key_func=client_address,
                  scope="login-address", methods=["POST"], deduct_when=_sign_in_failed),
)
register_limit = limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], key_func=client_address,
                               scope="register", methods=["POST"])


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Display name (shown to moderators)"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password (at least 10 characters)"), validators=[DataRequired()])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password (at least 10 characters)"), validators=[DataRequired()])


class PublicNameForm(FlaskForm):
    public_name = BooleanField(_l("Show my display name publicly (leaderboards, place histories)"))


@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            user = accounts.create_user(session, form.email.data, form.password.data, form.display_name.data)
        except AppError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            response = redirect(url_for("pages.index"))
            carry_language_over(response, user)
            session.commit()
            login_user(user)
            flash(_("Welcome to StepFree. Your account is ready."), "success")
            return response
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@login_limits[0]
@login_limits[1]
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The email or the password is wrong."))
        elif user.is_banned:
            form.email.errors.append(_("This account is banned and cannot sign in."))
        else:
            login_user(user)
            flash(_("You are signed in."), "success")
            response = redirect(safe_next(request.args.get("next")))
            carry_language_over(response, user)
            get_session().commit()
            return response
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    # Ending every session of the account, not only this cookie: a copy of it (stolen, or on a shared
    # computer) stops working too.
    current_user.end_all_sessions()
    get_session().commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("pages.index"))


def _profile(password_form: PasswordForm, public_name_form: PublicNameForm | None = None):
    # A form not being submitted shows the saved values, never the fields of the other form's request.
    if public_name_form is None:
        public_name_form = PublicNameForm(formdata=None, public_name=current_user.public_name)
    return render_template("auth/profile.html", user=current_user, password_form=password_form,
                           public_name_form=public_name_form)


@bp.get("/")
@login_required
def profile():
    return _profile(PasswordForm())


@bp.post("/public-name")
@login_required
def public_name():
    form = PublicNameForm()
    if form.validate_on_submit():
        session = get_session()
        accounts.set_public_name(session, current_user, form.public_name.data)
        session.commit()
        flash(_("Public pages now show your display name.") if current_user.public_name
              else _("You are anonymous on public pages: they say “a volunteer”."), "success")
        return redirect(url_for("auth.profile"), 303)
    return _profile(PasswordForm(formdata=None), form), 400


@bp.post("/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            accounts.change_password(session, current_user, form.current_password.data, form.new_password.data)
        except AppError as error:
            getattr(form, error.field or "current_password").errors.append(error.message)
        else:
            session.commit()
            # This session carries on with the new token; all the others have ended.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. You were signed out everywhere else."), "success")
            return redirect(url_for("auth.profile"))
    return _profile(form), 400
