"""Photos of places through the product (issue 14): sent from the sheet's form, reviewed, shown, reported, removed.

The checks of the file itself (EXIF, bombs, types) are in test_photos.py; here the same refusals must reach the
sender as a 4xx naming the field, with nothing stored, and a photo must stay invisible until approved.
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.errors import Conflict
from app.models import ModerationEvent, Notice, Photo, Submission
from app.photos import LocalPhotoStore
from app.services import moderation, reverts
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.conftest import TEST_MEDIA_ROOT, csrf_token_from
from tests.factories import camera_jpeg, count_rows, decompression_bomb, make_place, make_user

STORE = LocalPhotoStore(TEST_MEDIA_ROOT)


@pytest.fixture
def place(session):
    found = make_place(session, name="Rathaus Photo", lon=9.521, lat=47.141, wheelchair="limited")
    session.commit()
    return found


def _token(client) -> str:
    return csrf_token_from(client.get("/").get_data(as_text=True))


def _send(client, place_id, photo=None, *, subject="entrance", licence="CC-BY-SA-4.0", token=None, headers=None,
          filename="IMG_0001.jpg"):
    data = {}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), filename)
    if subject is not None:
        data["subject"] = subject
    if licence is not None:
        data["licence"] = licence
    return client.post(f"/api/places/{place_id}/photos", data=data, content_type="multipart/form-data",
                       headers={"X-CSRFToken": token if token is not None else _token(client), **(headers or {})})


def _photo_of(session, response) -> Photo:
    assert response.status_code == 201, response.get_data(as_text=True)
    return session.get(Photo, response.get_json()["photo_id"])


def _shown(client, place_id) -> list[dict]:
    return client.get(f"/api/places/{place_id}").get_json()["properties"]["photos"]


def test_a_photo_is_stored_without_exif_and_invisible_until_approved(client, session, place, auth):
    response = _send(client, place.id, camera_jpeg((3000, 2000)))
    body = response.get_json()
    assert body["kind"] == "photo" and body["state"] == "pending" and body["updated"] is False
    assert "moderator" in body["message"]
    photo = _photo_of(session, response)
    assert (photo.subject, photo.licence, photo.credit) == ("entrance", "CC-BY-SA-4.0", None)
    assert (photo.width, photo.height) == (2048, 1365)
    # The stored file: re-encoded, resized, and without any EXIF (GPS, device) — read back with Pillow.
    stored = Image.open(io.BytesIO(STORE.read(photo.name)))
    assert stored.format == "JPEG" and stored.size == (2048, 1365)
    assert not stored.getexif() and "exif" not in stored.info
    assert max(Image.open(io.BytesIO(STORE.read(photo.thumbnail))).size) == 400
    submission = session.get(Submission, photo.submission_id)
    assert submission.proposed == {"subject": "entrance", "licence": "CC-BY-SA-4.0", "photo_id": photo.id}
    assert submission.base_version is None  # a photo never conflicts with the place's values

    # Pending: not in the place, not on its page, and its files answer 404 to the public.
    assert _shown(client, place.id) == []
    assert f"/media/photos/{photo.thumbnail}" not in client.get(f"/places/{place.id}").get_data(as_text=True)
    for name in (photo.name, photo.thumbnail):
        assert client.get(f"/media/photos/{name}").status_code == 404
    # A moderator reviewing it sees it, never cached.
    moderator = auth.login_as("moderator")
    seen = client.get(f"/media/photos/{photo.name}")
    assert seen.status_code == 200 and seen.headers["Cache-Control"] == "private, no-store"
    auth.logout()

    moderation.approve(session, submission.id, moderator)
    session.commit()
    [shown] = _shown(client, place.id)
    assert shown["id"] == photo.id and shown["licence_url"].startswith("https://creativecommons.org/licenses/by-sa/")
    assert (shown["subject_label"], shown["alt"], shown["credit"]) == ("Entrance", "Photo of the entrance", None)
    served = client.get(shown["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == STORE.read(photo.name)
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Set-Cookie" not in served.headers
    assert client.get(shown["url"], headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert client.get(shown["thumbnail_url"]).status_code == 200
    assert f'src="{shown["thumbnail_url"]}"' in client.get(f"/places/{place.id}").get_data(as_text=True)


def test_photos_are_reviewed_even_from_trusted_volunteers_and_credit_a_public_name(client, session, place, auth):
    user = auth.login_as("moderator", display_name="Ana Rampe")
    user.public_name = True
    session.commit()
    photo = _photo_of(session, _send(client, place.id, camera_jpeg(), subject="toilet", licence="CC0-1.0"))
    assert session.get(Submission, photo.submission_id).state == "pending"
    assert photo.credit == "Ana Rampe"


def test_an_account_without_a_public_name_is_not_credited_by_name(client, session, place, auth):
    auth.login_as("volunteer", display_name="Private Person")
    assert _photo_of(session, _send(client, place.id, camera_jpeg())).credit is None


TEXT_FILE = b"This is not a picture, only its name says so.\n" * 20


@pytest.mark.parametrize("photo, form, status, field, code", [
    (None, {}, 400, "photo", "invalid"),
    (b"", {}, 400, "photo", "invalid"),
    (TEXT_FILE, {}, 415, "photo", "not_an_image"),
    (decompression_bomb(20_000, 20_000), {}, 413, "photo", "photo_too_many_pixels"),
    (camera_jpeg(), {"subject": None}, 400, "subject", "invalid"),
    (camera_jpeg(), {"subject": "selfie"}, 400, "subject", "invalid"),
    (camera_jpeg(), {"licence": None}, 400, "licence", "invalid"),
    (camera_jpeg(), {"licence": "all-rights-reserved"}, 400, "licence", "invalid"),
])
def test_a_refused_photo_answers_4xx_naming_the_field_and_stores_nothing(client, session, place, photo, form, status,
                                                                          field, code):
    files_before = sorted(Path(TEST_MEDIA_ROOT).rglob("*.jpg"))
    response = _send(client, place.id, photo, **form)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code) and error["message"]
    assert count_rows(session, Submission) == 0 and count_rows(session, Photo) == 0
    if field != "photo":  # a photo with a bad form around it is never cleaned or stored
        assert sorted(Path(TEST_MEDIA_ROOT).rglob("*.jpg")) == files_before


def test_a_body_larger_than_a_photo_is_refused_by_its_header(client, session, place):
    # Raw bytes: the header alone says how large the body is, and that is enough to refuse it.
    response = client.post(f"/api/places/{place.id}/photos", data=b"0" * (16 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=x", headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 413
    assert response.get_json()["error"]["field"] == "photo"
    assert count_rows(session, Submission) == 0


def test_the_upload_needs_the_pages_csrf_token_a_form_and_this_origin(client, session, place):
    forged = _send(client, place.id, camera_jpeg(), token="forged")
    assert forged.status_code == 403 and forged.get_json()["error"]["field"] == "X-CSRFToken"
    crossed = _send(client, place.id, camera_jpeg(), headers={"Origin": "https://evil.example"})
    assert crossed.status_code == 403 and crossed.get_json()["error"]["field"] == "Origin"
    as_json = client.post(f"/api/places/{place.id}/photos", json={"subject": "entrance"},
                          headers={"X-CSRFToken": _token(client)})
    assert as_json.status_code == 415
    assert _send(client, 999_999, camera_jpeg()).status_code == 404
    assert count_rows(session, Submission) == 0


def _approved_photo(client, session, place, moderator) -> Photo:
    photo = _photo_of(session, _send(client, place.id, camera_jpeg()))
    moderation.approve(session, photo.submission_id, moderator)
    session.commit()
    return photo


def test_a_photo_approved_after_the_place_changed_is_not_a_conflict(client, session, place):
    moderator = make_user(session, role="moderator")
    photo = _photo_of(session, _send(client, place.id, camera_jpeg()))
    device = Submitter(device_hash=hash_device_token("photo-status-device"))
    moderation.approve(session, submit_status(session, device, place.id, {"wheelchair": "yes"}).id, moderator)
    session.commit()
    moderation.approve(session, photo.submission_id, moderator)
    session.commit()
    assert session.get(Submission, photo.submission_id).state == "approved"


def _report(client, photo_id, body):
    return client.post(f"/api/photos/{photo_id}/reports", json=body, headers={"X-CSRFToken": _token(client)})


def test_a_visitor_reports_a_shown_photo_and_repeats_update_the_report(client, session, place):
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    bad = _report(client, photo.id, {"problem": "ugly"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "problem"
    assert _report(client, photo.id, {"problem": "privacy", "note": "x" * 501}).get_json()["error"]["field"] == "note"
    first = _report(client, photo.id, {"problem": "privacy", "note": "A face at the door"})
    assert first.status_code == 201 and first.get_json()["kind"] == "photo_report"
    again = _report(client, photo.id, {"problem": "privacy", "note": "The face is clear"})
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["updated"] is True
    report = session.get(Submission, first.get_json()["id"])
    assert report.proposed == {"photo_problem": "privacy", "note": "The face is clear", "photo_id": photo.id}
    assert report.state == "pending"
    assert _report(client, 999_999, {"problem": "privacy"}).status_code == 404


def test_a_pending_photo_cannot_be_reported(client, session, place):
    photo = _photo_of(session, _send(client, place.id, camera_jpeg()))
    assert _report(client, photo.id, {"problem": "other"}).status_code == 404


def test_approving_a_report_removes_the_photo_deletes_its_files_and_closes_the_other_reports(app, client, session,
                                                                                             place):
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    first = _report(client, photo.id, {"problem": "privacy"}).get_json()["id"]
    second = _report(app.test_client(), photo.id, {"problem": "offensive"}).get_json()["id"]  # another device
    assert STORE.read(photo.name) is not None

    with app.app_context():  # the photo store is the app's
        moderation.approve(session, first, moderator)
        session.commit()
    session.refresh(photo)
    assert photo.removed_reason == "privacy" and photo.removed_by_id == moderator.id
    assert STORE.read(photo.name) is None and STORE.read(photo.thumbnail) is None
    assert _shown(client, place.id) == [] and client.get(f"/media/photos/{photo.name}").status_code == 404
    assert session.get(Submission, second).state == "approved"
    assert {n.submission_id for n in session.scalars(select(Notice))} >= {first, second}
    event = session.scalars(select(ModerationEvent).where(ModerationEvent.action == "remove_photo")).one()
    assert (event.submission_id, event.reason, event.details["photo_id"]) == (first, "privacy", photo.id)
    # The files are gone for good: the approval cannot be undone.
    with pytest.raises(Conflict):
        reverts.undo_decision(session, first, moderator)


def test_undoing_a_photos_approval_hides_it_again(client, session, place):
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    reverts.undo_decision(session, photo.submission_id, moderator)
    session.commit()
    assert _shown(client, place.id) == [] and client.get(f"/media/photos/{photo.name}").status_code == 404


def test_a_moderator_removes_a_photo_from_the_place_page(client, session, place, auth):
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    twin = _approved_photo(client, session, place, moderator)  # the same bytes sent twice share their files
    assert twin.name == photo.name
    report = _report(client, photo.id, {"problem": "wrong_place"}).get_json()["id"]

    auth.login_as("volunteer")
    token = _token(client)
    refused = client.post(f"/moderate/photos/{photo.id}/remove", data={"csrf_token": token, "reason": "privacy"})
    assert refused.status_code == 403
    auth.logout()
    auth.login_as("moderator")
    page = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert f"/moderate/photos/{photo.id}/remove" in page
    token = csrf_token_from(page)
    assert client.post(f"/moderate/photos/{photo.id}/remove", data={"reason": "privacy"}).status_code == 400
    bad = client.post(f"/moderate/photos/{photo.id}/remove", data={"csrf_token": token, "reason": "dislike"})
    assert bad.status_code == 400 and "reason" in bad.get_data(as_text=True)
    done = client.post(f"/moderate/photos/{photo.id}/remove",
                       data={"csrf_token": token, "reason": "wrong_place", "note": "Another shop",
                             "next": f"/places/{place.id}"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/places/{place.id}")
    session.expire_all()
    assert session.get(Photo, photo.id).removed_note == "Another shop"
    assert session.get(Submission, report).state == "approved"
    # Its twin is still shown, so the shared files stay.
    assert [p["id"] for p in _shown(client, place.id)] == [twin.id]
    assert STORE.read(twin.name) is not None
    # Removing again changes nothing.
    again = client.post(f"/moderate/photos/{photo.id}/remove", data={"csrf_token": token, "reason": "other"})
    assert again.status_code == 303
    assert count_rows(session, ModerationEvent, ModerationEvent.action == "remove_photo") == 1


def test_the_place_page_reports_a_photo_with_a_form(client, session, place):
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    page = client.get(f"/places/{place.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    path = f"/places/{place.id}/photos/{photo.id}/report"
    assert client.post(path, data={"problem": "unclear"}).status_code == 400  # no CSRF token
    assert client.post(f"/places/{place.id + 1}/photos/{photo.id}/report",
                       data={"csrf_token": token, "problem": "unclear"}).status_code == 404
    bad = client.post(path, data={"csrf_token": token, "problem": ""})
    assert bad.status_code == 400
    done = client.post(path, data={"csrf_token": token, "problem": "unclear", "note": "Only the sky"})
    assert done.status_code == 303
    report = session.scalars(select(Submission).where(Submission.kind == "photo_report")).one()
    assert report.proposed["photo_problem"] == "unclear" and report.proposed["photo_id"] == photo.id


class MemoryStore:
    """Another PhotoStore, as an object store would be: the app uses whichever store it is given."""

    def __init__(self):
        self.files = {}

    def put(self, name, data):
        self.files[name] = data

    def read(self, name):
        return self.files.get(name)

    def delete(self, name):
        self.files.pop(name, None)


def test_another_photo_store_takes_the_place_of_the_local_folder(app, client, session, place):
    store = app.extensions["photo_store"] = MemoryStore()
    moderator = make_user(session, role="moderator")
    photo = _approved_photo(client, session, place, moderator)
    assert set(store.files) == {photo.name, photo.thumbnail}
    assert client.get(_shown(client, place.id)[0]["url"]).data == store.files[photo.name]
    with app.app_context():
        moderation.remove_photo(session, photo.id, moderator, "other")
        session.commit()
    assert store.files == {}


def test_prune_deletes_the_files_of_photos_not_accepted_once_the_undo_window_passed(app, client, session, place,
                                                                                     runner):
    moderator = make_user(session, role="moderator")
    rejected = _photo_of(session, _send(client, place.id, camera_jpeg((1000, 700))))
    moderation.reject(session, rejected.submission_id, moderator, "other", "A face in the window")
    shared = _photo_of(session, _send(client, place.id, camera_jpeg((900, 700))))
    moderation.reject(session, shared.submission_id, moderator, "wrong")
    pending_twin = _photo_of(session, _send(client, place.id, camera_jpeg((900, 700))))  # the same bytes, pending
    session.commit()

    # Within the undo window the decision can still be taken back: its files stay.
    assert "0 photos" in runner.invoke(args=["photos", "prune"]).output
    assert STORE.read(rejected.name) is not None
    for photo in (rejected, shared):
        session.get(Submission, photo.submission_id).decided_at -= timedelta(minutes=10)
    session.commit()

    result = runner.invoke(args=["photos", "prune"])
    assert result.exit_code == 0 and "Deleted the files of 2 photos that were not accepted." in result.output
    session.expire_all()
    assert STORE.read(rejected.name) is None and STORE.read(rejected.thumbnail) is None
    assert session.get(Photo, rejected.id).removed_reason == "not_accepted"
    assert STORE.read(pending_twin.name) is not None  # still waiting for review under the same name
    assert "0 photos" in runner.invoke(args=["photos", "prune"]).output
