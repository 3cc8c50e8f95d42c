"""Uploading the upstream queue to OpenStreetMap through its API 0.6: optional, off by default.

The instance's operator registers an OAuth 2.0 application with OSM and gives StepFree an access token with the
`write_api` scope (OSM_OAUTH_TOKEN; OSM_API_URL names the server, e.g. the development API
https://master.apis.dev.openstreetmap.org while trying it out). Each batch becomes one changeset, with `comment`,
`source` and `created_by` tags, no larger than the server's `maximum_elements` (from its capabilities). A batch is
uploaded as one osmChange, which the API applies whole or not at all.

Nothing is ever forced. When OSM answers 409 (a version mismatch: someone edited the object in OSM since StepFree
read it), the object is set to "needs refresh" (StepFree forgets the version it held, so the upstream queue lists
it as a conflict until the next import or diff has refreshed it) and the rest of the batch is sent without it.
A rate limit (429, 509) is waited out once, as the server's Retry-After says, then the upload stops and says so.
"""

import base64
import hashlib
import json
import logging
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import OsmNode, OsmRelation, OsmWay, Place
from app.queries.osm_upstream import UpstreamItem
from geo.geojson import iso_utc
from geo.osmchange import GENERATOR, write_osmchange

log = logging.getLogger(__name__)

API = "/api/0.6"
# Never more per changeset than this, whatever the server allows (OSM's own limit is 10,000 elements).
BATCH_MAX = 500
RETRY_AFTER_MAX = 60
VERSION_MISMATCH = re.compile(r"Version mismatch: Provided (\d+), server had: (\d+) of (Node|Way|Relation) (\d+)")
MODELS = {"node": OsmNode, "way": OsmWay, "relation": OsmRelation}


class OsmUploadError(AppError):
    """The upload cannot go on; what was uploaded before stays uploaded, and recorded."""

    status = 502
    code = "osm_upload_failed"


OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"  # OSM shows the code to copy instead of redirecting
SCOPE = "write_api"


@dataclass
class Authorization:
    """The first half of OAuth 2.0's authorization code flow with PKCE (RFC 7636): where the operator approves."""

    url: str
    verifier: str
    redirect_uri: str


def start_authorization(base_url: str, client_id: str, redirect_uri: str = OOB_REDIRECT) -> Authorization:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                                    "scope": SCOPE, "code_challenge": challenge, "code_challenge_method": "S256"})
    return Authorization(f"{base_url.rstrip('/')}/oauth2/authorize?{query}", verifier, redirect_uri)


def finish_authorization(base_url: str, client_id: str, client_secret: str | None, authorization: Authorization,
                         code: str, *, timeout: float = 60) -> str:
    """Exchange the code the operator copied for an access token."""
    form = {"grant_type": "authorization_code", "code": code.strip(), "redirect_uri": authorization.redirect_uri,
            "client_id": client_id, "code_verifier": authorization.verifier}
    if client_secret:
        form["client_secret"] = client_secret
    request = urllib.request.Request(f"{base_url.rstrip('/')}/oauth2/token", method="POST",
                                     data=urllib.parse.urlencode(form).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode())
    except urllib.error.HTTPError as error:
        error.close()
        raise OsmUploadError(_("OpenStreetMap refused the authorization code (%(status)s): start again and copy "
                               "the new code.", status=error.code)) from None
    except (urllib.error.URLError, TimeoutError, ValueError) as error:
        raise OsmUploadError(_("The OpenStreetMap API at %(url)s cannot be reached (%(reason)s). Check "
                               "OSM_API_URL and the network, then run the upload again.",
                               url=base_url, reason=str(error))) from None
    if SCOPE not in answer.get("scope", SCOPE).split() or not answer.get("access_token"):
        raise OsmUploadError(_("The token OpenStreetMap gave has no write_api scope: allow \"Modify the map\" when "
                               "you authorize StepFree."))
    return answer["access_token"]


@dataclass
class ApiAnswer:
    status: int
    body: str
    headers: dict


class OsmApi:
    """The few OSM API 0.6 calls an upload needs, with an OAuth 2.0 bearer token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 60, sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.sleep = sleep

    def request(self, method: str, path: str, body: str | None = None) -> ApiAnswer:
        request = urllib.request.Request(
            self.base_url + path, method=method, data=body.encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "User-Agent": f"{GENERATOR} (OSM upload)",
                     **({"Content-Type": "text/xml; charset=utf-8"} if body is not None else {})})
        for attempt in range(2):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return ApiAnswer(response.status, response.read().decode(), dict(response.headers))
            except urllib.error.HTTPError as error:
                with error:  # its connection is closed with it
                    answer = ApiAnswer(error.code, error.read().decode(errors="replace"), dict(error.headers))
            except (urllib.error.URLError, TimeoutError) as error:
                raise OsmUploadError(_("The OpenStreetMap API at %(url)s cannot be reached (%(reason)s). Check "
                                       "OSM_API_URL and the network, then run the upload again.",
                                       url=self.base_url, reason=str(error))) from None
            if answer.status in (429, 509) and attempt == 0:
                wait = _retry_after(answer.headers)
                log.warning("OSM API rate limit: waiting %s s", wait)
                self.sleep(wait)
                continue
            return answer
        return answer

    def maximum_elements(self) -> int:
        answer = self.request("GET", "/api/capabilities")
        self.check(answer, "capabilities")
        found = ET.fromstring(answer.body).find(".//changesets")
        return int(found.get("maximum_elements", BATCH_MAX)) if found is not None else BATCH_MAX

    def create_changeset(self, tags: dict[str, str]) -> int:
        osm = ET.Element("osm")
        changeset = ET.SubElement(osm, "changeset")
        for key, value in tags.items():
            ET.SubElement(changeset, "tag", k=key, v=value)
        answer = self.request("PUT", f"{API}/changeset/create", ET.tostring(osm, encoding="unicode"))
        self.check(answer, "changeset/create")
        return int(answer.body.strip())

    def upload(self, changeset: int, osmchange: str) -> ApiAnswer:
        return self.request("POST", f"{API}/changeset/{changeset}/upload", osmchange)

    def close(self, changeset: int) -> None:
        self.check(self.request("PUT", f"{API}/changeset/{changeset}/close"), "changeset/close")

    def check(self, answer: ApiAnswer, call: str) -> None:
        """Raise OsmUploadError, saying what to do, unless the answer is a success."""
        if answer.status == 401:
            raise OsmUploadError(_("OpenStreetMap refused the access token (401): give OSM_OAUTH_TOKEN a valid "
                                   "OAuth 2.0 token with the write_api scope."))
        if answer.status in (429, 509):
            raise OsmUploadError(_("OpenStreetMap's rate limit was reached: run the upload again later."))
        if answer.status >= 300:
            raise OsmUploadError(_("OpenStreetMap answered %(status)s to %(call)s: %(message)s",
                                   status=answer.status, call=call, message=answer.body[:300]))


def _retry_after(headers: dict) -> float:
    try:
        return min(float(headers.get("Retry-After", "5")), RETRY_AFTER_MAX)
    except ValueError:
        return 5.0


@dataclass
class UploadResult:
    changesets: list[int] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    # Objects OSM holds in a newer version than StepFree read: now "needs refresh".
    refreshed: list[str] = field(default_factory=list)


def upload(session: Session, items: list[UpstreamItem], api: OsmApi, *, comment: str, source: str,
           commit: Callable[[], None], progress: Callable[[UploadResult], None] | None = None) -> UploadResult:
    """Upload the items (offered ones: no conflict, not held) in changesets; `commit` runs after each one."""
    result = UploadResult()
    if not items:
        return result
    size = max(1, min(api.maximum_elements(), BATCH_MAX))
    for start in range(0, len(items), size):
        _upload_batch(session, items[start:start + size], api, result,
                      {"comment": comment, "source": source, "created_by": GENERATOR})
        commit()
        if progress is not None:
            progress(result)
    return result


def _upload_batch(session: Session, batch: list[UpstreamItem], api: OsmApi, result: UploadResult,
                  tags: dict[str, str]) -> None:
    changeset = api.create_changeset(tags)
    result.changesets.append(changeset)
    pending = {(item.osm_type, item.osm_id): item for item in batch}
    try:
        while pending:
            answer = api.upload(changeset, _osmchange(list(pending.values()), changeset))
            if answer.status == 200:
                _record_uploaded(session, pending, answer.body, result)
                return
            mismatch = VERSION_MISMATCH.search(answer.body)
            if answer.status == 409 and mismatch is not None:
                key = (mismatch[3].lower(), int(mismatch[4]))
                if key in pending:
                    _needs_refresh(session, key)
                    result.refreshed.append(f"{key[0]}/{key[1]}")
                    del pending[key]
                    continue
            api.check(answer, "changeset/upload")
            raise OsmUploadError(_("OpenStreetMap answered %(status)s to %(call)s: %(message)s",
                                   status=answer.status, call="changeset/upload", message=answer.body[:300]))
    finally:
        api.close(changeset)


def _osmchange(items: list[UpstreamItem], changeset: int) -> str:
    out = StringIO()
    write_osmchange((item.element for item in items), out, timestamp=iso_utc(datetime.now(UTC)), changeset=changeset)
    return out.getvalue()


def _record_uploaded(session: Session, pending: dict, diff_result: str, result: UploadResult) -> None:
    """OSM now has StepFree's values: keep its new versions and tags, and note its values as what OSM says."""
    for entry in ET.fromstring(diff_result):
        key = (entry.tag, int(entry.get("old_id")))
        item = pending.get(key)
        if item is None or entry.get("new_version") is None:
            continue
        model = MODELS[item.osm_type]
        session.execute(update(model).where(model.id == item.osm_id).values(
            version=int(entry.get("new_version")), tags=item.element.new_tags()))
        place = session.scalar(select(Place).where(Place.id == item.place_id).with_for_update())
        # Bookkeeping of what OSM says, as an import writes it: not a public value, no revision.
        place.osm_seen = {**place.osm_seen, **{f.key: getattr(place, f.key) for f in item.fields}}
        result.uploaded.append(item.ref)
    session.flush()


def _needs_refresh(session: Session, key: tuple[str, int]) -> None:
    """Forget the version StepFree held: the upstream queue lists the place as a conflict until a refresh."""
    osm_type, osm_id = key
    if osm_type == "node":
        session.execute(delete(OsmNode).where(OsmNode.id == osm_id))
    else:
        model = MODELS[osm_type]
        session.execute(update(model).where(model.id == osm_id).values(version=None))
    session.flush()
