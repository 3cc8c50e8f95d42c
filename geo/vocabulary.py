"""The accessibility vocabulary shared by the app, the API, the importer and the exports (OSM meanings).

The words for people are English here, marked with N_ for translation; they are translated where shown.
"""

from geo.translatable import N_

WHEELCHAIR_VALUES = ("yes", "limited", "no", "unknown")
TOILETS_VALUES = ("yes", "no", "unknown")
DESCRIPTION_MAX = 255

# One line each, as a volunteer reads them on the status buttons (OSM wiki's key:wheelchair meanings).
WHEELCHAIR_MEANINGS = {
    "yes": N_("Step-free entrance, and all rooms are reachable without steps."),
    "limited": N_("Entrance has at most one step (under 7 cm); the main rooms are step-free."),
    "no": N_("Steps at the entrance or inside; not usable in a wheelchair."),
    "unknown": N_("Nobody has checked yet."),
}
WHEELCHAIR_LABELS = {"yes": N_("Accessible"), "limited": N_("Partly accessible"), "no": N_("Not accessible"),
                     "unknown": N_("Unknown")}
TOILETS_LABELS = {"yes": N_("Wheelchair-accessible toilet"), "no": N_("No wheelchair-accessible toilet"),
                  "unknown": N_("Toilet not known")}

OSM_TYPES = ("node", "way", "relation")

# Why a submission was rejected: the codes (stored), as moderators pick them and as their authors read them.
REJECT_REASONS = ("wrong", "duplicate", "spam", "unverifiable", "other", "banned")
# A moderator picks these (keys 1-5); "banned" is only ever set by a ban.
MODERATOR_REASONS = tuple(r for r in REJECT_REASONS if r != "banned")
REASON_LABELS = {"wrong": N_("Wrong information"), "duplicate": N_("Duplicate"), "spam": N_("Spam or abuse"),
                 "unverifiable": N_("Cannot be verified"), "other": N_("Other (explain in the note)"),
                 "banned": N_("Author banned")}
REASON_EXPLANATIONS = {
    "wrong": N_("The information was not correct."),
    "duplicate": N_("This place or change was already on the map."),
    "spam": N_("Treated as spam."),
    "unverifiable": N_("A moderator could not confirm it."),
    "other": N_("Another reason (see the note)."),
    "banned": N_("Submissions from this account or device are blocked."),
}
PROBLEM_LABELS = {
    "wrong_location": N_("Wrong location"), "closed": N_("Closed or gone"),
    "wrong_status": N_("Wrong accessibility status"),
    "offensive": N_("Offensive or spam"), "other": N_("Something else"),
    "disputed": N_("Disputed by other volunteers"),
}
# The moderation queue's filters.
AUTHOR_TYPES = ("anonymous", "new", "trusted", "import", "vote")
AUTHOR_TYPE_LABELS = {"anonymous": N_("Anonymous device"), "new": N_("New (not yet trusted)"),
                      "trusted": N_("Trusted volunteer"), "import": N_("OpenStreetMap import"),
                      "vote": N_("Reopened by volunteers' votes")}
QUEUE_SORTS = {"oldest": N_("Oldest first"), "disagreement": N_("Most disagreement first")}
AGES = ("day", "week", "older")
AGE_LABELS = {"day": N_("Under a day old"), "week": N_("1 to 7 days old"), "older": N_("Over a week old")}

# Words for the stored keys moderators and volunteers meet on pages (a page never shows the raw key).
SUBMISSION_STATE_LABELS = {"pending": N_("Awaiting review"), "approved": N_("Approved"), "rejected": N_("Not accepted"),
                           "superseded": N_("Replaced by a newer change"), "withdrawn": N_("Withdrawn")}
ACTION_LABELS = {
    "claim": N_("Claimed"), "release": N_("Released"), "approve": N_("Approved"), "reject": N_("Rejected"),
    "skip": N_("Skipped"), "undo": N_("Undid a decision"), "revert": N_("Reverted a place"), "hide": N_("Hid a place"),
    "unhide": N_("Showed a place again"), "dismiss": N_("Dismissed a report"), "correct": N_("Corrected a place"),
    "ban": N_("Banned"), "unban": N_("Lifted a ban"), "role_change": N_("Changed a role"),
    "auto_approve": N_("Saved at once (trusted volunteer)"), "import": N_("Imported from OpenStreetMap"),
    "import_conflict": N_("Import conflict"), "reopen": N_("Reopened by votes"), "remove_photo": N_("Removed a photo"),
    "merge": N_("Merged a duplicate"), "hold_upstream": N_("Held back from OpenStreetMap"),
    "release_upstream": N_("Released for OpenStreetMap"),
}
ROLE_LABELS = {"volunteer": N_("Volunteer"), "organiser": N_("Organiser"), "moderator": N_("Moderator"),
               "admin": N_("Administrator")}
REVISION_SOURCE_LABELS = {
    "moderation": N_("Moderator's decision"), "auto_approval": N_("Trusted volunteer (saved at once)"),
    "correction": N_("Moderator's correction"), "import": N_("OpenStreetMap import"), "revert": N_("Revert"),
    "undo": N_("Undo"),
    "demo": N_("Demo data"),
    "merge": N_("Merge of a duplicate"),
}
PLACE_SOURCE_LABELS = {"osm": N_("OpenStreetMap"), "volunteer": N_("Added by a volunteer"), "demo": N_("Demo data")}

# The details of an entrance, a toilet and parking (issue 14), with OSM's values. Each may be unknown: NULL.
YES_NO = ("yes", "no")
RAMP_VALUES = ("yes", "no", "portable")
HEARING_LOOP_VALUES = ("yes", "no", "limited")
STEP_COUNT_MAX = 50
STEP_HEIGHT_MAX_CM = 100
DOOR_WIDTH_MIN_CM, DOOR_WIDTH_MAX_CM = 30, 300
# OSM's `limited`: at most one step, no higher than this; a door narrower than this does not let a wheelchair in.
LIMITED_STEP_MAX_CM = 7
DOOR_WIDTH_NEEDED_CM = 70
# A wheelchair toilet's turning circle (DIN 18040, A11yJSON's turningSpaceInside).
TURNING_SPACE_CM = 150
DETAIL_VALUE_LABELS = {
    "ramp": {"yes": N_("Ramp"), "no": N_("No ramp"), "portable": N_("Portable ramp on request")},
    "hearing_loop": {"yes": N_("Hearing loop"), "no": N_("No hearing loop"),
                     "limited": N_("Hearing loop in some places")},
}

# Photos (issue 14): what one shows, under which licence the volunteer gave it, and what a visitor may report.
PHOTO_SUBJECT_LABELS = {"entrance": N_("Entrance"), "toilet": N_("Toilet"), "parking": N_("Parking"),
                        "inside": N_("Inside")}
# As an image's alt text: "Photo of the entrance".
PHOTO_ALT_TEXTS = {"entrance": N_("Photo of the entrance"), "toilet": N_("Photo of the toilet"),
                   "parking": N_("Photo of the parking"), "inside": N_("Photo of the inside")}
PHOTO_SUBJECTS = tuple(PHOTO_SUBJECT_LABELS)
# SPDX identifiers; the volunteer chooses one when sending (no default: it is their consent).
PHOTO_LICENCE_LABELS = {"CC-BY-SA-4.0": N_("CC BY-SA 4.0 (credit and share alike)"),
                        "CC0-1.0": N_("CC0 (public domain)")}
PHOTO_LICENCE_URLS = {"CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
                      "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/"}
PHOTO_LICENCES = tuple(PHOTO_LICENCE_LABELS)
PHOTO_PROBLEM_LABELS = {"privacy": N_("Shows people or private details"), "wrong_place": N_("Not this place"),
                        "offensive": N_("Offensive or spam"), "unclear": N_("Does not show the access"),
                        "other": N_("Something else")}
PHOTO_PROBLEMS = tuple(PHOTO_PROBLEM_LABELS)
# Why a photo's files were deleted: a problem a moderator found, or the photo was never accepted (pruned).
PHOTO_REMOVAL_LABELS = {**PHOTO_PROBLEM_LABELS, "not_accepted": N_("Not accepted by a moderator")}
PHOTO_REMOVAL_REASONS = tuple(PHOTO_REMOVAL_LABELS)
