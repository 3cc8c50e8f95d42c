"""Domain errors carry their HTTP status; one set of handlers answers them as HTML pages or as JSON for /api.

JSON errors have the shape DESIGN.md gives: {"error": {"code": ..., "message": ..., "field": ...}}.
"""

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.db import UNAVAILABLE_ERRORS, rollback_request_session

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status:
            self.status = status


class ValidationError(AppError):
    status = 400
    code = "invalid"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


def _under_ogc() -> bool:
    return request.path == "/ogc" or request.path.startswith("/ogc/")


def wants_json() -> bool:
    # API clients get JSON errors whatever they accept: OGC clients such as OWSLib and GDAL expect them.
    if request.path.startswith("/api/") or _under_ogc():
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, field: str | None = None, headers=None, *,
                   database_down: bool = False):
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        if _under_ogc():
            # OGC API – Features' exception shape, beside StepFree's own.
            body = {"code": code, "description": message, **body}
        response = jsonify(body)
    else:
        # Without a database the page must not look up the signed-in user for its menu.
        response = make_response(render_template("error.html", status=status, message=message, field=field,
                                                 database_down=database_down))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 429: "rate_limited",
}


# Werkzeug's own descriptions of the statuses, in the request's language (its English words are the msgids).
_HTTP_MESSAGES = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    401: _l("The server could not verify that you are authorized to access the URL requested. You either supplied the"
            " wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the "
            "credentials required."),
    403: _l("You don't have the permission to access the requested resource. It is either read-protected or not "
            "readable by the server."),
    404: _l("The requested URL was not found on the server. If you entered the URL manually please check your "
            "spelling and try again."),
    405: _l("The method is not allowed for the requested URL."),
    406: _l("The resource identified by the request is only capable of generating response entities which have "
            "content characteristics not acceptable according to the accept headers sent in the request."),
    409: _l("A conflict happened while processing the request. The resource might have been modified while the "
            "request was being processed."),
    410: _l("The requested URL is no longer available on this server and there is no forwarding address. If you "
            "followed a link from a foreign page, please contact the author of this page."),
    414: _l("The length of the requested URL exceeds the capacity limit for this server. The request cannot be "
            "processed."),
    415: _l("The server does not support the media type transmitted in the request."),
    431: _l("One or more header fields exceeds the maximum size."),
    500: _l("The server encountered an internal error and was unable to complete your request. Either the server is "
            "overloaded or there is an error in the application."),
    501: _l("The server does not support the action requested by the browser."),
    503: _l("The server is temporarily unable to service your request due to maintenance downtime or capacity "
            "problems. Please try again later."),
}


def _http_message(status: int) -> str | None:
    message = _HTTP_MESSAGES.get(status)
    return str(message) if message is not None else None


# The words of a rate limit for each unit ("20 per 1 minute"), singular and plural.
_RATE_UNITS = {
    "second": lambda n, a: ngettext("%(amount)s per %(num)s second", "%(amount)s per %(num)s seconds", n, amount=a),
    "minute": lambda n, a: ngettext("%(amount)s per %(num)s minute", "%(amount)s per %(num)s minutes", n, amount=a),
    "hour": lambda n, a: ngettext("%(amount)s per %(num)s hour", "%(amount)s per %(num)s hours", n, amount=a),
    "day": lambda n, a: ngettext("%(amount)s per %(num)s day", "%(amount)s per %(num)s days", n, amount=a),
    "month": lambda n, a: ngettext("%(amount)s per %(num)s month", "%(amount)s per %(num)s months", n, amount=a),
    "year": lambda n, a: ngettext("%(amount)s per %(num)s year", "%(amount)s per %(num)s years", n, amount=a),
}


def _rate_limit_words(error: HTTPException) -> str:
    """The limit that was reached ("20 per 1 minute"), in the request's language."""
    item = getattr(getattr(error, "limit", None), "limit", None)
    amount, num = getattr(item, "amount", None), getattr(item, "multiples", None)
    unit = getattr(getattr(item, "GRANULARITY", None), "name", None)
    if amount is None or num is None or getattr(error.limit, "error_message", None):
        return str(error.description)
    words = _RATE_UNITS.get(unit)
    if words is not None:
        return words(num, amount)
    return str(error.description)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        _rollback()
        return error_response(error.status, error.code, error.message, error.field)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        _rollback()
        return error_response(400, "csrf_failed",
                              _("The form expired or was sent from elsewhere. Go back, reload the page and try "
                                "again."), "csrf_token")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        _rollback()
        status = error.code or 500
        message, field = error.description or error.name, None
        if error.description == type(error).description:
            # Werkzeug's default words for the status (a description given on raising is already translated).
            message = _http_message(status) or message
        if status == 429:
            message = _("Too many requests in a short time. Nothing was saved from this request; please wait and "
                        "try again (%(limit)s).", limit=_rate_limit_words(error))
        elif status == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            message = _("The request body is too large: at most %(kb)s KB are accepted.", kb=limit // 1024)
            field = "body"
        headers = dict(error.get_response().headers) if status in (405, 429) else None
        if headers:
            headers = {k: v for k, v in headers.items() if k in ("Allow", "Retry-After")}
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message, field, headers=headers)

    def handle_database_unavailable(error: Exception):
        _rollback()
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(getattr(error, "orig", None) or error).strip().splitlines()[0])
        seconds = int(current_app.config["DATABASE_RETRY_AFTER"])
        message = ngettext("StepFree cannot reach its database just now; nothing was saved. Please try again in "
                           "%(num)s second.",
                           "StepFree cannot reach its database just now; nothing was saved. Please try again in "
                           "%(num)s seconds.", seconds)
        return error_response(503, "unavailable", message, headers={"Retry-After": str(seconds)},
                              database_down=True)

    for unavailable in UNAVAILABLE_ERRORS:
        app.register_error_handler(unavailable, handle_database_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        # The page asks nothing more of the database, which may be what failed.
        return error_response(500, "internal_error", _("Something went wrong on our side; nothing was saved. "
                                                       "Please try again in a moment."), database_down=True)


def _rollback() -> None:
    rollback_request_session()
