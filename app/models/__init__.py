"""SQLAlchemy 2 typed models of StepFree's domain (see DESIGN.md). The schema itself comes from Alembic."""

from app.models.base import Base
from app.models.users import User, DeviceBan, ROLES
from app.models.places import Place, PlaceGridCell
from app.models.submissions import Submission, SUBMISSION_KINDS, SUBMISSION_STATES, REJECT_REASONS
from app.models.audit import Revision, ModerationEvent, MODERATION_ACTIONS, REVISION_SOURCES

__all__ = [
    "Base", "User", "DeviceBan", "ROLES", "Place", "PlaceGridCell", "Submission", "SUBMISSION_KINDS", "SUBMISSION_STATES",
    "REJECT_REASONS", "Revision", "ModerationEvent", "MODERATION_ACTIONS", "REVISION_SOURCES",
]
