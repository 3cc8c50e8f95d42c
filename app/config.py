"""Configuration: defaults in one dataclass, overlaid by the environment, read once inside create_app.

Every field can be set from an environment variable of the same name; `from_env` reads them all in one loop,
parsing each by its declared type, and names the variable when a value cannot be read.
"""

import dataclasses
import os
from dataclasses import asdict, dataclass, field
from typing import get_type_hints


@dataclass
class Config:
    DATABASE_URL: str = ""
    SECRET_KEY: str = ""
    # Map tiles: any XYZ tile server. Without network the page still works, just without a background.
    # The Content-Security-Policy allows images from this URL's origin.
    TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION: str = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    # Where the map opens before the visitor asks to be located (Vaduz, where the demo data lives).
    MAP_CENTER_LAT: float = 47.141
    MAP_CENTER_LON: float = 9.521
    MAP_ZOOM: int = 15
    # The language of a visitor who chose none and whose browser asks for none that StepFree has (translations/).
    DEFAULT_LOCALE: str = "en"
    # The address the public reaches StepFree at, e.g. https://stepfree.example.org. Absolute links (OGC API)
    # are built from it instead of from the request's Host header. Empty: from the request.
    PUBLIC_URL: str = ""
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host (0: trust none of them).
    TRUSTED_PROXY_COUNT: int = 0
    # Flask-Limiter storage: memory:// for one process, redis://... when several processes share limits.
    RATELIMIT_STORAGE_URI: str = "memory://"
    # Submissions (answers, votes) per author (account or device), and per client address: looser, because
    # the volunteers at a mapping event share the venue's address.
    RATELIMIT_SUBMISSIONS: str = "120 per hour;20 per minute"
    RATELIMIT_SUBMISSIONS_ADDRESS: str = "600 per hour;60 per minute"
    # Failed sign-ins allowed per account and per client address before sign-in answers 429.
    RATELIMIT_LOGIN_ACCOUNT: str = "10 per 15 minutes"
    RATELIMIT_LOGIN_ADDRESS: str = "30 per 15 minutes"
    RATELIMIT_REGISTER: str = "10 per hour"
    # Once a banned device is seen, anonymous submissions from its network wait this many hours (0: never).
    DEVICE_BAN_NETWORK_HOURS: int = 72
    # Trusted volunteers are auto-approved: at least this many approved, at most this share rejected.
    TRUST_MIN_APPROVED: int = 20
    TRUST_MAX_REJECTED_SHARE: float = 0.05
    # Agreement from other signed-in volunteers counts toward trust: each agreement as this share of an approval.
    TRUST_AGREEMENT_WEIGHT: float = 0.5
    # /check asks again about a place whose status was last confirmed this many days ago (yes, or a toilet);
    # limited and no change more often and are asked again sooner.
    RECHECK_AFTER_DAYS: int = 4 * 365
    RECHECK_LIMITED_NO_AFTER_DAYS: int = 2 * 365
    # Peer checks offer changes applied within this many days; this many disagreeing volunteers reopen one.
    PEER_CHECK_DAYS: int = 30
    VOTES_TO_REOPEN: int = 2
    CLAIM_LEASE_SECONDS: int = 600
    UNDO_WINDOW_SECONDS: int = 300
    API_PLACES_LIMIT_MAX: int = 2000
    # Request bodies above this many bytes answer 413 before they are read (a photo's upload: app/photos.py).
    MAX_CONTENT_LENGTH: int = 256 * 1024
    # Photos' files (app/photos.py), named by their content. Empty: the "media" folder in Flask's instance folder.
    MEDIA_ROOT: str = ""
    # The node location index `flask osm import` writes and `flask osm update`/`replicate` read
    # (app/services/osm_diff.py). Empty: osm-nodes.idx in Flask's instance folder.
    OSM_NODE_INDEX: str = ""
    # Uploading approved values to OpenStreetMap (`flask osm upload`, app/services/osm_upload.py): off unless set
    # true, with an OAuth 2.0 access token (write_api scope) for the API at OSM_API_URL.
    OSM_UPLOAD_ENABLED: bool = False
    OSM_API_URL: str = "https://api.openstreetmap.org"
    OSM_OAUTH_TOKEN: str = ""
    OSM_CHANGESET_COMMENT: str = "Wheelchair accessibility reviewed by StepFree moderators"
    OSM_CHANGESET_SOURCE: str = "survey;StepFree"
    # A database statement running longer than this fails (ms); 0 for no limit. Exports and imports run long
    # statements: a limit suits a process that serves only the map and the API.
    DATABASE_STATEMENT_TIMEOUT_MS: int = 0
    DATABASE_POOL_SIZE: int = 10
    # Seconds a client should wait before retrying when the database is unreachable (503 Retry-After).
    DATABASE_RETRY_AFTER: int = 5
    # StepFree's log messages from this level up (DEBUG, INFO, WARNING, ERROR); other libraries' from WARNING.
    LOG_LEVEL: str = "INFO"
    # text: one readable line per record; json: one JSON object per line (time, level, logger, message,
    # request_id, exception), for a log collector.
    LOG_FORMAT: str = "text"
    # Who may read /metrics: comma-separated CIDRs of client addresses (as seen after TRUSTED_PROXY_COUNT).
    METRICS_ALLOW_FROM: str = "127.0.0.1/32,::1/128"
    WTF_CSRF_TIME_LIMIT: int | None = None
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    # Set true when StepFree is served over HTTPS, so browsers never send the session over plain HTTP.
    SESSION_COOKIE_SECURE: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ=None) -> "Config":
        """The defaults, overlaid by every environment variable named like a field."""
        environ = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values = {}
        for spec in dataclasses.fields(cls):
            if spec.name == "extra" or spec.name not in environ:
                continue
            values[spec.name] = parse_setting(spec.name, environ[spec.name], hints[spec.name])
        return cls(**values)

    def as_flask_config(self) -> dict:
        values = asdict(self)
        extra = values.pop("extra")
        values.update(extra)
        return values


def parse_setting(name: str, raw: str, kind) -> object:
    """One environment value as its field's type; a value that cannot be read raises naming the variable."""
    optional = type(None) in getattr(kind, "__args__", ())
    if optional:
        if raw.strip() == "":
            return None
        kind = next(k for k in kind.__args__ if k is not type(None))
    try:
        if kind is bool:
            lowered = raw.strip().lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ValueError("use true or false")
            return lowered in ("1", "true", "yes", "on")
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
    except ValueError as error:
        raise ValueError(f"environment variable {name}={raw!r} is not a valid {kind.__name__}: {error}") from None
    return raw


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
