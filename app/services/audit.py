"""The append-only moderation log."""

from sqlalchemy.orm import Session

from app.models import ModerationEvent, User


def record_event(session: Session, actor: User | None, action: str, *, submission_id: int | None = None,
                 place_id: int | None = None, target_user_id: int | None = None,
                 target_device_hash: str | None = None, reason: str | None = None,
                 details: dict | None = None) -> ModerationEvent:
    """Append one event to the audit log (actor None means the system itself, e.g. an import)."""
    event = ModerationEvent(
        actor_id=actor.id if actor is not None else None, action=action, submission_id=submission_id,
        place_id=place_id, target_user_id=target_user_id, target_device_hash=target_device_hash,
        reason=reason, details=details,
    )
    session.add(event)
    session.flush()
    return event
