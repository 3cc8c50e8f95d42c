"""A /data form error shows the page again with what was typed and the error at its field."""

import re

import pytest

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/export/places.geojson", "/export/places.geojsonl"])
def test_data_form_error_keeps_the_typed_values(client, path):
    response = client.get(path + "?bbox=9.4,47.0,9.6&wheelchair=yes&wheelchair=limited&category=shopping",
                          headers=HTML)
    assert response.status_code == 400 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert re.search(r'<input id="bbox"[^>]*value="9.4,47.0,9.6"', html)
    assert re.search(r'value="yes"\s+checked', html) and re.search(r'value="limited"\s+checked', html)
    assert re.search(r'value="no"\s*>', html)
    assert re.search(r'<option value="shopping"\s+selected', html)


@pytest.mark.parametrize("query, field", [
    ("bbox=1,2", "bbox"),
    ("category=castles", "category"),
    ("updated_since=yesterday", "updated_since"),
])
def test_data_form_error_marks_the_field(client, query, field):
    html = client.get(f"/export/places.geojson?{query}", headers=HTML).get_data(as_text=True)
    assert re.search(rf'<(input|select) id="{field}"[^>]*aria-invalid="true"', html)
    assert re.search(rf'aria-describedby="{field}-error', html)
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', html)
    assert error and field in error.group(1)
    # The summary at the top links to the field.
    assert f'href="#{field}"' in html


def test_data_form_error_on_a_choice_marks_the_fieldset(client):
    html = client.get("/export/places.geojson?wheelchair=maybe", headers=HTML).get_data(as_text=True)
    assert re.search(r'<fieldset class="field has-error" id="wheelchair"[^>]*aria-describedby="wheelchair-error"',
                     html)
    assert 'id="wheelchair-error"' in html


def test_data_download_errors_stay_json_for_scripts(client):
    response = client.get("/export/places.geojson?bbox=1,2")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "bbox"
