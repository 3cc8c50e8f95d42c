"""A volunteer is anonymous on public pages unless they choose otherwise on their profile: a place's history
says "a volunteer" or "a moderator" by default and the display name only after opting in."""

import re

from sqlalchemy import select

from app.models import User
from app.policy import ModerationPolicy
from app.services import accounts, moderation
from app.services.submissions import Submitter, submit_status
from tests.conftest import csrf_token_from
from tests.factories import make_place, make_user

TRUST_AT_ONCE = ModerationPolicy(trust_min_approved=0)
LABEL = "Show my display name publicly (leaderboards, place histories)"


def _history(html: str) -> str:
    return " ".join(html[html.index(">History</h2>"):].split())


def _place_with_two_changes(session) -> tuple[int, User, User]:
    """A place changed once by a trusted volunteer (applied at once) and once by a moderator's approval."""
    place = make_place(session, name="Town hall")
    vera = make_user(session, display_name="Vera Volunteer")
    mona = make_user(session, role="moderator", display_name="Mona Moderator")
    submit_status(session, Submitter(user=vera), place.id, {"wheelchair": "yes"}, policy=TRUST_AT_ONCE)
    pending = submit_status(session, Submitter(user=make_user(session)), place.id, {"toilets_wheelchair": "no"})
    moderation.approve(session, pending.id, mona)
    session.commit()
    return place.id, vera, mona


def test_history_shows_no_names_by_default(client, session):
    place_id, _, _ = _place_with_two_changes(session)
    history = _history(client.get(f"/places/{place_id}").get_data(as_text=True))
    assert "by a volunteer" in history and "by a moderator" in history
    assert "Vera" not in history and "Mona" not in history


def test_history_shows_the_name_after_opting_in(client, session):
    place_id, vera, mona = _place_with_two_changes(session)
    accounts.set_public_name(session, vera, True)
    accounts.set_public_name(session, mona, True)
    session.commit()
    history = _history(client.get(f"/places/{place_id}").get_data(as_text=True))
    assert "by Vera Volunteer" in history and "by Mona Moderator" in history
    assert "by a volunteer" not in history and "by a moderator" not in history


def test_moderators_see_every_name_in_the_history(client, session, auth):
    place_id, _, _ = _place_with_two_changes(session)
    auth.login_as("moderator")
    history = _history(client.get(f"/places/{place_id}").get_data(as_text=True))
    assert "by Vera Volunteer" in history and "by Mona Moderator" in history


def _checkbox(html: str) -> str:
    match = re.search(r'<input[^>]*name="public_name"[^>]*>', html)
    assert match, "the profile has no public-name checkbox"
    return match.group(0)


def test_profile_form_saves_the_public_name_choice(client, session, auth):
    user = auth.login_as("volunteer")
    page = client.get("/account/").get_data(as_text=True)
    assert LABEL in page and "checked" not in _checkbox(page)
    token = csrf_token_from(page)

    response = client.post("/account/public-name", data={"csrf_token": token, "public_name": "y"})
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(User.public_name).where(User.id == user.id)) is True
    assert "checked" in _checkbox(client.get("/account/").get_data(as_text=True))

    client.post("/account/public-name", data={"csrf_token": token})  # unticked: the box sends nothing
    session.expire_all()
    assert session.scalar(select(User.public_name).where(User.id == user.id)) is False


def test_profile_choice_needs_the_csrf_token_and_an_account(client, session, auth):
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    anonymous = client.post("/account/public-name", data={"csrf_token": token, "public_name": "y"})
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    user = auth.login_as("volunteer")
    assert client.post("/account/public-name", data={"public_name": "y"}).status_code == 400
    session.expire_all()
    assert session.scalar(select(User.public_name).where(User.id == user.id)) is False
