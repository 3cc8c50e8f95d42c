"""Trust has one rule (app/policy.py): its Python form (auto-approval) and its SQL form (the queue's author
filter) agree on every kind of user, the banned ones included, which the SQL form once counted as trusted."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from app.models.base import utcnow
from app.params import queue_filters
from app.policy import ModerationPolicy
from app.queries import moderation as queue
from app.services.submissions import is_trusted
from tests.factories import make_place, make_user

POLICY = ModerationPolicy(trust_min_approved=20, trust_max_rejected_share=0.05)

# role, approved, rejected, banned → trusted?
USERS = {
    "new volunteer": ("volunteer", 0, 0, False, False),
    "exactly enough": ("volunteer", 20, 0, False, True),
    "one short": ("volunteer", 19, 0, False, False),
    "a few rejections": ("volunteer", 20, 1, False, True),       # 1 of 21 rejected: 4.8 %
    "too many rejections": ("volunteer", 20, 2, False, False),   # 2 of 22: 9 %
    "banned with a good record": ("volunteer", 40, 0, True, False),
    "moderator": ("moderator", 0, 0, False, True),
    "moderator with rejections": ("moderator", 0, 30, False, True),
    "banned moderator": ("moderator", 0, 0, True, False),
    "admin": ("admin", 0, 0, False, True),
}


def _record(session, user_id: int, place_id: int, state: str, count: int) -> None:
    session.execute(text("""
        INSERT INTO submissions (kind, state, origin, place_id, proposed, author_id, decided_at, reason_code)
        SELECT 'status', CAST(:state AS varchar), 'volunteer', :place, '{"wheelchair": "yes"}', :user, now(),
               CASE WHEN CAST(:state AS varchar) = 'rejected' THEN 'wrong' END
        FROM generate_series(1, :n)"""), {"state": state, "place": place_id, "user": user_id, "n": count})


@pytest.fixture
def users(session):
    place = make_place(session)
    made = {}
    for label, (role, approved, rejected, banned, _) in USERS.items():
        user = make_user(session, role=role)
        _record(session, user.id, place.id, "approved", approved)
        _record(session, user.id, place.id, "rejected", rejected)
        if banned:
            user.banned_at = utcnow() - timedelta(days=1)
        made[label] = user
    session.flush()
    return made


def test_policy_python_and_sql_agree_on_every_kind_of_user(session, users):
    sql_trusted = set(session.scalars(POLICY.trusted_user_ids()))
    for label, user in users.items():
        expected = USERS[label][-1]
        assert is_trusted(session, user, POLICY) is expected, label
        assert (user.id in sql_trusted) is expected, label


def test_policy_queue_author_filter_follows_the_same_rule(session, users):
    place = make_place(session)
    pending = {}
    for label, user in users.items():
        session.execute(text("""INSERT INTO submissions (kind, state, origin, place_id, proposed, author_id)
                                VALUES ('status', 'pending', 'volunteer', :place, '{"wheelchair": "no"}', :user)
                                RETURNING id"""), {"place": place.id, "user": user.id})
        pending[label] = user.id
    rows = queue.list_queue(session, queue_filters(MultiDict({"author": "trusted"})), POLICY, limit=100)
    shown = {row.submission.author_id for row in rows}
    assert shown == {pending[label] for label, values in USERS.items() if values[-1]}
    assert all(row.author_type == "trusted" for row in rows)
    untrusted = queue.list_queue(session, queue_filters(MultiDict({"author": "new"})), POLICY, limit=100)
    assert {row.submission.author_id for row in untrusted} == {
        pending[label] for label, values in USERS.items() if not values[-1]}


def test_policy_is_built_once_from_the_settings(app):
    policy = app.extensions["moderation_policy"]
    assert policy == ModerationPolicy.from_config(app.config)
    assert policy.claim_lease == timedelta(seconds=app.config["CLAIM_LEASE_SECONDS"])
    assert policy.undo_window == timedelta(seconds=app.config["UNDO_WINDOW_SECONDS"])


def test_policy_services_read_no_settings_of_their_own():
    """The services get the policy from their caller; none of them reaches for the app's configuration."""
    from pathlib import Path
    services = Path(__file__).resolve().parents[1] / "app" / "services"
    readers = [p.name for p in services.glob("*.py") if "current_app" in p.read_text()]
    assert readers == []

