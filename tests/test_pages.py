"""The map page and "my submissions": what a visitor sees, and that it is theirs only."""

import json

from app.services import moderation
from tests.factories import make_place, make_user


def _post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_map_page_takes_tiles_from_configuration(client, app):
    app.config["TILE_URL"] = "https://tiles.example.org/{z}/{x}/{y}.png"
    page = client.get("/").get_data(as_text=True)
    assert "https://tiles.example.org/{z}/{x}/{y}.png" in page
    assert "vendor/leaflet/leaflet.js" in page
    # Third-party code is served from our own static folder (copied from npm at setup), never a CDN.
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_my_submissions_lists_the_devices_submissions_with_verdicts(client, session, app):
    place = make_place(session, name="Town <hall>")
    session.commit()
    first = _post(client, f"/api/places/{place.id}/status", {"wheelchair": "no"}).get_json()
    _post(client, "/api/places", {"name": "Kiosk", "category": "shopping", "lon": 9.52, "lat": 47.14,
                                  "wheelchair": "yes"})
    moderator = make_user(session, role="moderator")
    with app.app_context():
        moderation.reject(session, first["id"], moderator, "unverifiable", "Photo please <b>")
    session.commit()
    page = client.get("/my/submissions").get_data(as_text=True)
    assert "Town &lt;hall&gt;" in page and "New place “Kiosk”" in page
    assert "Not accepted" in page and "A moderator could not confirm it." in page
    assert "Photo please &lt;b&gt;" in page
    assert "Awaiting review" in page
    # Another device sees none of it.
    other = app.test_client().get("/my/submissions").get_data(as_text=True)
    assert "Town &lt;hall&gt;" not in other and "Nothing sent yet" in other


def test_my_submissions_for_a_signed_in_volunteer(client, session, auth):
    auth.login_as("volunteer")
    place = make_place(session, name="Library")
    session.commit()
    _post(client, f"/api/places/{place.id}/reports", {"problem": "closed", "note": "Moved away"})
    page = client.get("/my/submissions").get_data(as_text=True)
    assert "Report: Closed or gone" in page and "Moved away" in page


def test_reason_labels_cover_every_reject_reason():
    from app.models.submissions import REJECT_REASONS
    from geo.fields import REPORT_PROBLEMS
    from geo.vocabulary import PROBLEM_LABELS, REASON_EXPLANATIONS, REASON_LABELS
    assert set(REASON_LABELS) == set(REASON_EXPLANATIONS) == set(REJECT_REASONS)
    # "disputed" is raised by peer votes, not chosen by a reporter; it has a label all the same.
    assert set(PROBLEM_LABELS) == {*REPORT_PROBLEMS, "disputed"}
