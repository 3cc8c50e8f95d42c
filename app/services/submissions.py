"""Volunteers' submissions: validate, store, and auto-approve those of trusted volunteers.

Anonymous visitors are identified only by a random device token kept in a cookie; the database stores
its SHA-256 hash, never the token itself and never an IP address.
"""

import hashlib
from dataclasses import dataclass

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import case, func, select, true
from sqlalchemy.orm import Session

from app import validation
from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.models import DeviceBan, Photo, Place, Submission, User
from app.photos import PhotoStore, clean_photo
from app.policy import DEFAULT_POLICY, STAFF_ROLES, ModerationPolicy, agreements_by_author
from app.services import moderation
from app.services.photos import get_photo
from app.services.places import place_point
from geo.fields import KINDS
from geo.vocabulary import PHOTO_PROBLEMS


@dataclass(frozen=True)
class Submitter:
    """Who sends a submission: a signed-in user, or an anonymous device (by its token's hash)."""

    user: User | None = None
    device_hash: str | None = None

    @classmethod
    def for_device_token(cls, user: User | None, token: str | None) -> "Submitter":
        return cls(user=user, device_hash=hash_device_token(token) if token else None)


def hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def author_record(session: Session, user_id: int) -> tuple[int, int]:
    """How many of the user's submissions were approved and rejected."""
    approved, rejected = session.execute(
        select(func.count(case((Submission.state == "approved", 1))),
               func.count(case((Submission.state == "rejected", 1))))
        .where(Submission.author_id == user_id, Submission.state.in_(("approved", "rejected")))).one()
    return approved, rejected


def agreements_received(session: Session, user_id: int) -> int:
    """How many agreeing votes other volunteers gave the user's applied changes."""
    found = agreements_by_author(among=[user_id]).subquery()
    return session.scalar(select(found.c.agreed)) or 0


def is_trusted(session: Session, user: User | None, policy: ModerationPolicy = DEFAULT_POLICY) -> bool:
    """Trusted volunteers' submissions apply at once: moderators, and volunteers with a good record."""
    if user is None:
        return False
    # Staff are trusted whatever their record (unless banned), so theirs is not read.
    if user.role in STAFF_ROLES:
        approved, rejected, agreed = 0, 0, 0
    else:
        approved, rejected = author_record(session, user.id)
        # Agreement is read only when the record alone falls short: most submissions never need it.
        agreed = 0 if policy.is_trusted(role=user.role, banned=False, approved=approved,
                                        rejected=rejected) else agreements_received(session, user.id)
    return policy.is_trusted(role=user.role, banned=user.is_banned, approved=approved, rejected=rejected,
                             agreed=agreed)


def ensure_may_submit(session: Session, submitter: Submitter) -> None:
    if submitter.user is not None and submitter.user.is_banned:
        raise Forbidden(_("Your account is banned and cannot send submissions."), code="banned")
    if submitter.user is None and submitter.device_hash is None:
        raise Forbidden(_("Allow cookies to send submissions without an account, or sign in."), code="no_device")
    if submitter.device_hash and session.get(DeviceBan, submitter.device_hash) is not None:
        raise Forbidden(_("Submissions from this device are blocked."), code="banned")


def _published_place(session: Session, place_id: int, *, for_update: bool = False) -> Place:
    place = session.get(Place, place_id, with_for_update=for_update, populate_existing=for_update)
    if place is None or not place.is_published:
        raise NotFound(_("There is no place %(id)s.", id=place_id), "place_id")
    return place


def _place_at_version(session: Session, place_id: int, base: int | None) -> Place:
    """The published place, locked, refusing with 409 when the sender saw an older version of it (invariant 3).

    The lock comes before the submission row is inserted: the insert's foreign-key share lock on the place,
    upgraded later by an auto-approval, would otherwise deadlock with a concurrent submission on the place.
    """
    place = _published_place(session, place_id, for_update=True)
    if base is not None and base != place.version:
        raise Conflict(_("This place changed since you opened it. Reload it, check the new values and send again."),
                       "base_version", code="stale_version")
    return place


def _store(session: Session, submitter: Submitter, kind: str, proposed: dict, *, place: Place | None,
           base_version: int | None, lon: float, lat: float) -> Submission:
    submission = Submission(
        kind=kind, state="pending", origin="volunteer", place_id=place.id if place else None, proposed=proposed,
        base_version=base_version, geom=from_shape(Point(lon, lat), srid=4326),
        author_id=submitter.user.id if submitter.user else None,
        device_hash=None if submitter.user else submitter.device_hash,
    )
    session.add(submission)
    session.flush()
    return submission


# Kinds a volunteer may send again about the same place: a repeat while the first is still pending updates it.
REPEATABLE_KINDS = ("status", "details", "correction", "still_correct", "report", "photo_report")


def _pending_repeat(session: Session, submitter: Submitter, kind: str, proposed: dict,
                    place: Place) -> Submission | None:
    """The submitter's own pending submission of this kind about this place, when a moderator is not reviewing it.

    Callers hold the place's row lock, so two repeats sent at once cannot both miss it and add two.
    """
    if kind not in REPEATABLE_KINDS:
        return None
    if submitter.user is not None:
        mine = Submission.author_id == submitter.user.id
    elif submitter.device_hash is not None:
        mine = (Submission.device_hash == submitter.device_hash) & Submission.author_id.is_(None)
    else:
        return None
    being_reviewed = (Submission.claimed_by_id.is_not(None)) & (Submission.claim_expires_at > func.now())
    # A report of another problem is news, not a repeat.
    if kind == "report":
        same = Submission.proposed["problem"].astext == proposed["problem"]
    elif kind == "photo_report":  # a report about another photo is news too
        same = Submission.proposed["photo_id"].as_integer() == proposed["photo_id"]
    else:
        same = true()
    return session.scalars(
        select(Submission)
        .where(Submission.place_id == place.id, Submission.kind == kind, Submission.state == "pending",
               Submission.origin == "volunteer", mine, same, ~being_reviewed)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)).first()


def _store_or_update(session: Session, submitter: Submitter, kind: str, proposed: dict, *, place: Place,
                     lon: float, lat: float) -> Submission:
    """Store the submission, or, when it repeats the submitter's own pending one, update that one instead: the
    queue holds one item per volunteer, place and kind, with their latest answer (issue: 13 identical answers
    made 13 queue items). Values the repeat leaves out are kept; it keeps its place in the queue."""
    earlier = _pending_repeat(session, submitter, kind, proposed, place)
    if earlier is None:
        return _store(session, submitter, kind, proposed, place=place, base_version=place.version, lon=lon, lat=lat)
    earlier.proposed = {**earlier.proposed, **proposed}
    earlier.base_version = place.version
    earlier.geom = from_shape(Point(lon, lat), srid=4326)
    earlier.updated_by_repeat = True
    session.flush()
    return earlier


def _auto_approve_if_trusted(session: Session, submitter: Submitter, submission: Submission,
                             policy: ModerationPolicy) -> Submission:
    if is_trusted(session, submitter.user, policy):
        moderation.approve(session, submission.id, submitter.user, auto=True)
    return submission


def _submit_change(session: Session, submitter: Submitter, kind: str, place_id: int, values: dict,
                   base_version, policy: ModerationPolicy) -> Submission:
    """Store a change of kind `kind` to a published place, as of the version the sender saw, and apply it at
    once when the sender is trusted. It sits where it proposes the place to be, or at the place."""
    ensure_may_submit(session, submitter)
    proposed = validation.clean(KINDS[kind], values)
    place = _place_at_version(session, place_id, validation.base_version(base_version))
    lon, lat = place_point(place)
    submission = _store_or_update(session, submitter, kind, proposed, place=place,
                                  lon=proposed.get("lon", lon), lat=proposed.get("lat", lat))
    return _auto_approve_if_trusted(session, submitter, submission, policy)


def submit_status(session: Session, submitter: Submitter, place_id: int, values: dict,
                  base_version=None, *, policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Propose wheelchair / toilet / description for a place; a stale base version answers 409."""
    return _submit_change(session, submitter, "status", place_id, values, base_version, policy)


def submit_details(session: Session, submitter: Submitter, place_id: int, values: dict,
                   base_version=None, *, policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Propose entrance, toilet and parking details for a place; a stale base version answers 409."""
    return _submit_change(session, submitter, "details", place_id, values, base_version, policy)


def submit_new_place(session: Session, submitter: Submitter, values: dict, *,
                     policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Propose a place that is not on the map yet."""
    ensure_may_submit(session, submitter)
    proposed = validation.clean(KINDS["new_place"], values)
    submission = _store(session, submitter, "new_place", proposed, place=None, base_version=None,
                        lon=proposed["lon"], lat=proposed["lat"])
    return _auto_approve_if_trusted(session, submitter, submission, policy)


def submit_correction(session: Session, submitter: Submitter, place_id: int, values: dict,
                      base_version=None, *, policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Propose a new name, category or location for a place, or that it is closed."""
    return _submit_change(session, submitter, "correction", place_id, values, base_version, policy)


def submit_still_correct(session: Session, submitter: Submitter, place_id: int, base_version=None, *,
                         policy: ModerationPolicy = DEFAULT_POLICY) -> Submission:
    """Confirm a place's values as they are: approved, it moves last_verified_at and changes nothing else."""
    return _submit_change(session, submitter, "still_correct", place_id, {}, base_version, policy)


def submit_report(session: Session, submitter: Submitter, place_id: int, values: dict) -> Submission:
    """Flag a published place as wrong or abusive; always reviewed by a moderator."""
    ensure_may_submit(session, submitter)
    proposed = validation.clean(KINDS["report"], values)
    place = _published_place(session, place_id, for_update=True)
    lon, lat = place_point(place)
    return _store_or_update(session, submitter, "report", proposed, place=place, lon=lon, lat=lat)


def submit_photo(session: Session, submitter: Submitter, place_id: int, data: bytes | None, values: dict,
                 store: PhotoStore) -> Submission:
    """Take a photo of a place for review: checked and cleaned (app/photos.py), its files stored, a `photo`
    submission queued. Photos are always reviewed by a moderator, whoever sends them (they may show people).

    It is based on no version of the place: a photo does not conflict with changes to the place's values.
    The files are stored before the row that names them, so a row never names a missing file.
    """
    ensure_may_submit(session, submitter)
    if not data:
        raise ValidationError(_("Choose a photo to send."), "photo")
    proposed = validation.clean(KINDS["photo"], {key: values.get(key) for key in KINDS["photo"].fields})
    place = _published_place(session, place_id)
    photo = clean_photo(data)
    store.put(photo.name, photo.image)
    store.put(photo.thumbnail_name, photo.thumbnail)
    lon, lat = place_point(place)
    submission = _store(session, submitter, "photo", proposed, place=place, base_version=None, lon=lon, lat=lat)
    user = submitter.user
    row = Photo(place_id=place.id, submission_id=submission.id, name=photo.name, thumbnail=photo.thumbnail_name,
                width=photo.width, height=photo.height, subject=proposed["subject"], licence=proposed["licence"],
                credit=user.display_name if user is not None and user.public_name else None)
    session.add(row)
    session.flush()
    submission.proposed = {**proposed, "photo_id": row.id}
    return submission


def submit_photo_report(session: Session, submitter: Submitter, photo_id: int, values: dict) -> Submission:
    """Flag a shown photo (people recognisable, not this place, ...); always reviewed by a moderator."""
    ensure_may_submit(session, submitter)
    problem = values.get("problem")
    if problem not in PHOTO_PROBLEMS:
        raise ValidationError(_("%(field)s must be one of %(values)s.", field="problem",
                                values=", ".join(PHOTO_PROBLEMS)), "problem")
    proposed = validation.clean(KINDS["photo_report"], {"photo_problem": problem, "note": values.get("note")})
    photo = get_photo(session, photo_id)
    state = session.scalar(select(Submission.state).where(Submission.id == photo.submission_id))
    if photo.removed_at is not None or state != "approved":  # only a shown photo can be reported
        raise NotFound(_("There is no photo %(id)s.", id=photo_id), "photo_id")
    place = _published_place(session, photo.place_id, for_update=True)
    lon, lat = place_point(place)
    return _store_or_update(session, submitter, "photo_report", {**proposed, "photo_id": photo.id}, place=place,
                            lon=lon, lat=lat)
