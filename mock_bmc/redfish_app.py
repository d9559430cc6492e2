"""HTTP(S) front end of one mock BMC: routing, authentication, faults.

Order of processing for every request (both listeners share this handler):

1. faults that affect the whole web server: ``hang``, then latency
   (fleet ``latency_ms`` + profile ``faults.slow_ms``);
2. the plain-HTTP listener of a ``plain_http: redirect`` profile answers every
   request with ``301`` to the HTTPS listener on the address the client used;
3. ``faults.http_500``: every ``/redfish`` request gets 500 + ``Retry-After``;
4. unauthenticated ``GET``: only ``/redfish``, ``/redfish/v1``, ``$metadata``, ``odata``
   (query parameters are checked as in 7; ``$expand`` on the service root inlines only
   what the request's credentials, if it carries any, may read);
5. ``POST .../Sessions``: login (the only unauthenticated write);
6. authentication (``X-Auth-Token`` first, then HTTP Basic) before anything else,
   on every other path (inside ``/redfish`` or not), so an unauthenticated client
   cannot even tell which paths exist;
7. query parameters of a GET/HEAD (DSP0266 clause 7.3): ``$expand`` (``.``, ``~``, ``*``
   with an optional ``($levels=N)``) when the profile supports it; a malformed value is
   400 ``QueryParameterValueFormatError``, a level beyond ``MaxLevels`` 400
   ``QueryParameterOutOfRange``, any other ``$`` parameter (or ``$expand`` when the profile
   turns it off) 501 ``QueryNotSupported``; parameters without ``$`` are ignored;
8. ``faults.garbage``: every authenticated GET after the service root gets 200 + junk;
9. dispatch: GET/HEAD documents (expanded as asked), DELETE of a session, 405 for other methods.

All authentication failures produce one identical 401 (same body, same headers),
whatever was wrong, as the Redfish protocol validator's SEC_NO_PRIV_INFO_IN_MSGS asks.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import json
import random
import re
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web

from .auth import SessionLimitError
from .faults import body_fault, garbage_response, hang_forever, has_body_fault
from .resources import ROOT, SESSIONS, ExpandRequest, Principal, ResourceTree

if TYPE_CHECKING:
    from .bmc import MockBMC

BASE_REGISTRY = "Base.1.16.0"
PUBLIC_PATHS = frozenset({"/redfish", ROOT, f"{ROOT}/$metadata", f"{ROOT}/odata"})
MAX_LOGIN_BODY = 16 * 1024
_READ_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_HEAD})
_COMMON_HEADERS = {"OData-Version": "4.0", "Cache-Control": "no-store"}
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: ``$expand`` values (DSP0266 Table 9): ``.``/``~``/``*`` and an optional ``($levels=N)``.  At most
#: four digits, so a hostile value cannot reach int()'s digit limit and turn into a 500.
_EXPAND_RE = re.compile(r"([.~*])(?:\(\$levels=([0-9]{1,4})\))?")
_MAX_ECHO = 64  # characters of a client's query value echoed back in an error message


def normalize_path(path: str) -> str:
    """Tolerate trailing slashes and doubled slashes: ``/redfish/v1/Systems/`` == ``/redfish/v1/Systems``."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    merged = {**_COMMON_HEADERS, **(headers or {})}
    return web.Response(status=status, body=_DUMPS(doc).encode(), content_type="application/json", headers=merged)


def redfish_error(
    status: int,
    message_id: str,
    message: str,
    *,
    resolution: str = "None.",
    headers: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> web.Response:
    """A Redfish error body (DSP0266 clause 9.6) with one Base registry message."""
    full_id = f"{BASE_REGISTRY}.{message_id}"
    body = {
        "error": {
            "code": full_id,
            "message": message,
            "@Message.ExtendedInfo": [
                {
                    "@odata.type": "#Message.v1_1_1.Message",
                    "MessageId": full_id,
                    "Message": message,
                    "MessageArgs": list(args or ()),
                    "MessageSeverity": "Critical",
                    "Severity": "Critical",
                    "Resolution": resolution,
                }
            ],
        }
    }
    return json_response(body, status=status, headers=headers)


def _unauthorized(realm: str) -> web.Response:
    return redfish_error(
        401,
        "NoValidSession",
        "There is no valid session established with the implementation.",
        resolution="Establish a session before attempting any operations.",
        headers={hdrs.WWW_AUTHENTICATE: f'Basic realm="{realm}"'},
    )


def _not_found(path: str) -> web.Response:
    return redfish_error(
        404,
        "ResourceNotFound",
        f"The requested resource of type Resource named '{path}' was not found.",
        resolution="Provide a valid resource identifier and resubmit the request.",
    )


def _query_not_supported() -> web.Response:
    return redfish_error(
        501,
        "QueryNotSupported",
        "Querying is not supported by the implementation.",
        resolution="Remove the query parameters and resubmit the request if the operation failed.",
    )


def _query_format_error(value: str, parameter: str) -> web.Response:
    value = value[:_MAX_ECHO]
    return redfish_error(
        400,
        "QueryParameterValueFormatError",
        f"The value '{value}' for the parameter {parameter} is of a different format than the parameter can accept.",
        resolution="Correct the value for the query parameter in the request and resubmit the request if the "
        "operation failed.",
        args=[value, parameter],
    )


def _query_out_of_range(value: str, parameter: str, valid: str) -> web.Response:
    return redfish_error(
        400,
        "QueryParameterOutOfRange",
        f"The value '{value}' for the query parameter {parameter} is out of range {valid}.",
        resolution="Reduce the value for the query parameter to a value that is within range.",
        args=[value, parameter, valid],
    )


def _method_not_allowed(allowed: str) -> web.Response:
    return redfish_error(
        405,
        "OperationNotAllowed",
        "The HTTP method is not allowed on this resource.",
        resolution="None.",
        headers={hdrs.ALLOW: allowed},
    )


class RedfishService:
    """The request handler of one BMC (``aiohttp.web.Server`` calls it per request)."""

    def __init__(self, bmc: MockBMC) -> None:
        self.bmc = bmc
        self.tree = ResourceTree(bmc)

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        bmc = self.bmc
        faults = bmc.profile.faults
        bmc.requests_served += 1
        if faults.hang:
            await hang_forever()
        delay_ms = bmc.latency_ms + faults.slow_ms
        if bmc.jitter_ms:
            delay_ms += random.uniform(0, bmc.jitter_ms)  # noqa: S311 - simulated network jitter, not crypto
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)

        if not request.secure and bmc.profile.plain_http == "redirect":
            return self._redirect(request)

        path = normalize_path(request.path)
        if faults.http_500 and (path == "/redfish" or path.startswith("/redfish/")):
            return redfish_error(
                500,
                "InternalError",
                "The request failed due to an internal service error.  The service is still operational.",
                resolution="Resubmit the request.  If the problem persists, consider resetting the service.",
                headers={hdrs.RETRY_AFTER: str(faults.retry_after_s)},
            )
        method = request.method
        if path in PUBLIC_PATHS and method in _READ_METHODS:
            expand, problem = self._query(request)
            if problem is not None:
                return problem
            principal = None
            if expand is not None and (hdrs.AUTHORIZATION in request.headers or "X-Auth-Token" in request.headers):
                # Bad credentials are not an error on a public path: the answer is simply the anonymous one.
                principal = self._authenticate(request)
            return self._public(path, expand, principal)
        if path == SESSIONS and method == hdrs.METH_POST:
            return await self._login(request)

        principal = self._authenticate(request)
        if principal is None:
            return _unauthorized(bmc.realm)

        if method in _READ_METHODS:
            expand, problem = self._query(request)
            if problem is not None:
                return problem
            if faults.garbage and path != ROOT:
                return garbage_response(path, faults.garbage_kind)
            if path != ROOT and has_body_fault(faults):
                return await body_fault(request, path, faults)
            doc = self.tree.get(path, principal)
            if doc is None:
                return _not_found(path)
            if expand is not None:
                # Faults returned above for every path but the root, which is served by _public.
                doc = self.tree.expand(doc, path, expand, principal, faulty=False)
            return json_response(doc, headers={hdrs.ALLOW: self._allowed(path)})
        if method == hdrs.METH_DELETE and path.startswith(SESSIONS + "/"):
            return self._logout(path.rsplit("/", 1)[1], principal)
        if path in PUBLIC_PATHS or self.tree.get(path, principal) is not None:
            return _method_not_allowed(self._allowed(path))
        return _not_found(path)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _allowed(path: str) -> str:
        if path == SESSIONS:
            return "GET, HEAD, POST"
        if path.startswith(SESSIONS + "/"):
            return "GET, HEAD, DELETE"
        return "GET, HEAD"

    def _query(self, request: web.BaseRequest) -> tuple[ExpandRequest | None, web.Response | None]:
        """The request's ``$expand``, or the error response its query parameters deserve.

        Checked only after authentication on protected paths, so a 400 can never tell an
        anonymous client more than the uniform 401 does.
        """
        spec = self.bmc.profile.redfish
        if not request.query_string or spec.expand_ignored:
            return None, None
        query = request.query  # percent-decoded: %24expand=.%28%24levels%3D1%29 is $expand=.($levels=1)
        for name in query:
            if name.startswith("$") and (name != "$expand" or not spec.expand):
                return None, _query_not_supported()
        values = query.getall("$expand", [])
        if not values:
            return None, None
        if len(values) > 1:
            return None, _query_format_error(",".join(values), "$expand")
        match = _EXPAND_RE.fullmatch(values[0])
        if match is None:
            return None, _query_format_error(values[0], "$expand")
        levels = int(match[2]) if match[2] else 1  # DSP0266: $levels defaults to 1
        if not 1 <= levels <= spec.expand_max_levels:
            return None, _query_out_of_range(match[2], "$levels", f"1-{spec.expand_max_levels}")
        return ExpandRequest(match[1], levels), None

    def _public(
        self, path: str, expand: ExpandRequest | None = None, principal: Principal | None = None
    ) -> web.Response:
        faults = self.bmc.profile.faults
        if faults.garbage and path not in ("/redfish", ROOT):
            return garbage_response(path, faults.garbage_kind)
        if path == "/redfish":
            return json_response({"v1": f"{ROOT}/"})
        if path == ROOT:
            root = self.tree.service_root()
            if expand is not None:
                faulty = faults.garbage or has_body_fault(faults)
                root = self.tree.expand(root, ROOT, expand, principal, faulty=faulty)
            return json_response(root, headers={hdrs.ALLOW: "GET, HEAD"})
        if path == f"{ROOT}/odata":
            return json_response(self.tree.odata_service_document())
        return web.Response(
            status=200, text=self.tree.metadata_xml(), content_type="application/xml", headers=_COMMON_HEADERS
        )

    def _redirect(self, request: web.BaseRequest) -> web.Response:
        """301 to HTTPS on the address the client connected to (never to the ``Host`` header)."""
        local = request.transport.get_extra_info("sockname") if request.transport else None
        host = local[0] if local else self.bmc.host
        try:
            if ipaddress.ip_address(host).version == 6:
                host = f"[{host}]"
        except ValueError:
            pass
        location = f"https://{host}:{self.bmc.ports['https']}{request.path_qs}"
        return web.Response(status=301, headers={hdrs.LOCATION: location, "Cache-Control": "no-store"})

    def _authenticate(self, request: web.BaseRequest) -> Principal | None:
        auth = self.bmc.auth
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            session = auth.session_for_token(token)
            return None if session is None else Principal(session.account, session)
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
        account = auth.verify(username, password)
        return None if account is None else Principal(account)

    async def _login(self, request: web.BaseRequest) -> web.Response:
        bmc = self.bmc
        if not bmc.profile.session_service.ServiceEnabled:
            return redfish_error(503, "ServiceDisabled", "The session service is disabled.")
        raw = await request.content.read(MAX_LOGIN_BODY + 1)
        if len(raw) > MAX_LOGIN_BODY:
            return redfish_error(413, "PayloadTooLarge", "The request payload is too large.")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return redfish_error(400, "MalformedJSON", "The request body submitted was malformed JSON.")
        if not isinstance(body, dict):
            return redfish_error(400, "MalformedJSON", "The request body submitted was malformed JSON.")
        for prop in ("UserName", "Password"):
            if not isinstance(body.get(prop), str):
                return redfish_error(
                    400,
                    "PropertyMissing",
                    f"The property {prop} is a required property and must be included in the request.",
                    resolution="Ensure that the property is in the request body and has a valid value.",
                )
        account = bmc.auth.verify(body["UserName"], body["Password"])
        if account is None:
            return _unauthorized(bmc.realm)
        origin = request.remote
        try:
            session = bmc.auth.create_session(account, origin)
        except SessionLimitError:
            return redfish_error(
                503,
                "SessionLimitExceeded",
                "The session establishment failed due to the number of simultaneous sessions "
                "exceeding the limit of the implementation.",
                resolution="Reduce the number of other sessions before trying to establish the session.",
                headers={hdrs.RETRY_AFTER: "30"},
            )
        location = f"{SESSIONS}/{session.id}"
        return json_response(
            self.tree.session_document(session),
            status=201,
            headers={"X-Auth-Token": session.token, hdrs.LOCATION: location},
        )

    def _logout(self, session_id: str, principal: Principal) -> web.Response:
        auth = self.bmc.auth
        session = auth.sessions.get(session_id)
        if session is None:
            return _not_found(f"{SESSIONS}/{session_id}")
        if session.account is not principal.account and "ConfigureManager" not in principal.account.privileges:
            return redfish_error(
                403,
                "InsufficientPrivilege",
                "There are insufficient privileges for the account or credentials associated with the "
                "current session to perform the requested operation.",
            )
        auth.delete_session(session_id)
        return web.Response(status=204, headers=_COMMON_HEADERS)
