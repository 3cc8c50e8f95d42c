"""SQLAlchemy 2 typed models of StepFree's domain (see DESIGN.md). The schema itself comes from Alembic."""

from app.models.audit import MODERATION_ACTIONS, REVISION_SOURCES, ModerationEvent, Revision
from app.models.base import Base
from app.models.changes import CHANGE_ACTIONS, PlaceChange
from app.models.engagement import CheckSkip, EventParticipant, MappingEvent, Notice, Vote
from app.models.osm import OsmNode, OsmNodeOverlay, OsmRelation, OsmReplication, OsmUpstreamHold, OsmWay
from app.models.photos import Photo
from app.models.places import Place, PlaceGridCell, PlaceGridDelta
from app.models.stats import (
    AreaCount,
    ContributionWeek,
    CoverageWeek,
    LatencyHour,
    LatencyMinute,
    PendingCount,
    PlaceCount,
)
from app.models.submissions import REJECT_REASONS, SUBMISSION_KINDS, SUBMISSION_STATES, Submission
from app.models.users import ROLES, DeviceBan, User

__all__ = [
    "Base", "User", "DeviceBan", "ROLES", "Place", "PlaceGridCell", "PlaceGridDelta", "Submission", "SUBMISSION_KINDS",
    "SUBMISSION_STATES",
    "REJECT_REASONS", "Revision", "ModerationEvent", "MODERATION_ACTIONS", "REVISION_SOURCES",
    "Photo", "Vote", "CheckSkip", "Notice", "MappingEvent", "EventParticipant",
    "OsmReplication", "OsmNodeOverlay", "OsmWay", "OsmRelation", "OsmNode", "OsmUpstreamHold",
    "PlaceChange", "CHANGE_ACTIONS",
    "PlaceCount", "AreaCount", "CoverageWeek", "ContributionWeek", "PendingCount", "LatencyMinute", "LatencyHour",
]
