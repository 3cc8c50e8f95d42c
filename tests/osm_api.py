"""A small OpenStreetMap API 0.6 server for the upload tests, on loopback, following the API's documentation:

- GET /api/capabilities: the changeset size limit (maximum_elements);
- PUT /api/0.6/changeset/create: an <osm><changeset> with tags; answers the new changeset's id as text;
- POST /api/0.6/changeset/{id}/upload: an osmChange; every object must name the open changeset and carry the
  version the server holds, else 409 "Version mismatch: Provided X, server had: Y of Node N" and nothing is
  applied (a diff upload is all or nothing); too many objects: 413. Answers a <diffResult> with each object's
  old_id, new_id and new_version;
- PUT /api/0.6/changeset/{id}/close.
Every call needs the bearer token (401 otherwise). The server keeps its objects' versions and tags.

And OAuth 2.0 (authorization code with PKCE, as OSM's /oauth2 endpoints): GET /oauth2/authorize stands for the
operator approving in a browser and answers the code as text; POST /oauth2/token exchanges it for TOKEN when the
code_verifier matches the challenge.
"""

import base64
import hashlib
import json
import re
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-oauth2-token"
CHANGESET = re.compile(r"/api/0\.6/changeset/(\d+)/(upload|close)")


@dataclass
class OsmApiState:
    objects: dict[tuple[str, int], dict] = field(default_factory=dict)  # version, tags
    maximum_elements: int = 10_000
    changesets: dict[int, dict] = field(default_factory=dict)  # tags, open, uploads
    calls: list[tuple[str, str]] = field(default_factory=list)
    codes: dict[str, dict] = field(default_factory=dict)  # authorization code: the authorize request's query


class Handler(BaseHTTPRequestHandler):
    state: OsmApiState

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: str = "", content_type: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, "Couldn't authenticate you")
            return False
        return True

    def do_GET(self) -> None:
        self.state.calls.append(("GET", self.path))
        path, _, query = self.path.partition("?")
        if path == "/oauth2/authorize":
            params = dict(urllib.parse.parse_qsl(query))
            if params.get("code_challenge_method") != "S256" or "write_api" not in params.get("scope", "").split():
                self._answer(400, "invalid_request")
                return
            code = f"code-{len(self.state.codes) + 1}"
            self.state.codes[code] = params
            self._answer(200, code)
        elif self.path == "/api/capabilities":
            self._answer(200, f'<osm version="0.6"><api><version minimum="0.6" maximum="0.6"/>'
                              f'<changesets maximum_elements="{self.state.maximum_elements}"/></api></osm>',
                         "application/xml")
        else:
            self._answer(404)

    def do_PUT(self) -> None:
        self.state.calls.append(("PUT", self.path))
        if not self._authorised():
            return
        body = self._body()
        if self.path == "/api/0.6/changeset/create":
            changeset = ET.fromstring(body).find("changeset")
            number = len(self.state.changesets) + 1
            self.state.changesets[number] = {"tags": {t.get("k"): t.get("v") for t in changeset.iter("tag")},
                                             "open": True, "uploads": []}
            self._answer(200, str(number))
            return
        match = CHANGESET.fullmatch(self.path)
        if match and match[2] == "close" and int(match[1]) in self.state.changesets:
            self.state.changesets[int(match[1])]["open"] = False
            self._answer(200)
            return
        self._answer(404)

    def do_POST(self) -> None:
        self.state.calls.append(("POST", self.path))
        if self.path == "/oauth2/token":
            form = dict(urllib.parse.parse_qsl(self._body()))
            asked = self.state.codes.pop(form.get("code", ""), None)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            if (asked is None or form.get("grant_type") != "authorization_code"
                    or challenge.rstrip(b"=").decode() != asked["code_challenge"]
                    or form.get("client_id") != asked["client_id"]
                    or form.get("redirect_uri") != asked["redirect_uri"]):
                self._answer(400, json.dumps({"error": "invalid_grant"}), "application/json")
                return
            self._answer(200, json.dumps({"access_token": TOKEN, "token_type": "Bearer", "scope": "write_api"}),
                         "application/json")
            return
        if not self._authorised():
            return
        match = CHANGESET.fullmatch(self.path)
        if not match or match[2] != "upload" or int(match[1]) not in self.state.changesets:
            self._answer(404)
            return
        number, changeset = int(match[1]), self.state.changesets[int(match[1])]
        if not changeset["open"]:
            self._answer(409, f"The changeset {number} was closed")
            return
        change = ET.fromstring(self._body())
        elements = [element for block in change for element in block]
        if len(elements) > self.state.maximum_elements:
            self._answer(413, "Payload too large")
            return
        for element in elements:
            key = (element.tag, int(element.get("id")))
            held = self.state.objects[key]["version"]
            if element.get("changeset") != str(number):
                self._answer(409, f"Changeset mismatch: Provided {element.get('changeset')} but only {number} "
                                  "is allowed")
                return
            if int(element.get("version")) != held:
                self._answer(409, f"Version mismatch: Provided {element.get('version')}, server had: {held} of "
                                  f"{element.tag.capitalize()} {key[1]}")
                return
        result = ET.Element("diffResult", version="0.6", generator="test OSM API")
        for element in elements:
            stored = self.state.objects[element.tag, int(element.get("id"))]
            stored["version"] += 1
            stored["tags"] = {t.get("k"): t.get("v") for t in element.iter("tag")}
            ET.SubElement(result, element.tag, old_id=element.get("id"), new_id=element.get("id"),
                          new_version=str(stored["version"]))
        changeset["uploads"].append([(e.tag, int(e.get("id"))) for e in elements])
        self._answer(200, ET.tostring(result, encoding="unicode"), "application/xml")


def serve(state: OsmApiState):
    """Start the server on loopback; returns (base URL, stop function)."""
    handler = type("StateHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_address[1]}", stop
