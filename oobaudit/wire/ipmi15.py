"""IPMI 1.5 LAN session wrapper and IPMI request/response message framing.

Why this module exists: Get Channel Authentication Capabilities, the first probe
every scanner sends, travels in an IPMI 1.5 wrapper (auth type NONE) even on
IPMI 2.0-only BMCs, and the 1.5 session types (none / MD2 / MD5 / straight
password) are themselves audit subjects (OOB-IPMI-005). The IPMI message inside
(rsSA, netFn/LUN, checksum, rqSA, rqSeq/LUN, cmd, data, checksum) is shared
with RMCP+ (payload type 0), so it lives here too.

Byte order: session fields little-endian. See reference/ipmi-wire.md section 3.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass, field
from enum import IntEnum

from .errors import Reader, WireError, check_bytes, check_range
from .rmcp import RMCP_HEADER_LEN, RmcpClass, build_rmcp_header, parse_rmcp_header

__all__ = [
    "BMC_SA",
    "REMOTE_SWID",
    "AuthType",
    "CompletionCode",
    "IpmiRequest",
    "IpmiResponse",
    "Session15Packet",
    "build_request_message",
    "build_response_message",
    "build_session15_packet",
    "checksum",
    "completion_code_name",
    "compute_auth_code",
    "md2",
    "pad_password",
    "parse_request_message",
    "parse_response_message",
    "parse_session15_packet",
]

BMC_SA = 0x20  # BMC slave address (rsSA of requests to the BMC)
REMOTE_SWID = 0x81  # remote console software ID used by ipmitool, nmap, Metasploit


class AuthType(IntEnum):
    """Session authentication type (byte 4 of the session header; GCAC byte 3 bit numbers)."""

    NONE = 0
    MD2 = 1
    MD5 = 2
    PASSWORD = 4  # "straight password / key": the password in clear text on the wire
    OEM = 5
    RMCP_PLUS = 6  # marks an IPMI 2.0 / RMCP+ packet, never a 1.5 session type


class CompletionCode(IntEnum):
    """Generic completion codes (IPMI 2.0 table 5-2); 0x80..0xBE are command specific."""

    OK = 0x00
    NODE_BUSY = 0xC0
    INVALID_COMMAND = 0xC1
    INVALID_FOR_LUN = 0xC2
    TIMEOUT = 0xC3
    OUT_OF_SPACE = 0xC4
    RESERVATION_CANCELLED = 0xC5
    REQUEST_DATA_TRUNCATED = 0xC6
    REQUEST_DATA_LENGTH_INVALID = 0xC7
    REQUEST_DATA_FIELD_LENGTH_EXCEEDED = 0xC8
    PARAMETER_OUT_OF_RANGE = 0xC9
    CANNOT_RETURN_REQUESTED_BYTES = 0xCA
    NOT_PRESENT = 0xCB
    INVALID_DATA_FIELD = 0xCC
    ILLEGAL_FOR_SENSOR = 0xCD
    RESPONSE_UNAVAILABLE = 0xCE
    DUPLICATE_REQUEST = 0xCF
    SDR_UPDATE_MODE = 0xD0
    FIRMWARE_UPDATE_MODE = 0xD1
    INITIALIZATION_IN_PROGRESS = 0xD2
    DESTINATION_UNAVAILABLE = 0xD3
    INSUFFICIENT_PRIVILEGE = 0xD4
    NOT_SUPPORTED_IN_STATE = 0xD5
    SUBFUNCTION_DISABLED = 0xD6
    UNSPECIFIED = 0xFF


def completion_code_name(cc: int) -> str:
    """Human name of a completion code; command-specific codes are named as such."""
    try:
        return CompletionCode(cc).name
    except ValueError:
        if 0x80 <= cc <= 0xBE:
            return f"COMMAND_SPECIFIC_0x{cc:02X}"
        return f"UNKNOWN_0x{cc:02X}"


def checksum(data: bytes) -> int:
    """IPMI 8-bit checksum: two's complement of the byte sum, so that sum(data + chk) % 256 == 0."""
    return (-sum(data)) & 0xFF


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class IpmiRequest:
    """An IPMI request message (console -> BMC)."""

    netfn: int
    cmd: int
    data: bytes = b""
    rq_seq: int = 0
    rs_addr: int = BMC_SA
    rq_addr: int = REMOTE_SWID
    rs_lun: int = 0
    rq_lun: int = 0


@dataclass(frozen=True, slots=True)
class IpmiResponse:
    """An IPMI response message (BMC -> console). ``netfn`` is the odd response netFn."""

    netfn: int
    cmd: int
    completion_code: int
    data: bytes = b""
    rq_seq: int = 0
    rq_addr: int = REMOTE_SWID
    rs_addr: int = BMC_SA
    rq_lun: int = 0
    rs_lun: int = 0


def _frame(first_addr: int, netfn: int, lun1: int, second_addr: int, seq: int, lun2: int,
           cmd: int, body: bytes) -> bytes:
    hdr = bytes((first_addr, (netfn << 2) | lun1))
    tail = bytes((second_addr, (seq << 2) | lun2, cmd)) + body
    return hdr + bytes((checksum(hdr),)) + tail + bytes((checksum(tail),))


def build_request_message(req: IpmiRequest) -> bytes:
    """Encode ``rsSA | netFn/rsLUN | chk1 | rqSA | rqSeq/rqLUN | cmd | data | chk2``."""
    check_range(req.netfn, 0, 0x3F, "netFn")
    if req.netfn & 1:
        raise WireError(f"request netFn must be even, got 0x{req.netfn:02x}")
    check_range(req.cmd, 0, 0xFF, "cmd")
    check_range(req.rq_seq, 0, 0x3F, "rqSeq")
    check_range(req.rs_addr, 0, 0xFF, "rsSA")
    check_range(req.rq_addr, 0, 0xFF, "rqSA")
    check_range(req.rs_lun, 0, 3, "rsLUN")
    check_range(req.rq_lun, 0, 3, "rqLUN")
    check_bytes(req.data, None, "request data", max_len=248)
    return _frame(req.rs_addr, req.netfn, req.rs_lun, req.rq_addr, req.rq_seq, req.rq_lun, req.cmd,
                  bytes(req.data))


def build_response_message(rsp: IpmiResponse) -> bytes:
    """Encode ``rqSA | netFn/rqLUN | chk1 | rsSA | rqSeq/rsLUN | cmd | cc | data | chk2``."""
    check_range(rsp.netfn, 0, 0x3F, "netFn")
    if not rsp.netfn & 1:
        raise WireError(f"response netFn must be odd, got 0x{rsp.netfn:02x}")
    check_range(rsp.cmd, 0, 0xFF, "cmd")
    check_range(rsp.completion_code, 0, 0xFF, "completion code")
    check_range(rsp.rq_seq, 0, 0x3F, "rqSeq")
    check_range(rsp.rq_addr, 0, 0xFF, "rqSA")
    check_range(rsp.rs_addr, 0, 0xFF, "rsSA")
    check_range(rsp.rq_lun, 0, 3, "rqLUN")
    check_range(rsp.rs_lun, 0, 3, "rsLUN")
    check_bytes(rsp.data, None, "response data", max_len=247)
    return _frame(rsp.rq_addr, rsp.netfn, rsp.rq_lun, rsp.rs_addr, rsp.rq_seq, rsp.rs_lun, rsp.cmd,
                  bytes((rsp.completion_code,)) + bytes(rsp.data))


def _unframe(data: bytes, what: str) -> tuple[int, int, int, int, int, int, int, bytes]:
    r = Reader(data, what)
    if len(data) < 7:
        raise WireError(f"{what}: {len(data)} bytes is shorter than the 7-byte minimum")
    if sum(data[:3]) & 0xFF:
        raise WireError(f"{what}: header checksum mismatch")
    if sum(data[3:]) & 0xFF:
        raise WireError(f"{what}: data checksum mismatch")
    a1 = r.u8("first address")
    nl = r.u8("netFn/LUN")
    r.u8("checksum 1")
    a2 = r.u8("second address")
    sl = r.u8("seq/LUN")
    cmd = r.u8("cmd")
    body = r.take(r.remaining - 1, "data")
    return a1, nl >> 2, nl & 3, a2, sl >> 2, sl & 3, cmd, body


def parse_request_message(data: bytes) -> IpmiRequest:
    """Decode a request message, verifying both checksums and an even netFn."""
    rs_addr, netfn, rs_lun, rq_addr, seq, rq_lun, cmd, body = _unframe(data, "IPMI request")
    if netfn & 1:
        raise WireError(f"IPMI request: odd netFn 0x{netfn:02x} is a response")
    return IpmiRequest(netfn=netfn, cmd=cmd, data=body, rq_seq=seq, rs_addr=rs_addr, rq_addr=rq_addr,
                       rs_lun=rs_lun, rq_lun=rq_lun)


def parse_response_message(data: bytes) -> IpmiResponse:
    """Decode a response message, verifying both checksums and an odd netFn."""
    rq_addr, netfn, rq_lun, rs_addr, seq, rs_lun, cmd, body = _unframe(data, "IPMI response")
    if not netfn & 1:
        raise WireError(f"IPMI response: even netFn 0x{netfn:02x} is a request")
    if not body:
        raise WireError("IPMI response: missing completion code")
    return IpmiResponse(netfn=netfn, cmd=cmd, completion_code=body[0], data=body[1:], rq_seq=seq,
                        rq_addr=rq_addr, rs_addr=rs_addr, rq_lun=rq_lun, rs_lun=rs_lun)


# --------------------------------------------------------------------------- auth codes


def pad_password(password: bytes, size: int = 16) -> bytes:
    """Zero-pad a password to ``size`` bytes (16 for IPMI 1.5, 20 for RMCP+); longer is an error."""
    check_bytes(password, None, "password", max_len=size)
    return bytes(password).ljust(size, b"\x00")


_MD2_S = bytes((
    41, 46, 67, 201, 162, 216, 124, 1, 61, 54, 84, 161, 236, 240, 6, 19, 98, 167, 5, 243, 192, 199,
    115, 140, 152, 147, 43, 217, 188, 76, 130, 202, 30, 155, 87, 60, 253, 212, 224, 22, 103, 66, 111,
    24, 138, 23, 229, 18, 190, 78, 196, 214, 218, 158, 222, 73, 160, 251, 245, 142, 187, 47, 238, 122,
    169, 104, 121, 145, 21, 178, 7, 63, 148, 194, 16, 137, 11, 34, 95, 33, 128, 127, 93, 154, 90, 144,
    50, 39, 53, 62, 204, 231, 191, 247, 151, 3, 255, 25, 48, 179, 72, 165, 181, 209, 215, 94, 146, 42,
    172, 86, 170, 198, 79, 184, 56, 210, 150, 164, 125, 182, 118, 252, 107, 226, 156, 116, 4, 241, 69,
    157, 112, 89, 100, 113, 135, 32, 134, 91, 207, 101, 230, 45, 168, 2, 27, 96, 37, 173, 174, 176,
    185, 246, 28, 70, 97, 105, 52, 64, 126, 15, 85, 71, 163, 35, 221, 81, 175, 58, 195, 92, 249, 206,
    186, 197, 234, 38, 44, 83, 13, 110, 133, 40, 132, 9, 211, 223, 205, 244, 65, 129, 77, 82, 106, 220,
    55, 200, 108, 193, 171, 250, 36, 225, 123, 8, 12, 189, 177, 74, 120, 136, 149, 139, 227, 99, 232,
    109, 233, 203, 213, 254, 59, 0, 29, 57, 242, 239, 183, 14, 102, 88, 208, 228, 166, 119, 114, 248,
    235, 117, 75, 10, 49, 68, 80, 180, 143, 237, 31, 26, 219, 153, 141, 51, 159, 17, 131, 20,
))


def md2(data: bytes) -> bytes:
    """MD2 (RFC 1319). OpenSSL 3 no longer ships it, but IPMI 1.5 auth type 1 needs it."""
    n = 16 - (len(data) % 16)
    msg = bytes(data) + bytes((n,)) * n
    cks = bytearray(16)
    last = 0
    for i in range(0, len(msg), 16):
        for j in range(16):
            cks[j] ^= _MD2_S[msg[i + j] ^ last]
            last = cks[j]
    msg += bytes(cks)
    x = bytearray(48)
    for i in range(0, len(msg), 16):
        for j in range(16):
            x[16 + j] = msg[i + j]
            x[32 + j] = x[16 + j] ^ x[j]
        t = 0
        for j in range(18):
            for k in range(48):
                x[k] ^= _MD2_S[t]
                t = x[k]
            t = (t + j) & 0xFF
    return bytes(x[:16])


def compute_auth_code(auth_type: AuthType, password: bytes, session_id: int, message: bytes,
                      session_seq: int) -> bytes:
    """The 16-byte IPMI 1.5 AuthCode over one IPMI message.

    MD5 / MD2: ``H(pw16 | session_id LE32 | message | session_seq LE32 | pw16)``;
    straight password: ``pw16`` itself (which is why it is a finding: the
    password crosses the network in clear). NONE has no auth code; OEM is
    vendor-defined and not computable here.
    """
    pw = pad_password(password, 16)
    check_range(session_id, 0, 0xFFFFFFFF, "session ID")
    check_range(session_seq, 0, 0xFFFFFFFF, "session sequence")
    check_bytes(message, None, "message")
    if auth_type == AuthType.PASSWORD:
        return pw
    if auth_type in (AuthType.MD5, AuthType.MD2):
        blob = pw + struct.pack("<I", session_id) + bytes(message) + struct.pack("<I", session_seq) + pw
        return hashlib.md5(blob).digest() if auth_type == AuthType.MD5 else md2(blob)
    raise WireError(f"no IPMI 1.5 auth code can be computed for auth type {auth_type!r}")


# --------------------------------------------------------------------------- session wrapper


@dataclass(frozen=True, slots=True)
class Session15Packet:
    """An IPMI 1.5 session-wrapped packet (RMCP class 7, auth type != 6).

    ``auth_code`` is kept out of the repr: for straight-password sessions it is
    the password itself.
    """

    auth_type: AuthType
    session_seq: int
    session_id: int
    message: bytes
    auth_code: bytes | None = field(default=None, repr=False)

    def verify(self, password: bytes) -> bool:
        """True when ``auth_code`` is the one ``password`` produces for this packet."""
        if self.auth_type == AuthType.NONE:
            return True
        if self.auth_code is None:
            return False
        try:
            expected = compute_auth_code(self.auth_type, password, self.session_id, self.message,
                                         self.session_seq)
        except WireError:
            return False
        return hmac.compare_digest(expected, self.auth_code)


def build_session15_packet(
    message: bytes,
    *,
    auth_type: AuthType = AuthType.NONE,
    session_seq: int = 0,
    session_id: int = 0,
    password: bytes | None = None,
    auth_code: bytes | None = None,
) -> bytes:
    """Wrap an IPMI message: RMCP header, auth type, seq, session ID, [AuthCode], length, message.

    For auth types other than NONE give either ``password`` (the code is
    computed) or an explicit 16-byte ``auth_code`` (OEM, or deliberately wrong
    codes in tests).
    """
    auth_type = AuthType(auth_type)
    if auth_type == AuthType.RMCP_PLUS:
        raise WireError("auth type 6 is RMCP+; use oobaudit.wire.rmcpplus")
    check_range(session_seq, 0, 0xFFFFFFFF, "session sequence")
    check_range(session_id, 0, 0xFFFFFFFF, "session ID")
    check_bytes(message, None, "message", max_len=0xFF)
    out = build_rmcp_header(RmcpClass.IPMI) + struct.pack("<BII", int(auth_type), session_seq, session_id)
    if auth_type != AuthType.NONE:
        if auth_code is None:
            if password is None:
                raise WireError(f"auth type {auth_type.name} needs a password or an auth code")
            auth_code = compute_auth_code(auth_type, password, session_id, message, session_seq)
        out += check_bytes(auth_code, 16, "auth code")
    return out + bytes((len(message),)) + bytes(message)


def parse_session15_packet(data: bytes) -> Session15Packet:
    """Decode an IPMI 1.5 packet. Trailing bytes after the message are ignored:
    some 1.5 stacks append a legacy pad byte to work around old NICs."""
    hdr = parse_rmcp_header(data)
    if hdr.msg_class is not RmcpClass.IPMI:
        raise WireError(f"IPMI 1.5 packet: RMCP class is {hdr.msg_class.name}, not IPMI")
    r = Reader(data, "IPMI 1.5 session")
    r.take(RMCP_HEADER_LEN, "RMCP header")
    raw_type = r.u8("auth type") & 0x0F
    if raw_type == AuthType.RMCP_PLUS:
        raise WireError("IPMI 1.5 session: auth type 6 marks an RMCP+ packet")
    try:
        auth_type = AuthType(raw_type)
    except ValueError:
        raise WireError(f"IPMI 1.5 session: unknown auth type {raw_type}") from None
    seq = r.u32le("session sequence")
    sid = r.u32le("session ID")
    code = r.take(16, "auth code") if auth_type != AuthType.NONE else None
    length = r.u8("message length")
    message = r.take(length, "message")
    return Session15Packet(auth_type=auth_type, session_seq=seq, session_id=sid, message=message,
                           auth_code=code)
