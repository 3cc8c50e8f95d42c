"""The OGC API's HTML pages for people in browsers, beside unchanged JSON for OGC clients."""

import re

import pytest

from tests.factories import make_place

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"}
PAGES = ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/places",
         "/ogc/collections/places/queryables", "/ogc/collections/places/items", "/ogc/collections/places/items/{id}"]


@pytest.fixture
def place(session):
    place = make_place(session, name="Café <Ramp>", category="shopping", wheelchair="limited")
    session.commit()
    return place


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("how", ["f=html", "accept"])
def test_ogc_html_page_answers_by_f_or_by_accept(client, place, path, how):
    url = path.format(id=place.id)
    response = client.get(f"{url}?f=html") if how == "f=html" else client.get(url, headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<a class="skip-link"' in html  # the site's layout, base.html
    assert "Accept" in response.headers["Vary"]
    # Every page offers its JSON for tools.
    assert re.search(r'href="[^"]*f=json', html)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}, {"Accept": "application/json"},
                                     {"Accept": "application/geo+json"},
                                     {"Accept": "application/geo+json, application/json;q=0.9, text/html;q=0.5"}])
def test_ogc_json_clients_get_the_same_json(client, place, path, headers):
    url = path.format(id=place.id)
    plain = client.get(url)
    assert plain.mimetype in ("application/json", "application/geo+json", "application/schema+json")
    answered = client.get(url, headers=headers)
    as_json = client.get(f"{url}?f=json")
    assert answered.mimetype == plain.mimetype == as_json.mimetype

    def _stable(body: bytes) -> bytes:  # the items page's timeStamp is the moment of the request
        return re.sub(rb'"timeStamp": *"[^"]+"', b"", body)
    assert _stable(answered.get_data()) == _stable(plain.get_data())
    assert answered.get_json()


def test_ogc_html_pages_link_to_each_other(client, place):
    landing = client.get("/ogc?f=html").get_data(as_text=True)
    assert 'href="/ogc/collections?f=html"' in landing and 'href="/ogc/conformance?f=html"' in landing
    collection = client.get("/ogc/collections/places?f=html").get_data(as_text=True)
    assert 'href="/ogc/collections/places/items?f=html"' in collection
    assert 'href="/ogc/collections/places/queryables?f=html"' in collection
    items = client.get("/ogc/collections/places/items?f=html").get_data(as_text=True)
    assert f'href="/ogc/collections/places/items/{place.id}?f=html"' in items
    item = client.get(f"/ogc/collections/places/items/{place.id}?f=html").get_data(as_text=True)
    assert 'href="/ogc/collections/places/items?f=html"' in item and 'href="/ogc?f=html"' in item


def test_ogc_html_items_show_properties_as_text(client, place):
    html = client.get("/ogc/collections/places/items?f=html").get_data(as_text=True)
    assert "Café &lt;Ramp&gt;" in html and "<Ramp>" not in html
    assert re.search(r"<td>limited</td>", html) and re.search(r"<td>shopping</td>", html)
    item = client.get(f"/ogc/collections/places/items/{place.id}", headers=BROWSER).get_data(as_text=True)
    assert "<h1>Café &lt;Ramp&gt;</h1>" in item


def test_ogc_html_items_page_forward_and_back(client, session):
    ids = sorted(make_place(session).id for _ in range(5))
    session.commit()
    first = client.get("/ogc/collections/places/items?f=html&limit=2").get_data(as_text=True)
    assert 'rel="prev"' not in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert f"/items/{ids[2]}?f=html" in second and f"/items/{ids[0]}?f=html" not in second
    third = client.get(re.search(r'rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&"))
    third = third.get_data(as_text=True)
    assert f"/items/{ids[4]}?f=html" in third and 'rel="next"' not in third
    back = re.search(r'rel="prev" href="([^"]+)"', third).group(1).replace("&amp;", "&")
    assert f"/items/{ids[2]}?f=html" in client.get(back).get_data(as_text=True)
    back_to_first = re.search(r'rel="prev" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    assert f"/items/{ids[0]}?f=html" in client.get(back_to_first).get_data(as_text=True)


def test_ogc_rejects_an_unknown_format(client):
    response = client.get("/ogc?f=xml")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "f"


@pytest.mark.parametrize("path, code", [
    ("/ogc/nowhere", "not_found"),
    ("/ogc/collections/roads", "unknown_collection"),
    ("/ogc/collections/roads/items?f=html", "unknown_collection"),
    ("/ogc/collections/places/items/999999999", "not_found"),
    ("/ogc/collections/places/items/abc", "not_found"),
])
@pytest.mark.parametrize("headers", [{}, BROWSER])
def test_ogc_404_answers_json_in_the_ogc_shape(client, path, code, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 404 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code and body["description"]
