"""Peer checks over HTTP: the votes endpoint, a reopened value in the queue (sorted by disagreement) and on the
review screen with its votes."""

import re

import pytest
from sqlalchemy import select

from app.models import Revision, Submission
from app.services import checks, moderation
from app.services.submissions import Submitter, submit_status
from tests.factories import make_place, make_user

HEADERS = {"Content-Type": "application/json"}


def _applied_change(session, app, name="Bakery", wheelchair="no"):
    with app.app_context():
        author = make_user(session)
        place = make_place(session, name=name)
        submission = submit_status(session, Submitter(user=author), place.id, {"wheelchair": wheelchair})
        moderation.approve(session, submission.id, make_user(session, role="moderator"))
        session.commit()
    return author, session.scalar(select(Revision).where(Revision.submission_id == submission.id))


def test_vote_endpoint_records_and_reopens_at_the_threshold(client, session, app, auth):
    _, revision = _applied_change(session, app)
    with app.app_context():
        first = make_user(session)
        checks.vote(session, first, revision.id, False)
        session.commit()
    auth.login_as("volunteer")
    response = client.post(f"/api/revisions/{revision.id}/votes", json={"vote": "disagree"}, headers=HEADERS)
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"revision_id": revision.id, "vote": "disagree", "agree": 0, "disagree": 2,
                                   "reopened": True}
    dispute = session.scalar(select(Submission).where(Submission.revision_id == revision.id))
    assert (dispute.state, dispute.origin, dispute.kind) == ("pending", "vote", "report")


@pytest.mark.parametrize("body, field", [({"vote": "maybe"}, "vote"), ({}, "vote"), ({"vote": 1}, "vote")])
def test_vote_endpoint_names_the_bad_field(client, session, app, auth, body, field):
    _, revision = _applied_change(session, app)
    auth.login_as("volunteer")
    response = client.post(f"/api/revisions/{revision.id}/votes", json=body, headers=HEADERS)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_vote_endpoint_refuses_anonymous_own_and_unknown(client, session, app, auth):
    author, revision = _applied_change(session, app)
    anonymous = client.post(f"/api/revisions/{revision.id}/votes", json={"vote": "agree"}, headers=HEADERS)
    assert anonymous.status_code == 403 and anonymous.get_json()["error"]["code"] == "sign_in_required"
    auth.login(author.email)
    own = client.post(f"/api/revisions/{revision.id}/votes", json={"vote": "agree"}, headers=HEADERS)
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_change"
    missing = client.post("/api/revisions/999999/votes", json={"vote": "agree"}, headers=HEADERS)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "revision_id"


def _dispute(session, app, name, disagreeing):
    _, revision = _applied_change(session, app, name=name)
    with app.app_context():
        for _ in range(disagreeing):
            checks.vote(session, make_user(session), revision.id, False)
        session.commit()
    return session.scalar(select(Submission).where(Submission.revision_id == revision.id))


def test_queue_sorts_by_disagreement_and_review_shows_the_votes(client, session, app, auth):
    fewer = _dispute(session, app, "Two disagree", 2)
    more = _dispute(session, app, "Four disagree", 4)
    auth.login_as("moderator")

    oldest = client.get("/moderate").get_data(as_text=True)
    assert oldest.index("Two disagree") < oldest.index("Four disagree")
    by_disagreement = client.get("/moderate?sort=disagreement").get_data(as_text=True)
    assert by_disagreement.index("Four disagree") < by_disagreement.index("Two disagree")
    assert client.get("/moderate?sort=loudest").status_code == 400

    page = client.get(f"/moderate/submissions/{more.id}").get_data(as_text=True)
    assert "Volunteers disagree with change 2" in page
    assert re.search(r"<strong>4 disagree</strong>, 0 agree", page)
    assert "Reopened by volunteers who disagree" in page
    assert fewer.id != more.id
