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
TOILETS_LABELS = {"yes": "Wheelchair-accessible toilet", "no": "No wheelchair-accessible toilet", "unknown": "Toilet not known"}

OSM_TYPES = ("node", "way", "relation")
