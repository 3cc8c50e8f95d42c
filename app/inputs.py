"""What every request must satisfy before a view sees it, checked in one place for all routes.

PostgreSQL stores no NUL character and no unpaired UTF-16 surrogate, and a path id past its integer type
fails in the database: each would surface as a 500 from whichever query met it first. Refusing them here,
naming the field, covers every route and every field at once, including the ones added later.
"""

import json

from flask import Flask, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import NotFound, ValidationError
from app.params import INT4_MAX
from app.photos import UPLOAD_MAX_BYTES, photo_too_large

# The routes that take a photo's file: their bodies may be as large as a photo (app/photos.py).
PHOTO_ENDPOINTS = ("api.submit_photo",)

JSON_MAX_DEPTH = 8


def init_input_guard(app: Flask) -> None:
    @app.url_value_preprocessor
    def ids_in_range(endpoint, values):
        for name, value in (values or {}).items():
            if isinstance(value, int) and value > INT4_MAX:
                raise NotFound(_no_such_id(name, value), name)

    @app.before_request
    def refuse_unstorable_text():
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.endpoint in PHOTO_ENDPOINTS:
            limit = request.max_content_length = UPLOAD_MAX_BYTES
            if request.content_length and request.content_length > limit:
                raise photo_too_large()
        if limit and request.content_length and request.content_length > limit:
            # Answer before reading: a 100 MB body is refused by its header, not after it arrived.
            raise RequestEntityTooLarge()
        _check_pairs(request.args.items(multi=True))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            _check_pairs(request.form.items(multi=True))


def _no_such_id(name: str, value: int) -> str:
    """The answer for an id past PostgreSQL's integer, naming what the path's variable stands for."""
    if name == "place_id":
        return _("There is no place %(id)s: ids go up to %(max)s.", id=value, max=INT4_MAX)
    if name == "submission_id":
        return _("There is no submission %(id)s: ids go up to %(max)s.", id=value, max=INT4_MAX)
    if name == "revision_id":
        return _("There is no revision %(id)s: ids go up to %(max)s.", id=value, max=INT4_MAX)
    if name == "user_id":
        return _("There is no user %(id)s: ids go up to %(max)s.", id=value, max=INT4_MAX)
    return _("There is no %(name)s %(id)s: ids go up to %(max)s.", name=name.removesuffix("_id"), id=value,
             max=INT4_MAX)


def _check_pairs(pairs) -> None:
    for key, value in pairs:
        if "\x00" in key:
            raise ValidationError(_("A parameter name contains a NUL character."), "query")
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(_("%(field)s contains a NUL character, which cannot be stored.", field=key), key)


def parse_json_object(raw: bytes) -> dict:
    """The body as a JSON object of plain values; anything PostgreSQL could not store is refused by field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(_("The body must be JSON encoded as UTF-8."), "body") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationError(ngettext("The body is nested too deeply (at most %(num)s level).",
                                       "The body is nested too deeply (at most %(num)s levels).", JSON_MAX_DEPTH),
                              "body") from None
    except ValueError as error:
        message = getattr(error, "msg", None) or str(error)
        raise ValidationError(_("The body is not valid JSON: %(reason)s.", reason=message), "body") from None
    if not isinstance(value, dict):
        raise ValidationError(_("The body must be a JSON object, like %(example)s.", example='{"wheelchair": "yes"}'),
                              "body")
    for key, item in value.items():
        _check_value(item, key, 1)
        _check_text(key, "body")
    return value


def _refuse_constant(name: str):
    raise ValueError(_("%(name)s is not a JSON number", name=name))


def _too_deep(field: str) -> str:
    return ngettext("%(field)s is nested too deeply (at most %(num)s level).",
                    "%(field)s is nested too deeply (at most %(num)s levels).", JSON_MAX_DEPTH, field=field)


def _check_value(value, field: str, depth: int) -> None:
    if depth > JSON_MAX_DEPTH:
        raise ValidationError(_too_deep(field), field)
    if isinstance(value, str):
        _check_text(value, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, field)
            _check_value(item, field, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, field, depth + 1)


def _check_text(text: str, field: str) -> None:
    if "\x00" in text:
        raise ValidationError(_("%(field)s contains a NUL character, which cannot be stored.", field=field), field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("%(field)s contains an unpaired surrogate (%(range)s), which is not text.",
                                field=field, range="\\ud800-\\udfff"), field) from None
