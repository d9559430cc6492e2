"""TLS collector: protocol versions, weak cipher classes and the certificate of one HTTPS port.

Facts (collector ``"tls"``, subject ``host:port``; ``[v6]:port`` for IPv6):

``tls.connectivity``
    ok: ``{"reachable": true, "speaks_tls": true, "preflight": str, "healthy_after_scan": bool|null}``
    (null: not re-checked, because no verdict rests on a hang-up);
    error: why the port could not be audited at all (name not resolvable, TCP
    refused / timed out, TCP accepted but no reply, not TLS, or no TLS/SSL version
    accepted at all).  When it is an error, the three facts below are error facts
    ("not collected: <reason>"), so no check can mistake "not collected" for a pass.
``tls.versions``
    ``{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3": true|false|null,
    "method": {version: how it was decided}, "negotiated": {accepted version: suite},
    "disagreements": [versions where the raw hello and the full handshake disagree],
    "notes": [str]}`` - null means "could not be tested".
``tls.cipher_classes``
    ``{"NULL", "ANON", "EXPORT", "DES", "RC4", "3DES", "NO_FS", "CBC_SHA1": true|false|null,
    "accepted_examples": {class: [{"suite", "code", "version"}]}, "versions_probed": [versions a
    class probe was sent at, plus "SSLv2" when its SERVER-HELLO named cipher kinds],
    "method": str, "limits": [str, ...]}`` (classes: see tls_suites.py).
``tls.certificate``
    the leaf the server presents, see :func:`oobaudit.collectors.tls_cert.describe_certificate`:
    subject, issuer, subject_attrs, issuer_attrs, serial (hex), not_before, not_after
    (ISO 8601 UTC), self_signed, self_signed_basis, issuer_in_chain_verifies,
    chain_length, chain_source, chain (summaries of the other certificates sent),
    key_type (RSA/EC/Ed25519/Ed448/DSA), key_bits, curve, signature_algorithm,
    signature_hash (md5/sha1/sha256/...; null for Ed25519/Ed448), san_dns, san_ip,
    connected_name, address_matches_san, spki_sha256, cert_sha256, is_ca,
    ext_key_usage, netscape_comment, version, vendor_default (null or the name of a
    known factory certificate, tls_defaults.py), other_leaf_cert_sha256, pem.
    evidence: chain_pem (every certificate sent, PEM).  Public data only.

How each question is asked (and why):

* SSLv2 / SSLv3 - a hand-built ClientHello over a plain TCP stream (tls_wire.py);
  the local OpenSSL cannot speak either.  Accepted = the server answered with a
  ServerHello (SSLv2 SERVER-HELLO) of that version; an alert, a close, a reset or
  a ServerHello of another version = refused.
* TLS 1.0 / 1.1 / 1.2 / 1.3 - a raw ClientHello first (TLS 1.3: supported_versions
  = [1.3] and an x25519 key share).  Its answer is enough when it is definitive: a
  ServerHello of that version (a HelloRetryRequest for 1.3) proves acceptance, and
  a ``protocol_version`` / ``handshake_failure`` / ``insufficient_security`` alert
  or a ServerHello of a *lower* version to every hello sent proves refusal - the
  server parsed the hello and said no.  The raw hello also sees servers whose only
  suites the local OpenSSL lacks (e.g. TLS 1.0 with 3DES only).  Anything else (a
  bare close or reset, a timeout, an alert such as ``decode_error`` that may mean
  our hand-built hello was mis-parsed, a malformed reply) is escalated to a full
  handshake with Python's ``ssl`` pinned to that one version (``@SECLEVEL=0`` so the
  local OpenSSL still offers 1.0 / 1.1): accepted if either says so, and a
  disagreement between the two is recorded.  ``method`` says, per version, which
  of these decided it.
* Cipher classes - by elimination, for every accepted version <= TLS 1.2 (highest
  first): a raw ClientHello offers the suites of every class not yet settled (at
  most 128 per hello); the suite the ServerHello picks settles every class it
  belongs to, and the rest are offered again; a refused hello rules its suites out
  at that version; classes whose suites were all refused move on to the next lower
  accepted version.  A server with no weak suite costs 2 hellos per version.  A
  reply that is neither a ServerHello for an offered suite nor a clean refusal
  (alert / close), to a hello asking about several classes, is re-asked class by
  class, so only the class whose own probe got it stays null.  This works for suites the local OpenSSL
  has removed (RC4, 3DES, EXPORT, DES) - but it only proves the server *selected*
  the suite, not that the handshake would complete.  SSLv2 cipher kinds from an
  SSLv2 SERVER-HELLO count too.
* Certificate - the Certificate message of the highest accepted raw handshake
  <= TLS 1.2 gives the whole chain as sent; else that of a pinned full handshake
  that completed.  A TLS 1.3-only server encrypts it, so then one unpinned full
  handshake is made for it: Python 3.11 has no public ``get_unverified_chain()``
  (3.13 has), so the private ``SSLObject._sslobj.get_unverified_chain()`` is used
  when present, else only the leaf (``getpeercert(binary_form=True)``).
* Health check - the preflight hello is repeated at the end.  A BMC that
  rate-limits or wedges mid-scan starts hanging up on everything; if it no
  longer answers as at the start, refusals that were only a hang-up (no alert)
  are withdrawn (null) and a note says why.

Every connection is bounded: TCP connect and reply each within ``timeout``
(a full ``ssl`` handshake within ``timeout`` for the handshake plus
``timeout`` for connect), at most ``MAX_REPLY_BYTES`` read, and at most
``max_concurrency`` connections to the target at once (BMCs are fragile).  A
typical target costs 8-15 short connections (measured against openssl s_server:
8 for TLS 1.3 only, 9 for a hardened TLS 1.2/1.3 server, 12 for TLS 1.0-1.3 with
NULL/anonymous/static-RSA suites; 15 for the hardened mock BMC, whose asyncio TLS
stack hangs up instead of sending alerts), with a full ``ssl`` handshake only where a
raw answer was not conclusive (none of the s_server cases; TLS 1.0 and 1.1 for the
mock) or for a TLS 1.3-only certificate.  The host name is resolved once, so every
probe audits the same address.  Expected network failures become facts; invalid
arguments and programming errors raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
import warnings
from collections.abc import Awaitable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from oobaudit.aioloop import wait_future
from oobaudit.collectors import tls_suites as suites
from oobaudit.collectors import tls_wire as wire
from oobaudit.collectors.tls_cert import der_to_pem, describe_certificate, sha256_hex
from oobaudit.facts import TLS_CERTIFICATE, TLS_CIPHER_CLASSES, TLS_CONNECTIVITY, TLS_VERSIONS, Fact

COLLECTOR = "tls"
FACT_KINDS = (TLS_CONNECTIVITY, TLS_VERSIONS, TLS_CIPHER_CLASSES, TLS_CERTIFICATE)

PROTOCOLS: tuple[str, ...] = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
LEGACY_PROTOCOLS: tuple[str, ...] = ("TLSv1.2", "TLSv1.1", "TLSv1.0", "SSLv3")  # highest first

MAX_REPLY_BYTES = 256 * 1024
READ_CHUNK = 16384
CLOSE_TIMEOUT = 1.0

_SSL_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_SSL_HAS = {
    "TLSv1.0": ssl.HAS_TLSv1,
    "TLSv1.1": ssl.HAS_TLSv1_1,
    "TLSv1.2": ssl.HAS_TLSv1_2,
    "TLSv1.3": ssl.HAS_TLSv1_3,
}
# SSLObject.version() spelling -> the names used in facts.
_SSL_VERSION_NAMES = {
    "SSLv3": "SSLv3",
    "TLSv1": "TLSv1.0",
    "TLSv1.1": "TLSv1.1",
    "TLSv1.2": "TLSv1.2",
    "TLSv1.3": "TLSv1.3",
}
# OpenSSL reasons that mean "the local stack would not go on", not "the server refused".
_LOCAL_LIMIT_REASONS = {
    "NO_PROTOCOLS_AVAILABLE",
    "NO_CIPHERS_AVAILABLE",
    "DH_KEY_TOO_SMALL",
    "EE_KEY_TOO_SMALL",
    "CA_KEY_TOO_SMALL",
    "CA_MD_TOO_WEAK",
    "UNSAFE_LEGACY_RENEGOTIATION_DISABLED",
    "NO_SUITABLE_SIGNATURE_ALGORITHM",
    "LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED",
    "UNSUPPORTED_ELLIPTIC_CURVE",
}
# OpenSSL reasons that mean the server refused (besides any "*_ALERT_*").
_REMOTE_REFUSAL_REASONS = {
    "WRONG_VERSION_NUMBER",
    "UNSUPPORTED_PROTOCOL",
    "VERSION_TOO_LOW",
    "VERSION_TOO_HIGH",
    "UNKNOWN_PROTOCOL",
    "NO_SHARED_CIPHER",
    "WRONG_SSL_VERSION",
}
# SSLv2 cipher kinds -> weak classes (every SSLv2 kind uses static RSA key exchange).
_SSL2_KIND_CLASSES: dict[int, frozenset[str]] = {
    0x010080: frozenset({"RC4", "NO_FS"}),
    0x020080: frozenset({"RC4", "EXPORT", "NO_FS"}),
    0x030080: frozenset({"NO_FS"}),
    0x040080: frozenset({"EXPORT", "NO_FS"}),
    0x050080: frozenset({"NO_FS"}),
    0x060040: frozenset({"DES", "NO_FS"}),
    0x0700C0: frozenset({"3DES", "NO_FS"}),
}

# Alerts that answer a raw hello for a version definitively: the server parsed the hello and
# refuses that version (protocol_version) or every suite offered (handshake_failure,
# insufficient_security).  Any other alert (decode_error, illegal_parameter, ...) may mean our
# hand-built hello was mis-parsed, so the version is re-asked with a real TLS stack.
_DEFINITIVE_REFUSAL_ALERTS = frozenset({40, 70, 71})

CIPHER_CLASS_LIMITS: tuple[str, ...] = (
    "verdicts come from the suite the server names in its ServerHello to a raw ClientHello "
    "offering the suites of the classes not yet settled; the handshake is not completed, so a server "
    "that selects a suite it then cannot complete still counts as accepting it",
    "a ClientHello the server refuses is taken to refuse every suite it offered (the same assumption "
    "any per-class probe makes); one example suite <= TLS 1.2 is recorded per accepted class",
    "TLS 1.3 suites are not classified: TLS 1.3 defines no NULL/EXPORT/RC4/3DES/static-key suites",
    "suites outside the IANA registry (and GOST suites) are not offered",
    "an offer of more than 128 suites is split across several ClientHellos",
    "a server that configures TLS per SNI name is audited for the name sent (the sni argument, else a "
    "host name; none for an IP literal)",
)
CIPHER_CLASS_METHOD = (
    "raw ClientHellos per accepted version <= TLS 1.2 (highest first), each offering the suites of every "
    "class not yet settled (at most 128 per hello): the suite the ServerHello picks settles every class it "
    "belongs to, then the rest are offered again; classes whose suites were all refused at one version are "
    "asked again at the next lower accepted version.  An unclear answer to a multi-class offer is re-asked "
    "class by class"
)


def _subject(host: str, port: int) -> str:
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


@dataclass
class Exchange:
    """The outcome of one raw-hello connection."""

    status: str  # reply | connect_refused | connect_timeout | connect_error | read_timeout
    reply: wire.ServerReply | None = None
    detail: str = ""
    elapsed_ms: int = 0

    def summary(self) -> str:
        if self.status == "reply" and self.reply is not None:
            s = self.reply.summary()
            return f"{s} ({self.detail})" if self.detail else s
        return f"{self.status}: {self.detail}" if self.detail else self.status

    @property
    def connect_failed(self) -> bool:
        return self.status.startswith("connect_")

    @property
    def closed_without_answer(self) -> bool:
        """The peer hung up (EOF / reset) without a ServerHello or an alert."""
        return self.status == "reply" and self.reply is not None and self.reply.kind == "closed"


@dataclass
class SslResult:
    """The outcome of one full handshake with Python's ssl module."""

    verdict: bool | None
    detail: str
    negotiated_version: str | None = None
    cipher: str | None = None
    leaf: bytes | None = None
    chain: list[bytes] = field(default_factory=list)
    chain_source: str = ""
    by_close: bool = False  # refused only in the sense that the peer hung up


@dataclass
class VersionResult:
    name: str
    verdict: bool | None = None
    method: str = ""
    raw: list[Exchange] = field(default_factory=list)
    raw_verdict: bool | None = None
    ssl: SslResult | None = None
    negotiated_suite: str | None = None

    def ssl_verdict(self, trust_closes: bool) -> bool | None:
        if self.ssl is None:
            return None
        if self.ssl.by_close and not trust_closes:
            return None
        return self.ssl.verdict

    def finalize(self, trust_closes: bool) -> None:
        """(Re)compute the verdict; without ``trust_closes`` a bare hang-up proves nothing."""
        code = wire.VERSION_CODES[self.name]
        raw = [classify_version_reply(ex, code, trust_closes=trust_closes) for ex in self.raw]
        self.raw_verdict = True if True in raw else (None if None in raw or not raw else False)
        verdicts = [v for v in (self.raw_verdict, self.ssl_verdict(trust_closes)) if v is not None]
        self.verdict = True if True in verdicts else (False if verdicts else None)


@dataclass
class ClassProbe:
    """One raw ClientHello of the cipher-class scan."""

    version: str
    offered: tuple[int, ...]
    exchange: Exchange
    # The classes this hello asked about: those not yet settled that have a suite in ``offered``.
    asked: tuple[str, ...] = ()
    # An unclear answer to a multi-class offer, re-asked class by class: the per-class
    # probes decide, so this one taints no class.
    split: bool = False

    def outcome(self, trust_closes: bool) -> str:
        if self.exchange.closed_without_answer and not trust_closes:
            return "unknown"
        return classify_class_reply(self.exchange, self.offered)

    def picked(self) -> int | None:
        """The suite the ServerHello named, when it was one of those offered."""
        r = self.exchange.reply
        if self.exchange.status != "reply" or r is None or r.kind != "server_hello":
            return None
        return r.cipher_suite if r.cipher_suite in self.offered else None


@dataclass
class ClassScan:
    """What the elimination scan of the weak classes saw."""

    probes: list[ClassProbe] = field(default_factory=list)
    # class -> the first legacy suite seen accepted for it, as {"suite", "code", "version"}
    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: list[str] = field(default_factory=list)  # versions at which a class probe was sent
    considered: list[str] = field(default_factory=list)  # versions known accepted when the scan reached them


def client_context(version: str | None) -> ssl.SSLContext:
    """A permissive, non-verifying client context, optionally pinned to one version.

    Verification is off on purpose: the auditor wants to *see* the certificate,
    whatever it is, and judge it later.  ``@SECLEVEL=0`` lets the local OpenSSL
    still offer TLS 1.0/1.1 and small keys.  A new context each call: the prober
    itself shares them through :func:`shared_client_context`.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1 / TLSv1_1
        if version is not None:
            ctx.minimum_version = _SSL_VERSIONS[version]
            ctx.maximum_version = _SSL_VERSIONS[version]
        else:
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    return ctx


@cache
def shared_client_context(version: str | None) -> ssl.SSLContext:
    """:func:`client_context`, built once per pinned version for the whole process.

    Building a context (cipher-list parsing, OpenSSL SSL_CTX set-up) cost more CPU than the
    handshake's own Python side; a context is safe to share between connections, event
    loops and threads, and nothing mutates these after creation.  A configuration error
    raises and is not cached.
    """
    return client_context(version)


@cache
def _x25519_key_share() -> bytes:
    """One x25519 public key for every raw TLS 1.3 hello of the process.

    The raw hello is never completed, so no secret is ever derived from the key share;
    generating a key pair per probe only cost CPU.
    """
    return x25519.X25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def classify_version_reply(ex: Exchange, version: int, *, trust_closes: bool = True) -> bool | None:
    """Did this raw exchange show ``version`` accepted (True), refused (False) or neither (None)?"""
    if ex.status != "reply" or ex.reply is None:
        return None
    r = ex.reply
    if r.kind == "server_hello":
        if version == wire.TLS13:
            return r.version == wire.TLS13
        return r.version == version
    if r.kind == "sslv2_server_hello":
        return version == wire.SSL2 and r.version == wire.SSL2 and bool(r.sslv2_cipher_kinds)
    if r.kind == "alert":
        return False
    if r.kind == "closed":
        return False if trust_closes else None
    return None  # not_tls, malformed, incomplete


def is_definitive_refusal(ex: Exchange, version: int) -> bool:
    """Is this raw exchange a refusal of ``version`` that a full handshake could not overturn?

    Definitive: a ``protocol_version`` / ``handshake_failure`` / ``insufficient_security``
    alert (the server parsed the hello and said no), or a ServerHello of a *lower*
    version (a server that had ``version`` would have chosen it).  Not definitive: a bare
    close or reset, a timeout, any other alert (``decode_error``, ``illegal_parameter``, ...
    could mean our hand-built hello was mis-parsed), a malformed reply, or a ServerHello of
    a *higher* version than offered (a protocol violation).
    """
    if ex.status != "reply" or ex.reply is None:
        return False
    r = ex.reply
    if r.kind == "alert":
        return r.alert_description in _DEFINITIVE_REFUSAL_ALERTS
    if r.kind == "server_hello":
        return r.version is not None and r.version < version
    return False


def raw_decision(exchanges: list[Exchange], version: int) -> str | None:
    """``accepted`` / ``refused`` when the raw exchanges settle ``version`` on their own, else None.

    A ServerHello of that version proves acceptance; every hello answered by a definitive
    refusal (:func:`is_definitive_refusal`) proves refusal.  Anything else (a hang-up on
    even one suite chunk, a timeout, an odd alert) leaves the version to a full handshake.
    """
    if any(classify_version_reply(ex, version) is True for ex in exchanges):
        return "accepted"
    if exchanges and all(is_definitive_refusal(ex, version) for ex in exchanges):
        return "refused"
    return None


def classify_class_reply(ex: Exchange, offered: tuple[int, ...]) -> str:
    """``accepted`` / ``refused`` / ``unknown`` for a class probe."""
    if ex.status != "reply" or ex.reply is None:
        return "unknown"
    r = ex.reply
    if r.kind == "server_hello":
        return "accepted" if r.cipher_suite in offered else "unknown"
    if r.kind in ("alert", "closed"):
        return "refused"
    return "unknown"


def _reply_phrase(ex: Exchange) -> str:
    """A short name for a raw reply, for ``method`` strings (no per-connection detail)."""
    r = ex.reply
    if ex.status != "reply" or r is None:
        return ex.status.replace("_", " ")
    if r.kind == "alert":
        return f"{r.alert_name()} alert"
    if r.kind == "server_hello":
        return f"{wire.version_name(r.version)} ServerHello"
    return {"closed": "hang-up", "not_tls": "non-TLS reply"}.get(r.kind, f"{r.kind} reply")


def _phrases(exchanges: list[Exchange]) -> str:
    names = list(dict.fromkeys(_reply_phrase(ex) for ex in exchanges))
    text = " / ".join(names)
    return f"{text} to all {len(exchanges)} suite chunks" if len(exchanges) > 1 else text


class _RawHello(asyncio.Protocol):
    """Sends one hello and feeds the reply to a :class:`wire.ReplyParser` as it arrives.

    A bare protocol instead of asyncio streams: no StreamReader buffering and no
    ``wait_for`` task per read, which made up most of the CPU a raw probe cost.
    """

    def __init__(self, hello: bytes, parser: wire.ReplyParser, loop: asyncio.AbstractEventLoop) -> None:
        self.hello = hello
        self.parser = parser
        self.answered: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()
        self.reset = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.hello)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        parser = self.parser
        if parser.done:
            return
        parser.feed(data)
        if not parser.done and parser.reply.bytes_read >= MAX_REPLY_BYTES:
            parser.done = True
            if parser.reply.kind == "incomplete":
                parser.reply.kind = "malformed"
            parser.reply.detail = f"reply cap of {MAX_REPLY_BYTES} bytes reached"
        if parser.done:
            self._answer()

    def eof_received(self) -> bool:
        self.parser.eof()
        self._answer()
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.parser.done:
            self.parser.eof()
            if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
                self.reset = True
                if self.parser.reply.kind == "closed":
                    self.parser.reply.detail = "connection reset"
        self._answer()
        if not self.lost.done():
            self.lost.set_result(None)

    def _answer(self) -> None:
        if not self.answered.done():
            self.answered.set_result(None)


class _Handshake(asyncio.Protocol):
    """Holds a full-handshake connection just long enough to read the session's facts."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def _await_close(transport: asyncio.BaseTransport, lost: asyncio.Future[None]) -> None:
    """Close and wait (briefly) until the socket is really gone, so the per-target
    connection cap counts open sockets, not just probes in flight."""
    transport.close()
    if not lost.done():
        with contextlib.suppress(TimeoutError):
            await wait_future(lost, CLOSE_TIMEOUT)


def _rests_on_hangups(versions: Collection[VersionResult], scan: ClassScan) -> bool:
    """Does any verdict depend on reading a bare close (or a silent handshake failure) as a refusal?"""
    exchanges = [ex for r in versions for ex in r.raw] + [p.exchange for p in scan.probes]
    return (any(ex.closed_without_answer for ex in exchanges)
            or any(r.ssl is not None and r.ssl.by_close for r in versions))


class TlsProber:
    """All probes of one ``host:port``, sharing one connection budget."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 5.0,
        sni: str | None = None,
        max_concurrency: int = 2,
    ) -> None:
        if not host:
            raise ValueError("host is required")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"invalid port {port!r}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.host = host.strip("[]")
        self.port = port
        self.timeout = float(timeout)
        self.sni = sni
        self.subject = _subject(self.host, port)
        self.sem = asyncio.Semaphore(max_concurrency)
        # Name sent in SNI by raw hellos (never an IP literal) and compared with the SAN.
        self.raw_sni = sni if sni else (self.host if wire.sni_allowed(self.host) else None)
        # The address every probe connects to: resolved once, so all probes of a
        # round-robin name audit the same machine.
        self.address = self.host
        self.connections = 0

    # -- connections -------------------------------------------------------------
    async def resolve(self) -> str | None:
        """Resolve the host once; returns an error reason or None."""
        try:
            ipaddress.ip_address(self.host)
            return None
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM), self.timeout
            )
        except TimeoutError:
            return f"cannot resolve {self.host}: timed out after {self.timeout:g}s"
        except OSError as exc:
            return f"cannot resolve {self.host}: {exc}"
        if not infos:
            return f"cannot resolve {self.host}: no addresses"
        self.address = str(infos[0][4][0])
        return None

    async def raw_exchange(self, hello: bytes, *, want_certificates: bool = False, sslv2: bool = False) -> Exchange:
        loop = asyncio.get_running_loop()
        async with self.sem:
            self.connections += 1
            t0 = loop.time()

            def done(status: str, reply: wire.ServerReply | None = None, detail: str = "") -> Exchange:
                return Exchange(status, reply, detail, int((loop.time() - t0) * 1000))

            parser = wire.ReplyParser(want_certificates=want_certificates, sslv2=sslv2)
            proto = _RawHello(hello, parser, loop)
            try:
                async with asyncio.timeout(self.timeout):
                    transport, _ = await loop.create_connection(lambda: proto, self.address, self.port)
            except TimeoutError:
                return done("connect_timeout", detail=f"TCP connect timed out after {self.timeout:g}s")
            except ConnectionRefusedError:
                return done("connect_refused", detail="TCP connection refused")
            except OSError as exc:
                return done("connect_error", detail=f"{type(exc).__name__}: {exc.strerror or exc}")
            try:
                await wait_future(proto.answered, self.timeout)
            except TimeoutError:
                if parser.reply.kind == "incomplete":
                    what = "no reply" if parser.reply.bytes_read == 0 else "no complete ServerHello"
                    return done("read_timeout", parser.reply, f"{what} within {self.timeout:g}s")
                parser.reply.detail = parser.reply.detail or f"reply stalled after {parser.reply.bytes_read} bytes"
            finally:
                await _await_close(transport, proto.lost)
            return done("reply", parser.reply)

    async def ssl_handshake(self, version: str | None) -> SslResult:
        """A full handshake pinned to ``version`` (None: any version the local stack allows)."""
        if version is not None and not _SSL_HAS[version]:
            return SslResult(None, f"local OpenSSL build cannot offer {version}")
        try:
            ctx = shared_client_context(version)
        except (ssl.SSLError, ValueError) as exc:
            return SslResult(None, f"local OpenSSL cannot be configured for {version}: {exc}")
        loop = asyncio.get_running_loop()
        async with self.sem:
            self.connections += 1
            proto = _Handshake(loop)
            try:
                async with asyncio.timeout(2 * self.timeout):
                    transport, _ = await loop.create_connection(
                        lambda: proto,
                        self.address,
                        self.port,
                        ssl=ctx,
                        server_hostname=self.sni or self.host,  # an IP literal is never sent as SNI
                        ssl_handshake_timeout=self.timeout,
                        ssl_shutdown_timeout=CLOSE_TIMEOUT,
                    )
            except TimeoutError:
                return SslResult(None, f"connect/handshake timed out after {self.timeout:g}s")
            except ConnectionRefusedError:
                return SslResult(None, "TCP connection refused")
            except ssl.SSLError as exc:
                reason = getattr(exc, "reason", None) or ""
                text = f"{reason or type(exc).__name__}: {exc.strerror or exc}"
                if reason in _LOCAL_LIMIT_REASONS:
                    return SslResult(None, f"local OpenSSL limit: {text}")
                if isinstance(exc, ssl.SSLEOFError) or reason == "UNEXPECTED_EOF_WHILE_READING":
                    return SslResult(False, f"handshake refused: peer hung up ({text})", by_close=True)
                if "ALERT" in reason or reason in _REMOTE_REFUSAL_REASONS:
                    return SslResult(False, f"handshake refused: {text}")
                return SslResult(None, f"handshake failed for a reason not attributable to the server: {text}")
            except ConnectionAbortedError as exc:
                # asyncio aborts a handshake that outlives ssl_handshake_timeout this way
                if "taking longer" in str(exc):
                    return SslResult(None, f"handshake timed out after {self.timeout:g}s")
                return SslResult(False, f"handshake refused: peer hung up ({exc})", by_close=True)
            except (ConnectionResetError, BrokenPipeError, EOFError) as exc:
                return SslResult(False, f"handshake refused: peer hung up ({type(exc).__name__})", by_close=True)
            except OSError as exc:
                return SslResult(None, f"connect error: {type(exc).__name__}: {exc.strerror or exc}")
            try:
                sslobj = transport.get_extra_info("ssl_object")
                raw_version = sslobj.version() if sslobj is not None else None
                negotiated = _SSL_VERSION_NAMES.get(raw_version or "", raw_version)
                cipher_info = sslobj.cipher() if sslobj is not None else None
                cipher = cipher_info[0] if cipher_info else None
                leaf = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
                chain, source = _unverified_chain(sslobj, leaf)
            finally:
                await _await_close(transport, proto.lost)
        verdict = True if version is None else negotiated == version
        detail = f"handshake completed: {negotiated} {cipher}"
        return SslResult(verdict, detail, negotiated, cipher, leaf, chain, source)

    # -- versions ----------------------------------------------------------------
    async def raw_version_probe(self, name: str, first: Exchange | None = None) -> list[Exchange]:
        code = wire.VERSION_CODES[name]
        if code == wire.SSL2:
            return [await self.raw_exchange(wire.build_sslv2_client_hello(), sslv2=True)]
        if code == wire.TLS13:
            return [await self.raw_exchange(wire.build_tls13_client_hello(self.raw_sni, _x25519_key_share()))]
        exchanges: list[Exchange] = []
        # SSLv3 has far fewer suites: one hello offers them all (and stays small).
        chunks = [suites.sslv3_probe_suites()] if code == wire.SSL3 else suites.version_probe_chunks()
        for i, chunk in enumerate(chunks):
            if i == 0 and first is not None:
                ex = first
            else:
                hello = wire.build_client_hello(code, chunk, server_name=self.raw_sni)
                ex = await self.raw_exchange(hello, want_certificates=True)
            exchanges.append(ex)
            if classify_version_reply(ex, code) is not False:
                break
            r = ex.reply
            # A protocol_version alert or a ServerHello of another version is definitive;
            # other refusals may only mean "no shared suite in this chunk".
            if r is not None and (
                r.kind == "server_hello" or (r.kind == "alert" and r.alert_description == wire.ALERT_PROTOCOL_VERSION)
            ):
                break
        return exchanges

    async def probe_version(self, name: str, first: Exchange | None = None) -> VersionResult:
        """Raw hellos first; a pinned full handshake only when they leave the version open."""
        res = VersionResult(name)
        res.raw = await self.raw_version_probe(name, first)
        if name in ("SSLv2", "SSLv3"):
            res.method = f"raw {name} ClientHello (local OpenSSL cannot speak {name})"
        else:
            decided = raw_decision(res.raw, wire.VERSION_CODES[name])
            if decided == "accepted":
                res.method = "raw ClientHello answered by a ServerHello of this version (proof of acceptance)"
            elif decided == "refused":
                res.method = f"raw ClientHello refused definitively ({_phrases(res.raw)})"
            else:
                # A hang-up, a timeout or an odd alert may be our hand-built hello being
                # mis-parsed: ask a real TLS stack before believing it.
                res.ssl = await self.ssl_handshake(name)
                if res.ssl.verdict is None and "local OpenSSL" in res.ssl.detail:
                    res.method = f"raw ClientHello, not conclusive ({_phrases(res.raw)}); {res.ssl.detail}"
                else:
                    res.method = (
                        f"raw ClientHello not conclusive ({_phrases(res.raw)}), "
                        "so a full handshake with Python ssl pinned to this version"
                    )
        res.finalize(trust_closes=True)
        for ex in res.raw:
            if ex.reply is not None and ex.reply.kind == "server_hello" and res.raw_verdict:
                res.negotiated_suite = suites.suite_name(ex.reply.cipher_suite or 0)
        if res.negotiated_suite is None and res.ssl is not None and res.ssl.verdict:
            res.negotiated_suite = res.ssl.cipher
        return res

    # -- cipher classes ----------------------------------------------------------
    async def _class_probe(
        self, version: str, offered: tuple[int, ...], asked: tuple[str, ...]
    ) -> ClassProbe:
        hello = wire.build_client_hello(wire.VERSION_CODES[version], offered, server_name=self.raw_sni)
        return ClassProbe(version, offered, await self.raw_exchange(hello), asked)

    @staticmethod
    def _settle(probe: ClassProbe, undetermined: list[str], scan: ClassScan) -> None:
        """The server picked an offered suite: every unsettled class it belongs to is accepted."""
        code = probe.picked()
        assert code is not None and probe.exchange.reply is not None
        for cls in suites.suite_classes(code):
            if cls in undetermined:
                undetermined.remove(cls)
                scan.found[cls] = {
                    "suite": suites.suite_name(code),
                    "code": f"0x{code:04X}",
                    "version": wire.version_name(probe.exchange.reply.version),
                }

    async def probe_classes(self, versions: Mapping[str, Awaitable[VersionResult]]) -> ClassScan:
        """The weak classes by elimination, highest accepted legacy version first.

        Each hello offers the suites of every class still unsettled (SSLv3-capable ones at
        SSLv3), at most MAX_SUITES_PER_HELLO at once.  A ServerHello picking suite s
        settles every class s belongs to; the offer is then recomputed.  A refused hello
        rules its suites out at that version.  When nothing is left to offer, the classes
        still unsettled move on to the next lower accepted version.  An answer that is
        neither (timeout, malformed, an unoffered suite) to a hello asking about several
        classes is re-asked class by class, so an unclear reply leaves only the class whose
        own probe got it null - as probing each class alone would.

        ``versions`` maps a legacy version to its (possibly still running) probe: the scan
        starts at TLS 1.2 while lower versions are still being asked.
        """
        scan = ClassScan()
        undetermined = list(suites.WEAK_CLASSES)
        for vname in LEGACY_PROTOCOLS:
            if not undetermined:
                break
            if (await versions[vname]).verdict is not True:
                continue
            scan.considered.append(vname)
            sslv3 = vname == "SSLv3"
            ruled_out: set[int] = set()  # offered at this version and refused (or unclear)
            while undetermined:
                offer = [
                    c for c in suites.elimination_suites(frozenset(undetermined), sslv3) if c not in ruled_out
                ]
                if not offer:
                    break
                chunk = tuple(offer[: suites.MAX_SUITES_PER_HELLO])
                in_chunk = frozenset().union(*map(suites.suite_classes, chunk))
                asked = tuple(cls for cls in undetermined if cls in in_chunk)
                if vname not in scan.versions:
                    scan.versions.append(vname)
                probe = await self._class_probe(vname, chunk, asked)
                scan.probes.append(probe)
                outcome = classify_class_reply(probe.exchange, chunk)
                if outcome == "accepted":
                    self._settle(probe, undetermined, scan)
                    continue
                ruled_out.update(chunk)
                if outcome == "unknown" and len(asked) > 1:
                    # Concurrently (the connection cap still applies): a server that times
                    # out on these would otherwise cost one timeout after another.
                    probe.split = True
                    subs = await asyncio.gather(
                        *(
                            self._class_probe(vname, tuple(c for c in chunk if cls in suites.suite_classes(c)), (cls,))
                            for cls in asked
                        )
                    )
                    scan.probes.extend(subs)
                    for sub in subs:
                        if sub.picked() is not None:
                            self._settle(sub, undetermined, scan)
        return scan

    async def health_check(self, preflight: Exchange, hello: bytes) -> tuple[bool, str]:
        """Repeat the preflight hello: does the server still answer as it did at the start?

        A BMC that rate-limits or crashes mid-scan starts hanging up on everything;
        then a hang-up is no evidence of refusal, and verdicts resting on one are
        withdrawn (null).  Only made when some verdict rests on a hang-up: an alert is an
        answer whatever happens later, so a server that refused everything with alerts is
        spared the extra connection.  The preflight's own bytes are sent again (a raw hello is never
        completed, so repeating its random is harmless).
        """
        again = await self.raw_exchange(hello)
        first_kind = preflight.reply.kind if preflight.reply else preflight.status
        again_kind = again.reply.kind if again.status == "reply" and again.reply else again.status
        healthy = again_kind == first_kind and again_kind in ("server_hello", "alert")
        return healthy, again.summary()

    # -- the certificate -----------------------------------------------------------
    @staticmethod
    def _raw_chain(versions: Mapping[str, VersionResult]) -> tuple[list[bytes], str]:
        """The chain of the highest accepted raw handshake <= TLS 1.2, as the server sent it."""
        for name in LEGACY_PROTOCOLS:
            res = versions[name]
            if not res.raw_verdict:
                continue
            for ex in res.raw:
                if ex.reply is not None and ex.reply.kind == "server_hello" and ex.reply.certificates:
                    return list(ex.reply.certificates), (
                        f"Certificate message of a raw {name} handshake (chain as sent by the server)"
                    )
        return [], ""

    @staticmethod
    def _ssl_chain(versions: Mapping[str, VersionResult]) -> tuple[list[bytes], str]:
        """The chain of a pinned full handshake that completed, highest version first."""
        for name in ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0"):
            res_ssl = versions[name].ssl
            if res_ssl is not None and res_ssl.verdict and res_ssl.leaf:
                return (res_ssl.chain or [res_ssl.leaf]), f"{res_ssl.chain_source} ({name} handshake)"
        return [], ""

    async def certificate_handshake(self, versions: Mapping[str, Awaitable[VersionResult]]) -> SslResult | None:
        """One unpinned full handshake, only when no other probe reached a certificate.

        A TLS 1.3-only server encrypts its Certificate message, so no raw hello shows
        it; a server refusing every raw hello <= TLS 1.2 but completing a pinned
        handshake already gave its chain.  Anything else needs no extra connection.
        """
        done = {name: await versions[name] for name in PROTOCOLS}
        if not any(r.verdict for r in done.values()):
            return None
        if self._raw_chain(done)[0] or self._ssl_chain(done)[0]:
            return None
        return await self.ssl_handshake(None)

    # -- the whole collection ----------------------------------------------------
    def _fact(
        self,
        kind: str,
        data: dict[str, Any] | None = None,
        *,
        error: str | None = None,
        evidence: dict[str, Any] | None = None,
    ) -> Fact:
        return Fact(
            kind=kind,
            subject=self.subject,
            collector=COLLECTOR,
            data={} if error else (data or {}),
            evidence=evidence or {},
            error=error,
        )

    def _not_auditable(self, reason: str, evidence: dict[str, Any]) -> list[Fact]:
        facts = [self._fact(TLS_CONNECTIVITY, error=reason, evidence=evidence)]
        for kind in (TLS_VERSIONS, TLS_CIPHER_CLASSES, TLS_CERTIFICATE):
            facts.append(self._fact(kind, error=f"not collected: {reason}", evidence=evidence))
        return facts

    async def run(self) -> list[Fact]:
        started = time.monotonic()

        def finish(facts: list[Fact]) -> list[Fact]:
            stats = {"connections": self.connections, "elapsed_s": round(time.monotonic() - started, 3)}
            return [f.model_copy(update={"evidence": {**f.evidence, **stats}}) for f in facts]

        resolve_error = await self.resolve()
        if resolve_error:
            return finish(self._not_auditable(resolve_error, {"host": self.host}))
        # Preflight: a TLS 1.2-max raw hello with the common suites.  It doubles as the
        # first TLS 1.2 raw probe, so a healthy target costs no extra connection.
        pre_hello = wire.build_client_hello(wire.TLS12, suites.version_probe_chunks()[0], server_name=self.raw_sni)
        pre = await self.raw_exchange(pre_hello, want_certificates=True)
        base_evidence: dict[str, Any] = {"address": self.address, "preflight": pre.summary(), "timeout_s": self.timeout}
        if pre.connect_failed:
            return finish(self._not_auditable(f"{self.subject} unreachable: {pre.summary()}", base_evidence))
        if pre.status == "read_timeout":
            reason = f"{self.subject} accepted TCP but sent no TLS reply within {self.timeout:g}s"
            return finish(self._not_auditable(reason, base_evidence))
        assert pre.reply is not None
        if pre.reply.kind == "not_tls":
            reason = f"{self.subject} does not speak TLS: {pre.reply.summary()}"
            return finish(self._not_auditable(reason, base_evidence))

        # Versions run concurrently; the class scan starts at TLS 1.2 as soon as that one is
        # known and the certificate handshake (if any) once all are: the connection cap
        # (self.sem) keeps the target's load bounded whatever runs at once.
        tasks = {
            name: asyncio.ensure_future(self.probe_version(name, pre if name == "TLSv1.2" else None))
            for name in PROTOCOLS
        }
        try:
            scan, cert_ssl = await asyncio.gather(self.probe_classes(tasks), self.certificate_handshake(tasks))
            results = [await tasks[name] for name in PROTOCOLS]
        finally:
            for task in tasks.values():
                task.cancel()  # no-op for finished tasks; stops the rest if something raised
        versions = {r.name: r for r in results}
        if cert_ssl is not None and cert_ssl.verdict and cert_ssl.negotiated_version in versions:
            self._adopt_unpinned(versions[cert_ssl.negotiated_version], cert_ssl)
        healthy_after: bool | None = None
        if _rests_on_hangups(versions.values(), scan):
            healthy_after, health_summary = await self.health_check(pre, pre_hello)
        else:
            health_summary = ("not repeated: every refusal was explicit (an alert), so no verdict rests on "
                              "a hang-up")
        healthy = healthy_after is not False
        base_evidence["health_check"] = health_summary
        notes: list[str] = []
        if not healthy:
            notes.append(
                "the server no longer answered the preflight hello at the end of the scan "
                f"({health_summary}); refusals that were only a hang-up are reported null"
            )
            for r in results:
                r.finalize(trust_closes=False)

        if not any(r.verdict for r in results):
            reason = (
                f"{self.subject} accepted no TLS/SSL version: every hello was refused, closed or unanswered "
                f"(preflight: {pre.summary()})"
            )
            evidence = {**base_evidence, **self._versions_evidence(versions)}
            return finish(self._not_auditable(reason, evidence))

        facts = [
            self._fact(
                TLS_CONNECTIVITY,
                {"reachable": True, "speaks_tls": True, "preflight": pre.summary(),
                 "healthy_after_scan": healthy_after},
                evidence=base_evidence,
            ),
            self._versions_fact(versions, notes),
            self._cipher_classes_fact(versions, scan, healthy),
            self._certificate_fact(versions, cert_ssl),
        ]
        return finish(facts)

    @staticmethod
    def _adopt_unpinned(res: VersionResult, hs: SslResult) -> None:
        """The certificate handshake completed ``res``'s version: evidence of acceptance.

        It agrees with the probes in every sane case (a TLS 1.3-only server negotiates
        1.3); if the probes had not seen that version accepted, it becomes that version's
        full-handshake result, so the conflict shows as a disagreement instead of being lost.
        """
        if res.verdict is True or res.ssl is not None:
            return
        res.ssl = hs
        res.method += "; an unpinned full handshake (made for the certificate) negotiated it"
        res.finalize(trust_closes=True)
        res.negotiated_suite = res.negotiated_suite or hs.cipher

    @staticmethod
    def _versions_evidence(versions: dict[str, VersionResult]) -> dict[str, Any]:
        return {
            "probes": {
                name: {
                    "raw": [ex.summary() for ex in versions[name].raw],
                    **({"ssl": versions[name].ssl.detail} if versions[name].ssl is not None else {}),
                }
                for name in PROTOCOLS
            }
        }

    def _versions_fact(self, versions: dict[str, VersionResult], notes: list[str]) -> Fact:
        data: dict[str, Any] = {name: versions[name].verdict for name in PROTOCOLS}
        data["method"] = {name: versions[name].method for name in PROTOCOLS}
        data["negotiated"] = {name: versions[name].negotiated_suite for name in PROTOCOLS if versions[name].verdict}
        data["disagreements"] = [
            name
            for name in PROTOCOLS
            if versions[name].raw_verdict is not None
            and versions[name].ssl_verdict(trust_closes=True) is not None
            and versions[name].raw_verdict != versions[name].ssl_verdict(trust_closes=True)
        ]
        data["notes"] = notes
        return self._fact(TLS_VERSIONS, data, evidence=self._versions_evidence(versions))

    def _cipher_classes_fact(self, versions: dict[str, VersionResult], scan: ClassScan, healthy: bool) -> Fact:
        accepted_legacy = [v for v in LEGACY_PROTOCOLS if versions[v].verdict is True]
        undetermined = [v for v in LEGACY_PROTOCOLS if versions[v].verdict is None]
        # Only the certificate handshake (after the scan) showed these accepted: never scanned.
        late = [v for v in accepted_legacy if v not in scan.considered and len(scan.found) < len(suites.WEAK_CLASSES)]
        limits = list(CIPHER_CLASS_LIMITS)
        if undetermined:
            limits.append(
                f"could not determine whether {', '.join(undetermined)} is accepted; classes "
                "not seen accepted are reported null"
            )
        if late:
            limits.append(
                f"{', '.join(late)} was seen accepted only by the certificate handshake, after the class scan; "
                "classes not seen accepted are reported null"
            )
            undetermined += late
        if not healthy:
            limits.append("the server stopped answering normally during the scan; hang-ups are not counted as refusals")
        ssl2 = versions["SSLv2"]
        ssl2_kinds = [
            k for ex in ssl2.raw if ssl2.verdict and ex.reply is not None for k in ex.reply.sslv2_cipher_kinds
        ]
        outcomes = [(p, p.outcome(trust_closes=healthy)) for p in scan.probes]
        data: dict[str, Any] = {}
        examples: dict[str, list[dict[str, Any]]] = {}
        log: dict[str, list[str]] = {}
        for cls in suites.WEAK_CLASSES:
            lines: list[str] = []
            unclear = False
            for p, o in outcomes:
                if cls not in p.asked:
                    continue
                picked = p.picked()
                if o == "accepted" and picked is not None and cls not in suites.suite_classes(picked):
                    o = f"settled other classes ({suites.suite_name(picked)})"
                elif o == "unknown" and p.split:
                    o = "unclear, re-asked class by class"
                elif o == "unknown":
                    unclear = True
                lines.append(f"{p.version}: {o}: {p.exchange.summary()} [{len(p.offered)} suites offered]")
            log[cls] = lines
            found: list[dict[str, Any]] = [scan.found[cls]] if cls in scan.found else []
            for kind in ssl2_kinds:
                if cls in _SSL2_KIND_CLASSES.get(kind, frozenset()):
                    found.append(
                        {
                            "suite": wire.SSL2_CIPHER_KINDS.get(kind, f"0x{kind:06X}"),
                            "code": f"0x{kind:06X}",
                            "version": "SSLv2",
                        }
                    )
            if found:
                verdict: bool | None = True
            elif undetermined or unclear:
                verdict = None
            else:
                verdict = False
            data[cls] = verdict
            examples[cls] = found
        data["accepted_examples"] = examples
        data["versions_probed"] = scan.versions + (["SSLv2"] if ssl2_kinds else [])
        if not accepted_legacy and not undetermined:
            data["method"] = "no protocol version <= TLS 1.2 is accepted, so no suite of these classes can be"
        else:
            data["method"] = CIPHER_CLASS_METHOD
        data["limits"] = limits
        return self._fact(TLS_CIPHER_CLASSES, data, evidence={"probes": log})

    def _certificate_fact(self, versions: dict[str, VersionResult], unpinned: SslResult | None) -> Fact:
        chain, source = self._raw_chain(versions)
        if not chain:
            chain, source = self._ssl_chain(versions)
        if not chain and unpinned is not None and unpinned.verdict and unpinned.leaf:
            chain = unpinned.chain or [unpinned.leaf]
            source = f"{unpinned.chain_source} ({unpinned.negotiated_version} handshake, version not pinned)"
        if not chain:
            return self._fact(
                TLS_CERTIFICATE,
                error="no certificate obtained: no handshake reached the server's Certificate message",
            )
        leaf = chain[0]
        evidence: dict[str, Any] = {"chain_pem": [der_to_pem(d) for d in chain], "chain_source": source}
        # A server with several certificates (e.g. RSA and ECDSA) shows another leaf to other
        # handshakes; name them so a check can flag what it cannot see in full.
        leaves = {
            sha256_hex(r.ssl.leaf) for r in versions.values() if r.ssl is not None and r.ssl.leaf is not None
        }
        if unpinned is not None and unpinned.leaf is not None:
            leaves.add(sha256_hex(unpinned.leaf))
        for name in LEGACY_PROTOCOLS:
            if versions[name].raw_verdict:
                leaves.update(
                    sha256_hex(ex.reply.certificates[0])
                    for ex in versions[name].raw
                    if ex.reply is not None and ex.reply.kind == "server_hello" and ex.reply.certificates
                )
        other = sorted(leaves - {sha256_hex(leaf)})
        try:
            data = describe_certificate(leaf, chain=chain, chain_source=source, connected_name=self.sni or self.host)
        except ValueError as exc:
            evidence["cert_sha256"] = sha256_hex(leaf)
            return self._fact(TLS_CERTIFICATE, error=f"certificate could not be parsed: {exc}", evidence=evidence)
        data["other_leaf_cert_sha256"] = other
        return self._fact(TLS_CERTIFICATE, data, evidence=evidence)


def _unverified_chain(sslobj: Any, leaf: bytes | None) -> tuple[list[bytes], str]:
    """The chain the server sent, via CPython's private 3.10-3.12 API when available."""
    inner = getattr(sslobj, "_sslobj", None)
    getter = getattr(inner, "get_unverified_chain", None)
    if getter is not None:
        try:
            certs = getter() or []
            ders = [c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs]  # type: ignore[attr-defined]
        except (AttributeError, ValueError, ssl.SSLError):
            ders = []
        if ders:
            return ders, "OpenSSL unverified peer chain"
    return ([leaf] if leaf else []), "leaf only (getpeercert binary_form)"


async def collect_tls(
    host: str,
    port: int,
    *,
    timeout: float = 5.0,
    sni: str | None = None,
    max_concurrency: int = 2,
) -> list[Fact]:
    """Collect the tls.* facts of one HTTPS endpoint (see the module docstring)."""
    prober = TlsProber(host, port, timeout=timeout, sni=sni, max_concurrency=max_concurrency)
    return await prober.run()


def collect_tls_sync(host: str, port: int, **kwargs: Any) -> list[Fact]:
    """Blocking wrapper around :func:`collect_tls` (for scripts and the CLI)."""
    return asyncio.run(collect_tls(host, port, **kwargs))


__all__ = [
    "FACT_KINDS",
    "PROTOCOLS",
    "TLS_CERTIFICATE",
    "TLS_CIPHER_CLASSES",
    "TLS_CONNECTIVITY",
    "TLS_VERSIONS",
    "TlsProber",
    "classify_class_reply",
    "classify_version_reply",
    "client_context",
    "is_definitive_refusal",
    "raw_decision",
    "shared_client_context",
    "collect_tls",
    "collect_tls_sync",
]
