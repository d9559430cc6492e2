"""RMCP+ (IPMI 2.0) framing, Open Session, RAKP messages, algorithms and cipher suites.

This is the layer the IPMI 2.0 audit checks stand on: the Open Session
Response says whether cipher suite 0 is accepted (OOB-IPMI-002; check the
echoed algorithms, not just the status byte), RAKP2 carries the HMAC that
CVE-2013-4786 exposes (OOB-IPMI-004, see :mod:`oobaudit.wire.rakp`), and the
session trailer's integrity code and AES-CBC-128 payload encryption are what a
full login with suite 3 / 17 needs.

Offsets and formulas: reference/ipmi-wire.md sections 5-10.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import Reader, WireError, check_bytes, check_range
from .ipmi15 import AuthType
from .rmcp import RMCP_HEADER_LEN, RmcpClass, build_rmcp_header, parse_rmcp_header

__all__ = [
    "CIPHER_SUITES",
    "INTEGRITY_CODE_LEN",
    "AuthAlgorithm",
    "CipherSuite",
    "ConfidentialityAlgorithm",
    "IntegrityAlgorithm",
    "IntegrityError",
    "OpenSessionRequest",
    "OpenSessionResponse",
    "PayloadType",
    "Rakp1",
    "Rakp2",
    "Rakp3",
    "Rakp4",
    "RakpStatus",
    "RmcpPlusPacket",
    "build_open_session_request",
    "build_open_session_response",
    "build_rakp1",
    "build_rakp2",
    "build_rakp3",
    "build_rakp4",
    "build_rmcpplus_packet",
    "cipher_suite",
    "decrypt_aes_cbc_128",
    "encrypt_aes_cbc_128",
    "find_cipher_suite",
    "integrity_code",
    "parse_open_session_request",
    "parse_open_session_response",
    "parse_rakp1",
    "parse_rakp2",
    "parse_rakp3",
    "parse_rakp4",
    "parse_rmcpplus_packet",
    "verify_integrity",
]

MAX_USERNAME_LEN = 16
MAX_PASSWORD_LEN = 20  # Kuid is at most 20 bytes in IPMI 2.0


class IntegrityError(WireError):
    """An authenticated packet whose integrity code does not verify (forged, or wrong keys)."""


class PayloadType(IntEnum):
    IPMI = 0x00
    SOL = 0x01
    OEM_EXPLICIT = 0x02
    OPEN_SESSION_REQUEST = 0x10
    OPEN_SESSION_RESPONSE = 0x11
    RAKP1 = 0x12
    RAKP2 = 0x13
    RAKP3 = 0x14
    RAKP4 = 0x15


class AuthAlgorithm(IntEnum):
    RAKP_NONE = 0
    RAKP_HMAC_SHA1 = 1
    RAKP_HMAC_MD5 = 2
    RAKP_HMAC_SHA256 = 3


class IntegrityAlgorithm(IntEnum):
    NONE = 0
    HMAC_SHA1_96 = 1
    HMAC_MD5_128 = 2
    MD5_128 = 3
    HMAC_SHA256_128 = 4


class ConfidentialityAlgorithm(IntEnum):
    NONE = 0
    AES_CBC_128 = 1
    XRC4_128 = 2
    XRC4_40 = 3


class RakpStatus(IntEnum):
    """RMCP+ / RAKP status codes (IPMI 2.0 section 13.24)."""

    NO_ERRORS = 0x00
    INSUFFICIENT_RESOURCES = 0x01
    INVALID_SESSION_ID = 0x02
    INVALID_PAYLOAD_TYPE = 0x03
    INVALID_AUTHENTICATION_ALGORITHM = 0x04
    INVALID_INTEGRITY_ALGORITHM = 0x05
    NO_MATCHING_AUTHENTICATION_PAYLOAD = 0x06
    NO_MATCHING_INTEGRITY_PAYLOAD = 0x07
    INACTIVE_SESSION_ID = 0x08
    INVALID_ROLE = 0x09
    UNAUTHORIZED_ROLE_OR_PRIVILEGE = 0x0A
    INSUFFICIENT_RESOURCES_FOR_ROLE = 0x0B
    INVALID_NAME_LENGTH = 0x0C
    UNAUTHORIZED_NAME = 0x0D
    UNAUTHORIZED_GUID = 0x0E
    INVALID_INTEGRITY_CHECK_VALUE = 0x0F
    INVALID_CONFIDENTIALITY_ALGORITHM = 0x10
    NO_CIPHER_SUITE_MATCH = 0x11
    ILLEGAL_PARAMETER = 0x12


# --------------------------------------------------------------------------- cipher suites


@dataclass(frozen=True, slots=True)
class CipherSuite:
    suite_id: int
    auth: AuthAlgorithm
    integrity: IntegrityAlgorithm
    confidentiality: ConfidentialityAlgorithm


def _suites() -> Mapping[int, CipherSuite]:
    A, I, C = AuthAlgorithm, IntegrityAlgorithm, ConfidentialityAlgorithm  # noqa: E741, N806
    rows = [
        (A.RAKP_NONE, I.NONE, C.NONE),
        (A.RAKP_HMAC_SHA1, I.NONE, C.NONE),
        (A.RAKP_HMAC_SHA1, I.HMAC_SHA1_96, C.NONE),
        (A.RAKP_HMAC_SHA1, I.HMAC_SHA1_96, C.AES_CBC_128),
        (A.RAKP_HMAC_SHA1, I.HMAC_SHA1_96, C.XRC4_128),
        (A.RAKP_HMAC_SHA1, I.HMAC_SHA1_96, C.XRC4_40),
        (A.RAKP_HMAC_MD5, I.NONE, C.NONE),
        (A.RAKP_HMAC_MD5, I.HMAC_MD5_128, C.NONE),
        (A.RAKP_HMAC_MD5, I.HMAC_MD5_128, C.AES_CBC_128),
        (A.RAKP_HMAC_MD5, I.HMAC_MD5_128, C.XRC4_128),
        (A.RAKP_HMAC_MD5, I.HMAC_MD5_128, C.XRC4_40),
        (A.RAKP_HMAC_MD5, I.MD5_128, C.NONE),
        (A.RAKP_HMAC_MD5, I.MD5_128, C.AES_CBC_128),
        (A.RAKP_HMAC_MD5, I.MD5_128, C.XRC4_128),
        (A.RAKP_HMAC_MD5, I.MD5_128, C.XRC4_40),
        (A.RAKP_HMAC_SHA256, I.NONE, C.NONE),
        (A.RAKP_HMAC_SHA256, I.HMAC_SHA256_128, C.NONE),
        (A.RAKP_HMAC_SHA256, I.HMAC_SHA256_128, C.AES_CBC_128),
        (A.RAKP_HMAC_SHA256, I.HMAC_SHA256_128, C.XRC4_128),
        (A.RAKP_HMAC_SHA256, I.HMAC_SHA256_128, C.XRC4_40),
    ]
    return MappingProxyType({i: CipherSuite(i, *row) for i, row in enumerate(rows)})


#: Standard cipher suites 0..19 (IPMI 2.0 table 22-20 and errata).
CIPHER_SUITES: Mapping[int, CipherSuite] = _suites()


def cipher_suite(suite_id: int) -> CipherSuite:
    """Look up a standard cipher suite; an unknown ID is a WireError."""
    try:
        return CIPHER_SUITES[suite_id]
    except (KeyError, TypeError):
        raise WireError(f"unknown cipher suite {suite_id!r}") from None


def find_cipher_suite(auth: int, integrity: int, confidentiality: int) -> CipherSuite | None:
    """The standard suite with exactly these algorithms, if any."""
    for s in CIPHER_SUITES.values():
        if (s.auth, s.integrity, s.confidentiality) == (auth, integrity, confidentiality):
            return s
    return None


# --------------------------------------------------------------------------- integrity / confidentiality

#: Length of the session-trailer AuthCode per integrity algorithm.
INTEGRITY_CODE_LEN: Mapping[int, int] = MappingProxyType({
    IntegrityAlgorithm.NONE: 0,
    IntegrityAlgorithm.HMAC_SHA1_96: 12,
    IntegrityAlgorithm.HMAC_MD5_128: 16,
    IntegrityAlgorithm.MD5_128: 16,
    IntegrityAlgorithm.HMAC_SHA256_128: 16,
})

_INTEGRITY_HASH = {
    IntegrityAlgorithm.HMAC_SHA1_96: hashlib.sha1,
    IntegrityAlgorithm.HMAC_MD5_128: hashlib.md5,
    IntegrityAlgorithm.HMAC_SHA256_128: hashlib.sha256,
}


def integrity_code(alg: IntegrityAlgorithm | int, k1: bytes, signed: bytes) -> bytes:
    """Session-trailer AuthCode: ``HMAC_K1(AuthType .. NextHeader)`` truncated (12 or 16 bytes).

    MD5-128 (keyed with the password, not K1) is not implemented; no current
    client negotiates it.
    """
    if alg == IntegrityAlgorithm.NONE:
        return b""
    digest = _INTEGRITY_HASH.get(alg)  # type: ignore[call-overload]
    if digest is None:
        raise WireError(f"integrity algorithm {alg!r} is not supported")
    check_bytes(k1, None, "K1")
    return hmac.new(bytes(k1), bytes(signed), digest).digest()[: INTEGRITY_CODE_LEN[alg]]


_AES_BLOCK = 16


def encrypt_aes_cbc_128(k2: bytes, plaintext: bytes, iv: bytes | None = None) -> bytes:
    """AES-CBC-128 payload encryption: ``IV | AES_{K2[:16]}(data | 01 02 .. n | n)``.

    The confidentiality pad makes ``len(data) + n + 1`` a multiple of 16;
    ``iv`` is random unless given (tests pin it).
    """
    check_bytes(k2, None, "K2")
    if len(k2) < 16:
        raise WireError("K2 must be at least 16 bytes")
    data = check_bytes(plaintext, None, "plaintext")
    if iv is None:
        iv = os.urandom(_AES_BLOCK)
    check_bytes(iv, _AES_BLOCK, "IV")
    n = (_AES_BLOCK - (len(data) + 1) % _AES_BLOCK) % _AES_BLOCK
    padded = data + bytes(range(1, n + 1)) + bytes((n,))
    enc = Cipher(algorithms.AES(bytes(k2[:16])), modes.CBC(bytes(iv))).encryptor()
    return bytes(iv) + enc.update(padded) + enc.finalize()


def decrypt_aes_cbc_128(k2: bytes, payload: bytes) -> bytes:
    """Reverse :func:`encrypt_aes_cbc_128`, checking the pad (a bad pad means a wrong key)."""
    check_bytes(k2, None, "K2")
    if len(k2) < 16:
        raise WireError("K2 must be at least 16 bytes")
    payload = check_bytes(payload, None, "encrypted payload")
    if len(payload) < 2 * _AES_BLOCK or len(payload) % _AES_BLOCK:
        raise WireError(f"encrypted payload of {len(payload)} bytes is not IV + whole AES blocks")
    dec = Cipher(algorithms.AES(bytes(k2[:16])), modes.CBC(payload[:_AES_BLOCK])).decryptor()
    padded = dec.update(payload[_AES_BLOCK:]) + dec.finalize()
    n = padded[-1]
    if n >= _AES_BLOCK or padded[-1 - n : -1] != bytes(range(1, n + 1)):
        raise WireError("encrypted payload: bad confidentiality pad (wrong key?)")
    return padded[: -1 - n]


# --------------------------------------------------------------------------- packet framing


@dataclass(frozen=True, slots=True)
class RmcpPlusPacket:
    """An RMCP+ packet (auth type 6).

    ``payload`` is as on the wire: for an encrypted packet it is IV +
    ciphertext. ``signed`` (AuthType .. NextHeader, the integrity code's input)
    and ``auth_code`` are kept out of the repr.
    """

    payload_type: int
    encrypted: bool
    authenticated: bool
    session_id: int
    session_seq: int
    payload: bytes
    oem_iana: int | None = None
    oem_payload_id: int | None = None
    auth_code: bytes = field(default=b"", repr=False)
    signed: bytes = field(default=b"", repr=False, compare=False)


def build_rmcpplus_packet(
    payload_type: PayloadType | int,
    payload: bytes,
    *,
    session_id: int = 0,
    session_seq: int = 0,
    encrypted: bool = False,
    integrity: IntegrityAlgorithm | int = IntegrityAlgorithm.NONE,
    k1: bytes | None = None,
    oem_iana: int | None = None,
    oem_payload_id: int | None = None,
) -> bytes:
    """Frame a payload. ``encrypted`` only sets the flag: pass an already
    encrypted payload (see :func:`encrypt_aes_cbc_128`). With an integrity
    algorithm, the trailer (0xFF pad to a 4-byte multiple, pad length, next
    header 0x07, AuthCode) is appended, keyed with ``k1``.
    """
    check_range(int(payload_type), 0, 0x3F, "payload type")
    check_range(session_id, 0, 0xFFFFFFFF, "session ID")
    check_range(session_seq, 0, 0xFFFFFFFF, "session sequence")
    check_bytes(payload, None, "payload", max_len=0xFFFF)
    authenticated = int(integrity) != IntegrityAlgorithm.NONE
    ptype = int(payload_type) | (0x80 if encrypted else 0) | (0x40 if authenticated else 0)
    hdr = bytes((AuthType.RMCP_PLUS, ptype))
    if int(payload_type) == PayloadType.OEM_EXPLICIT:
        if oem_iana is None or oem_payload_id is None:
            raise WireError("OEM explicit payloads need oem_iana and oem_payload_id")
        check_range(oem_iana, 0, 0xFFFFFFFF, "OEM IANA")
        check_range(oem_payload_id, 0, 0xFFFF, "OEM payload ID")
        hdr += struct.pack("<IH", oem_iana, oem_payload_id)
    hdr += struct.pack("<IIH", session_id, session_seq, len(payload))
    body = hdr + bytes(payload)
    if authenticated:
        if k1 is None:
            raise WireError("an authenticated packet needs K1")
        pad = (-(len(body) + 2)) % 4
        body += b"\xff" * pad + bytes((pad, 0x07))
        body += integrity_code(integrity, k1, body)
    return build_rmcp_header(RmcpClass.IPMI) + body


def parse_rmcpplus_packet(data: bytes) -> RmcpPlusPacket:
    """Decode an RMCP+ packet without verifying it (see :func:`verify_integrity`).

    The integrity pad is located by its shape (0..3 bytes of 0xFF, then the
    pad length, then next header 0x07), so the AuthCode length need not be
    known to split the trailer.
    """
    hdr = parse_rmcp_header(data)
    if hdr.msg_class is not RmcpClass.IPMI:
        raise WireError(f"RMCP+ packet: RMCP class is {hdr.msg_class.name}, not IPMI")
    r = Reader(data, "RMCP+ packet")
    r.take(RMCP_HEADER_LEN, "RMCP header")
    start = r.pos
    auth_type = r.u8("auth type")
    if auth_type & 0x0F != AuthType.RMCP_PLUS:
        raise WireError(f"RMCP+ packet: auth type {auth_type & 0x0F} is not 6 (IPMI 1.5 packet?)")
    ptype = r.u8("payload type")
    payload_type = ptype & 0x3F
    oem_iana = oem_pid = None
    if payload_type == PayloadType.OEM_EXPLICIT:
        oem_iana = r.u32le("OEM IANA")
        oem_pid = r.u16le("OEM payload ID")
    sid = r.u32le("session ID")
    seq = r.u32le("session sequence")
    length = r.u16le("payload length")
    payload = r.take(length, "payload")
    authenticated = bool(ptype & 0x40)
    auth_code = b""
    signed = b""
    if authenticated:
        pad = 0
        while pad < 3 and r.remaining > pad and data[r.pos + pad] == 0xFF:
            pad += 1
        r.take(pad, "integrity pad")
        pad_len = r.u8("pad length")
        if pad_len != pad:
            raise WireError(f"RMCP+ packet: pad length byte {pad_len} != {pad} pad bytes")
        next_header = r.u8("next header")
        if next_header != 0x07:
            raise WireError(f"RMCP+ packet: next header 0x{next_header:02x}, expected 0x07")
        signed = bytes(data[start : r.pos])
        auth_code = r.rest()
        if not auth_code:
            raise WireError("RMCP+ packet: authenticated but no AuthCode")
    return RmcpPlusPacket(payload_type=payload_type, encrypted=bool(ptype & 0x80),
                          authenticated=authenticated, session_id=sid, session_seq=seq, payload=payload,
                          oem_iana=oem_iana, oem_payload_id=oem_pid, auth_code=auth_code, signed=signed)


def verify_integrity(packet: RmcpPlusPacket, alg: IntegrityAlgorithm | int, k1: bytes) -> bool:
    """True when the packet is authenticated and its AuthCode is right for ``alg`` / ``k1``."""
    if not packet.authenticated or alg == IntegrityAlgorithm.NONE:
        return False
    if len(packet.auth_code) != INTEGRITY_CODE_LEN.get(alg, -1):
        return False
    try:
        expected = integrity_code(alg, k1, packet.signed)
    except WireError:
        return False
    return hmac.compare_digest(expected, packet.auth_code)


# --------------------------------------------------------------------------- Open Session


def _alg_slot(kind: int, alg: int | None) -> bytes:
    if alg is None:  # "null" payload: let the BMC choose
        return bytes((kind, 0, 0, 0, 0, 0, 0, 0))
    check_range(alg, 0, 0x3F, "algorithm")
    return bytes((kind, 0, 0, 8, alg, 0, 0, 0))


def _read_alg_slot(r: Reader, kind: int, what: str) -> int | None:
    slot = r.take(8, what)
    if slot[0] != kind:
        raise WireError(f"{what}: payload type byte {slot[0]} != {kind}")
    if slot[3] == 0:
        return None
    if slot[3] != 8:
        raise WireError(f"{what}: payload length {slot[3]} != 8")
    return slot[4] & 0x3F


@dataclass(frozen=True, slots=True)
class OpenSessionRequest:
    """RMCP+ Open Session Request. An algorithm of ``None`` is a "null" proposal
    (payload length 0) that lets the BMC choose."""

    message_tag: int
    requested_privilege: int
    console_session_id: int
    auth_alg: int | None
    integrity_alg: int | None
    confidentiality_alg: int | None


def build_open_session_request(
    console_session_id: int,
    auth_alg: int | None,
    integrity_alg: int | None,
    confidentiality_alg: int | None,
    *,
    requested_privilege: int = 0,
    message_tag: int = 0,
) -> bytes:
    """The 32-byte Open Session Request payload (privilege 0 = highest the algorithms allow)."""
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(int(requested_privilege), 0, 0x0F, "requested privilege")
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    return (bytes((message_tag, int(requested_privilege), 0, 0)) + struct.pack("<I", console_session_id)
            + _alg_slot(0, auth_alg) + _alg_slot(1, integrity_alg) + _alg_slot(2, confidentiality_alg))


def parse_open_session_request(payload: bytes) -> OpenSessionRequest:
    r = Reader(payload, "Open Session Request")
    tag = r.u8("message tag")
    priv = r.u8("requested privilege") & 0x0F
    r.take(2, "reserved")
    sid = r.u32le("console session ID")
    return OpenSessionRequest(
        message_tag=tag,
        requested_privilege=priv,
        console_session_id=sid,
        auth_alg=_read_alg_slot(r, 0, "authentication payload"),
        integrity_alg=_read_alg_slot(r, 1, "integrity payload"),
        confidentiality_alg=_read_alg_slot(r, 2, "confidentiality payload"),
    )


@dataclass(frozen=True, slots=True)
class OpenSessionResponse:
    """RMCP+ Open Session Response.

    On an error status many BMCs send only tag and status (ipmi_sim: 2 bytes),
    so everything after ``status`` is optional. ``cipher_suite`` is the
    standard suite the *echoed* algorithms form, which is what a cipher-zero
    check must look at (a pyghmi-based BMC answers status 0 with suite 3).
    """

    message_tag: int
    status: int
    max_privilege: int | None = None
    console_session_id: int | None = None
    bmc_session_id: int | None = None
    auth_alg: int | None = None
    integrity_alg: int | None = None
    confidentiality_alg: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == RakpStatus.NO_ERRORS

    @property
    def cipher_suite(self) -> CipherSuite | None:
        if None in (self.auth_alg, self.integrity_alg, self.confidentiality_alg):
            return None
        return find_cipher_suite(self.auth_alg, self.integrity_alg, self.confidentiality_alg)  # type: ignore[arg-type]


def build_open_session_response(
    message_tag: int,
    status: int,
    *,
    max_privilege: int = 0,
    console_session_id: int = 0,
    bmc_session_id: int = 0,
    auth_alg: int = 0,
    integrity_alg: int = 0,
    confidentiality_alg: int = 0,
    short_error: bool = True,
) -> bytes:
    """Encode a response; an error status yields the 8-byte short form unless ``short_error=False``."""
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(int(status), 0, 0xFF, "status")
    check_range(int(max_privilege), 0, 0x0F, "max privilege")
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    check_range(bmc_session_id, 0, 0xFFFFFFFF, "BMC session ID")
    head = bytes((message_tag, int(status), int(max_privilege), 0)) + struct.pack("<I", console_session_id)
    if status != RakpStatus.NO_ERRORS and short_error:
        return head
    return (head + struct.pack("<I", bmc_session_id) + _alg_slot(0, auth_alg) + _alg_slot(1, integrity_alg)
            + _alg_slot(2, confidentiality_alg))


def parse_open_session_response(payload: bytes) -> OpenSessionResponse:
    r = Reader(payload, "Open Session Response")
    tag = r.u8("message tag")
    status = r.u8("status")
    if status != RakpStatus.NO_ERRORS:
        priv = r.u8("max privilege") & 0x0F if r.remaining >= 1 else None
        if r.remaining >= 1:
            r.u8("reserved")
        csid = r.u32le("console session ID") if r.remaining >= 4 else None
        return OpenSessionResponse(message_tag=tag, status=status, max_privilege=priv,
                                   console_session_id=csid)
    priv = r.u8("max privilege") & 0x0F
    r.u8("reserved")
    csid = r.u32le("console session ID")
    bsid = r.u32le("BMC session ID")
    return OpenSessionResponse(
        message_tag=tag,
        status=status,
        max_privilege=priv,
        console_session_id=csid,
        bmc_session_id=bsid,
        auth_alg=_read_alg_slot(r, 0, "authentication payload"),
        integrity_alg=_read_alg_slot(r, 1, "integrity payload"),
        confidentiality_alg=_read_alg_slot(r, 2, "confidentiality payload"),
    )


# --------------------------------------------------------------------------- RAKP messages


@dataclass(frozen=True, slots=True)
class Rakp1:
    """RAKP message 1. ``role`` is the whole byte 24 (it enters the HMACs as is)."""

    message_tag: int
    bmc_session_id: int
    console_random: bytes
    role: int
    username: bytes

    @property
    def requested_privilege(self) -> int:
        return self.role & 0x0F

    @property
    def name_only_lookup(self) -> bool:
        return bool(self.role & 0x10)


def build_rakp1(bmc_session_id: int, console_random: bytes, username: bytes, *, privilege: int = 4,
                name_only_lookup: bool = True, message_tag: int = 0) -> bytes:
    """RAKP1 payload; role = privilege | 0x10 for name-only lookup (ipmitool's 0x14 for ADMIN)."""
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(bmc_session_id, 0, 0xFFFFFFFF, "BMC session ID")
    check_bytes(console_random, 16, "Rm")
    check_range(int(privilege), 0, 0x0F, "privilege")
    check_bytes(username, None, "user name", max_len=MAX_USERNAME_LEN)
    role = int(privilege) | (0x10 if name_only_lookup else 0)
    return (bytes((message_tag, 0, 0, 0)) + struct.pack("<I", bmc_session_id) + bytes(console_random)
            + bytes((role, 0, 0, len(username))) + bytes(username))


def parse_rakp1(payload: bytes) -> Rakp1:
    """Decode RAKP1. A name longer than 16 bytes is a WireError (status 0x0C for a BMC)."""
    r = Reader(payload, "RAKP1")
    tag = r.u8("message tag")
    r.take(3, "reserved")
    sid = r.u32le("BMC session ID")
    rm = r.take(16, "Rm")
    role = r.u8("role")
    r.take(2, "reserved")
    ulen = r.u8("user name length")
    if ulen > MAX_USERNAME_LEN:
        raise WireError(f"RAKP1: user name length {ulen} > 16")
    name = r.take(ulen, "user name")
    return Rakp1(message_tag=tag, bmc_session_id=sid, console_random=rm, role=role, username=name)


@dataclass(frozen=True, slots=True)
class Rakp2:
    """RAKP message 2. ``key_exchange_auth_code`` is the CVE-2013-4786 HMAC
    (hidden from the repr); Rc and GUID may be absent on an error status."""

    message_tag: int
    status: int
    console_session_id: int | None
    bmc_random: bytes | None
    bmc_guid: bytes | None
    key_exchange_auth_code: bytes = field(default=b"", repr=False)


def build_rakp2(message_tag: int, status: int, console_session_id: int, bmc_random: bytes, bmc_guid: bytes,
                key_exchange_auth_code: bytes = b"") -> bytes:
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(int(status), 0, 0xFF, "status")
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    return (bytes((message_tag, int(status), 0, 0)) + struct.pack("<I", console_session_id)
            + check_bytes(bmc_random, 16, "Rc") + check_bytes(bmc_guid, 16, "GUID")
            + check_bytes(key_exchange_auth_code, None, "auth code", max_len=64))


def parse_rakp2(payload: bytes) -> Rakp2:
    r = Reader(payload, "RAKP2")
    tag = r.u8("message tag")
    status = r.u8("status")
    if status != RakpStatus.NO_ERRORS and r.remaining < 38:
        csid = None
        if r.remaining >= 6:
            r.take(2, "reserved")
            csid = r.u32le("console session ID")
        return Rakp2(message_tag=tag, status=status, console_session_id=csid, bmc_random=None, bmc_guid=None)
    r.take(2, "reserved")
    csid = r.u32le("console session ID")
    rc = r.take(16, "Rc")
    guid = r.take(16, "GUID")
    return Rakp2(message_tag=tag, status=status, console_session_id=csid, bmc_random=rc, bmc_guid=guid,
                 key_exchange_auth_code=r.rest())


@dataclass(frozen=True, slots=True)
class Rakp3:
    message_tag: int
    status: int
    bmc_session_id: int
    auth_code: bytes = field(default=b"", repr=False)


def build_rakp3(message_tag: int, status: int, bmc_session_id: int, auth_code: bytes = b"") -> bytes:
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(int(status), 0, 0xFF, "status")
    check_range(bmc_session_id, 0, 0xFFFFFFFF, "BMC session ID")
    return (bytes((message_tag, int(status), 0, 0)) + struct.pack("<I", bmc_session_id)
            + check_bytes(auth_code, None, "auth code", max_len=64))


def parse_rakp3(payload: bytes) -> Rakp3:
    r = Reader(payload, "RAKP3")
    tag = r.u8("message tag")
    status = r.u8("status")
    r.take(2, "reserved")
    sid = r.u32le("BMC session ID")
    return Rakp3(message_tag=tag, status=status, bmc_session_id=sid, auth_code=r.rest())


@dataclass(frozen=True, slots=True)
class Rakp4:
    message_tag: int
    status: int
    console_session_id: int | None
    integrity_check_value: bytes = field(default=b"", repr=False)


def build_rakp4(message_tag: int, status: int, console_session_id: int,
                integrity_check_value: bytes = b"") -> bytes:
    check_range(message_tag, 0, 0xFF, "message tag")
    check_range(int(status), 0, 0xFF, "status")
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    return (bytes((message_tag, int(status), 0, 0)) + struct.pack("<I", console_session_id)
            + check_bytes(integrity_check_value, None, "ICV", max_len=64))


def parse_rakp4(payload: bytes) -> Rakp4:
    r = Reader(payload, "RAKP4")
    tag = r.u8("message tag")
    status = r.u8("status")
    if status != RakpStatus.NO_ERRORS and r.remaining < 6:
        return Rakp4(message_tag=tag, status=status, console_session_id=None)
    r.take(2, "reserved")
    csid = r.u32le("console session ID")
    return Rakp4(message_tag=tag, status=status, console_session_id=csid, integrity_check_value=r.rest())
