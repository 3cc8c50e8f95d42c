"""The wheelchair value a place's entrance details suggest: the one place the rule lives.

The sheet shows the suggestion (POST /api/suggest-status) and the volunteer decides; nothing applies it by
itself. The rule follows OSM's key:wheelchair meanings: `limited` is an entrance with at most one step of at
most 7 cm; a door narrower than 70 cm keeps a wheelchair out whatever the steps.
"""

from geo.translatable import N_
from geo.vocabulary import DOOR_WIDTH_NEEDED_CM, LIMITED_STEP_MAX_CM

# Why the details suggest what they do, one sentence per reason key, as the sheet shows it (translated there).
REASONS = {
    "no_steps": N_("No steps at the entrance: accessible."),
    "ramp": N_("A ramp at the entrance: accessible."),
    "step_free_elsewhere": N_("Another entrance has no steps: accessible."),
    "narrow_door": N_("The door is narrower than 70 cm: not accessible."),
    "one_low_step": N_("One step of at most 7 cm: partly accessible."),
    "portable_ramp": N_("A portable ramp on request: partly accessible."),
    "steps": N_("Two or more steps and no ramp: not accessible."),
    "high_step": N_("One step higher than 7 cm and no ramp: not accessible."),
    "step_height_needed": N_("One step: tell its height to see a suggestion."),
    "nothing_known": N_("Answer a detail about the entrance to see a suggestion."),
}


def suggest_status(details: dict) -> tuple[str | None, str]:
    """The wheelchair value the details suggest (None: they do not say), and the reason key (REASONS)."""
    steps = details.get("step_count")
    height = details.get("step_height")
    ramp = details.get("ramp")
    door = details.get("door_width")
    if door is not None and door < DOOR_WIDTH_NEEDED_CM:
        return "no", "narrow_door"
    if steps == 0:
        return "yes", "no_steps"
    if ramp == "yes":
        return "yes", "ramp"
    if details.get("step_free_entrance") == "yes":
        return "yes", "step_free_elsewhere"
    if steps == 1 and height is not None and height <= LIMITED_STEP_MAX_CM:
        return "limited", "one_low_step"
    if ramp == "portable":
        return "limited", "portable_ramp"
    if steps is not None and steps >= 2:
        return "no", "steps"
    if steps == 1 and height is not None:
        return "no", "high_step"
    if steps == 1:
        return None, "step_height_needed"
    return None, "nothing_known"
