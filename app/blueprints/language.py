"""Choosing the language (the menu's switch), and the words of the scripts in each language."""

from flask import Blueprint, Response, abort, current_app, redirect, request
from flask_babel import force_locale
from flask_login import current_user

from app.db import get_session
from app.errors import ValidationError
from app.i18n import remember_language, script_catalog
from app.urls import safe_next

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose():
    """Remember the chosen language in a cookie and, when signed in, on the account; go back to the page."""
    code = request.form.get("locale", "")
    if code not in current_app.extensions["stepfree_locales"]:
        raise ValidationError(f"locale must be one of {', '.join(current_app.extensions['stepfree_locales'])}.",
                              "locale")
    if current_user.is_authenticated:
        current_user.locale = code
        get_session().commit()
    response = redirect(safe_next(request.form.get("next")))
    remember_language(response, code)
    return response


@bp.get("/i18n/<code>.js")
def script_words(code: str):
    """The scripts' messages in one language; the URL carries the catalog's version, so it is cached for good."""
    if code not in current_app.extensions["stepfree_locales"]:
        abort(404)
    with force_locale(code):
        body = script_catalog(code)
    response = Response(body, mimetype="text/javascript")
    if request.args.get("v"):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
