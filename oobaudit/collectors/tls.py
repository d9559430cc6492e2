"""TLS collector: protocol versions, weak cipher classes and the certificate of one HTTPS port.

Facts (collector ``"tls"``, subject ``host:port``; ``[v6]:port`` for IPv6):

``tls.connectivity``
    ok: ``{"reachable": true, "speaks_tls": true, "preflight": str, "healthy_after_scan": bool}``;
    error: why the port could not be audited at all (name not resolvable, TCP
    refused / timed out, TCP accepted but no reply, not TLS, or no TLS/SSL version
    accepted at all).  When it is an error, the three facts below are error facts
    ("not collected: <reason>"), so no check can mistake "not collected" for a pass.
``tls.versions``
    ``{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3": true|false|null,
    "method": {version: how it was tested}, "negotiated": {accepted version: suite},
    "disagreements": [versions where the raw hello and the full handshake disagree],
    "notes": [str]}`` - null means "could not be tested".
``tls.cipher_classes``
    ``{"NULL", "ANON", "EXPORT", "DES", "RC4", "3DES", "NO_FS", "CBC_SHA1": true|false|null,
    "accepted_examples": {class: [{"suite", "code", "version"}]}, "versions_probed": [...],
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
* TLS 1.0 / 1.1 / 1.2 - the same raw ClientHello **and** a full handshake with
  Python's ``ssl`` pinned to that one version (``@SECLEVEL=0`` so the local
  OpenSSL still offers 1.0 / 1.1).  Accepted if either says so: the raw hello
  also sees servers whose only suites the local OpenSSL lacks (e.g. TLS 1.0 with
  3DES only), the full handshake guards against a server that mis-parses our
  hand-built hello.  A disagreement is recorded.
* TLS 1.3 - ``ssl`` pinned to 1.3, cross-checked with a raw ClientHello carrying
  supported_versions = [1.3] and an x25519 key share (a HelloRetryRequest counts
  as accepted).
* Cipher classes - for every accepted version <= TLS 1.2 (highest first), a raw
  ClientHello offering only the class's suites; the class is accepted when the
  ServerHello picks one of them.  This works for suites the local OpenSSL has
  removed (RC4, 3DES, EXPORT, DES) - but it only proves the server *selected*
  the suite, not that the handshake would complete.  SSLv2 cipher kinds from an
  SSLv2 SERVER-HELLO count too.
* Certificate - the Certificate message of the highest accepted raw handshake
  <= TLS 1.2 gives the whole chain as sent.  A TLS 1.3-only server encrypts it, so
  then the chain comes from the ``ssl`` handshake: Python 3.11 has no public
  ``get_unverified_chain()`` (3.13 has), so the private
  ``SSLObject._sslobj.get_unverified_chain()`` is used when present, else only
  the leaf (``getpeercert(binary_form=True)``).
* Health check - the preflight hello is repeated at the end.  A BMC that
  rate-limits or wedges mid-scan starts hanging up on everything; if it no
  longer answers as at the start, refusals that were only a hang-up (no alert)
  are withdrawn (null) and a note says why.

Every connection is bounded: TCP connect and reply each within ``timeout``
(a full ``ssl`` handshake within ``timeout`` for the handshake plus
``timeout`` for connect), at most ``MAX_REPLY_BYTES`` read, and at most
``max_concurrency`` connections to the target at once (BMCs are fragile).  A
typical target costs 20-45 short connections.  The host name is resolved once,
so every probe audits the same address.  Expected network failures become facts;
invalid arguments and programming errors raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

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

CIPHER_CLASS_LIMITS: tuple[str, ...] = (
    "verdicts come from the suite the server names in its ServerHello to a raw ClientHello "
    "offering only that class's suites; the handshake is not completed, so a server that "
    "selects a suite it then cannot complete still counts as accepting it",
    "TLS 1.3 suites are not classified: TLS 1.3 defines no NULL/EXPORT/RC4/3DES/static-key suites",
    "suites outside the IANA registry (and GOST suites) are not offered",
    "a class offered over more than 128 suites is split across several ClientHellos",
    "a server that configures TLS per SNI name is audited for the name sent (the sni argument, else a "
    "host name; none for an IP literal)",
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
    version: str
    offered: tuple[int, ...]
    exchange: Exchange

    def outcome(self, trust_closes: bool) -> str:
        if self.exchange.closed_without_answer and not trust_closes:
            return "unknown"
        return classify_class_reply(self.exchange, self.offered)


def client_context(version: str | None) -> ssl.SSLContext:
    """A permissive, non-verifying client context, optionally pinned to one version.

    Verification is off on purpose: the auditor wants to *see* the certificate,
    whatever it is, and judge it later.  ``@SECLEVEL=0`` lets the local OpenSSL
    still offer TLS 1.0/1.1 and small keys.
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

            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.address, self.port), self.timeout)
            except TimeoutError:
                return done("connect_timeout", detail=f"TCP connect timed out after {self.timeout:g}s")
            except ConnectionRefusedError:
                return done("connect_refused", detail="TCP connection refused")
            except OSError as exc:
                return done("connect_error", detail=f"{type(exc).__name__}: {exc.strerror or exc}")
            parser = wire.ReplyParser(want_certificates=want_certificates, sslv2=sslv2)
            try:
                writer.write(hello)
                await asyncio.wait_for(writer.drain(), self.timeout)
                deadline = loop.time() + self.timeout
                while not parser.done:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise TimeoutError
                    data = await asyncio.wait_for(reader.read(READ_CHUNK), remaining)
                    if not data:
                        parser.eof()
                        break
                    parser.feed(data)
                    if not parser.done and parser.reply.bytes_read >= MAX_REPLY_BYTES:
                        parser.done = True
                        if parser.reply.kind == "incomplete":
                            parser.reply.kind = "malformed"
                        parser.reply.detail = f"reply cap of {MAX_REPLY_BYTES} bytes reached"
            except TimeoutError:
                if parser.reply.kind == "incomplete":
                    what = "no reply" if parser.reply.bytes_read == 0 else "no complete ServerHello"
                    return done("read_timeout", parser.reply, f"{what} within {self.timeout:g}s")
                parser.reply.detail = parser.reply.detail or f"reply stalled after {parser.reply.bytes_read} bytes"
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                parser.eof()
                if parser.reply.kind == "closed":
                    parser.reply.detail = "connection reset"
            finally:
                writer.close()
                with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                    await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
            return done("reply", parser.reply)

    async def ssl_handshake(self, version: str | None) -> SslResult:
        """A full handshake pinned to ``version`` (None: any version the local stack allows)."""
        if version is not None and not _SSL_HAS[version]:
            return SslResult(None, f"local OpenSSL build cannot offer {version}")
        try:
            ctx = client_context(version)
        except (ssl.SSLError, ValueError) as exc:
            return SslResult(None, f"local OpenSSL cannot be configured for {version}: {exc}")
        async with self.sem:
            self.connections += 1
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.address,
                        self.port,
                        ssl=ctx,
                        server_hostname=self.sni or self.host,  # an IP literal is never sent as SNI
                        ssl_handshake_timeout=self.timeout,
                    ),
                    2 * self.timeout,
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
                sslobj = writer.get_extra_info("ssl_object")
                raw_version = sslobj.version() if sslobj is not None else None
                negotiated = _SSL_VERSION_NAMES.get(raw_version or "", raw_version)
                cipher_info = sslobj.cipher() if sslobj is not None else None
                cipher = cipher_info[0] if cipher_info else None
                leaf = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
                chain, source = _unverified_chain(sslobj, leaf)
            finally:
                writer.close()
                with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                    await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
        verdict = True if version is None else negotiated == version
        detail = f"handshake completed: {negotiated} {cipher}"
        return SslResult(verdict, detail, negotiated, cipher, leaf, chain, source)

    # -- versions ----------------------------------------------------------------
    async def raw_version_probe(self, name: str, first: Exchange | None = None) -> list[Exchange]:
        code = wire.VERSION_CODES[name]
        if code == wire.SSL2:
            return [await self.raw_exchange(wire.build_sslv2_client_hello(), sslv2=True)]
        if code == wire.TLS13:
            key = x25519.X25519PrivateKey.generate().public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            return [await self.raw_exchange(wire.build_tls13_client_hello(self.raw_sni, key))]
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
        res = VersionResult(name)
        if name in ("SSLv2", "SSLv3"):
            res.raw = await self.raw_version_probe(name, first)
            res.method = f"raw {name} ClientHello (local OpenSSL cannot speak {name})"
        else:
            res.raw, res.ssl = await asyncio.gather(self.raw_version_probe(name, first), self.ssl_handshake(name))
            if res.ssl.verdict is None and "local OpenSSL" in res.ssl.detail:
                res.method = f"raw ClientHello ({res.ssl.detail})"
            else:
                res.method = "raw ClientHello + full handshake (Python ssl pinned to this version)"
        res.finalize(trust_closes=True)
        for ex in res.raw:
            if ex.reply is not None and ex.reply.kind == "server_hello" and res.raw_verdict:
                res.negotiated_suite = suites.suite_name(ex.reply.cipher_suite or 0)
        if res.negotiated_suite is None and res.ssl is not None and res.ssl.verdict:
            res.negotiated_suite = res.ssl.cipher
        return res

    # -- cipher classes ----------------------------------------------------------
    async def probe_class(self, cls: str, versions: list[str]) -> list[ClassProbe]:
        """Probe one class, highest accepted version first, until a suite is accepted."""
        probes: list[ClassProbe] = []
        for vname in versions:
            code = wire.VERSION_CODES[vname]
            members = suites.class_suites(cls)
            if code == wire.SSL3:
                members = tuple(c for c in members if suites.sslv3_capable(c))
            for chunk in suites.chunked(members):
                ex = await self.raw_exchange(wire.build_client_hello(code, chunk, server_name=self.raw_sni))
                probes.append(ClassProbe(vname, chunk, ex))
                if classify_class_reply(ex, chunk) == "accepted":
                    return probes
        return probes

    async def health_check(self, preflight: Exchange) -> tuple[bool, str]:
        """Repeat the preflight hello: does the server still answer as it did at the start?

        A BMC that rate-limits or crashes mid-scan starts hanging up on everything;
        then a hang-up is no evidence of refusal, and verdicts resting on one are
        withdrawn (null).
        """
        again = await self.raw_exchange(
            wire.build_client_hello(wire.TLS12, suites.version_probe_chunks()[0], server_name=self.raw_sni)
        )
        first_kind = preflight.reply.kind if preflight.reply else preflight.status
        again_kind = again.reply.kind if again.status == "reply" and again.reply else again.status
        healthy = again_kind == first_kind and again_kind in ("server_hello", "alert")
        return healthy, again.summary()

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

        results = await asyncio.gather(
            *(self.probe_version(name, pre if name == "TLSv1.2" else None) for name in PROTOCOLS)
        )
        versions = {r.name: r for r in results}
        accepted_legacy = [v for v in LEGACY_PROTOCOLS if versions[v].verdict is True]
        class_probes = await asyncio.gather(
            *(self.probe_class(cls, accepted_legacy) for cls in suites.WEAK_CLASSES)
        )
        healthy, health_summary = await self.health_check(pre)
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
                {"reachable": True, "speaks_tls": True, "preflight": pre.summary(), "healthy_after_scan": healthy},
                evidence=base_evidence,
            ),
            self._versions_fact(versions, notes),
            self._cipher_classes_fact(versions, dict(zip(suites.WEAK_CLASSES, class_probes, strict=True)), healthy),
            self._certificate_fact(versions),
        ]
        return finish(facts)

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

    def _cipher_classes_fact(
        self, versions: dict[str, VersionResult], probes: dict[str, list[ClassProbe]], healthy: bool
    ) -> Fact:
        accepted_legacy = [v for v in LEGACY_PROTOCOLS if versions[v].verdict is True]
        undetermined = [v for v in LEGACY_PROTOCOLS if versions[v].verdict is None]
        limits = list(CIPHER_CLASS_LIMITS)
        if undetermined:
            limits.append(
                f"could not determine whether {', '.join(undetermined)} is accepted; classes "
                "not seen accepted are reported null"
            )
        if not healthy:
            limits.append("the server stopped answering normally during the scan; hang-ups are not counted as refusals")
        ssl2 = versions["SSLv2"]
        ssl2_kinds = [
            k for ex in ssl2.raw if ssl2.verdict and ex.reply is not None for k in ex.reply.sslv2_cipher_kinds
        ]
        data: dict[str, Any] = {}
        examples: dict[str, list[dict[str, Any]]] = {}
        log: dict[str, list[str]] = {}
        for cls in suites.WEAK_CLASSES:
            outcomes = [(p, p.outcome(trust_closes=healthy)) for p in probes[cls]]
            log[cls] = [f"{p.version}: {o}: {p.exchange.summary()}" for p, o in outcomes]
            found: list[dict[str, Any]] = []
            for p, o in outcomes:
                if o == "accepted" and p.exchange.reply is not None:
                    code = p.exchange.reply.cipher_suite or 0
                    found.append(
                        {
                            "suite": suites.suite_name(code),
                            "code": f"0x{code:04X}",
                            "version": wire.version_name(p.exchange.reply.version),
                        }
                    )
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
            elif undetermined or any(o == "unknown" for _p, o in outcomes):
                verdict = None
            else:
                verdict = False
            data[cls] = verdict
            examples[cls] = found
        data["accepted_examples"] = examples
        data["versions_probed"] = accepted_legacy + (["SSLv2"] if ssl2_kinds else [])
        if not accepted_legacy and not undetermined:
            data["method"] = "no protocol version <= TLS 1.2 is accepted, so no suite of these classes can be"
        else:
            data["method"] = (
                "raw ClientHello offering only the class's suites, per accepted version <= TLS 1.2 "
                "(highest first); accepted = the ServerHello picks one of them"
            )
        data["limits"] = limits
        return self._fact(TLS_CIPHER_CLASSES, data, evidence={"probes": log})

    def _certificate_fact(self, versions: dict[str, VersionResult]) -> Fact:
        chain: list[bytes] = []
        source = ""
        for name in LEGACY_PROTOCOLS:
            res = versions[name]
            if not res.raw_verdict:
                continue
            for ex in res.raw:
                if ex.reply is not None and ex.reply.kind == "server_hello" and ex.reply.certificates:
                    chain = list(ex.reply.certificates)
                    source = f"Certificate message of a raw {name} handshake (chain as sent by the server)"
                    break
            if chain:
                break
        if not chain:
            for name in ("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1.0"):
                res_ssl = versions[name].ssl
                if res_ssl is not None and res_ssl.verdict and res_ssl.leaf:
                    chain = res_ssl.chain or [res_ssl.leaf]
                    source = f"{res_ssl.chain_source} ({name} handshake)"
                    break
        if not chain:
            return self._fact(
                TLS_CERTIFICATE,
                error="no certificate obtained: no handshake reached the server's Certificate message",
            )
        leaf = chain[0]
        evidence: dict[str, Any] = {"chain_pem": [der_to_pem(d) for d in chain], "chain_source": source}
        ssl_leaves = {
            sha256_hex(r.ssl.leaf) for r in versions.values() if r.ssl is not None and r.ssl.leaf is not None
        }
        other = sorted(ssl_leaves - {sha256_hex(leaf)})
        try:
            data = describe_certificate(leaf, chain=chain, chain_source=source, connected_name=self.sni or self.host)
        except ValueError as exc:
            evidence["cert_sha256"] = sha256_hex(leaf)
            return self._fact(TLS_CERTIFICATE, error=f"certificate could not be parsed: {exc}", evidence=evidence)
        # A server with several certificates (e.g. RSA and ECDSA) shows another leaf to other
        # handshakes; name them so a check can flag what it cannot see in full.
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
    "collect_tls",
    "collect_tls_sync",
]
