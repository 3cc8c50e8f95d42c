"""StepFree: a crowdsourced, moderated wheelchair-accessibility map."""

from flask import Flask

from app.config import Config, normalise_database_url
from app.db import init_db, rollback_request_session, run_with_retry
from app.device import init_device_cookie
from app.errors import register_error_handlers
from app.extensions import CookieSessions, csrf, limiter, login_manager
from app.i18n import init_i18n
from app.inputs import init_input_guard
from app.photos import init_photo_store
from app.policy import ModerationPolicy
from app.security import init_security
from app.services.grid import fold_after_writes
from app.static_files import init_static_files


class StepFree(Flask):
    def dispatch_request(self):
        # A view that lost a deadlock or a serialization check runs again on a fresh transaction.
        return run_with_retry(super().dispatch_request, rollback_request_session)


def create_app(config: Config | dict | None = None) -> Flask:
    """Build the Flask application from a Config (default: the environment)."""
    if config is None:
        config = Config.from_env()
    # A dict overlays the defaults rather than replacing them, so a test can set one value and keep the rest.
    settings = config.as_flask_config() if isinstance(config, Config) else {**Config().as_flask_config(), **config}
    app = StepFree(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(settings)
    if not app.config.get("DATABASE_URL"):
        raise RuntimeError("DATABASE_URL is not set: export DATABASE_URL=postgresql://user@host:port/dbname "
                           "(or start StepFree with 'make run', which sets up a private database)")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: export SECRET_KEY to a long random string")
    # Imported here, not above: gunicorn's master imports this package for its config, and prometheus_client
    # must first be imported in a worker, after gunicorn_conf gave it PROMETHEUS_MULTIPROC_DIR.
    from app.observability import init_observability
    # First, so its after_request hook runs last and tags and counts the final answer.
    init_observability(app)

    # Trust thresholds, lease and undo window: read once here and handed to the services by the views.
    app.extensions["moderation_policy"] = ModerationPolicy.from_config(app.config)
    init_photo_store(app)
    app.session_interface = CookieSessions()
    init_security(app)
    init_input_guard(app)
    init_db(app, normalise_database_url(app.config["DATABASE_URL"]))
    # After a write request has been answered, fold the map grid's deltas when enough wait (app/services/grid.py).
    fold_after_writes(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    register_error_handlers(app)
    init_device_cookie(app)
    init_static_files(app)
    init_i18n(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_template_helpers(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.blueprints import (
        admin,
        api,
        api_check,  # noqa: F401  (its routes join the api blueprint)
        auth,
        check,
        events,
        export,
        health,
        language,
        me,
        media,
        moderate,
        ogc,
        pages,
        place_pages,
        pwa,
        stats,
    )
    blueprints = [
        api.bp,
        auth.bp,
        admin.bp,
        pages.bp,
        check.bp, events.bp, me.bp, stats.bp,
        export.bp, ogc.bp,
        health.bp, pwa.bp, language.bp, media.bp,
        moderate.bp, place_pages.bp,
    ]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from app.cli import demo, grid, osm, photos, schema, users
    from app.cli import export as export_cli
    commands = [
        users.register,
        demo.register,
        schema.register,
        export_cli.register,
        osm.register,
        photos.register,
        grid.register,
    ]
    for register in commands:
        register(app)


def _register_template_helpers(app: Flask) -> None:
    from app.urls import external_url
    from geo import vocabulary
    from geo.categories import CATEGORY_BY_KEY
    from geo.fields import FIELDS, KINDS

    # Every label, in one place for every template: pages never show a raw key where words exist. The tables
    # hold English words (marked N_ in geo/): templates translate them where they show them, {{ _(label) }}.
    app.jinja_env.globals.update(
        external_url=external_url, FIELDS=FIELDS, KINDS=KINDS, CATEGORY_BY_KEY=CATEGORY_BY_KEY,
        **{name: getattr(vocabulary, name) for name in dir(vocabulary) if name.isupper() and name != "N_"},
        REASONS=vocabulary.MODERATOR_REASONS,
        KIND_LABELS={key: kind.label for key, kind in KINDS.items()})
