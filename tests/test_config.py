"""Settings: defaults overlaid by what is given, every field settable from the environment, all documented."""

import dataclasses
from pathlib import Path

import pytest

from app import create_app
from app.config import Config

README = Path(__file__).resolve().parents[1] / "README.md"


def test_config_a_dict_overlays_the_defaults(database_url):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "k", "TRUST_MIN_APPROVED": 3})
    try:
        assert app.config["TRUST_MIN_APPROVED"] == 3
        # Everything not given keeps its default instead of vanishing.
        assert app.config["CLAIM_LEASE_SECONDS"] == Config.CLAIM_LEASE_SECONDS
        assert app.config["MAX_CONTENT_LENGTH"] == Config.MAX_CONTENT_LENGTH
        assert app.extensions["moderation_policy"].trust_min_approved == 3
    finally:
        app.extensions["stepfree_db"].engine.dispose()


def test_config_every_field_reads_from_the_environment():
    environ = {"TRUST_MIN_APPROVED": "7", "TRUST_MAX_REJECTED_SHARE": "0.1", "SESSION_COOKIE_SECURE": "true",
               "WTF_CSRF_TIME_LIMIT": "3600", "PUBLIC_URL": "https://stepfree.example.org",
               "MAP_CENTER_LAT": "52.5", "TILE_URL": "/tiles/{z}/{x}/{y}.png"}
    config = Config.from_env(environ)
    assert (config.TRUST_MIN_APPROVED, config.TRUST_MAX_REJECTED_SHARE) == (7, 0.1)
    assert config.SESSION_COOKIE_SECURE is True and config.WTF_CSRF_TIME_LIMIT == 3600
    assert config.PUBLIC_URL == "https://stepfree.example.org" and config.MAP_CENTER_LAT == 52.5
    assert config.TILE_URL == "/tiles/{z}/{x}/{y}.png"
    # Unset variables keep the defaults.
    assert config.CLAIM_LEASE_SECONDS == Config.CLAIM_LEASE_SECONDS
    assert Config.from_env({"WTF_CSRF_TIME_LIMIT": ""}).WTF_CSRF_TIME_LIMIT is None


@pytest.mark.parametrize("name, raw", [("TRUST_MIN_APPROVED", "many"), ("SESSION_COOKIE_SECURE", "perhaps"),
                                       ("MAP_ZOOM", "15.5"), ("TRUST_MAX_REJECTED_SHARE", "a lot")])
def test_config_a_bad_value_names_its_variable(name, raw):
    with pytest.raises(ValueError, match=name):
        Config.from_env({name: raw})


def test_config_readme_lists_every_setting():
    text = README.read_text()
    missing = [f.name for f in dataclasses.fields(Config)
               if f.name != "extra" and not f.name.startswith(("WTF_", "SESSION_COOKIE_HTTPONLY",
                                                               "SESSION_COOKIE_SAMESITE"))
               and f"`{f.name}`" not in text]
    assert missing == []
