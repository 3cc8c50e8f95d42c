"""`flask` command-line groups.

Commands speak to people in DEFAULT_LOCALE: there is no request to choose a language from, so each command
runs inside `in_default_locale` (Flask-Babel's locale selector reads the request).
"""

from functools import wraps

from flask import current_app
from flask_babel import force_locale


def in_default_locale(command):
    """Run a command (already inside the app context `flask` gives it) with its words in DEFAULT_LOCALE."""
    @wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale(current_app.config["DEFAULT_LOCALE"]):
            return command(*args, **kwargs)
    return wrapped
