"""The accessibility vocabulary shared by the app, the API, the importer and the exports (OSM meanings)."""

WHEELCHAIR_VALUES = ("yes", "limited", "no", "unknown")
TOILETS_VALUES = ("yes", "no", "unknown")
DESCRIPTION_MAX = 255

# One line each, as a volunteer reads them on the status buttons (OSM wiki's key:wheelchair meanings).
WHEELCHAIR_MEANINGS = {
    "yes": "Step-free entrance, and all rooms are reachable without steps.",
    "limited": "Entrance has at most one step (under 7 cm); the main rooms are step-free.",
    "no": "Steps at the entrance or inside; not usable in a wheelchair.",
    "unknown": "Nobody has checked yet.",
}
WHEELCHAIR_LABELS = {"yes": "Accessible", "limited": "Partly accessible", "no": "Not accessible", "unknown": "Unknown"}
TOILETS_LABELS = {"yes": "Wheelchair-accessible toilet", "no": "No wheelchair-accessible toilet",
                  "unknown": "Toilet not known"}

OSM_TYPES = ("node", "way", "relation")

# Why a submission was rejected: the codes (stored), as moderators pick them and as their authors read them.
REJECT_REASONS = ("wrong", "duplicate", "spam", "unverifiable", "other", "banned")
# A moderator picks these (keys 1-5); "banned" is only ever set by a ban.
MODERATOR_REASONS = tuple(r for r in REJECT_REASONS if r != "banned")
REASON_LABELS = {"wrong": "Wrong information", "duplicate": "Duplicate", "spam": "Spam or abuse",
                 "unverifiable": "Cannot be verified", "other": "Other (explain in the note)",
                 "banned": "Author banned"}
REASON_EXPLANATIONS = {
    "wrong": "The information was not correct.",
    "duplicate": "This place or change was already on the map.",
    "spam": "Treated as spam.",
    "unverifiable": "A moderator could not confirm it.",
    "other": "Another reason (see the note).",
    "banned": "Submissions from this account or device are blocked.",
}
PROBLEM_LABELS = {
    "wrong_location": "Wrong location", "closed": "Closed or gone", "wrong_status": "Wrong accessibility status",
    "offensive": "Offensive or spam", "other": "Something else",
    "disputed": "Disputed by other volunteers",
}
# The moderation queue's filters.
AUTHOR_TYPES = ("anonymous", "new", "trusted", "import", "vote")
AUTHOR_TYPE_LABELS = {"anonymous": "Anonymous device", "new": "New (not yet trusted)",
                      "trusted": "Trusted volunteer", "import": "OpenStreetMap import",
                      "vote": "Reopened by volunteers' votes"}
QUEUE_SORTS = {"oldest": "Oldest first", "disagreement": "Most disagreement first"}
AGES = ("day", "week", "older")
AGE_LABELS = {"day": "Under a day old", "week": "1 to 7 days old", "older": "Over a week old"}

# Words for the stored keys moderators and volunteers meet on pages (a page never shows the raw key).
SUBMISSION_STATE_LABELS = {"pending": "Awaiting review", "approved": "Approved", "rejected": "Not accepted",
                           "superseded": "Replaced by a newer change", "withdrawn": "Withdrawn"}
ACTION_LABELS = {
    "claim": "Claimed", "release": "Released", "approve": "Approved", "reject": "Rejected", "skip": "Skipped",
    "undo": "Undid a decision", "revert": "Reverted a place", "hide": "Hid a place", "unhide": "Showed a place again",
    "dismiss": "Dismissed a report", "correct": "Corrected a place", "ban": "Banned", "unban": "Lifted a ban",
    "role_change": "Changed a role", "auto_approve": "Saved at once (trusted volunteer)",
    "import": "Imported from OpenStreetMap", "import_conflict": "Import conflict", "reopen": "Reopened by votes",
}
ROLE_LABELS = {"volunteer": "Volunteer", "organiser": "Organiser", "moderator": "Moderator", "admin": "Administrator"}
REVISION_SOURCE_LABELS = {
    "moderation": "Moderator's decision", "auto_approval": "Trusted volunteer (saved at once)",
    "correction": "Moderator's correction", "import": "OpenStreetMap import", "revert": "Revert", "undo": "Undo",
    "demo": "Demo data",
}
PLACE_SOURCE_LABELS = {"osm": "OpenStreetMap", "volunteer": "Added by a volunteer", "demo": "Demo data"}
