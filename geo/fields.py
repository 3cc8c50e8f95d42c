"""Every value a place carries and every submission kind, in one table.

A field says how it is validated, what it is called in OpenStreetMap and in every GeoJSON feature StepFree
serves (the map API, the exports, the OGC API: one vocabulary, OSM's keys where OSM has one), how it is
shown to people, and whether it is about accessibility (changing or confirming it counts as a check). A kind
says which fields a submission of it carries. Validation, storage, moderation, the OSM merge, the features
and the documentation all read these tables: adding a field is one entry here plus a migration for its column.
"""

from dataclasses import dataclass

from geo.categories import CATEGORY_KEYS
from geo.translatable import N_
from geo.vocabulary import (
    DESCRIPTION_MAX,
    DOOR_WIDTH_MAX_CM,
    DOOR_WIDTH_MIN_CM,
    HEARING_LOOP_VALUES,
    PHOTO_LICENCES,
    PHOTO_PROBLEMS,
    PHOTO_SUBJECTS,
    PROBLEM_LABELS,
    RAMP_VALUES,
    STEP_COUNT_MAX,
    STEP_HEIGHT_MAX_CM,
    TOILETS_VALUES,
    WHEELCHAIR_VALUES,
    YES_NO,
)

NAME_MAX = 200
# "disputed" is raised by peer votes, never chosen by a reporter.
REPORT_PROBLEMS = tuple(k for k in PROBLEM_LABELS if k != "disputed")
REPORT_NOTE_MAX = 500


@dataclass(frozen=True)
class Field:
    key: str                      # StepFree's name: Place attribute, JSON body key, submissions' `proposed` key
    label: str                    # for people (review screen, history, data page): English, marked N_
    type: str                     # choice | text | count | centimetres | longitude | latitude | flag
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None    # count and centimetres: the smallest and largest whole number accepted
    maximum: int | None = None
    osm_key: str | None = None    # the OSM tag; also the GeoJSON property name when set
    default: object = None        # a new place's value when the submission leaves it out
    accessibility: bool = False   # about access: changing or confirming it counts as a check
    column: bool = False          # stored in a place column of the same name (else derived: geom, timestamps)
    on_map: bool = False          # carried by the map's light features, not only by full ones
    meaning: str = ""             # what the value means, for the data page (English, marked N_)

    @property
    def property(self) -> str:
        """The field's name in every GeoJSON feature: OSM's key where OSM has one."""
        return self.osm_key or self.key


FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("name", N_("Name"), "text", max_length=NAME_MAX, osm_key="name", column=True, on_map=True,
          meaning=N_("The place's name; null for places OpenStreetMap does not name (toilets, elevators, parking, "
                     "platforms).")),
    Field("category", N_("Category"), "choice", CATEGORY_KEYS, column=True, on_map=True,
          meaning=N_("One of StepFree's categories.")),
    Field("wheelchair", N_("Wheelchair access"), "choice", WHEELCHAIR_VALUES, osm_key="wheelchair", default="unknown",
          accessibility=True, column=True, on_map=True,
          meaning=N_("Whether the place can be entered in a wheelchair; see the values below.")),
    Field("toilets_wheelchair", N_("Wheelchair toilet"), "choice", TOILETS_VALUES, osm_key="toilets:wheelchair",
          default="unknown", accessibility=True, column=True, on_map=True,
          meaning=N_("Whether there is a wheelchair-accessible toilet.")),
    Field("description", N_("Access description"), "text", max_length=DESCRIPTION_MAX,
          osm_key="wheelchair:description", accessibility=True, column=True,
          meaning=N_("Free text (at most 255 characters), e.g. where the ramp is; or null.")),
    # The details (issue 14): each optional, NULL when nobody knows; full features only, never the map's light ones.
    Field("step_count", N_("Steps at the entrance"), "count", minimum=0, maximum=STEP_COUNT_MAX,
          osm_key="step_count", accessibility=True, column=True,
          meaning=N_("How many steps the entrance has (a whole number, 0 for none); or null.")),
    Field("step_height", N_("Height of the highest step"), "centimetres", minimum=0, maximum=STEP_HEIGHT_MAX_CM,
          osm_key="step:height", accessibility=True, column=True,
          meaning=N_("The height of the entrance's highest step in metres, as OpenStreetMap writes lengths "
                     "(\"0.07\" for 7 cm); or null.")),
    Field("ramp", N_("Ramp"), "choice", RAMP_VALUES, osm_key="ramp:wheelchair", accessibility=True, column=True,
          meaning=N_("Whether the entrance has a wheelchair ramp (portable: one is brought on request); or null.")),
    Field("door_width", N_("Door width"), "centimetres", minimum=DOOR_WIDTH_MIN_CM, maximum=DOOR_WIDTH_MAX_CM,
          osm_key="door:width", accessibility=True, column=True,
          meaning=N_("The entrance door's clear width in metres (\"0.9\" for 90 cm); or null.")),
    Field("automatic_door", N_("Automatic door"), "choice", YES_NO, osm_key="automatic_door", accessibility=True,
          column=True, meaning=N_("Whether the entrance door opens by itself; or null.")),
    Field("step_free_entrance", N_("Step-free entrance elsewhere"), "choice", YES_NO, osm_key="entrance:step_free",
          accessibility=True, column=True,
          meaning=N_("Whether another entrance has no steps; or null.")),
    Field("step_free_entrance_where", N_("Where the step-free entrance is"), "text", max_length=DESCRIPTION_MAX,
          osm_key="entrance:step_free:description", accessibility=True, column=True,
          meaning=N_("Where that entrance is, in free text (at most 255 characters); or null.")),
    Field("toilets_grab_rails", N_("Toilet grab rails"), "choice", YES_NO, osm_key="toilets:grab_rails",
          accessibility=True, column=True, meaning=N_("Whether the toilet has grab rails; or null.")),
    Field("toilets_turning_space", N_("Toilet turning space"), "choice", YES_NO, osm_key="toilets:turning_space",
          accessibility=True, column=True,
          meaning=N_("Whether the toilet has room for a 150 cm turning circle; or null.")),
    Field("toilets_door_width", N_("Toilet door width"), "centimetres", minimum=DOOR_WIDTH_MIN_CM,
          maximum=DOOR_WIDTH_MAX_CM, osm_key="toilets:door:width", accessibility=True, column=True,
          meaning=N_("The toilet door's clear width in metres; or null.")),
    Field("parking_disabled", N_("Wheelchair parking"), "choice", YES_NO, osm_key="capacity:disabled",
          accessibility=True, column=True,
          meaning=N_("Whether there is wheelchair parking nearby; or null.")),
    Field("hearing_loop", N_("Hearing loop"), "choice", HEARING_LOOP_VALUES, osm_key="hearing_loop",
          accessibility=True, column=True,
          meaning=N_("Whether there is an induction loop for hearing aids (limited: in some places); or null.")),
    Field("lon", N_("Longitude"), "longitude"),
    Field("lat", N_("Latitude"), "latitude"),
    Field("gone", N_("Closed / gone"), "flag", default=False),
    Field("hidden", N_("Hidden"), "flag", default=False),
    Field("problem", N_("Problem"), "choice", REPORT_PROBLEMS),
    Field("note", N_("Note"), "text", max_length=REPORT_NOTE_MAX),
    # A photo's submission and its reports (issue 14): the file itself is never a field (app/photos.py).
    Field("subject", N_("What the photo shows"), "choice", PHOTO_SUBJECTS),
    Field("licence", N_("Licence"), "choice", PHOTO_LICENCES),
    Field("photo_problem", N_("Problem with the photo"), "choice", PHOTO_PROBLEMS),
)}

# The description's meaning says its limit in its words (one message for translators): keep them in step.
assert f"at most {DESCRIPTION_MAX} characters" in FIELDS["description"].meaning
assert f"at most {DESCRIPTION_MAX} characters" in FIELDS["step_free_entrance_where"].meaning

# The details, in the order the sheet asks them (all optional, none on the map).
DETAIL_FIELDS = ("step_count", "step_height", "ramp", "door_width", "automatic_door", "step_free_entrance",
                 "step_free_entrance_where", "toilets_grab_rails", "toilets_turning_space", "toilets_door_width",
                 "parking_disabled", "hearing_loop")
# What a revision records of a place, before and after each change.
PLACE_FIELDS = ("name", "category", "wheelchair", "toilets_wheelchair", "description", *DETAIL_FIELDS, "lon", "lat",
                "hidden", "gone")
COLUMN_FIELDS = tuple(k for k in PLACE_FIELDS if FIELDS[k].column)
ACCESSIBILITY_FIELDS = tuple(k for k in PLACE_FIELDS if FIELDS[k].accessibility)
# The place's values published in features, by their property names (the location is the geometry).
PUBLIC_FIELDS = tuple(FIELDS[k] for k in COLUMN_FIELDS)
MAP_FIELDS = tuple(f for f in PUBLIC_FIELDS if f.on_map)
# Full features (exports, OGC API, one place in the API) also say where the place comes from and when it
# changed or was checked; the map's light features carry only what a marker and the list need.
RECORD_MEANINGS = {
    "osm_type": N_("With osm_id, the OpenStreetMap element the place comes from (node, way or relation, and its "
                   "number), or null for places volunteers added."),
    "osm_id": N_("The OpenStreetMap element's number, or null."),
    "updated_at": N_("When an approved change last altered the place (ISO 8601, UTC)."),
    "last_verified_at": N_("When someone last confirmed its accessibility, even without a change; or null."),
    "check_date:wheelchair": N_("The day of last_verified_at (YYYY-MM-DD, UTC) under OpenStreetMap's check_date "
                                "key for the wheelchair value; or null."),
}
RECORD_PROPERTIES = tuple(RECORD_MEANINGS)
# Every full feature carries these; the details' properties come after them only on a place with at least one
# known detail (most places have none: a dozen nulls each would swell the exports).
BASE_PROPERTIES = tuple(f.property for f in PUBLIC_FIELDS if f.key not in DETAIL_FIELDS) + RECORD_PROPERTIES
DETAIL_PROPERTIES = tuple(FIELDS[k].property for k in DETAIL_FIELDS)
FEATURE_PROPERTIES = BASE_PROPERTIES + DETAIL_PROPERTIES
MAP_PROPERTIES = tuple(f.property for f in MAP_FIELDS)
# The names the map API used before it spoke OSM's keys, sent beside them for one more release (until 0.3).
DEPRECATED_ALIASES = {k: FIELDS[k].property for k in ("toilets_wheelchair", "description")}


@dataclass(frozen=True)
class Kind:
    """Which fields a submission of one kind carries."""

    key: str
    label: str                    # English, marked N_: translate where shown
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # At least one of the optional fields must be given (a status with nothing in it changes nothing).
    needs_one: bool = False
    # Whether approving it changes the place (a report is resolved by acting on the place instead).
    applies: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("status", N_("Status"), optional=("wheelchair", "toilets_wheelchair", "description"), needs_one=True),
    Kind("new_place", N_("New place"), required=("name", "category", "wheelchair", "lon", "lat"),
         optional=("toilets_wheelchair", "description")),
    Kind("correction", N_("Correction"), optional=("name", "category", "lon", "lat", "gone"), needs_one=True),
    Kind("report", N_("Report"), required=("problem",), optional=("note",), applies=False),
    # "Still correct": confirms the place's values as they are; approving it moves only last_verified_at.
    Kind("still_correct", N_("Still correct")),
    # The entrance, toilet and parking details; the toilet's main question comes with them on the sheet.
    # The details, with the wheelchair answer they support (or the volunteer's own), decided as one.
    Kind("details", N_("Details"), optional=(*DETAIL_FIELDS, "wheelchair", "toilets_wheelchair"), needs_one=True),
    # A photo of the place: approving it shows the photo, changing none of the place's values (services/photos.py).
    Kind("photo", N_("Photo"), required=("subject", "licence"), applies=False),
    # A visitor's report about a shown photo; approving it removes the photo.
    Kind("photo_report", N_("Photo report"), required=("photo_problem",), optional=("note",), applies=False),
    # A volunteer's place that an OSM place seems to duplicate, filed by the importer (services/duplicates.py);
    # approving it merges the two, through revisions of both.
    Kind("duplicate", N_("Possible duplicate"), applies=False),
)}
SUBMISSION_KINDS = tuple(KINDS)

# A moderator resolving a report may change any of the place's own values at once.
MODERATOR_CORRECTION = Kind("moderator_correction", N_("Correction by a moderator"),
                            optional=("name", "category", "wheelchair", "toilets_wheelchair", "description", "lon",
                                      "lat"), needs_one=True)
