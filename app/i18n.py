"""StepFree in its users' languages: which languages exist, which one a request gets, and the words for scripts.

- A language is a catalog: translations/<code>/LC_MESSAGES/messages.po. Adding one is adding its catalog;
  its name and writing direction come from Babel's locale data (CLDR), not from code.
- A request's language: the language cookie (set by the menu's switch, and on signing in from the account's
  choice), else the best match of Accept-Language, else DEFAULT_LOCALE.
- Catalogs are compiled (.po to .mo) when the app starts, if a .mo is missing or older than its .po, so a
  fresh clone, a test run and a deployment all read what the .po files say.
- Scripts get their words from /i18n/<code>.js: the translations of exactly the messages that static/js uses
  (found with Babel's JavaScript extractor, as `pybabel extract` finds them), and the language's plural rule.
"""

import hashlib
import json
import os
import tempfile
from functools import cache
from gettext import c2py
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import Babel, get_locale, get_translations, gettext

from geo.categories import CATEGORY_BY_KEY

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SCRIPTS = ROOT / "static" / "js"
SOURCE_LOCALE = "en"
LANGUAGE_COOKIE = "stepfree_lang"
# Keywords of the scripts, as in babel.cfg: _("text", {params}) and ngettext("one", "many", n, {params}).
JS_KEYWORDS = {"_": None, "ngettext": (1, 2)}


def available_locales() -> tuple[str, ...]:
    """English (the source language) and every language with a catalog, in code order."""
    found = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    return tuple(sorted(found | {SOURCE_LOCALE}))


@cache
def language_name(code: str) -> str:
    """The language's name in itself: "Deutsch", "français", "العربية"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


@cache
def text_direction(code: str) -> str:
    return "rtl" if Locale.parse(code).text_direction == "rtl" else "ltr"


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    """Write each catalog's .mo next to its .po when missing or older; atomic, so workers may race."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        try:
            handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
            with os.fdopen(handle, "wb") as mo:
                write_mo(mo, catalog)
            os.replace(temporary, mo_path)
        except OSError as error:
            raise RuntimeError(f"Cannot write {mo_path} ({error}): run `pybabel compile -d translations` where "
                               "the files are writable, then start StepFree again") from error


def select_locale() -> str:
    """The cookie (which signing in sets from the account's choice), Accept-Language, then the default. The
    account is not read here: error pages answered while the database is down choose a language too."""
    if not has_request_context():  # the command line, services run by scripts
        return current_app.config["DEFAULT_LOCALE"]
    choices = current_app.extensions["stepfree_locales"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in choices:
        return chosen
    return request.accept_languages.best_match(choices) or current_app.config["DEFAULT_LOCALE"]


def remember_language(response, code: str) -> None:
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=request.is_secure)


def carry_language_over(response, user) -> None:
    """On signing in: the account's language becomes this browser's; a browser that chose one before, for an
    account with none, gives it to the account (the caller commits)."""
    choices = current_app.extensions["stepfree_locales"]
    if user.locale in choices:
        remember_language(response, user.locale)
    elif request.cookies.get(LANGUAGE_COOKIE) in choices:
        user.locale = request.cookies[LANGUAGE_COOKIE]


def label_in_sentence(label: str) -> str:
    """A table label inside a sentence, in the reader's language: English writes it in lower case there ("wrong
    information"); a translation stays as its translator wrote it (German nouns keep their capitals)."""
    translated = gettext(label)
    return translated.lower() if translated == label else translated


def place_label(name, category: str | None = None) -> str:
    """What pages call a place: its name, or for an unnamed one (a toilet, an elevator, a platform: OSM rarely
    names them) its category's words, "Public toilets". Takes a place (anything with .name and .category) or
    a name and a category."""
    if hasattr(name, "category"):
        name, category = name.name, name.category
    if name:
        return name
    found = CATEGORY_BY_KEY.get(category)
    return gettext(found.label) if found is not None else gettext("Unnamed place")


def address_line(address: dict | None) -> str:
    """An OSM address on one line, as most of Europe writes it: "Städtle 35, 9490 Vaduz" (parts it lacks left
    out; a place without a street may have addr:place instead)."""
    if not address:
        return ""
    street = " ".join(v for v in (address.get("street") or address.get("place"), address.get("housenumber")) if v)
    town = " ".join(v for v in (address.get("postcode"), address.get("city")) if v)
    return ", ".join(v for v in (street, town) if v)


def current_language() -> str:
    return str(get_locale() or SOURCE_LOCALE)


@cache
def script_messages() -> tuple[tuple[str, str | None], ...]:
    """(singular, plural or None) of every message the scripts in static/js ask for."""
    found = set()
    for path in sorted(SCRIPTS.glob("*.js")):
        for _line, message, _comments, _context in extract_from_file("javascript", str(path), JS_KEYWORDS):
            found.add((message, None) if isinstance(message, str) else (message[0], message[1]))
    return tuple(sorted(found))


def script_catalog(code: str) -> str:
    """The script /i18n/<code>.js: the language, its direction, translated messages and plural rule, which
    static/js/i18n.js reads. The rule is Babel's gettext expression, valid JavaScript as it stands: it becomes
    code of this file rather than text for eval, which the Content-Security-Policy forbids."""
    translations = get_translations()
    messages = {}
    for singular, plural in script_messages():
        if plural is None:
            text = translations.gettext(singular)
            if text != singular:
                messages[singular] = text
        else:
            forms = [translations.ngettext(singular, plural, n) for n in _plural_samples(code)]
            messages[singular] = forms
    _count, expression = get_plural(code)
    data = json.dumps({"locale": code, "dir": text_direction(code), "messages": messages}, ensure_ascii=False,
                      sort_keys=True)
    return ("window.StepFree = window.StepFree || {};\n"
            f"window.StepFree.catalog = {data};\n"
            f"window.StepFree.catalog.plural = function (n) {{ return Number({expression}); }};\n")


@cache
def _plural_samples(code: str) -> tuple[int, ...]:
    """For each plural form index of the language, a number that selects it (so ngettext returns that form)."""
    count, expression = get_plural(code)
    rule = c2py(expression)
    samples: dict[int, int] = {}
    # French and Spanish have a form for whole millions: look that far.
    for n in [*range(200), 10**6, 2 * 10**6]:
        samples.setdefault(rule(n), n)
        if len(samples) == count:
            break
    return tuple(samples[i] for i in range(count))


@cache
def catalog_version(code: str) -> str:
    """Changes whenever the language's catalog or the scripts' messages change: the script URL's ?v=.

    Every page asks for it; the catalogs are compiled at start-up and the scripts are files of this release, so
    one reading per process is enough (like script_messages)."""
    digest = hashlib.sha256(json.dumps(script_messages()).encode())
    mo = TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
    if mo.exists():
        digest.update(mo.read_bytes())
    return digest.hexdigest()[:10]


def init_i18n(app: Flask) -> None:
    compile_catalogs()
    locales = available_locales()
    if app.config["DEFAULT_LOCALE"] not in locales:
        raise RuntimeError(f"DEFAULT_LOCALE is {app.config['DEFAULT_LOCALE']!r}, which has no catalog: use one of "
                           f"{', '.join(locales)}")
    app.extensions["stepfree_locales"] = locales
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale, default_locale=app.config["DEFAULT_LOCALE"])
    app.jinja_env.globals.update(
        current_language=current_language, text_direction=text_direction, language_name=language_name,
        available_locales=lambda: locales, script_words_url=script_words_url,
        label_in_sentence=label_in_sentence, place_label=place_label, address_line=address_line)


def script_words_url() -> str:
    code = current_language()
    return url_for("language.script_words", code=code, v=catalog_version(code))
