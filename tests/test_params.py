"""Query-parameter parsing: every bad value names its parameter."""

from datetime import UTC

import pytest
from werkzeug.datastructures import MultiDict

from app.errors import ValidationError
from app.params import bbox_param, category_param, datetime_param, int_param, wheelchair_param


@pytest.mark.parametrize("raw", ["1,2,3", "a,b,c,d", "10,0,5,1", "0,10,1,5", "-181,0,0,1", "0,-91,1,0",
                                 "nan,0,1,1", "0,0,inf,1"])
def test_bbox_param_refuses_malformed_values(raw):
    with pytest.raises(ValidationError) as caught:
        bbox_param(MultiDict({"bbox": raw}))
    assert caught.value.field == "bbox"


def test_bbox_param_refuses_a_too_large_box():
    with pytest.raises(ValidationError, match="too large"):
        bbox_param(MultiDict({"bbox": "0,0,3,3"}), max_span=2)


def test_bbox_param_parses_lon_lat_order():
    box = bbox_param(MultiDict({"bbox": "9.5,47.1,9.6,47.2"}))
    assert box.as_tuple() == (9.5, 47.1, 9.6, 47.2)


def test_choices_accept_repeated_and_comma_separated_values():
    repeated = MultiDict([("wheelchair", "yes,limited"), ("wheelchair", "no")])
    assert wheelchair_param(repeated) == ("yes", "limited", "no")
    assert category_param(MultiDict()) == ()
    with pytest.raises(ValidationError) as caught:
        wheelchair_param(MultiDict({"wheelchair": "designated"}))
    assert caught.value.field == "wheelchair"


@pytest.mark.parametrize("raw", ["ten", "0", "5001"])
def test_int_param_bounds(raw):
    with pytest.raises(ValidationError) as caught:
        int_param(MultiDict({"limit": raw}), "limit", default=100, maximum=5000)
    assert caught.value.field == "limit"


def test_datetime_param():
    assert datetime_param(MultiDict({"updated_since": "2024-05-01"}), "updated_since").tzinfo == UTC
    with pytest.raises(ValidationError) as caught:
        datetime_param(MultiDict({"updated_since": "yesterday"}), "updated_since")
    assert caught.value.field == "updated_since"
