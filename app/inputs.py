"""What every request must satisfy before a view sees it, checked in one place for all routes.

PostgreSQL stores no NUL character and no unpaired UTF-16 surrogate, and a path id past its integer type
fails in the database: each would surface as a 500 from whichever query met it first. Refusing them here,
naming the field, covers every route and every field at once, including the ones added later.
"""

import json

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import NotFound, ValidationError
from app.params import INT4_MAX

JSON_MAX_DEPTH = 8


def init_input_guard(app: Flask) -> None:
    @app.url_value_preprocessor
    def ids_in_range(endpoint, values):
        for name, value in (values or {}).items():
            if isinstance(value, int) and value > INT4_MAX:
                raise NotFound(f"There is no {name.removesuffix('_id')} {value}: ids go up to {INT4_MAX}.", name)

    @app.before_request
    def refuse_unstorable_text():
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit and request.content_length and request.content_length > limit:
            # Answer before reading: a 100 MB body is refused by its header, not after it arrived.
            raise RequestEntityTooLarge()
        _check_pairs(request.args.items(multi=True))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            _check_pairs(request.form.items(multi=True))


def _check_pairs(pairs) -> None:
    for key, value in pairs:
        if "\x00" in key:
            raise ValidationError("A parameter name contains a NUL character.", "query")
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(f"{key} contains a NUL character, which cannot be stored.", key)


def parse_json_object(raw: bytes) -> dict:
    """The body as a JSON object of plain values; anything PostgreSQL could not store is refused by field."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("The body must be JSON encoded as UTF-8.", "body") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValidationError(f"The body is nested too deeply (at most {JSON_MAX_DEPTH} levels).", "body") from None
    except ValueError as error:
        message = getattr(error, "msg", None) or str(error)
        raise ValidationError(f"The body is not valid JSON: {message}.", "body") from None
    if not isinstance(value, dict):
        raise ValidationError("The body must be a JSON object, like {\"wheelchair\": \"yes\"}.", "body")
    for key, item in value.items():
        _check_value(item, key, 1)
        _check_text(key, "body")
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_value(value, field: str, depth: int) -> None:
    if depth > JSON_MAX_DEPTH:
        raise ValidationError(f"{field} is nested too deeply (at most {JSON_MAX_DEPTH} levels).", field)
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
        raise ValidationError(f"{field} contains a NUL character, which cannot be stored.", field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{field} contains an unpaired surrogate (\\ud800-\\udfff), which is not text.",
                              field) from None
