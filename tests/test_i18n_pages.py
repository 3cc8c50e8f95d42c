"""Every page rendered in German shows no English sentence (outside place names and data), issue 13.

The English sentences are the code's own messages (extracted as for the catalogs): each literal run of three
words or more between its values must not appear in the German page's text, attributes included, unless the
German translation keeps it too (names such as "OGC API – Features"). Place names and descriptions in the test
data are German.
"""

import html as html_lib
import re

import pytest

from app.i18n import LANGUAGE_COOKIE as LANGUAGE_COOKIE_NAME
from app.services import events as event_service
from app.services import moderation
from app.services.submissions import (
    Submitter,
    hash_device_token,
    submit_photo,
    submit_photo_report,
    submit_report,
    submit_status,
)
from tests.conftest import csrf_token_from
from tests.factories import camera_jpeg, make_place, make_user
from tests.test_events import _fields
from tests.test_i18n import PLACEHOLDER, _read, extracted

LANGUAGE = "de"
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
ATTRIBUTES = re.compile(r'\b(?:aria-label|title|placeholder|alt|content)="([^"]*)"')


def visible_text(page: str) -> str:
    """What a person reads or hears: the text, and the attributes a screen reader says."""
    attributes = " ".join(ATTRIBUTES.findall(page))
    text = TAGS.sub(" ", page)
    return re.sub(r"\s+", " ", html_lib.unescape(text + " " + attributes))


def english_runs(source, german) -> dict[str, str]:
    """Literal runs of at least three words of each English message whose German reads differently."""
    runs = {}
    for message in source:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        entry = german.get(message.id, context=message.context)
        translated = entry.string if entry else ""
        translated = " ".join(translated) if isinstance(translated, (list, tuple)) else translated
        if translated == english:
            continue
        for part in PLACEHOLDER.split(english)[::2]:
            part = TAGS.sub(" ", part)
            for piece in re.split(r"[.:;!?()\n]", part):
                piece = re.sub(r"\s+", " ", piece).strip(" ,")
                # Names and codes the German keeps as they are ("OGC API – Features", "ISO 8601, UTC") are not
                # English left behind.
                if len(piece.split()) >= 3 and piece not in translated:
                    runs[piece] = english
    return runs


@pytest.fixture(scope="module")
def runs():
    return english_runs(extracted(), _read(LANGUAGE))


def _world(session, store):
    """A little of everything the pages show: places, a pending answer, a report, a decision, an event, a shown
    photo with a report about it, and a photo waiting for review."""
    admin = make_user(session, role="admin", email="verwaltung@example.org", display_name="Verwaltung")
    device = Submitter(device_hash=hash_device_token("geraet-" + "x" * 32))
    cafe = make_place(session, name="Bäckerei Huber", wheelchair="limited", description="Rampe am Seiteneingang")
    museum = make_place(session, name="Landesmuseum", category="culture")
    pending = submit_status(session, device, cafe.id, {"wheelchair": "yes"})
    submit_report(session, device, museum.id, {"problem": "closed"})
    decided = submit_status(session, Submitter(user=make_user(session)), museum.id, {"wheelchair": "no"})
    moderation.approve(session, decided.id, admin)
    shown = submit_photo(session, device, cafe.id, camera_jpeg(), {"subject": "entrance", "licence": "CC0-1.0"},
                         store)
    moderation.approve(session, shown.id, admin)
    photo_report = submit_photo_report(session, device, shown.proposed["photo_id"], {"problem": "unclear"})
    new_photo = submit_photo(session, device, cafe.id, camera_jpeg((640, 480)),
                             {"subject": "toilet", "licence": "CC-BY-SA-4.0"}, store)
    event = event_service.create_event(session, admin, _fields(name="Kartierung Vaduz", slug="kartierung-vaduz",
                                                                   description="Treffpunkt am Rathaus."))
    session.commit()
    return admin, cafe, pending, event, [photo_report.id, new_photo.id]


def _pages(cafe, pending, event, photo_reviews) -> list[str]:
    return [
        "/", "/check", "/me", "/notices", "/my/submissions", "/stats", "/data", "/events", "/events/new",
        f"/events/{event.slug}", f"/events/{event.slug}/edit", f"/places/{cafe.id}",
        "/account/", "/admin/users", "/moderate", "/moderate/log", f"/moderate/submissions/{pending.id}",
        f"/moderate/ban?device={pending.device_hash}",
        *(f"/moderate/submissions/{submission_id}" for submission_id in photo_reviews),
        "/ogc?f=html", "/ogc/conformance?f=html", "/ogc/collections?f=html", "/ogc/collections/places?f=html",
        "/ogc/collections/places/queryables?f=html", "/ogc/collections/places/items?f=html",
        f"/ogc/collections/places/items/{cafe.id}?f=html", "/no/such/page",
    ]


def _signed_in_client(app, admin):
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE_NAME, LANGUAGE)
    token = csrf_token_from(client.get("/account/login").get_data(as_text=True))
    answer = client.post("/account/login", data={"email": admin.email, "password": "correct horse battery",
                                                 "csrf_token": token})
    assert answer.status_code == 302
    return client


def test_every_page_in_german_has_no_english_sentence(app, session, runs):
    admin, cafe, pending, event, photo_reviews = _world(session, app.extensions["photo_store"])
    signed_in = _signed_in_client(app, admin)
    visitor = app.test_client()
    visitor.set_cookie(LANGUAGE_COOKIE_NAME, LANGUAGE)
    found = {}
    for client, pages in ((signed_in, _pages(cafe, pending, event, photo_reviews)),
                          (visitor, ["/", "/account/login", "/account/register", "/check", "/me"])):
        for path in pages:
            answer = client.get(path)
            assert answer.status_code in (200, 404), (path, answer.status_code)
            page = answer.get_data(as_text=True)
            assert '<html lang="de"' in page, path
            text = visible_text(page)
            left = sorted({run for run in runs if run in text})
            if left:
                found[path] = left[:8]
    assert found == {}, "English left on German pages:\n" + "\n".join(f"{p}: {r}" for p, r in found.items())


def test_the_sweep_finds_english_when_it_is_there(runs):
    """Not vacuous: a page holding an English message of the code is caught."""
    english = next(run for run in runs if "moderator" in run.lower())
    assert english in visible_text(f"<p>{html_lib.escape(english)}</p>")
    assert len(runs) > 200
