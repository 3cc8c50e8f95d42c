"""Domain errors carry their HTTP status; one set of handlers answers them as HTML pages or as JSON for /api.

JSON errors have the shape DESIGN.md gives: {"error": {"code": ..., "message": ..., "field": ...}}.
"""

import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
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


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        _rollback()
        return error_response(error.status, error.code, error.message, error.field)

    @app.errorhandler(CSRFError)
    def handle_csrf(error: CSRFError):
        _rollback()
        return error_response(400, "csrf_failed",
                              "The form expired or was sent from elsewhere. Go back, reload the page and try again.",
                              "csrf_token")

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        _rollback()
        status = error.code or 500
        message, field = error.description or error.name, None
        if status == 429:
            message = ("Too many requests in a short time. Nothing was saved from this request; "
                       f"please wait and try again ({error.description}).")
        elif status == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"]
            message, field = f"The request body is too large: at most {limit // 1024} KB are accepted.", "body"
        headers = dict(error.get_response().headers) if status in (405, 429) else None
        if headers:
            headers = {k: v for k, v in headers.items() if k in ("Allow", "Retry-After")}
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message, field, headers=headers)

    def handle_database_unavailable(error: Exception):
        _rollback()
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(getattr(error, "orig", None) or error).strip().splitlines()[0])
        retry = str(current_app.config["DATABASE_RETRY_AFTER"])
        return error_response(503, "unavailable", "StepFree cannot reach its database just now; nothing was "
                              f"saved. Please try again in {retry} seconds.", headers={"Retry-After": retry},
                              database_down=True)

    for unavailable in UNAVAILABLE_ERRORS:
        app.register_error_handler(unavailable, handle_database_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        # The page asks nothing more of the database, which may be what failed.
        return error_response(500, "internal_error", "Something went wrong on our side; nothing was saved. "
                              "Please try again in a moment.", database_down=True)


def _rollback() -> None:
    rollback_request_session()
