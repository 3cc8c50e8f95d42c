"""Every answer carries the security headers: pages, API, downloads, static files, errors and refusals."""

import pytest

from app.security import content_security_policy

REQUIRED = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def _example_path(adapter, rule) -> str:
    """The rule's URL with a plausible value for each of its variables."""
    values = {}
    for name, converter in rule._converters.items():
        items = sorted(getattr(converter, "items", ()))
        values[name] = items[0] if items else (1 if "Integer" in type(converter).__name__ else "places")
    return adapter.build(rule.endpoint, values, method=sorted(rule.methods)[0])


def test_security_headers_on_every_route(app, client):
    adapter = app.url_map.bind("localhost")
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 30
    checked = 0
    for rule in rules:
        path = _example_path(adapter, rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with client.open(path, method=method) as response:
                pass
            for header in REQUIRED:
                assert header in response.headers, (method, path, response.status_code, header)
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "object-src 'none'" in policy, policy
            assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy, policy
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            # Plain HTTP: HSTS would be ignored by browsers and is left out.
            assert "Strict-Transport-Security" not in response.headers
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("path", ["/", "/api/places/1", "/no-such-page", "/static/js/map.js"])
def test_security_headers_hsts_over_https(client, path):
    with client.get(path, base_url="https://stepfree.example") as response:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_security_headers_policy_allows_no_inline_script():
    policy = content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in policy
    assert directives["img-src"] == "'self' data: https://*.tile.example.org"
    assert directives["default-src"] == "'none'"


def test_security_headers_tiles_from_this_site_add_no_origin():
    policy = content_security_policy("/tiles/{z}/{x}/{y}.png")
    assert "img-src 'self' data:;" in policy
