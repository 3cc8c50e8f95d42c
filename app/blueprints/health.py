"""Operational endpoints: /healthz (the process is up), /readyz (it can serve), /metrics (Prometheus).

All are GET only, so CSRF does not apply, and exempt from rate limits: probes and scrapers call them often.
"""

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _

from app.db import get_session
from app.extensions import limiter
from app.metrics import address_allowed, parse_networks, render_metrics
from app.readiness import OK, readiness_checks

bp = Blueprint("health", __name__)
limiter.exempt(bp)


@bp.record
def _read_metrics_networks(state):
    # Parsed when the app is built, so a bad METRICS_ALLOW_FROM stops the start instead of the first scrape.
    state.app.extensions["stepfree_metrics_networks"] = parse_networks(state.app.config["METRICS_ALLOW_FROM"])


@bp.get("/healthz")
def healthz():
    # Liveness only: a database outage must not make the orchestrator restart healthy processes.
    return _uncached(jsonify(status="ok"))


@bp.get("/readyz")
def readyz():
    checks = readiness_checks(get_session())
    if all(outcome == OK for outcome in checks.values()):
        return _uncached(jsonify(status="ok", checks=checks))
    response = jsonify(status="unavailable", checks=checks)
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["DATABASE_RETRY_AFTER"])
    return _uncached(response)


@bp.get("/metrics")
def metrics():
    # Queue sizes and traffic are for operators: loopback (a local Prometheus or agent) unless configured.
    if not address_allowed(request.remote_addr, current_app.extensions["stepfree_metrics_networks"]):
        response = jsonify(error={"code": "forbidden", "message": _("Metrics are only served to the addresses "
                                                                    "in METRICS_ALLOW_FROM.")})
        response.status_code = 403
        return response
    body, content_type = render_metrics(get_session(), request.headers.get("Accept"))
    return _uncached(Response(body, content_type=content_type))


def _uncached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
