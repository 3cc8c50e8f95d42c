"""Configuration read from environment variables, once, inside create_app."""

import os
from dataclasses import dataclass, field, asdict


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Config:
    DATABASE_URL: str = ""
    SECRET_KEY: str = ""
    # Map tiles: any XYZ tile server. Without network the page still works, just without a background.
    TILE_URL: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION: str = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    # Where the map opens before the visitor asks to be located (Vaduz, where the demo data lives).
    MAP_CENTER_LAT: float = 47.141
    MAP_CENTER_LON: float = 9.521
    MAP_ZOOM: int = 15
    # Flask-Limiter storage: memory:// for one process, redis://... when several processes share limits.
    RATELIMIT_STORAGE_URI: str = "memory://"
    RATELIMIT_SUBMISSIONS: str = "30 per hour;10 per minute"
    # Trusted volunteers are auto-approved: at least this many approved, at most this share rejected.
    TRUST_MIN_APPROVED: int = 20
    TRUST_MAX_REJECTED_SHARE: float = 0.05
    CLAIM_LEASE_SECONDS: int = 600
    UNDO_WINDOW_SECONDS: int = 300
    API_PLACES_LIMIT_MAX: int = 2000
    WTF_CSRF_TIME_LIMIT: int | None = None
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Config":
        """Build the configuration from the process environment."""
        config = cls(
            DATABASE_URL=os.environ.get("DATABASE_URL", ""),
            SECRET_KEY=os.environ.get("SECRET_KEY", ""),
            RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", cls.RATELIMIT_STORAGE_URI),
            TRUST_MIN_APPROVED=_env_int("TRUST_MIN_APPROVED", cls.TRUST_MIN_APPROVED),
            CLAIM_LEASE_SECONDS=_env_int("CLAIM_LEASE_SECONDS", cls.CLAIM_LEASE_SECONDS),
            UNDO_WINDOW_SECONDS=_env_int("UNDO_WINDOW_SECONDS", cls.UNDO_WINDOW_SECONDS),
        )
        for name in ("MAP_CENTER_LAT", "MAP_CENTER_LON"):
            if os.environ.get(name):
                setattr(config, name, float(os.environ[name]))
        config.MAP_ZOOM = _env_int("MAP_ZOOM", cls.MAP_ZOOM)
        if "TILE_URL" in os.environ:
            config.TILE_URL = os.environ["TILE_URL"]
        if "TILE_ATTRIBUTION" in os.environ:
            config.TILE_ATTRIBUTION = os.environ["TILE_ATTRIBUTION"]
        return config

    def as_flask_config(self) -> dict:
        values = asdict(self)
        extra = values.pop("extra")
        values.update(extra)
        return values


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
