"""What operators see of each request: a request id on every answer and log line, logs as text or JSON lines,
and one summary line plus the HTTP metrics (app/metrics.py) per request.

The request id ties a visitor's report ("it failed at 12:03, id 4f…") to the log lines of that request, and
a proxy's own id is kept so its logs and ours line up. Logs never carry request bodies, query strings, emails
or client addresses: the summary line has the method, the path, the status and the time taken.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request, request_started

from app import metrics

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like to be kept; anything else (markup, control characters, a novel) is replaced.
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NO_REQUEST = "-"
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The summary lines get their own logger, so an operator can silence or route them apart from the rest.
requests_log = logging.getLogger("app.requests")
# Probes and scrapes arrive every few seconds: their summary lines only at DEBUG, not to drown the others.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
# Fields of the summary line that JSON logs carry as members of their own, for log search.
_REQUEST_FIELDS = ("method", "path", "status", "duration_ms")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def request_id() -> str:
    """This request's id: the caller's X-Request-ID if well formed, else a new one; "-" outside a request."""
    if not has_request_context():
        return NO_REQUEST
    if "request_id" not in g:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if _WELL_FORMED_ID.fullmatch(offered) else uuid.uuid4().hex
    return g.request_id


def init_observability(app: Flask) -> None:
    """Set up logging from the app's settings and time, count, log and tag every request."""
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    def start_clock(sender, **extra):
        g.request_started = time.perf_counter()

    # request_started fires before any url_value_preprocessor or before_request hook can refuse the request,
    # so refused requests are timed too. Strong reference: blinker would drop a local function otherwise.
    request_started.connect(start_clock, app, weak=False)

    # Registered before the other hooks, so it runs after them (Flask runs after_request in reverse) and
    # sees the final status; error answers, static files and 404s pass through it as well.
    @app.after_request
    def finish_request(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
        metrics.observe_request(route, request.method, response.status_code, seconds)
        _log_summary(route, response.status_code, seconds)
        return response


def _log_summary(route: str, status: int, seconds: float) -> None:
    level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
    if not requests_log.isEnabledFor(level):
        return
    # The path without its query string (search terms, filters); control characters escaped so a crafted
    # path cannot forge a second log line.
    path = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", request.path)[:256]
    duration_ms = round(seconds * 1000, 1)
    requests_log.log(level, "%s %s %s %.1f ms", request.method, path, status, duration_ms,
                     extra={"method": request.method, "path": path, "status": status, "duration_ms": duration_ms})


def configure_logging(level: str, log_format: str) -> None:
    """Send log records to stderr as text or JSON lines, each with its request id; safe to call again."""
    numeric = _level_number(level)
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT={log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    _install_record_factory()
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, StderrHandler)]
    if ours:
        handler = ours[0]
    elif root.handlers:
        # Like logging.basicConfig: whoever configured logging first (a test runner, a --log-config) keeps
        # its handlers; the records still carry request_id for their formats to use.
        handler = None
    else:
        handler = StderrHandler()
        root.addHandler(handler)
    if handler is not None:
        handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    # StepFree's own loggers at LOG_LEVEL; libraries only from WARNING, unless LOG_LEVEL asks for less.
    root.setLevel(max(numeric, logging.WARNING))
    for name in ("app", "geo"):
        logging.getLogger(name).setLevel(numeric)


def _level_number(level: str) -> int:
    numeric = logging.getLevelName(level.strip().upper())
    if not isinstance(numeric, int):
        raise ValueError(f"LOG_LEVEL={level!r} is not a level: use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return numeric


def _install_record_factory() -> None:
    """Give every log record a request_id attribute, once per process however many apps are created."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def record_with_request_id(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id()
        return record

    record_with_request_id.adds_request_id = True
    logging.setLogRecordFactory(record_with_request_id)


class StderrHandler(logging.StreamHandler):
    """Write to sys.stderr as it is at each record: test runners and servers swap it after start-up."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, and exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        for name in _REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
