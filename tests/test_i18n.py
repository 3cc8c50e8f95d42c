"""StepFree in its users' languages (issue 13): complete catalogs, choosing the language, words for scripts."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.i18n import LANGUAGE_COOKIE, TRANSLATIONS, available_locales, script_messages
from tests.conftest import csrf_token_from
from tests.factories import make_place

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("de", "fr", "es", "ar")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> Catalog:
    """The messages the code asks for, extracted as `pybabel extract -F babel.cfg -k N_ -k _l` does."""
    catalog = Catalog()
    with (ROOT / "babel.cfg").open() as config:
        from babel.messages.frontend import parse_mapping_cfg
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None, "lazy_gettext": None}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


@pytest.fixture(scope="module")
def source() -> Catalog:
    return extracted()


def _read(code: str) -> Catalog:
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


def test_the_five_languages_ship(app):
    assert set(available_locales()) >= {"en", *SHIPPED}


def catalog_problems(source: Catalog, catalog: Catalog) -> list[str]:
    """What keeps a catalog from being complete: missing, fuzzy or empty entries, lost or invented values."""
    problems = []
    for message in source:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {message.id!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        forms = entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,)
        if not all(forms) or (isinstance(message.id, tuple) and len(forms) != catalog.num_plurals):
            problems.append(f"untranslated: {message.id!r}")
            continue
        wanted = set(PLACEHOLDER.findall(message.id if isinstance(message.id, str) else message.id[1]))
        for form in forms:
            # A plural form may leave the number out ("one place"), never invent or lose a named value.
            found = set(PLACEHOLDER.findall(form))
            if found - wanted or (wanted - found) - {"num"}:
                problems.append(f"placeholders differ: {message.id!r} -> {form!r}")
    return problems


@pytest.mark.parametrize("code", SHIPPED)
def test_catalog_has_every_message_translated_and_none_fuzzy(source, code):
    problems = catalog_problems(source, _read(code))
    assert problems == [], f"{code}: {len(problems)} problems, e.g.\n" + "\n".join(problems[:40])


def test_arabic_has_six_plural_forms():
    assert _read("ar").num_plurals == 6


def test_the_catalog_check_catches_a_missing_a_fuzzy_and_a_broken_entry(source):
    """The check above is not vacuous: a catalog with one message dropped, one fuzzy, one losing a value fails."""
    assert len(source) > 300  # the code does ask for its words through gettext
    catalog = _read("de")
    assert catalog_problems(source, catalog) == []
    singles = [m for m in source if m.id and isinstance(m.id, str)]
    with_value = next(m for m in singles if PLACEHOLDER.search(m.id))
    catalog.delete(singles[0].id, context=singles[0].context)
    catalog.get(singles[1].id, context=singles[1].context).flags.add("fuzzy")
    catalog.get(with_value.id, context=with_value.context).string = "Ohne Wert"
    problems = catalog_problems(source, catalog)
    assert any(p.startswith("missing") for p in problems) and any(p.startswith("fuzzy") for p in problems)
    assert any(p.startswith("placeholders differ") for p in problems)


@pytest.mark.parametrize("headers, cookie, expected", [
    ({}, None, "en"),
    ({"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}, None, "de"),
    ({"Accept-Language": "ar"}, None, "ar"),
    ({"Accept-Language": "pt-BR,es;q=0.8"}, None, "es"),
    ({"Accept-Language": "de"}, "fr", "fr"),
    ({"Accept-Language": "de"}, "xx", "de"),
])
def test_language_comes_from_the_cookie_then_accept_language_then_the_default(client, headers, cookie, expected):
    if cookie:
        client.set_cookie(LANGUAGE_COOKIE, cookie)
    html = client.get("/data", headers=headers).get_data(as_text=True)
    direction = "rtl" if expected == "ar" else "ltr"
    assert f'<html lang="{expected}" dir="{direction}">' in html


def test_default_locale_is_configurable(database_url, connection):
    from app import create_app
    from tests.conftest import make_test_config
    app = create_app(make_test_config(database_url, DEFAULT_LOCALE="de"))
    app.extensions["stepfree_db"].bind_to(connection, join_transaction_mode="create_savepoint")
    try:
        assert '<html lang="de" dir="ltr">' in app.test_client().get("/data").get_data(as_text=True)
    finally:
        app.extensions["stepfree_db"].engine.dispose()  # /data reads how fresh the OSM data is
    with pytest.raises(RuntimeError, match="DEFAULT_LOCALE"):
        create_app(make_test_config(database_url, DEFAULT_LOCALE="tlh"))


def test_switching_language_sets_the_cookie_and_the_account_and_returns_to_the_page(client, auth, session):
    user = auth.login_as("volunteer")
    token = csrf_token_from(client.get("/data").get_data(as_text=True))
    answer = client.post("/language", data={"locale": "de", "next": "/data?x=1", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/data?x=1")
    assert f"{LANGUAGE_COOKIE}=de" in answer.headers["Set-Cookie"]
    session.refresh(user)
    assert user.locale == "de"
    assert '<html lang="de"' in client.get("/data").get_data(as_text=True)

    # Signing in elsewhere brings the account's language with it.
    other = client.application.test_client()
    from tests.conftest import AuthActions
    AuthActions(other, session).login(user.email)
    assert '<html lang="de"' in other.get("/data").get_data(as_text=True)


def test_switching_language_needs_csrf_and_a_known_language(client):
    assert client.post("/language", data={"locale": "de"}).status_code == 400
    token = csrf_token_from(client.get("/data").get_data(as_text=True))
    refused = client.post("/language", data={"locale": "tlh", "csrf_token": token})
    assert refused.status_code == 400
    # Another site is never a target.
    answer = client.post("/language", data={"locale": "fr", "next": "//evil.example/", "csrf_token": token})
    assert answer.status_code == 302 and "evil.example" not in answer.headers["Location"]


def test_api_error_message_follows_the_language_but_code_and_field_stay(client, session):
    place = make_place(session)
    session.commit()
    bodies = {}
    for code in ("en", "de", "ar"):
        answer = client.post(f"/api/places/{place.id}/status", json={"wheelchair": "maybe"},
                             headers={"Accept-Language": code})
        assert answer.status_code == 400
        bodies[code] = answer.get_json()["error"]
    assert {b["code"] for b in bodies.values()} == {bodies["en"]["code"]}
    assert {b["field"] for b in bodies.values()} == {"wheelchair"}
    assert len({b["message"] for b in bodies.values()}) == 3
    assert "wheelchair" in bodies["de"]["message"]  # the field is named in every language


def test_script_words_are_the_catalogs_translations_of_what_the_scripts_ask_for(client):
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    url = re.search(r'<script src="(/i18n/de\.js\?v=[0-9a-f]+)"', html).group(1)
    answer = client.get(url)
    assert answer.mimetype == "text/javascript"
    assert "immutable" in answer.headers["Cache-Control"]
    body = answer.get_data(as_text=True)
    assert len(script_messages()) > 50
    german = _read("de")
    singular = next(m for m, plural in script_messages()
                    if plural is None and '"' not in m and german.get(m).string not in ("", m))
    assert german.get(singular).string in body
    arabic = client.get("/i18n/ar.js").get_data(as_text=True)
    assert '"dir": "rtl"' in arabic and "n % 100 >= 3" in arabic
    assert client.get("/i18n/tlh.js").status_code == 404


def test_catalog_files_parse_cleanly():
    for code in SHIPPED:
        data = (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").read_bytes()
        read_po(BytesIO(data), locale=code)
