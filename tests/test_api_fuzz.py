"""Property-based fuzzing of /api and /ogc from their own OpenAPI documents (schemathesis), plus hostile text.

Each operation runs a bounded, derandomized set of requests: the documents' examples (the seeded places'
ids), schemathesis's coverage cases (boundaries, missing and wrongly typed values, other HTTP methods), then
MAX_EXAMPLES fuzzed cases, schema-valid and schema-violating (NUL characters included), so CI sends the same
requests every run. Checks: no 5xx; every 4xx is the JSON error shape, naming the field when an input is at
fault, with OGC's `code` and `description` under /ogc; answers have a documented status, content type and
schema; schema-valid requests are accepted.

Not checked: that every schema-violating request is refused. The API is lenient on purpose where the
document states the strict form: null or "" counts as not given, text is trimmed before its length is
measured, numbers may come as strings, unknown fields are ignored. The schema-violating requests are still
sent, and their answers checked as above.
"""

import json
import re
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from tests.factories import make_place

MAX_EXAMPLES = 30
SEED = 20240501

# Submissions are rate-limited (RATELIMIT_SUBMISSIONS and _ADDRESS, 20 and 60 a minute by default): relaxed here
# so the fuzz reaches validation and the database instead of stopping at 429 after twenty requests. Raising the
# app's own limit keeps the limiter on; RATELIMIT_ENABLED=False would also switch off the shared, module-level
# limiter (Flask-Limiter keeps `enabled` on the extension object) for the tests that run after these.
RELAXED_SUBMISSION_LIMIT = "100000 per minute"

FUZZ_CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    # Stateful runs chain calls through links; neither document declares any.
    "phases": {"stateful": {"enabled": False}},
    # See the module docstring: the API accepts more than the strict form its document states.
    "checks": {"negative_data_rejection": {"enabled": False}},
}


def _without_positive_acceptance(*operation_ids: str) -> dict:
    """Operations whose rules JSON Schema cannot state (a bbox's minimum ≤ maximum and its span)."""
    return {**FUZZ_CONFIG, "operations": [{"include-operation-id": list(operation_ids),
                                           "checks": {"positive_data_acceptance": {"enabled": False}}}]}


API_CONFIG = _without_positive_acceptance("places")
OGC_CONFIG = _without_positive_acceptance("items")

# Errors about an input must name it: a bad parameter or body (400), a stale version (409), a body too large
# (413) or of the wrong type (415).
FIELD_REQUIRED = {400, 409, 413, 415}


@pytest.fixture
def fuzz_app(app, session):
    """The test app with a few published places, their ids in app.config["FUZZ_PLACE_IDS"]."""
    app.config["RATELIMIT_SUBMISSIONS"] = app.config["RATELIMIT_SUBMISSIONS_ADDRESS"] = RELAXED_SUBMISSION_LIMIT
    places = [make_place(session, lon=9.52 + i * 0.001, lat=47.14, wheelchair=value, osm_type="node",
                         osm_id=1000 + i) for i, value in enumerate(("yes", "limited", "no"))]
    session.commit()
    app.config["FUZZ_PLACE_IDS"] = [place.id for place in places]
    return app


def _with_id_examples(document: dict, name: str, ids: list[int]) -> dict:
    """Give the path parameter `name` the seeded ids as examples, so some requests reach real places."""
    for item in document["paths"].values():
        for operation in [item, *(item[method] for method in ("get", "post") if method in item)]:
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] == name:
                    parameter["examples"] = {f"seeded{i}": {"value": value} for i, value in enumerate(ids)}
    return document


def _load_schema(app, path: str, id_name: str, config: dict):
    response = app.test_client().get(path)
    assert response.status_code == 200
    document = _with_id_examples(response.get_json(force=True), id_name, app.config["FUZZ_PLACE_IDS"])
    schema = schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(config))
    schema.app = app
    return schema


@pytest.fixture
def api_schema(fuzz_app):
    return _load_schema(fuzz_app, "/api/openapi.json", "place_id", API_CONFIG)


@pytest.fixture
def ogc_schema(fuzz_app):
    return _load_schema(fuzz_app, "/ogc/api", "featureId", OGC_CONFIG)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 renames the running item through `node._nodeid`, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _names_a_place(case) -> bool:
    """Whether the request reached a route with a place id (a whole number), so a 404 is about that id."""
    ids = [v for k, v in case.path_parameters.items() if k in ("place_id", "featureId")]
    collection = case.path_parameters.get("collectionId", "places")
    return bool(ids) and all(type(v) is int and v >= 0 for v in ids) and collection == "places"


def assert_error_shape(status: int, content_type: str, text: str, *, ogc: bool = False) -> dict:
    """A 4xx answer is {"error": {"code", "message", "field"?}}; under /ogc with `code` and `description`."""
    assert content_type.split(";")[0].strip() == "application/json", (
        f"{status} answered {content_type!r}, not JSON: {text[:120]!r}")
    body = json.loads(text)
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"no error object: {body!r}"
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], f"error without a code: {body!r}"
    assert isinstance(error.get("message"), str) and error["message"], f"error without a message: {body!r}"
    assert error.get("field") is None or isinstance(error["field"], str), f"field is not text: {body!r}"
    if status in FIELD_REQUIRED:
        assert error.get("field"), f"{status} names no field: {body!r}"
    if ogc:
        assert body.get("code") == error["code"] and body.get("description") == error["message"], (
            f"OGC error without code and description: {body!r}")
    return error


def _check_error(response, case, *, ogc: bool) -> None:
    if not 400 <= response.status_code < 500:
        return
    error = assert_error_shape(response.status_code, response.headers.get("content-type", [""])[0], response.text,
                               ogc=ogc)
    if response.status_code == 404 and _names_a_place(case):
        assert error.get("field") == "place_id", f"404 for a place id names no field: {error!r}"


def api_error_shape(ctx, response, case):
    _check_error(response, case, ogc=False)


def ogc_error_shape(ctx, response, case):
    _check_error(response, case, ogc=True)


def test_api_fuzz_openapi_document_is_valid_openapi(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oai.openapi+json"
    document = response.get_json(force=True)
    validate(document)
    assert document["servers"] == [{"url": "http://localhost/api"}]


def test_api_fuzz_openapi_document_describes_every_api_route(app):
    document = app.test_client().get("/api/openapi.json").get_json(force=True)
    routes = {(method, re.sub(r"<int:(\w+)>", r"{\1}", rule.rule.removeprefix("/api")))
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert documented == routes


def test_api_fuzz_openapi_document_takes_limits_from_the_config(app):
    app.config.update(API_PLACES_LIMIT_MAX=123, RATELIMIT_SUBMISSIONS="7 per hour")
    document = app.test_client().get("/api/openapi.json").get_json(force=True)
    [limit] = [p for p in document["paths"]["/places"]["get"]["parameters"] if p["name"] == "limit"]
    assert limit["schema"]["maximum"] == 123
    assert "7 per hour" in document["info"]["description"]


def test_api_fuzz_ogc_openapi_document_is_valid_openapi(client):
    validate(client.get("/ogc/api").get_json(force=True))


api = schemathesis.pytest.from_fixture("api_schema")
ogc = schemathesis.pytest.from_fixture("ogc_schema")


@api.parametrize()
def test_api_fuzz_api_answers_as_documented(case):
    case.call_and_validate(additional_checks=[api_error_shape])


@ogc.parametrize()
def test_api_fuzz_ogc_answers_as_documented(case):
    case.call_and_validate(additional_checks=[ogc_error_shape])


# schemathesis never generates lone surrogates (they cannot travel as UTF-8), and JSON can still carry them
# as \ud800 escapes; a query string can carry their CESU-8 bytes. Hypothesis sends both, and NUL, directly.
_HOSTILE_CHARS = st.one_of(st.just("\x00"), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
HOSTILE_TEXT = st.builds(lambda before, bad, after: before + bad + after, st.text(max_size=5), _HOSTILE_CHARS,
                         st.text(max_size=5))

# Each submission's text-carrying fields, in a body that is otherwise valid.
POSTS = {
    "/api/places/{id}/status": {"wheelchair": "yes", "description": "Ramp at the side door"},
    "/api/places": {"name": "Café", "category": "food", "wheelchair": "yes", "lon": 9.52, "lat": 47.14},
    "/api/places/{id}/reports": {"problem": "other", "note": "Closed for years"},
    "/api/places/{id}/corrections": {"name": "Café Neu", "category": "food"},
}
QUERIES = {
    "/api/places": {"bbox": "9.5,47.1,9.6,47.2", "wheelchair": "yes", "category": "food", "limit": "10"},
    "/api/places/search": {"q": "Place", "near": "9.52,47.14", "limit": "5"},
    "/ogc/collections/places/items": {"bbox": "9.5,47.1,9.6,47.2", "datetime": "2024-01-01T00:00:00Z",
                                      "updated_since": "2024-01-01", "limit": "5", "after": "1", "f": "json"},
}
_HYPOTHESIS = settings(max_examples=30, derandomize=True, database=None, deadline=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture])


@_HYPOTHESIS
@given(data=st.data())
def test_api_fuzz_hostile_text_in_a_body_is_refused_naming_its_field(fuzz_app, data):
    client = fuzz_app.test_client()
    path = data.draw(st.sampled_from(sorted(POSTS)))
    body = dict(POSTS[path])
    field = data.draw(st.sampled_from([*sorted(body), "unknown_field"]))
    body[field] = data.draw(HOSTILE_TEXT)
    # json.dumps escapes a lone surrogate as \udXXX: valid JSON text that decodes back to it.
    response = client.post(path.format(id=fuzz_app.config["FUZZ_PLACE_IDS"][0]), data=json.dumps(body),
                           content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = assert_error_shape(400, response.content_type, response.get_data(as_text=True))
    assert error["field"] == field


@_HYPOTHESIS
@given(data=st.data())
def test_api_fuzz_hostile_text_in_a_query_never_fails_the_server(fuzz_app, data):
    client = fuzz_app.test_client()
    path = data.draw(st.sampled_from(sorted(QUERIES)))
    args = dict(QUERIES[path])
    name = data.draw(st.sampled_from(sorted(args)))
    text = data.draw(HOSTILE_TEXT)
    args[name] = text
    # Surrogates go out as their CESU-8 bytes, which are not UTF-8.
    query = "&".join(f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}" for key, value in args.items())
    response = client.get(f"{path}?{query}")
    assert response.status_code < 500, response.get_data(as_text=True)
    if "\x00" in text:
        assert response.status_code == 400, response.get_data(as_text=True)
    if response.status_code >= 400:
        error = assert_error_shape(response.status_code, response.content_type, response.get_data(as_text=True),
                                   ogc=path.startswith("/ogc"))
        assert error["field"] == name


@_HYPOTHESIS
@given(raw=st.binary(min_size=1, max_size=40).filter(lambda b: _not_utf8(b)))
def test_api_fuzz_a_body_that_is_not_utf8_is_refused(fuzz_app, raw):
    response = fuzz_app.test_client().post("/api/places", data=b'{"name": "' + raw + b'"}',
                                           content_type="application/json")
    assert response.status_code == 400
    assert assert_error_shape(400, response.content_type, response.get_data(as_text=True))["field"] == "body"


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
