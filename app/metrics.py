"""Prometheus metrics: HTTP answers and their latency, counted as they happen, and the moderation queue and the
submissions by state, read from the database when Prometheus scrapes (never on a visitor's request).

Under gunicorn each worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set (app/gunicorn_conf.py
sets it), prometheus_client keeps the counters in files there and a scrape, whichever worker answers it,
sums them all. The database gauges are not counted per process: the worker answering the scrape reads them
once, so they appear once.
"""

import ipaddress
import logging
from collections.abc import Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session

from app.db import UNAVAILABLE_ERRORS, rollback_request_session
from app.models.submissions import SUBMISSION_KINDS, SUBMISSION_STATES
from app.queries import moderation as moderation_queries
from app.queries import submissions as submission_queries

log = logging.getLogger(__name__)

# Requests that matched no route share one label: raw paths would let anyone create series at will.
UNMATCHED = "<unmatched>"
# Likewise for methods: Werkzeug accepts any token as a method.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Module-level, as prometheus_client intends: one set of series per process, whatever the number of apps.
HTTP_REQUESTS = Counter("stepfree_http_requests", "HTTP answers by route (URL rule), method and status.",
                        ["route", "method", "status"])
HTTP_DURATION = Histogram("stepfree_http_request_duration_seconds",
                          "Time from receiving a request to its answer starting (a download's transfer "
                          "is not included), by route and method.", ["route", "method"])



def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answer and its duration."""
    method = method if method in _METHODS else "other"
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_DURATION.labels(route, method).observe(seconds)


class DatabaseCollector:
    """The queue and submission gauges, read with the given session when a scrape asks for them."""

    def __init__(self, session: Session):
        self._session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("stepfree_database_up", "1 if the scrape could read the database, else 0.")
        try:
            # The queue page's own counts (one scan of the pending index), and one grouped scan by state.
            pending, _ = moderation_queries.pending_counts(self._session)
            by_state = submission_queries.count_by_state(self._session)
        except UNAVAILABLE_ERRORS as error:
            # The HTTP metrics are still worth having while the database is away; the gauges are left out
            # rather than reported as zero.
            log.warning("metrics: database unavailable: %s", str(error).strip().splitlines()[0])
            rollback_request_session()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        # Every kind and state, zero included, so a series does not vanish when its queue empties.
        yield _gauge("stepfree_moderation_queue_pending", "Pending submissions awaiting moderation, by kind.",
                     "kind", {kind: pending.get(kind, 0) for kind in SUBMISSION_KINDS})
        yield _gauge("stepfree_submissions", "Submissions by state.", "state",
                     {state: by_state.get(state, 0) for state in SUBMISSION_STATES})


def _gauge(name: str, documentation: str, label: str, counts: dict[str, int]) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation, labels=[label])
    for value, count in counts.items():
        gauge.add_metric([value], count)
    return gauge


def render_metrics(session: Session, accept: str | None) -> tuple[bytes, str]:
    """The metrics in the format the scraper accepts (Prometheus text by default), and its content type."""
    registry = CollectorRegistry()
    # Asked of prometheus_client rather than of the environment: it chose file-backed values (or not) when
    # first imported, and that choice is what this process really records.
    if values.ValueClass._multiprocess:
        # All workers' counters, from their files; the default registry holds only this worker's.
        MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(DatabaseCollector(session))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def parse_networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """METRICS_ALLOW_FROM as networks; a value that is not a list of CIDRs stops the start, naming it."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"METRICS_ALLOW_FROM={raw!r} is not a comma-separated list of CIDRs: {error}") from None


def address_allowed(address: str | None, networks) -> bool:
    """Whether a client address lies in one of the networks (an IPv4-mapped IPv6 address counts as IPv4)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
