"""Register, sign in, sign out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.db import get_session
from app.errors import AppError
from app.extensions import login_manager
from app.models import User
from app.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/account")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return get_session().get(User, int(user_id))


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Display name (shown to moderators)", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password (at least 10 characters)", validators=[DataRequired()])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target: str | None) -> str:
    # Only follow local paths, never another host (open redirect).
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.index")


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        session = get_session()
        try:
            user = accounts.create_user(session, form.email.data, form.password.data, form.display_name.data)
        except AppError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            session.commit()
            login_user(user)
            flash("Welcome to StepFree. Your account is ready.", "success")
            return redirect(url_for("pages.index"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(get_session(), form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("The email or the password is wrong.")
        elif user.is_banned:
            form.email.errors.append("This account is banned and cannot sign in.")
        else:
            login_user(user)
            flash("You are signed in.", "success")
            return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.index"))


@bp.get("/")
@login_required
def profile():
    return render_template("auth/profile.html", user=current_user)
