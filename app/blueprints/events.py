""""/events": mapping events: an area, dates and a goal, with live progress and a leaderboard.

Organisers (and moderators and admins) create and edit events; anyone joins one, with an account or as this
browser's anonymous device. The form's values are checked by app/services/events.py, which names every bad
field; this module only renders and redirects.
"""

import io
import json
from datetime import UTC, datetime
from functools import wraps

import segno
from babel.dates import format_datetime
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from app.db import get_session
from app.device import device_hash
from app.errors import Forbidden, NotFound
from app.extensions import login_manager
from app.models import MappingEvent
from app.models.base import utcnow
from app.queries import events as event_queries
from app.services import events as event_service
from app.urls import external_url

bp = Blueprint("events", __name__)

# The value of <input type="datetime-local">: what the form shows and what the service reads back.
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


class EventForm(FlaskForm):
    """Renders the organisers' form and keeps what was typed; the service decides what is valid."""

    name = StringField(_l("Name"), render_kw={"maxlength": event_service.NAME_MAX})
    slug = StringField(_l("Web address (optional)"), render_kw={"maxlength": event_service.SLUG_MAX})
    description = TextAreaField(_l("Description (optional)"), render_kw={"maxlength": event_service.DESCRIPTION_MAX})
    starts_at = StringField(_l("Starts"), render_kw={"type": "datetime-local"})
    ends_at = StringField(_l("Ends"), render_kw={"type": "datetime-local"})
    time_zone = SelectField(_l("Time zone of these times"), default="UTC")
    goal = StringField(_l("Goal: % of places with a known status"), default=str(event_service.GOAL_DEFAULT),
                       render_kw={"type": "number", "min": 1, "max": 100, "inputmode": "numeric"})
    area = HiddenField()
    bbox = StringField(_l("Or type the area as a rectangle: minLon,minLat,maxLon,maxLat"),
                       render_kw={"inputmode": "decimal", "spellcheck": "false"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [(zone, zone.replace("_", " ")) for zone in event_service.time_zones()]

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors = [message]


def organiser_required(view):
    """Anonymous visitors are sent to sign in; signed-in users who may not organise get 403."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.may_organise:
            raise Forbidden(_("Only organisers, moderators and admins can create mapping events. Ask an admin for "
                              "the organiser role."))
        return view(*args, **kwargs)
    return wrapped


@bp.context_processor
def _event_helpers():
    return {"phase_of": lambda event: event_queries.phase(event, utcnow()), "in_utc": _in_utc}


def _in_utc(moment: datetime) -> str:
    # In the page's language: "Sat 05 April 2025, 14:00 UTC" in English.
    return format_datetime(moment, "EEE dd MMMM y, HH:mm 'UTC'", tzinfo=UTC, locale=get_locale() or "en")


def _event_or_404(slug: str) -> MappingEvent:
    # A path that cannot be a slug (a NUL byte, 500 characters) is not looked up at all.
    event = event_queries.get_event(get_session(), slug) if event_service.SLUG_PATTERN.fullmatch(slug) else None
    if event is None:
        raise NotFound(_("There is no mapping event at this address."), "slug")
    return event


def _map_config() -> dict:
    config = current_app.config
    return {"tileUrl": config["TILE_URL"], "tileAttribution": config["TILE_ATTRIBUTION"],
            "center": [config["MAP_CENTER_LAT"], config["MAP_CENTER_LON"]], "zoom": config["MAP_ZOOM"]}


def _render_form(form: EventForm, event: MappingEvent | None, status: int = 200):
    return render_template("events/form.html", form=form, event=event, map_config=_map_config(),
                           max_area_km2=event_service.MAX_AREA_KM2), status


@bp.get("/events")
def index():
    listing = event_queries.list_events(get_session(), utcnow())
    return render_template("events/index.html", listing=listing)


@bp.route("/events/new", methods=["GET", "POST"])
@organiser_required
def new():
    form = EventForm()
    if request.method == "POST":
        session = get_session()
        try:
            event = event_service.create_event(session, current_user, request.form)
        except event_service.InvalidEvent as error:
            form.show_errors(error.errors)
            return _render_form(form, None, error.status)
        session.commit()
        flash(_("“%(name)s” is created. Share its join link or QR code with your volunteers.", name=event.name),
              "success")
        return redirect(url_for("events.show", slug=event.slug))
    return _render_form(form, None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@organiser_required
def edit(slug: str):
    session = get_session()
    event = _event_or_404(slug)
    if not event_service.may_edit(current_user, event):
        raise Forbidden(_("Only the organiser who created this event, or a moderator, can edit it."))
    if request.method == "POST":
        form = EventForm()
        try:
            event_service.update_event(session, current_user, event, request.form)
        except event_service.InvalidEvent as error:
            form.show_errors(error.errors)
            return _render_form(form, event, error.status)
        session.commit()
        flash(_("“%(name)s” is updated.", name=event.name), "success")
        return redirect(url_for("events.show", slug=event.slug))
    # The stored times are shown in UTC, and the time zone field says so.
    form = EventForm(data={
        "name": event.name, "description": event.description or "", "goal": str(event.goal_known_pct),
        "starts_at": event.starts_at.astimezone(UTC).strftime(LOCAL_INPUT_FORMAT),
        "ends_at": event.ends_at.astimezone(UTC).strftime(LOCAL_INPUT_FORMAT), "time_zone": "UTC",
        "area": json.dumps(event_queries.area_geojson(session, event.id))})
    return _render_form(form, event)


@bp.get("/events/<slug>")
def show(slug: str):
    session = get_session()
    event = _event_or_404(slug)
    user_id = current_user.id if current_user.is_authenticated else None
    joined = event_queries.is_participant(session, event.id, user_id=user_id,
                                          device_hash=None if user_id else device_hash())
    return render_template(
        "events/show.html", event=event, area=event_queries.area_geojson(session, event.id),
        progress=event_queries.progress(session, event), leaders=event_queries.leaderboard(session, event),
        joined=joined, join_url=external_url("events.show", slug=event.slug), map_config=_map_config(),
        may_edit=event_service.may_edit(current_user, event))


@bp.post("/events/<slug>/join")
def join(slug: str):
    """Join as the signed-in account, or else as this browser's anonymous device (its cookie is set now)."""
    session = get_session()
    event = _event_or_404(slug)
    user = current_user if current_user.is_authenticated else None
    joined = event_service.join_event(session, event, user=user,
                                      device_hash=None if user else device_hash(create=True), now=utcnow())
    session.commit()
    if joined:
        flash(_("You joined “%(name)s”. Thank you! Check the places in its area to move it towards its goal.",
                name=event.name), "success")
    else:
        flash(_("You had already joined “%(name)s”.", name=event.name), "info")
    return redirect(url_for("events.show", slug=event.slug))


@bp.get("/events/<slug>/qr.svg")
def qr(slug: str):
    """The join link as a QR code (SVG), for posters and for the screen at the meeting point."""
    event = _event_or_404(slug)
    svg = io.BytesIO()
    segno.make(external_url("events.show", slug=event.slug), error="m").save(
        svg, kind="svg", scale=6, border=4, dark="#000", light="#fff", xmldecl=False,
        title=_("Join link of %(name)s", name=event.name))
    # Its title is in the visitor's language, which the language cookie or Accept-Language chose.
    return Response(svg.getvalue(), mimetype="image/svg+xml", headers={
        "Cache-Control": "public, max-age=3600", "Vary": "Accept-Language, Cookie"})
