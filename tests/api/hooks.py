"""Schemathesis hooks for tests/api/schemathesis.sh.

The run authenticates as one enrolled administrator device. A few
operations, called with the values a fuzzer or a stateful chain may well
produce, would take that credential away from the rest of the run. These
hooks keep it alive without hiding any input from the server:

- `POST /v1/device/rotate` answers a new credential and the old one stops
  working: the hook adopts the new one.
- `POST /v1/admin/devices/{id}/revoke` on the run's own device, and
  `POST /v1/activate` re-enrolling the run's own device id, would end or
  replace its credential: those go to a spare device id instead
  (`GRIDWORK_SPARE_DEVICES`, enrolled by the script).
- `PUT /v1/admin/users` for the administrator the run signs in as would
  change that user's role: it goes to another user id instead.

- `/v1/uploads/{upload_id}` and `/v1/evidence/{evidence_id}/content`:
  every other generated id is replaced by one that exists
  (`GRIDWORK_UPLOAD_IDS`, `GRIDWORK_EVIDENCE_IDS`, seeded by the script:
  one complete upload, three begun), so the fuzzer reaches real uploads
  and a real photo, not only 404s.

Everything else is sent as generated.

The tus routes (`/v1/uploads…`) take `application/offset+octet-stream`
bodies, which schemathesis cannot generate by itself: they get raw bytes.
Their version header is `Tus-Resumable`, and tus 1.0.0 requires a server to
answer a request without a version it supports with 412 Precondition
Failed (and `Tus-Version`), not the 400/422 schemathesis expects: such 412s
are not failures (`filter_failure`, only for that header on those routes).

Two kinds of "schema-violating request accepted" (ST201) are dropped
(`filter_failure`), because the request they describe is not invalid:
- an extra, undeclared header or query parameter: schemathesis treats an
  operation's parameters as a closed set, but HTTP servers ignore headers
  they do not know (RFC 9110 section 5.1; proxies and clients add their
  own), and query parameters likewise;
- a CSV import body of the "wrong JSON type": a `text/csv` body is bytes,
  and `true` or `-12` sent as text/csv is a (bad) CSV file, which the
  import answers with a report of its row errors;
- an enum tag (`op`, `type`, `kind`, `status`) of "incorrect type" in a
  JSON body: serde reads an integer in a variant's place as the variant's
  index, so `"type": 0` is the first variant, not an invalid body.
"""

from __future__ import annotations

import itertools
import os
import re
import threading

import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))

_lock = threading.Lock()
_token = os.environ["GRIDWORK_TOKEN"]
_device = os.environ["GRIDWORK_DEVICE_ID"]
_admin_user = os.environ["GRIDWORK_ADMIN_USER"]
_COMPONENT = re.compile(r"^\s*- (header|query|path|body|cookie): (.*)$", re.MULTILINE)
_VARIANT_INDEX = re.compile(r"(^|-> |in body - )(op|type|kind|status): Incorrect type$", re.MULTILINE)
_spares = itertools.cycle(os.environ.get("GRIDWORK_SPARE_DEVICES", "spare").split(","))
_uploads = [u for u in os.environ.get("GRIDWORK_UPLOAD_IDS", "").split(",") if u]
_evidence = [e for e in os.environ.get("GRIDWORK_EVIDENCE_IDS", "").split(",") if e]
_known = itertools.count()


def _known_id(ids: list[str]) -> str | None:
    """Every other call: one of the ids that exist (in turn)."""
    n = next(_known)
    if not ids or n % 2:
        return None
    return ids[(n // 2) % len(ids)]


def _token_now() -> str:
    with _lock:
        return _token


@schemathesis.auth(refresh_interval=None)
class DeviceCredential:
    """The current credential of the run's device (it changes on rotate)."""

    def get(self, case, ctx):
        return _token_now()

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    method = case.method.upper()
    if method == "POST" and path == "/v1/admin/devices/{device_id}/revoke":
        if isinstance(case.path_parameters, dict) and case.path_parameters.get("device_id") == _device:
            case.path_parameters["device_id"] = next(_spares)
    elif method == "POST" and path == "/v1/activate":
        if isinstance(case.body, dict) and case.body.get("device_id") == _device:
            case.body["device_id"] = next(_spares)
    elif method == "POST" and path == "/v1/sync/push":
        # The server refuses a batch whose device_id is not the credential's
        # (400) before it reads the operations: aim generated batches at the
        # run's own device so the operations themselves get exercised.
        if isinstance(case.body, dict) and isinstance(case.body.get("device_id"), str):
            case.body["device_id"] = _device
    elif path == "/v1/uploads/{upload_id}" and isinstance(case.path_parameters, dict):
        known = _known_id(_uploads)
        if known:
            case.path_parameters["upload_id"] = known
    elif path == "/v1/evidence/{evidence_id}/content" and isinstance(case.path_parameters, dict):
        known = _known_id(_evidence)
        if known:
            case.path_parameters["evidence_id"] = known
    elif method == "PUT" and path == "/v1/admin/users":
        if isinstance(case.body, dict) and case.body.get("id") == _admin_user:
            case.body["id"] = f"{_admin_user}-fuzz"


@schemathesis.hook
def after_call(context, case, response):
    global _token
    if (
        case.method.upper() == "POST"
        and case.operation.path == "/v1/device/rotate"
        and response.status_code == 200
    ):
        sent = response.request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        try:
            new = response.json().get("token")
        except Exception:  # noqa: BLE001 - a malformed body is the checks' business
            return
        with _lock:
            if isinstance(new, str) and sent == _token:
                _token = new


@schemathesis.hook
def filter_failure(context, failure, case, response):
    code = getattr(failure, "code", None)
    if (
        code in ("ST201", "ST203")
        and case.operation.path.startswith("/v1/uploads")
        and response is not None
        and response.status_code == 412
        and "tus-resumable" in (failure.message or "").lower()
    ):
        return False
    if code != "ST201":
        return True
    message = failure.message or ""
    undeclared_header = "in header - object with unexpected properties" in message
    csv_of_another_type = case.media_type == "text/csv" and (
        "in body - violates `type`" in message or "in body - incorrect type" in message
    )
    variant_index = _VARIANT_INDEX.search(message) is not None
    if undeclared_header or csv_of_another_type or variant_index:
        return False
    # Newer messages list each invalid component on its own line; drop the
    # failure only if every one of them is excusable.
    components = _COMPONENT.findall(message)
    return not (components and all(_excusable(where, why, case) for where, why in components))


def _excusable(where: str, why: str, case) -> bool:
    """An "invalid" part of a request that is not invalid over HTTP."""
    if where in ("header", "query") and ("additionalProperties" in why or "unexpected properties" in why):
        # Unknown headers and query parameters are ignored by servers
        # (RFC 9110 section 5.1 for headers; the same convention for query
        # strings, which proxies and analytics tags extend).
        return True
    if where == "body" and case.media_type == "text/csv" and ("`type`" in why or "incorrect type" in why):
        return True
    return False
