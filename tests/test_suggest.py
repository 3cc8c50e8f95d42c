"""The suggested light: the rule in geo/suggest.py, table-driven, and its endpoint."""

import json

import pytest

from geo.suggest import REASONS, suggest_status


@pytest.mark.parametrize("details, wheelchair, reason", [
    ({}, None, "nothing_known"),
    ({"automatic_door": "yes", "hearing_loop": "yes"}, None, "nothing_known"),
    ({"step_count": 0}, "yes", "no_steps"),
    ({"step_count": 0, "door_width": 70}, "yes", "no_steps"),
    ({"step_count": 0, "door_width": 69}, "no", "narrow_door"),
    ({"door_width": 60}, "no", "narrow_door"),
    ({"ramp": "yes", "step_count": 3}, "yes", "ramp"),
    ({"ramp": "yes", "door_width": 65}, "no", "narrow_door"),
    ({"step_free_entrance": "yes", "step_count": 4}, "yes", "step_free_elsewhere"),
    ({"step_free_entrance": "no", "step_count": 4}, "no", "steps"),
    ({"step_count": 1, "step_height": 7}, "limited", "one_low_step"),
    ({"step_count": 1, "step_height": 0}, "limited", "one_low_step"),
    ({"step_count": 1, "step_height": 8}, "no", "high_step"),
    ({"ramp": "portable"}, "limited", "portable_ramp"),
    ({"ramp": "portable", "step_count": 3}, "limited", "portable_ramp"),
    ({"step_count": 2}, "no", "steps"),
    ({"step_count": 2, "step_height": 3}, "no", "steps"),
    ({"step_count": 2, "ramp": "no"}, "no", "steps"),
    ({"step_count": 1}, None, "step_height_needed"),
    ({"step_count": 1, "door_width": 90}, None, "step_height_needed"),
    ({"step_count": None, "step_height": None}, None, "nothing_known"),
])
def test_suggest_status_rule(details, wheelchair, reason):
    assert suggest_status(details) == (wheelchair, reason)
    assert reason in REASONS


def _post(client, body, **headers):
    return client.post("/api/suggest-status", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def test_suggest_status_endpoint_answers_the_value_and_a_sentence(client):
    response = _post(client, {"step_count": "1", "step_height": 5, "colour": "red"})
    assert response.status_code == 200
    assert response.get_json() == {"wheelchair": "limited", "reason_key": "one_low_step",
                                   "reason": "One step of at most 7 cm: partly accessible."}
    assert _post(client, {}).get_json()["wheelchair"] is None


@pytest.mark.parametrize("body, field", [({"step_count": -1}, "step_count"), ({"door_width": "wide"}, "door_width"),
                                         ({"ramp": "maybe"}, "ramp")])
def test_suggest_status_endpoint_validates_like_the_details(client, body, field):
    response = _post(client, body)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == field


def test_suggest_status_endpoint_refuses_other_sites_and_forms(client):
    assert _post(client, {"step_count": 0}, Origin="https://evil.example").status_code == 403
    assert client.post("/api/suggest-status", data={"step_count": "0"}).status_code == 415
