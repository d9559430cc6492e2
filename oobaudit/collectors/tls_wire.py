"""Hand-built TLS / SSL ClientHellos and an incremental parser for the server's first flight.

Pure bytes in, bytes out: no sockets here.  This is what lets oobaudit ask a BMC
about SSLv2, SSLv3 and suites (RC4, 3DES, EXPORT, ...) that the local OpenSSL
build can no longer speak: we only need to *send* a ClientHello and *read* the
plaintext ServerHello (and, for TLS <= 1.2, the plaintext Certificate message).
We never complete such a handshake, so "accepted" means "the server answered a
ServerHello choosing it", not "a full handshake with it would succeed".

Layouts: RFC 5246 §7.4 (TLS 1.2 handshake), RFC 6101 (SSLv3), RFC 8446 §4.1-4.2
(TLS 1.3 ServerHello, supported_versions, key_share, HelloRetryRequest), the
SSLv2 CLIENT-HELLO / SERVER-HELLO of draft-hickman-netscape-ssl-00, RFC 6066 §3
(server_name), RFC 7685 (padding), RFC 5746 (renegotiation_info SCSV).
"""

from __future__ import annotations

import ipaddress
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from oobaudit.collectors.tls_suites import TLS13_SUITES, TLS_EMPTY_RENEGOTIATION_INFO_SCSV, suite_name

# Protocol versions by the names used in facts.
SSL2 = 0x0002
SSL3 = 0x0300
TLS10 = 0x0301
TLS11 = 0x0302
TLS12 = 0x0303
TLS13 = 0x0304

VERSION_NAMES: dict[int, str] = {
    SSL2: "SSLv2",
    SSL3: "SSLv3",
    TLS10: "TLSv1.0",
    TLS11: "TLSv1.1",
    TLS12: "TLSv1.2",
    TLS13: "TLSv1.3",
}
VERSION_CODES: dict[str, int] = {v: k for k, v in VERSION_NAMES.items()}

# Record content types.
CT_CHANGE_CIPHER_SPEC = 20
CT_ALERT = 21
CT_HANDSHAKE = 22
CT_APPLICATION_DATA = 23

# Handshake message types.
HT_SERVER_HELLO = 2
HT_CERTIFICATE = 11
HT_SERVER_KEY_EXCHANGE = 12
HT_CERTIFICATE_REQUEST = 13
HT_SERVER_HELLO_DONE = 14

# Extension types.
EXT_SERVER_NAME = 0
EXT_SUPPORTED_GROUPS = 10
EXT_EC_POINT_FORMATS = 11
EXT_SIGNATURE_ALGORITHMS = 13
EXT_PADDING = 21
EXT_EXTENDED_MASTER_SECRET = 23
EXT_SUPPORTED_VERSIONS = 43
EXT_PSK_KEY_EXCHANGE_MODES = 45
EXT_KEY_SHARE = 51
EXT_RENEGOTIATION_INFO = 0xFF01

GROUP_X25519 = 29
SUPPORTED_GROUPS = (GROUP_X25519, 23, 24, 25, 30, 256, 257)  # x25519, P-256, P-384, P-521, x448, ffdhe2048/3072
SIGNATURE_ALGORITHMS = (
    0x0403, 0x0503, 0x0603,  # ecdsa_secp{256,384,521}r1_sha{256,384,512}
    0x0807, 0x0808,  # ed25519, ed448
    0x0804, 0x0805, 0x0806,  # rsa_pss_rsae_sha{256,384,512}
    0x0809, 0x080A, 0x080B,  # rsa_pss_pss_sha{256,384,512}
    0x0401, 0x0501, 0x0601,  # rsa_pkcs1_sha{256,384,512}
    0x0303, 0x0301, 0x0302,  # sha224 ecdsa / rsa / dsa
    0x0203, 0x0201, 0x0202,  # sha1 ecdsa / rsa / dsa
    0x0402, 0x0502, 0x0602,  # dsa sha256/384/512
)

# SHA-256("HelloRetryRequest"), RFC 8446 §4.1.3.
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

ALERT_DESCRIPTIONS: dict[int, str] = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
    22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
    42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
    45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
    49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
    70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
    86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
    110: "unsupported_extension", 112: "unrecognized_name", 116: "certificate_required",
    120: "no_application_protocol",
}
ALERT_PROTOCOL_VERSION = 70

# SSLv2 cipher kinds (3 bytes each) offered in an SSLv2 CLIENT-HELLO.
SSL2_CIPHER_KINDS: dict[int, str] = {
    0x010080: "SSL_CK_RC4_128_WITH_MD5",
    0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
    0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5",
    0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
    0x050080: "SSL_CK_IDEA_128_CBC_WITH_MD5",
    0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
    0x0700C0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
}

MAX_RECORD_LENGTH = 16384 + 2048  # RFC 5246 §6.2.3 upper bound for any record


def version_name(code: int | None) -> str | None:
    if code is None:
        return None
    return VERSION_NAMES.get(code, f"0x{code:04X}")


def _u8(n: int) -> bytes:
    return struct.pack("!B", n)


def _u16(n: int) -> bytes:
    return struct.pack("!H", n)


def _u24(n: int) -> bytes:
    return struct.pack("!I", n)[1:]


def _vec8(b: bytes) -> bytes:
    return _u8(len(b)) + b


def _vec16(b: bytes) -> bytes:
    return _u16(len(b)) + b


def _ext(ext_type: int, body: bytes) -> bytes:
    return _u16(ext_type) + _vec16(body)


def sni_allowed(name: str | None) -> bool:
    """RFC 6066 §3: a HostName, never an IP literal."""
    if not name:
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return True
    return False


def build_client_hello(
    version: int,
    suites: Sequence[int],
    *,
    server_name: str | None = None,
    x25519_public: bytes | None = None,
    random: bytes | None = None,
) -> bytes:
    """One TLS record holding a ClientHello.

    ``version`` is the highest version offered: SSL3 (no extensions, as SSLv3
    clients sent), TLS10..TLS12 (legacy ClientHello, no supported_versions), or
    TLS13 (legacy_version 1.2, supported_versions = [1.3] only, an x25519
    key_share).  ``suites`` are offered as given, followed by the
    renegotiation-info SCSV for versions below 1.3.
    """
    if version not in (SSL3, TLS10, TLS11, TLS12, TLS13):
        raise ValueError(f"cannot build a ClientHello for version 0x{version:04X}")
    if not suites:
        raise ValueError("a ClientHello needs at least one cipher suite")
    rnd = random if random is not None else os.urandom(32)
    if len(rnd) != 32:
        raise ValueError("random must be 32 bytes")
    legacy_version = min(version, TLS12)
    session_id = os.urandom(32) if version == TLS13 else b""
    offered = [*suites, TLS_EMPTY_RENEGOTIATION_INFO_SCSV] if version != TLS13 else list(suites)
    # One struct.pack for the whole list: a scan builds dozens of hellos of ~128 suites each.
    suite_bytes = struct.pack(f"!{len(offered)}H", *offered)
    body = _u16(legacy_version) + rnd + _vec8(session_id) + _vec16(suite_bytes) + b"\x01\x00"  # null compression
    if version >= TLS10:
        exts = _fixed_extensions(version, server_name if server_name and sni_allowed(server_name) else None)
        if version == TLS13:
            if x25519_public is None or len(x25519_public) != 32:
                raise ValueError("a TLS 1.3 ClientHello needs a 32-byte x25519 public key")
            exts += _ext(EXT_SUPPORTED_VERSIONS, _vec8(_u16(TLS13)))
            exts += _ext(EXT_PSK_KEY_EXCHANGE_MODES, _vec8(b"\x01"))
            exts += _ext(EXT_KEY_SHARE, _vec16(_u16(GROUP_X25519) + _vec16(x25519_public)))
        # RFC 7685: some middleboxes / old F5 stacks hang on hellos of 256..511 bytes.
        hs_len = 4 + len(body) + 2 + len(exts)
        if 256 <= hs_len < 512:
            pad = max(512 - hs_len - 4, 1)
            exts += _ext(EXT_PADDING, b"\x00" * pad)
        body += _vec16(exts)
    handshake = _u8(1) + _u24(len(body)) + body
    record_version = SSL3 if version == SSL3 else TLS10
    return _u8(CT_HANDSHAKE) + _u16(record_version) + _u16(len(handshake)) + handshake


@lru_cache(maxsize=256)
def _fixed_extensions(version: int, server_name: str | None) -> bytes:
    """The extensions that depend only on the version and the SNI name (server_name,
    supported_groups, ec_point_formats, signature_algorithms, extended_master_secret):
    the same for every hello a scan sends, so built once."""
    exts = b""
    if server_name:
        host = server_name.encode("idna") if not server_name.isascii() else server_name.encode()
        exts += _ext(EXT_SERVER_NAME, _vec16(_u8(0) + _vec16(host)))
    exts += _ext(EXT_SUPPORTED_GROUPS, _vec16(b"".join(_u16(g) for g in SUPPORTED_GROUPS)))
    exts += _ext(EXT_EC_POINT_FORMATS, _vec8(b"\x00"))
    if version >= TLS12:
        exts += _ext(EXT_SIGNATURE_ALGORITHMS, _vec16(b"".join(_u16(a) for a in SIGNATURE_ALGORITHMS)))
    exts += _ext(EXT_EXTENDED_MASTER_SECRET, b"")
    return exts


def build_tls13_client_hello(server_name: str | None, x25519_public: bytes) -> bytes:
    return build_client_hello(TLS13, TLS13_SUITES, server_name=server_name, x25519_public=x25519_public)


def build_sslv2_client_hello(challenge: bytes | None = None) -> bytes:
    """An SSLv2 CLIENT-HELLO offering every SSLv2 cipher kind, version 0x0002."""
    chal = challenge if challenge is not None else os.urandom(16)
    specs = b"".join(struct.pack("!I", k)[1:] for k in SSL2_CIPHER_KINDS)
    msg = _u8(1) + _u16(SSL2) + _u16(len(specs)) + _u16(0) + _u16(len(chal)) + specs + chal
    return _u16(0x8000 | len(msg)) + msg


@dataclass
class ServerReply:
    """What the server's first flight said, as far as it was read.

    ``kind`` is one of:
    ``server_hello`` (a TLS/SSLv3 ServerHello was parsed), ``sslv2_server_hello``,
    ``alert`` (an alert before any ServerHello), ``closed`` (EOF / reset before a
    ServerHello), ``not_tls`` (the bytes are not a TLS record), ``malformed``
    (TLS records whose content could not be parsed), ``incomplete`` (the read
    budget ran out before a ServerHello).
    """

    kind: str = "incomplete"
    record_version: int | None = None
    version: int | None = None  # negotiated: supported_versions if present, else server_version
    server_version: int | None = None  # the ServerHello's legacy version field
    cipher_suite: int | None = None
    compression: int | None = None
    hello_retry_request: bool = False
    extensions: list[int] = field(default_factory=list)
    certificates: list[bytes] = field(default_factory=list)
    certificate_message_seen: bool = False
    server_hello_done: bool = False
    alert_level: int | None = None
    alert_description: int | None = None
    sslv2_cipher_kinds: list[int] = field(default_factory=list)
    detail: str = ""
    bytes_read: int = 0
    first_bytes: bytes = b""

    def alert_name(self) -> str | None:
        if self.alert_description is None:
            return None
        return ALERT_DESCRIPTIONS.get(self.alert_description, f"alert {self.alert_description}")

    def summary(self) -> str:
        if self.kind == "server_hello":
            s = f"ServerHello {version_name(self.version)} {suite_name(self.cipher_suite or 0)}"
            if self.hello_retry_request:
                s += " (HelloRetryRequest)"
            if self.certificates:
                s += f", {len(self.certificates)} certificate(s)"
            return s
        if self.kind == "sslv2_server_hello":
            return f"SSLv2 SERVER-HELLO with {len(self.sslv2_cipher_kinds)} cipher kind(s)"
        if self.kind == "alert":
            level = {1: "warning", 2: "fatal"}.get(self.alert_level or 0, f"level {self.alert_level}")
            return f"alert {level} {self.alert_name()}({self.alert_description})"
        if self.kind == "not_tls":
            return f"not TLS: peer sent {self.first_bytes[:16]!r}"
        return f"{self.kind}{': ' + self.detail if self.detail else ''}"


class ReplyParser:
    """Incremental parser for the server's reply to one of our hellos.

    Feed it bytes as they arrive; ``done`` turns true once the question asked
    is answered: after the ServerHello (or, with ``want_certificates``, after the
    ServerHelloDone / the first encrypted record of TLS 1.3), or on an alert or
    anything that is not TLS.
    """

    def __init__(self, *, want_certificates: bool = False, sslv2: bool = False) -> None:
        self.want_certificates = want_certificates
        self.sslv2 = sslv2
        self.reply = ServerReply()
        self.done = False
        self._buf = b""
        self._hs = b""

    def feed(self, data: bytes) -> None:
        if self.done or not data:
            return
        if not self.reply.first_bytes:
            self.reply.first_bytes = data[:32]
        self.reply.bytes_read += len(data)
        self._buf += data
        if self.sslv2:
            self._parse_sslv2()
        else:
            self._parse_records()

    def eof(self) -> None:
        """The peer closed (or reset) the connection."""
        if self.done:
            return
        self.done = True
        if self.reply.kind == "incomplete":
            self.reply.kind = "closed"
            if self._buf or self._hs:
                self.reply.detail = "connection closed inside a partial record"
        elif self.reply.kind == "server_hello" and self.want_certificates:
            self.reply.detail = "connection closed before ServerHelloDone"

    # -- SSLv2 -------------------------------------------------------------------
    def _parse_sslv2(self) -> None:
        buf = self._buf
        if len(buf) < 2:
            return
        if not buf[0] & 0x80:
            # A TLS record in answer to an SSLv2 hello (an alert or a TLS ServerHello):
            # either way the server does not speak SSLv2.
            self.sslv2 = False
            self._parse_records()
            if self.reply.kind == "server_hello":
                self.reply.detail = "answered the SSLv2 hello with a TLS ServerHello"
            return
        length = ((buf[0] & 0x7F) << 8) | buf[1]
        if len(buf) < 2 + length:
            return
        msg = buf[2 : 2 + length]
        self.done = True
        if len(msg) < 11 or msg[0] != 4:
            self.reply.kind = "malformed" if msg[:1] != b"\x00" else "alert"
            self.reply.detail = f"SSLv2 message type {msg[0] if msg else None}"
            return
        _hit, _cert_type, version, cert_len, specs_len, _conn_id_len = struct.unpack("!BBHHHH", msg[1:11])
        specs = msg[11 + cert_len : 11 + cert_len + specs_len]
        self.reply.kind = "sslv2_server_hello"
        self.reply.version = version
        self.reply.server_version = version
        self.reply.sslv2_cipher_kinds = [
            int.from_bytes(specs[i : i + 3], "big") for i in range(0, len(specs) - len(specs) % 3, 3)
        ]
        if cert_len:
            self.reply.certificates = [msg[11 : 11 + cert_len]]

    # -- TLS records -----------------------------------------------------------
    def _parse_records(self) -> None:
        while not self.done and len(self._buf) >= 5:
            ctype, major, minor, length = struct.unpack("!BBBH", self._buf[:5])
            if ctype not in (CT_CHANGE_CIPHER_SPEC, CT_ALERT, CT_HANDSHAKE, CT_APPLICATION_DATA) or major != 3:
                self._finish("not_tls" if self.reply.kind == "incomplete" else "malformed", "not a TLS record")
                return
            if length > MAX_RECORD_LENGTH:
                self._finish("malformed", f"record length {length} exceeds the maximum")
                return
            if len(self._buf) < 5 + length:
                return
            fragment = self._buf[5 : 5 + length]
            self._buf = self._buf[5 + length :]
            if self.reply.record_version is None:
                self.reply.record_version = (major << 8) | minor
            if ctype == CT_ALERT:
                self._on_alert(fragment)
            elif ctype == CT_HANDSHAKE:
                if self.reply.kind == "server_hello" and self.reply.version == TLS13:
                    self.done = True  # TLS 1.3 encrypts everything after the ServerHello
                    return
                self._hs += fragment
                self._parse_handshake()
            else:
                # ChangeCipherSpec / application data: nothing more in plaintext.
                if self.reply.kind == "incomplete":
                    self._finish("malformed", f"record type {ctype} before the ServerHello")
                else:
                    self.done = True
                return

    def _finish(self, kind: str, detail: str) -> None:
        if self.reply.kind == "incomplete":  # keep a ServerHello already parsed
            self.reply.kind = kind
        self.reply.detail = detail
        self.done = True

    def _on_alert(self, fragment: bytes) -> None:
        if len(fragment) < 2:
            self._finish("malformed", "short alert")
            return
        if self.reply.kind == "incomplete":
            self.reply.kind = "alert"
        self.reply.alert_level = fragment[0]
        self.reply.alert_description = fragment[1]
        self.done = True

    def _parse_handshake(self) -> None:
        while not self.done and len(self._hs) >= 4:
            htype = self._hs[0]
            hlen = int.from_bytes(self._hs[1:4], "big")
            if len(self._hs) < 4 + hlen:
                return
            body = self._hs[4 : 4 + hlen]
            self._hs = self._hs[4 + hlen :]
            if self.reply.kind == "incomplete":
                if htype != HT_SERVER_HELLO:
                    self._finish("malformed", f"handshake type {htype} before the ServerHello")
                    return
                try:
                    self._on_server_hello(body)
                except (struct.error, IndexError, ValueError) as exc:
                    self._finish("malformed", f"unparseable ServerHello: {exc}")
                    return
                if not self.want_certificates or self.reply.version in (TLS13, None):
                    self.done = True
                    return
            elif htype == HT_CERTIFICATE:
                try:
                    self.reply.certificates = parse_certificate_list(body)
                    self.reply.certificate_message_seen = True
                except ValueError as exc:
                    self.reply.detail = f"unparseable Certificate message: {exc}"
                    self.done = True
                    return
            elif htype == HT_SERVER_HELLO_DONE:
                self.reply.server_hello_done = True
                self.done = True
                return

    def _on_server_hello(self, body: bytes) -> None:
        server_version = struct.unpack("!H", body[0:2])[0]
        rnd = body[2:34]
        if len(rnd) != 32:
            raise ValueError("short random")
        sid_len = body[34]
        pos = 35 + sid_len
        suite = struct.unpack("!H", body[pos : pos + 2])[0]
        compression = body[pos + 2]
        pos += 3
        extensions: list[int] = []
        selected = None
        if pos + 2 <= len(body):
            ext_total = struct.unpack("!H", body[pos : pos + 2])[0]
            pos += 2
            end = pos + ext_total
            if end > len(body):
                raise ValueError("extensions overrun the ServerHello")
            while pos + 4 <= end:
                etype, elen = struct.unpack("!HH", body[pos : pos + 4])
                edata = body[pos + 4 : pos + 4 + elen]
                extensions.append(etype)
                if etype == EXT_SUPPORTED_VERSIONS and len(edata) == 2:
                    selected = struct.unpack("!H", edata)[0]
                pos += 4 + elen
        r = self.reply
        r.kind = "server_hello"
        r.server_version = server_version
        r.version = selected if selected is not None else server_version
        r.cipher_suite = suite
        r.compression = compression
        r.extensions = extensions
        r.hello_retry_request = rnd == HRR_RANDOM


def parse_certificate_list(body: bytes) -> list[bytes]:
    """The DER certificates of a TLS <= 1.2 Certificate handshake message body."""
    if len(body) < 3:
        raise ValueError("short Certificate message")
    total = int.from_bytes(body[0:3], "big")
    if total + 3 > len(body):
        raise ValueError("certificate_list overruns the message")
    pos, end = 3, 3 + total
    certs: list[bytes] = []
    while pos + 3 <= end:
        n = int.from_bytes(body[pos : pos + 3], "big")
        pos += 3
        if pos + n > end:
            raise ValueError("certificate overruns the list")
        certs.append(body[pos : pos + n])
        pos += n
    return certs
