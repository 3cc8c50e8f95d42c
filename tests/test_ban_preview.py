"""The ban preview offers a revert only when there is something to revert."""

from app.services import bans
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.factories import make_place, make_user


def _buttons(html: str) -> list[str]:
    return [line.strip() for line in html.splitlines() if '<button type="submit" class="button danger"' in line]


def test_ban_preview_without_changes_has_no_revert_button(client, session, auth):
    moderator = auth.login_as("moderator")
    abuser = make_user(session)
    session.commit()
    html = client.get(f"/moderate/ban?user={abuser.id}").get_data(as_text=True)
    assert "Places they changed (0)" in html
    assert [b for b in _buttons(html) if "revert" in b.lower()] == []
    assert any(">Ban<" in b for b in _buttons(html))
    bans.ban(session, moderator, bans.Author(user_id=abuser.id), "spam")
    session.commit()
    html = client.get(f"/moderate/ban?user={abuser.id}").get_data(as_text=True)
    assert _buttons(html) == []


def test_ban_preview_with_a_pending_change_only_has_no_revert_button(client, session, auth):
    auth.login_as("moderator")
    device = hash_device_token("device-token-for-the-ban-preview-test")
    submit_status(session, Submitter(device_hash=device), make_place(session).id, {"wheelchair": "no"})
    session.commit()
    html = client.get(f"/moderate/ban?device={device}").get_data(as_text=True)
    assert "revert" not in " ".join(_buttons(html)).lower()
