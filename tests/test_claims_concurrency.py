"""Many moderators claiming from one queue at once, on real concurrent database sessions (DESIGN.md invariant 2).

Each thread has its own connection and commits for real, so the only thing keeping two moderators off the
same item is `FOR UPDATE SKIP LOCKED` plus the lease.
"""

import threading
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Submission, User
from app.services import claims, moderation
from app.services.submissions import Submitter, hash_device_token, submit_status
from tests.factories import make_place, make_user

ITEMS = 60
MODERATORS = 8


def _fill_queue(live_app, live_db):
    with live_app.app_context():
        device = Submitter(device_hash=hash_device_token("concurrency"))
        places = [make_place(live_db) for _ in range(ITEMS)]
        items = [submit_status(live_db, device, p.id, {"wheelchair": "yes"}).id for p in places]
        moderators = [make_user(live_db, role="moderator").id for _ in range(MODERATORS)]
        live_db.commit()
    return items, moderators


def _run_together(live_app, moderators, work):
    """Run work(session, moderator) in one thread per moderator, all released at the same moment."""
    engine = live_app.extensions["stepfree_db"].engine
    barrier = threading.Barrier(len(moderators))
    results, errors = {}, []

    def run(moderator_id):
        try:
            with live_app.app_context(), Session(engine, expire_on_commit=False) as session:
                moderator = session.get(User, moderator_id)
                barrier.wait()
                results[moderator_id] = work(session, moderator)
        except Exception as error:  # surfaced by the assertion below, with its thread's moderator
            errors.append((moderator_id, repr(error)))

    threads = [threading.Thread(target=run, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_claims_concurrent_moderators_get_distinct_items(live_app, live_db):
    items, moderators = _fill_queue(live_app, live_db)

    def claim_once(session, moderator):
        submission = claims.claim_next(session, moderator)
        session.commit()
        return submission.id

    results = _run_together(live_app, moderators, claim_once)
    claimed = list(results.values())
    assert len(set(claimed)) == MODERATORS
    # The oldest items went first, whatever the order the threads ran in.
    assert set(claimed) == set(items[:MODERATORS])


def test_claims_concurrent_moderators_drain_the_queue_exactly_once(live_app, live_db):
    items, moderators = _fill_queue(live_app, live_db)

    def drain(session, moderator):
        decided = []
        while True:
            submission = claims.claim_next(session, moderator)
            session.commit()
            if submission is None:
                return decided
            moderation.reject(session, submission.id, moderator, "other")
            session.commit()
            decided.append(submission.id)

    results = _run_together(live_app, moderators, drain)
    decided = [i for ids in results.values() for i in ids]
    counts = Counter(decided)
    assert [i for i, n in counts.items() if n > 1] == []  # none twice
    assert sorted(counts) == sorted(items)  # none lost
    live_db.expire_all()
    assert live_db.scalar(select(func.count()).select_from(Submission).where(Submission.state == "pending")) == 0
    # Several moderators really shared the work.
    assert sum(1 for ids in results.values() if ids) > 1
