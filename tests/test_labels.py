"""Moderator pages speak in labels: a report "closed" reads "Closed or gone", a category "shopping" reads
"Shopping", a decision "reject" reads "Rejected". The stored keys never show as visible text."""

import re
from html.parser import HTMLParser

import pytest

from app.services import claims, moderation
from app.services.submissions import Submitter, hash_device_token, submit_correction, submit_new_place, submit_report
from tests.factories import make_place, make_user

DEVICE = Submitter(device_hash=hash_device_token("labels-device"))
# Stored keys that are no English a page would use in its own words.
RAW_KEYS = ("shopping", "closed", "new_place", "unverifiable", "moderation", "role_change", "auto_approval")


class _VisibleText(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "template")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _raw_words(text: str) -> list[str]:
    return [key for key in RAW_KEYS if re.search(rf"\b{key}\b", text)]


@pytest.fixture
def queue(session, app):
    """A shopping place with a pending "closed" report and a pending correction, a new shopping place, and a
    rejected submission with a reason."""
    moderator = make_user(session, role="moderator", display_name="Mo")
    shop = make_place(session, name="Corner Store", category="shopping")
    with app.app_context():
        report = submit_report(session, DEVICE, shop.id, {"problem": "closed", "note": "Shutters down"})
        submit_correction(session, DEVICE, shop.id, {"category": "food"})
        added = submit_new_place(session, DEVICE, {"name": "Kiosk", "category": "shopping", "wheelchair": "yes",
                                                   "lon": 9.52, "lat": 47.14})
        refused = submit_correction(session, Submitter(user=make_user(session)), shop.id, {"name": "Shop"})
        claims.claim(session, refused.id, moderator)
        moderation.reject(session, refused.id, moderator, "unverifiable", None)
    session.commit()
    return {"shop": shop, "report": report, "added": added, "refused": refused}


def test_labels_on_the_queue(client, auth, queue):
    auth.login_as("moderator")
    text = visible_text(client.get("/moderate").get_data(as_text=True))
    assert "Report" in text and "New place" in text
    assert _raw_words(text) == []


def test_labels_on_the_review_of_a_report(client, auth, queue):
    auth.login_as("moderator")
    text = visible_text(client.get(f"/moderate/submissions/{queue['report'].id}").get_data(as_text=True))
    assert "Closed or gone" in text
    # The other pending change for the same place, in the group decided together.
    assert "Category: Food and drink" in text
    assert _raw_words(text) == []


def test_labels_on_the_review_of_a_new_place(client, auth, queue):
    auth.login_as("moderator")
    text = visible_text(client.get(f"/moderate/submissions/{queue['added'].id}").get_data(as_text=True))
    assert "Shopping" in text
    assert _raw_words(text) == []


def test_labels_on_a_decided_review(client, auth, queue):
    auth.login_as("moderator")
    text = visible_text(client.get(f"/moderate/submissions/{queue['refused'].id}").get_data(as_text=True))
    assert "Decided: Not accepted" in text and "Cannot be verified" in text
    assert "(Volunteer)" in text and "(volunteer)" not in text and "Decided: rejected" not in text
    assert _raw_words(text) == []


def test_labels_on_the_audit_log(client, auth, queue):
    auth.login_as("moderator")
    text = visible_text(client.get("/moderate/log").get_data(as_text=True))
    assert "Rejected" in text and "Cannot be verified" in text and "Claimed" in text
    assert not re.search(r"\b(reject|claim)\b", text)
    assert _raw_words(text) == []


def test_labels_on_the_place_history(client, auth, session, app, queue):
    moderator = auth.login_as("moderator")
    with app.app_context():
        claims.claim(session, queue["report"].id, moderator)
        fix = submit_correction(session, DEVICE, queue["shop"].id, {"name": "Corner Shop"})
        claims.claim(session, fix.id, moderator)
        moderation.approve(session, fix.id, moderator)
    session.commit()
    text = visible_text(client.get(f"/places/{queue['shop'].id}").get_data(as_text=True))
    assert "Moderator's decision" in text and "Shopping" in text
    assert _raw_words(text) == []


def test_labels_on_the_users_page(client, auth, queue):
    auth.login_as("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    text = visible_text(html)
    roles = re.findall(r'<option value="(\w+)"[^>]*>([^<]+)</option>', html)
    assert ("admin", "Administrator") in roles and ("moderator", "Moderator") in roles
    assert _raw_words(text) == []
