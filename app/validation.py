"""Validation of what volunteers and moderators send, driven by the field table (geo/fields.py).

Every bad field raises ValidationError naming it (DESIGN.md invariant 5). A kind's fields are cleaned by
their type: choices must be one of their values, text is trimmed and measured, a location is a lon/lat
pair within WGS 84, flags are true or false.
"""

import math

from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import ValidationError
from app.params import whole_number
from geo.fields import FIELDS, Field, Kind

LOCATION = ("lon", "lat")


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(field: Field, value) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("%(field)s must be text.", field=field.key), field.key)
    value = value.strip()
    if len(value) > field.max_length:
        raise ValidationError(ngettext("%(field)s may have at most %(num)s character (it has %(length)s).",
                                       "%(field)s may have at most %(num)s characters (it has %(length)s).",
                                       field.max_length, field=field.key, length=len(value)), field.key)
    return value


def _choice(field: Field, value) -> str:
    if value not in field.choices:
        raise ValidationError(_("%(field)s must be one of %(values)s.", field=field.key,
                                values=", ".join(field.choices)), field.key)
    return value


def _flag(field: Field, value) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("%(field)s must be true or false.", field=field.key), field.key)
    return value


def _whole_number(field: Field, value) -> int:
    """A whole number within the field's range: 3, 3.0 and "3" are accepted, 2.5, "three" and true are not."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        number = int(value.strip())
    if number is None or not field.minimum <= number <= field.maximum:
        raise ValidationError(_("%(field)s must be a whole number from %(min)s to %(max)s.", field=field.key,
                                min=field.minimum, max=field.maximum), field.key)
    return number


def _centimetres(field: Field, value) -> int:
    """A length in whole centimetres within the field's range."""
    try:
        return _whole_number(field, value)
    except ValidationError:
        raise ValidationError(_("%(field)s must be a whole number of centimetres from %(min)s to %(max)s.",
                                field=field.key, min=field.minimum, max=field.maximum), field.key) from None


CLEANERS = {"text": _text, "choice": _choice, "flag": _flag, "count": _whole_number, "centimetres": _centimetres}


def _required_message(field: Field) -> str:
    if field.type == "choice":
        return _("%(field)s is required: one of %(values)s.", field=field.key, values=", ".join(field.choices))
    return _("%(field)s is required.", field=field.key)


def coordinates(values: dict) -> tuple[float, float]:
    """The lon/lat of `values` as floats within WGS 84 range."""
    result = []
    for key, limit in (("lon", 180), ("lat", 90)):
        raw = values.get(key)
        if raw is None or raw == "" or isinstance(raw, bool):
            raise ValidationError(_("%(field)s is required.", field=key), key)
        try:
            number = float(raw)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(_("%(field)s must be a number.", field=key), key) from None
        if not math.isfinite(number) or abs(number) > limit:
            raise ValidationError(_("%(field)s must lie between -%(limit)s and %(limit)s.", field=key, limit=limit),
                                  key)
        result.append(number)
    return result[0], result[1]


def clean(kind: Kind, values: dict) -> dict:
    """The values of `kind`'s fields found in `values`, validated; a new place gets its fields' defaults."""
    cleaned = {}
    for key in kind.fields:
        if key in LOCATION:
            continue
        field, value = FIELDS[key], values.get(key)
        if _missing(value) or (field.type == "choice" and value == ""):
            if key in kind.required:
                raise ValidationError(_required_message(field), key)
            continue
        cleaned[key] = CLEANERS[field.type](field, value)
    if "lon" in kind.fields and ("lon" in kind.required or not all(_missing(values.get(k)) for k in LOCATION)):
        lon, lat = coordinates(values)
        cleaned["lon"], cleaned["lat"] = round(lon, 7), round(lat, 7)
    if kind.needs_one and not cleaned:
        names = [k for k in kind.optional if k not in LOCATION] + (["lon/lat"] if "lon" in kind.optional else [])
        raise ValidationError(_("Send at least one of %(fields)s.", fields=", ".join(names)), kind.optional[0])
    if kind.key == "new_place":
        cleaned = {**{k: FIELDS[k].default for k in kind.optional}, **cleaned}
    return cleaned


def base_version(value) -> int | None:
    if value is None or value == "":
        return None
    return whole_number(value, "base_version")
