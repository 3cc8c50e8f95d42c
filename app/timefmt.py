"""Times in words for pages: "3 years ago", the way the map's sheet says it in the browser.

Only the largest whole unit is said, as people say it: a check 3 years and 5 months old is "3 years ago".
The browser uses Intl.RelativeTimeFormat for the same words; pages render on the server, so this is its
counterpart: the unit and count are chosen here, and Babel says them in the request's language (CLDR's words).
"""

from datetime import UTC, datetime, timedelta

from babel.dates import format_timedelta
from flask_babel import get_locale
from flask_babel import gettext as _

# A month is 30 days and a year 365 (as Babel counts them too): "ago" is a rough measure, and these keep it
# monotonic.
_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
          ("hour", 3600), ("minute", 60))


def ago(moment: datetime, now: datetime | None = None) -> str:
    """`moment` as "N units ago" from `now` (default: the current time); "just now" under a minute."""
    now = now or datetime.now(UTC)
    seconds = (now - moment).total_seconds()
    for unit, size in _UNITS:
        count = int(seconds // size)
        if count >= 1:
            # Exactly `count` units, in the past: Babel names that unit (a whole count of a unit is always
            # less than one of the next larger unit) and says it as the language says "N units ago".
            return format_timedelta(timedelta(seconds=-count * size), granularity=unit, threshold=1,
                                    add_direction=True, locale=get_locale() or "en")
    # Under a minute, or a moment ahead of this clock (another server's): both are "just now".
    return _("just now")
