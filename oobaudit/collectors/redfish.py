"""Redfish collector: crawl a BMC's security surface by ``@odata.id`` links.

Links are followed from the service root; IDs are never guessed (manager ids are
``BMC``, ``bmc``, ``HGX_BMC_0``... depending on the vendor) and collection sizes
are taken from ``Members`` itself, never from ``Members@odata.count`` (the DMTF
mockup's FirmwareInventory says 2 and lists 3).  The crawl is bounded in resources,
members per collection and body size, so a lying BMC cannot keep it busy.
Everything it could not read becomes an error fact with the reason.

Where the service root advertises ``$expand`` (``ProtocolFeaturesSupported.ExpandQuery``),
a collection is read as ``<url>?$expand=.($levels=1)``: its members arrive inline, in one
response instead of one GET each, which is most of the auditor's CPU per BMC.  The plan's
*deep* steps (AccountService, Managers, a manager's NetworkProtocol, UpdateService) are read
with ``$levels=2`` where ``MaxLevels`` allows, so what the plan follows from them (accounts,
the network protocol settings, the firmware inventory) comes in the same response; their facts
hold the document collapsed back to what a plain GET returns.  Members the service did not
expand are fetched as before, and a service whose expansion fails is read without it for the
rest of the target, so ``$expand`` can save requests but never cost facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from redfish.aio import AsyncRedfishClient
from redfish.aio.exceptions import (
    RedfishAuthenticationError,
    RedfishError,
    RedfishHTTPError,
    RedfishProtocolError,
)

from .. import facts as F
from ..facts import Fact
from ..inventory import Target
from ..secrets import Secret, SecretError
from .credentials import CredentialOptions, test_redfish_defaults
from .http import describe_error

COLLECTOR = "redfish"
# Keys whose *string* value is a secret: Password, CommunityString, SNMP AuthenticationKey /
# EncryptionKey, tokens.  Policy numbers such as MinPasswordLength are not strings and stay.
_SENSITIVE = re.compile(r"(?i)^(communitystring|.*(password|passphrase|secret|token|key))$")
_WEAK_COMMUNITIES = {"public", "private", "community", "admin", "default", "snmp", "manager"}
# Canonical JSON of an inline member for its evidence hash: the raw bytes of one member inside
# an expanded body are not at hand, and re-serialising (sorted keys, compact) is cheap and stable.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class Step:
    """One hop of the crawl plan: follow ``link`` and record members as ``kind``."""

    link: tuple[str, ...]  # property path to the link, e.g. ("NetworkProtocol",) or ("HTTPS", "Certificates")
    kind: str | None  # fact kind for the resource (None: traverse only)
    collection: bool = False  # the link is a collection: record each member
    children: tuple[Step, ...] = ()
    subject_from_parent: bool = False  # subject = the parent's Id (e.g. NetworkProtocol of manager X)
    # Read two levels deep where the service allows ($levels=2), so what the plan follows from here
    # arrives inline.  Only where everything two levels down is small and BMC-local (accounts and
    # roles, a manager's protocol and interface settings, firmware inventory); never for Systems,
    # whose second level is host inventory (BIOS attributes, memory, storage) that is slow for a
    # BMC to assemble and that no check reads.
    deep: bool = False


PLAN: tuple[Step, ...] = (
    Step(("AccountService",), F.REDFISH_ACCOUNT_SERVICE, deep=True, children=(
        Step(("Accounts",), F.REDFISH_ACCOUNT, collection=True),
    )),
    Step(("SessionService",), F.REDFISH_SESSION_SERVICE),
    Step(("Managers",), F.REDFISH_MANAGER, collection=True, deep=True, children=(
        Step(("NetworkProtocol",), F.REDFISH_NETWORK_PROTOCOL, subject_from_parent=True, deep=True, children=(
            Step(("HTTPS", "Certificates"), F.REDFISH_CERTIFICATE, collection=True),
        )),
    )),
    Step(("Systems",), F.REDFISH_SYSTEM, collection=True, children=(
        Step(("SecureBoot",), F.REDFISH_SECURE_BOOT, subject_from_parent=True),
    )),
    Step(("Chassis",), F.REDFISH_CHASSIS, collection=True),
    Step(("UpdateService",), F.REDFISH_UPDATE_SERVICE, deep=True, children=(
        Step(("FirmwareInventory",), F.REDFISH_FIRMWARE, collection=True),
    )),
    Step(("CertificateService",), F.REDFISH_CERTIFICATE_SERVICE),
    Step(("ComponentIntegrity",), F.REDFISH_COMPONENT_INTEGRITY, collection=True),
)

# Kinds whose resources identify the BMC and are always worth one request.
ALWAYS = {F.REDFISH_MANAGER, F.REDFISH_SYSTEM}


@dataclass
class RedfishOptions:
    timeout: float = 10.0  # per request
    max_resources: int = 600
    max_members: int = 256
    # One request at a time per BMC: BMCs are small machines, and one kept-alive TLS connection costs
    # the auditor one handshake per target (the sweep gets its parallelism from many targets at once).
    connections_per_target: int = 1
    expand: bool = True  # read collections with $expand where the service root advertises it
    needs: frozenset[str] | None = None  # fact kinds some check needs; None = everything
    credentials: CredentialOptions = field(default_factory=CredentialOptions)


def sanitize(doc: Any) -> Any:
    """Drop secret-looking values from a Redfish document before it becomes a fact.

    ``Password`` is null by spec but some BMCs echo it; SNMP community strings are
    secrets too.  For communities we keep the verdict (is it a well-known default?)
    instead of the value.  Lists are cut at 1,024 entries.
    """
    if isinstance(doc, dict):
        return _sanitize_dict(doc)
    if isinstance(doc, list):
        return _sanitize_list(doc)
    return doc


# Scalars (most of a document) are copied without a call each: sanitising every document of a
# sweep was a visible share of the crawl's CPU.
def _sanitize_dict(doc: dict[Any, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for k, v in doc.items():
        if isinstance(v, str):
            if v and isinstance(k, str) and _SENSITIVE.match(k):
                if k == "CommunityString":
                    out["CommunityStringIsDefault"] = v.lower() in _WEAK_COMMUNITIES
                out[k] = "<redacted>"
            else:
                out[k] = v
        elif isinstance(v, dict):
            out[k] = _sanitize_dict(v)
        elif isinstance(v, list):
            out[k] = _sanitize_list(v)
        else:
            out[k] = v
    return out


def _sanitize_list(doc: list[Any]) -> list[Any]:
    return [_sanitize_dict(v) if isinstance(v, dict) else _sanitize_list(v) if isinstance(v, list) else v
            for v in doc[:1024]]


def _link(doc: dict[str, Any], path: tuple[str, ...]) -> str | None:
    return _href(_at(doc, path))


def _href(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("@odata.id")
    return value if isinstance(value, str) and value.startswith("/redfish/") else None


def expand_query(root: dict[str, Any], levels: int = 1) -> str | None:
    """The least-expanding ``$expand`` that inlines ``levels`` levels of links, if the root advertises one.

    ``.`` (``NoLinks``) expands the hyperlinks outside ``Links``, which in a collection is
    ``Members``: exactly what the crawl would GET next.  ``*`` (``ExpandAll``) inlines those
    and anything under the collection's ``Links`` too, so it is the fallback.  ``~``
    (``Links``) expands only ``Links`` and never ``Members``: useless here.  ``$levels=1`` is
    spelled out when the service supports ``$levels`` (deeper levels would inline resources the
    plan may not want, and make one failure cost more); without it, 1 is the default anyway.
    More than one level only where the root advertises ``Levels`` and a ``MaxLevels`` that deep.
    """
    features = root.get("ProtocolFeaturesSupported")
    query = features.get("ExpandQuery") if isinstance(features, dict) else None
    if not isinstance(query, dict):
        return None
    if query.get("NoLinks") is True:
        which = "."
    elif query.get("ExpandAll") is True:
        which = "*"
    else:
        return None
    if levels > 1:
        most = query.get("MaxLevels")
        deep = query.get("Levels") is True and type(most) is int and most >= levels  # not bool: True == 1
        return f"$expand={which}($levels={levels})" if deep else None
    return f"$expand={which}($levels=1)" if query.get("Levels") is True else f"$expand={which}"


def _inline(member: Any) -> bool:
    """Is this ``Members`` entry an expanded resource rather than a bare link?

    Every Redfish resource carries ``Id`` and ``@odata.type``; a link carries ``@odata.id``
    (and at most annotations).  An entry with an ``error`` object is a failed expansion.
    """
    return isinstance(member, dict) and ("Id" in member or "@odata.type" in member) and "error" not in member


def _collapse(doc: dict[str, Any]) -> dict[str, Any]:
    """An expanded document as a plain GET returns it: every inlined resource back to its link.

    A resource read with ``$levels=2`` carries its collections (and their members) inline; its
    fact must hold what the resource itself says, or the same BMC would give different facts
    with and without ``$expand``.  An inlined resource is an object with a fragment-free
    ``/redfish/...`` ``@odata.id`` and a resource's own keys (``Id``, ``@odata.type`` or
    ``Members``); objects addressed by a fragment (``.../Thermal#/Fans/0``) are part of the
    document and stay.
    """
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out[key] = _link_or_collapse(value)
        elif isinstance(value, list):
            out[key] = [_link_or_collapse(v) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out


def _link_or_collapse(value: dict[str, Any]) -> dict[str, Any]:
    ref = value.get("@odata.id")
    if (isinstance(ref, str) and ref.startswith("/redfish/") and "#" not in ref
            and ("Id" in value or "@odata.type" in value or "Members" in value)):
        return {"@odata.id": ref}
    return _collapse(value)


def _at(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value a plan link points at (a link object, or the resource itself where it came inline)."""
    cur: Any = doc
    for key in path:
        if not isinstance(cur, dict):
            return None
        nxt = cur.get(key)
        if nxt is None and isinstance(cur.get("Links"), dict):
            nxt = cur["Links"].get(key)
        cur = nxt
    return cur


def plan_for(needs: frozenset[str] | None) -> tuple[Step, ...]:
    """The crawl plan cut down to what the checks read (plus the identity resources): a sweep
    asks only for what it will judge."""
    if needs is None:
        return PLAN
    wanted = set(needs) | ALWAYS

    def prune(step: Step) -> Step | None:
        kids = tuple(k for k in (prune(c) for c in step.children) if k is not None)
        if step.kind in wanted or kids:
            return replace(step, children=kids)
        return None

    return tuple(s for s in (prune(p) for p in PLAN) if s is not None)


class _Client(AsyncRedfishClient):
    """DMTF's client, one request cheaper per target.

    Its session login starts by reading the service root (for ``Links.Sessions``); the crawl
    read that root a moment earlier, over the same connection and likewise without credentials,
    so the login is answered from that response instead of a second GET.  One use only: a
    session refresh later reads the root afresh.  (The client has no hook for this, hence the
    override of its request method, whose keyword interface is all this relies on.)
    """

    _root: Any = None

    async def _request(self, path: str, method: str = "GET", **kw: Any) -> Any:
        if path != self._default_prefix or method.upper() != "GET" or kw.get("args") or kw.get("headers"):
            return await super()._request(path, method, **kw)
        if not kw.get("authenticated", True) and self._root is not None:
            root, self._root = self._root, None
            return root
        resp = await super()._request(path, method, **kw)
        if self._session_key is None and self._authorization is None and self._root is None:
            self._root = resp  # read without credentials: what the login would read
        return resp


class _Crawl:
    def __init__(self, client: AsyncRedfishClient, opts: RedfishOptions, out: list[Fact]) -> None:
        self.client = client
        self.opts = opts
        self.out = out
        self.seen: set[str] = set()
        self.count = 0
        self.sem = asyncio.Semaphore(opts.connections_per_target)
        self.requests = 0
        self.expand: str | None = None  # the $expand query to read collections with (None: plain GETs)
        self.deep: str | None = None  # the two-level $expand for the plan's deep steps
        self.expand_works: bool | None = None  # None until the first expanded read answers
        self.expand_probe = asyncio.Lock()  # one expanded read at a time until then
        self.expand_abandoned: str | None = None  # why $expand was given up on this target
        self.inline = 0  # resources taken from expanded reads instead of their own GET
        self.inline_collections = 0  # collections that came inside their parent's expanded read

    def fact(self, kind: str, subject: str, **kw: Any) -> None:
        self.out.append(Fact(kind=kind, subject=subject, collector=COLLECTOR, **kw))

    def take(self) -> str | None:
        """Count one resource read (fetched, or inline in an expanded read) against the crawl
        bound; the error reason once the bound is reached."""
        if self.count >= self.opts.max_resources:
            return f"crawl bound reached ({self.opts.max_resources} resources)"
        self.count += 1
        return None

    async def get(self, path: str) -> tuple[dict[str, Any] | None, dict[str, Any], str | None]:
        """GET a resource: (document, evidence, error reason)."""
        ev: dict[str, Any] = {"url": path}
        bound = self.take()
        if bound:
            return None, ev, bound
        async with self.sem:
            self.requests += 1
            try:
                resp = await self.client.get(path)
            except RedfishError as exc:
                return None, ev, describe_error(exc)
        ev["status"] = resp.status
        body = resp.read or b""
        ev["bytes"] = len(body)
        ev["sha256"] = hashlib.sha256(body).hexdigest()
        if resp.status in (301, 302, 303, 307, 308):
            return None, ev, f"HTTP {resp.status} redirect (not followed)"
        if resp.status in (401, 403):
            return None, ev, f"HTTP {resp.status}: access denied to the auditor account"
        if resp.status == 404:
            return None, ev, "HTTP 404: linked resource does not exist"
        if not 200 <= resp.status < 300:
            retry = resp.getheader("Retry-After")
            return None, ev, f"HTTP {resp.status}" + (f" (Retry-After {retry})" if retry else "")
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None, ev, "malformed JSON in response"
        if not isinstance(doc, dict):
            return None, ev, "response is not a JSON object"
        return doc, ev, None

    async def run(self, root: dict[str, Any], plan: tuple[Step, ...]) -> None:
        if self.opts.expand:
            self.expand = expand_query(root)
            self.deep = expand_query(root, levels=2)
        await self.each(self.step(root, s, None, None) for s in plan)

    async def each(self, reads: Iterable[Coroutine[Any, Any, None]]) -> None:
        """Run sibling reads (``reads`` is a generator: each coroutine is created when it runs).

        Over one connection per target (the default) the connection serialises them anyway, so
        they run one after another without a task each (a task per read was a visible share of
        the crawl's CPU); over more connections, concurrently."""
        if self.opts.connections_per_target > 1:
            await asyncio.gather(*reads)
            return
        for read in reads:
            await read

    def expand_evidence(self) -> dict[str, Any]:
        """What ``$expand`` did on this target, for the connectivity fact."""
        out: dict[str, Any] = {"expand": self.expand, "expanded_members": self.inline,
                               "expanded_collections": self.inline_collections}
        if self.expand_abandoned:
            out["expand_abandoned"] = self.expand_abandoned
        return out

    async def step(self, parent: dict[str, Any], step: Step, parent_id: str | None, via: str | None) -> None:
        """Follow one plan link from ``parent``; ``via`` is set when the parent came from an
        expanded read, whose linked resource may then already be inline."""
        value = _at(parent, step.link)
        url = _href(value)
        if url is None:
            return  # the BMC does not offer it; checks decide what absence means
        if via is not None and _inline(value):
            if step.collection:
                await self.inline_collection(url, value, step, via)
            else:
                await self.expanded(url, value, step, via, parent_id)
        elif step.collection:
            await self.collection(url, step)
        else:
            await self.resource(url, step, parent_id)

    async def read(
        self, url: str, query: str | None, *, collection: bool
    ) -> tuple[dict[str, Any] | None, dict[str, Any], str | None, str | None]:
        """GET ``url``, expanded with ``query`` where that works: (document, evidence, error, expanded url or None).

        Until the first expanded read has answered, expanded reads go one at a time, so a
        service that refuses ``$expand`` costs one wasted request, not one per read.
        """
        if query is None or self.expand_works is False:
            return (*await self.get(url), None)
        if self.expand_works is None:
            async with self.expand_probe:
                if self.expand_works is None:
                    return await self._read_expanded(url, query, collection)
            if self.expand_works is False:
                return (*await self.get(url), None)
        return await self._read_expanded(url, query, collection)

    async def _read_expanded(
        self, url: str, query: str, collection: bool
    ) -> tuple[dict[str, Any] | None, dict[str, Any], str | None, str | None]:
        if self.count >= self.opts.max_resources:
            return (*await self.get(url), None)  # the bound error, not a failure of $expand
        via = f"{url}?{query}"
        doc, ev, err = await self.get(via)
        if err is None and doc is not None and (not collection or isinstance(doc.get("Members"), list)):
            self.expand_works = True
            return doc, ev, None, via
        # 400/501 (refused), 404 (a static server looking for a file named after the query), a
        # body over the cap...: read it plainly, and plainly from now on for this target.
        self.expand_works = False
        self.expand_abandoned = f"{via}: {err or 'expanded response has no Members array'}"
        return (*await self.get(url), None)

    async def collection(self, url: str, step: Step) -> None:
        query = self.deep if step.deep and step.children else self.expand
        doc, ev, err, via = await self.read(url, query, collection=True)
        if err or doc is None:
            if step.kind:
                self.fact(step.kind, url, evidence=ev, error=err)
            return
        await self.members(url, doc, ev, step, via)

    async def inline_collection(self, url: str, doc: dict[str, Any], step: Step, via: str) -> None:
        """A collection that arrived inside its parent's expanded document (``$levels=2``)."""
        bound = self.take()  # read as a resource, as a separate GET would have been
        if bound:
            if step.kind:
                self.fact(step.kind, url, evidence={"url": url, "via": via}, error=bound)
            return
        self.inline_collections += 1
        await self.members(url, doc, {"url": url, "via": via}, step, via)

    async def members(self, url: str, doc: dict[str, Any], ev: dict[str, Any], step: Step, via: str | None) -> None:
        """Each member of a collection: from the document where it came inline, else its own GET."""
        members = doc.get("Members")
        if not isinstance(members, list):
            if step.kind:
                self.fact(step.kind, url, evidence=ev, error="collection has no Members array")
            return
        picked: dict[str, dict[str, Any] | None] = {}  # url -> the inline resource, or None: GET it
        for m in members:
            u = m.get("@odata.id") if isinstance(m, dict) else None
            if isinstance(u, str) and u.startswith("/redfish/") and u not in picked:
                picked[u] = m if via is not None and _inline(m) else None
        if len(picked) > self.opts.max_members:
            if step.kind:
                self.fact(step.kind, url, evidence=ev,
                          error=f"collection lists {len(picked)} members; only {self.opts.max_members} read")
            picked = dict(list(picked.items())[: self.opts.max_members])
        sub = replace(step, link=(), collection=False, subject_from_parent=False)  # one member
        await self.each(
            self.resource(u, sub, None) if body is None else self.expanded(u, body, sub, via or url, None)
            for u, body in picked.items()
        )

    async def expanded(self, url: str, doc: dict[str, Any], step: Step, via: str, parent_id: str | None) -> None:
        """A resource that arrived inline: recorded exactly as if it had been fetched on its own."""
        key = url.rstrip("/")
        if key in self.seen:
            return
        self.seen.add(key)
        ev: dict[str, Any] = {"url": url, "via": via}
        bound = self.take()  # an inline member is a resource read, for the bound as for the figures
        if bound:
            await self.record(url, step, parent_id, None, ev, bound, None)
            return
        self.inline += 1
        ev["sha256"] = hashlib.sha256(_CANONICAL(doc).encode()).hexdigest()
        await self.record(url, step, parent_id, doc, ev, None, via)

    async def resource(self, url: str, step: Step, parent_id: str | None) -> None:
        key = url.rstrip("/")
        if key in self.seen:
            return
        self.seen.add(key)
        # e.g. AccountService: its Accounts collection and their members arrive with it.
        query = self.deep if step.deep and step.children else None
        doc, ev, err, via = await self.read(url, query, collection=False)
        if via is not None:  # the resource's own url, and the expanded one its bytes and hash are of
            ev.update(url=url, via=via)
        await self.record(url, step, parent_id, doc, ev, err, via)

    async def record(
        self, url: str, step: Step, parent_id: str | None, doc: dict[str, Any] | None, ev: dict[str, Any],
        err: str | None, via: str | None,
    ) -> None:
        """One resource's fact (or error fact), then the plan's children followed from it."""
        ident = parent_id if step.subject_from_parent and parent_id else None
        if err or doc is None:
            if step.kind:
                self.fact(step.kind, ident or _leaf(url), evidence=ev, error=err)
            return
        rid = doc.get("Id") if isinstance(doc.get("Id"), str) else _leaf(url)
        if step.kind:
            self.fact(step.kind, ident or rid, data=sanitize(_collapse(doc) if via else doc), evidence=ev)
        if step.children:
            await self.each(self.step(doc, c, rid, via) for c in step.children)


def _leaf(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


async def collect_redfish(
    target: Target,
    http: aiohttp.ClientSession,
    out: list[Fact],
    opts: RedfishOptions | None = None,
    on_request: Callable[[int], None] | None = None,
) -> None:
    """Collect Redfish facts for one target into ``out`` (appended as they arrive,
    so a deadline that cancels this coroutine keeps what was already learned)."""
    opts = opts or RedfishOptions()
    port = target.port("https")
    base = target.url("https")
    conn_ev: dict[str, Any] = {"url": f"{base}/redfish/v1/"}
    if port is None:
        out.append(Fact(kind=F.REDFISH_CONNECTIVITY, collector=COLLECTOR, error="no https port in the inventory"))
        return
    if "http" in target.ports:
        out.append(await probe_plain_http(target, http, opts.timeout))

    password: Secret | None = None
    username: str | None = None
    cred_error: str | None = None
    if target.credentials is None:
        cred_error = "no credentials in the inventory for this host"
    else:
        try:
            password = target.credentials.password.resolve()
            username = target.credentials.username
        except SecretError as exc:
            cred_error = f"credentials unavailable: {exc}"

    client = _Client(
        base, username=username, password=password.reveal() if password else None,
        session=http, timeout=opts.timeout,
    )
    crawl = _Crawl(client, opts, out)
    root, ev, err = await crawl.get("/redfish/v1/")
    conn_ev.update(ev)
    if err or root is None:
        out.append(Fact(kind=F.REDFISH_CONNECTIVITY, collector=COLLECTOR, evidence=conn_ev,
                        error=f"service root unreadable: {err}"))
        return
    out.append(Fact(kind=F.REDFISH_SERVICE_ROOT, subject="/redfish/v1", collector=COLLECTOR,
                    data=sanitize(root), evidence=ev))

    unauth = await _unauthenticated_read(crawl, root)
    if cred_error:
        out.append(Fact(kind=F.REDFISH_CONNECTIVITY, collector=COLLECTOR, evidence=conn_ev, error=cred_error,
                        data={"unauthenticated_read": unauth}))
        await test_redfish_defaults(crawl, target, None, out, opts.credentials, unauth, auditor=None)
        return

    method, login_err = await _login(client)
    if login_err:
        out.append(Fact(kind=F.REDFISH_CONNECTIVITY, collector=COLLECTOR, evidence=conn_ev, error=login_err,
                        data={"unauthenticated_read": unauth}))
        await test_redfish_defaults(crawl, target, None, out, opts.credentials, unauth,
                                    auditor=(username, password))
        return
    try:
        await crawl.run(root, plan_for(opts.needs))
        out.append(Fact(kind=F.REDFISH_CONNECTIVITY, collector=COLLECTOR, evidence=conn_ev,
                        data={"auth": method, "unauthenticated_read": unauth, "requests": crawl.requests,
                              "resources": crawl.count, **crawl.expand_evidence()}))
        await test_redfish_defaults(crawl, target, root, out, opts.credentials, unauth,
                                    auditor=(username, password))
    finally:
        if method == "session":
            # A failed logout is harmless: the session expires on its own.
            with contextlib.suppress(RedfishError, TimeoutError, aiohttp.ClientError):
                await asyncio.wait_for(client.logout(), timeout=opts.timeout)
    if on_request:
        on_request(crawl.requests)


async def _login(client: AsyncRedfishClient) -> tuple[str | None, str | None]:
    """Session login (what the BMC vendors recommend), falling back to Basic auth
    for services that do not implement sessions (e.g. static mockup servers)."""
    try:
        await client.login(auth="session")
        return "session", None
    except RedfishAuthenticationError:
        return None, "authentication rejected for the auditor account"
    except RedfishHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status", None)
        if status in (401, 403):
            return None, "authentication rejected for the auditor account"
    except RedfishProtocolError:
        pass
    except RedfishError as exc:
        return None, f"login failed: {describe_error(exc)}"
    await client.login(auth="basic")
    return "basic", None


async def _unauthenticated_read(crawl: _Crawl, root: dict[str, Any]) -> bool | None:
    """Does a protected collection answer without credentials?  One request."""
    url = _link(root, ("Systems",)) or _link(root, ("Managers",)) or _link(root, ("AccountService",))
    if url is None:
        return None
    try:
        async with crawl.sem:
            crawl.requests += 1
            resp = await crawl.client._request(url, authenticated=False)  # noqa: SLF001 - no public unauth GET
    except RedfishError:
        return None
    if resp.status in (401, 403):
        return False
    if resp.status == 200:
        try:
            doc = resp.dict
        except RedfishProtocolError:
            return None
        return isinstance(doc, dict) and ("Members" in doc or "@odata.id" in doc)
    return None


async def probe_plain_http(target: Target, http: aiohttp.ClientSession, timeout: float) -> Fact:
    """GET http://host:port/redfish/v1/ without following redirects (OOB-HTTP-001)."""
    url = f"{target.url('http')}/redfish/v1/"
    subject = f"http:{target.port('http')}"
    data: dict[str, Any] = {"url": url, "port": target.port("http")}
    try:
        async with http.get(url, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            data["status"] = resp.status
            if resp.status in (301, 302, 303, 307, 308):
                loc = resp.headers.get("Location", "")
                data["location"] = loc
                parts = urlsplit(loc)
                data["redirect_to_https"] = parts.scheme == "https" and (parts.hostname or "") in (
                    target.address, target.address.strip("[]"))
                data["outcome"] = "redirect"
            else:
                body = await resp.read()
                try:
                    doc = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    doc = None
                served = isinstance(doc, dict) and ("@odata.id" in doc or "RedfishVersion" in doc or
                                                    "error" in doc and resp.status in (401, 403))
                data["outcome"] = "served" if served else "other"
    except aiohttp.ClientConnectorError as exc:
        data["outcome"] = "refused" if isinstance(exc.os_error, ConnectionRefusedError) else "closed"
    except TimeoutError:
        data["outcome"] = "timeout"
    except aiohttp.ClientError as exc:
        data["outcome"] = "other"
        data["reason"] = describe_error(exc)
    return Fact(kind=F.HTTP_PLAIN, subject=subject, collector=COLLECTOR, data=data)
