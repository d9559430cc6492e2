"""Request/response data of the IPMI commands an out-of-band audit needs.

Only the *data* part of each command lives here (the bytes after cmd in a
request, after the completion code in a response); wrap it with
:mod:`oobaudit.wire.ipmi15` (pre-session / IPMI 1.5) or
:mod:`oobaudit.wire.rmcpplus` (payload type IPMI). Each decoder returns a frozen
dataclass, so a collector can store it as evidence and a check can read named
fields instead of bit offsets.

Both directions are implemented because the mock BMC encodes what the prober
decodes; the independent peers (ipmi_sim, ipmitool) keep the pair honest.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from .errors import Reader, WireError, check_bytes, check_range
from .ipmi15 import AuthType, IpmiRequest, build_request_message, build_session15_packet

__all__ = [
    "CHANNEL_THIS",
    "ActivateSessionRequest",
    "ActivateSessionResponse",
    "AppCmd",
    "ChannelAuthCapabilities",
    "CipherSuiteRecord",
    "CipherSuitesRequest",
    "DeviceId",
    "GetChannelAuthCapabilitiesRequest",
    "LanConfigRequest",
    "NetFn",
    "Privilege",
    "SessionChallenge",
    "SessionChallengeRequest",
    "TransportCmd",
    "build_activate_session_request",
    "build_activate_session_response",
    "build_channel_auth_capabilities_response",
    "build_cipher_suites_request",
    "build_cipher_suites_response",
    "build_close_session_request",
    "build_device_id_response",
    "build_get_channel_auth_capabilities_packet",
    "build_get_channel_auth_capabilities_request",
    "build_lan_config_request",
    "build_session_challenge_request",
    "build_session_challenge_response",
    "build_set_session_privilege_request",
    "cipher_suite_record_chunk",
    "decode_cipher_suite_records",
    "encode_cipher_suite_records",
    "parse_activate_session_request",
    "parse_activate_session_response",
    "parse_channel_auth_capabilities_response",
    "parse_cipher_suites_request",
    "parse_cipher_suites_response",
    "parse_close_session_request",
    "parse_device_id_response",
    "parse_get_channel_auth_capabilities_request",
    "parse_lan_config_request",
    "parse_session_challenge_request",
    "parse_session_challenge_response",
    "parse_set_session_privilege_request",
    "parse_set_session_privilege_response",
]

CHANNEL_THIS = 0x0E  # "the channel this request arrived on"


class NetFn(IntEnum):
    """Request network functions (the response netFn is this + 1)."""

    CHASSIS = 0x00
    BRIDGE = 0x02
    SENSOR_EVENT = 0x04
    APP = 0x06
    FIRMWARE = 0x08
    STORAGE = 0x0A
    TRANSPORT = 0x0C
    GROUP_EXTENSION = 0x2C
    OEM_GROUP = 0x2E


class AppCmd(IntEnum):
    GET_DEVICE_ID = 0x01
    GET_DEVICE_GUID = 0x08
    GET_SYSTEM_GUID = 0x37
    GET_CHANNEL_AUTH_CAPABILITIES = 0x38
    GET_SESSION_CHALLENGE = 0x39
    ACTIVATE_SESSION = 0x3A
    SET_SESSION_PRIVILEGE_LEVEL = 0x3B
    CLOSE_SESSION = 0x3C
    GET_SESSION_INFO = 0x3D
    GET_CHANNEL_ACCESS = 0x41
    GET_CHANNEL_INFO = 0x42
    GET_USER_ACCESS = 0x44
    GET_USER_NAME = 0x46
    GET_CHANNEL_CIPHER_SUITES = 0x54


class TransportCmd(IntEnum):
    GET_LAN_CONFIG_PARAMETERS = 0x02


class Privilege(IntEnum):
    """Privilege levels (0 in an Open Session Request means "highest the algorithms allow")."""

    CALLBACK = 1
    USER = 2
    OPERATOR = 3
    ADMINISTRATOR = 4
    OEM = 5


# --------------------------------------------------------------------------- GCAC (0x38)

_AUTH_TYPE_BITS = (AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD, AuthType.OEM)


@dataclass(frozen=True, slots=True)
class GetChannelAuthCapabilitiesRequest:
    channel: int
    privilege: int
    ipmi20_extended: bool


def build_get_channel_auth_capabilities_request(
    channel: int = CHANNEL_THIS, privilege: int = Privilege.ADMINISTRATOR, *, ipmi20_extended: bool = True
) -> bytes:
    """Request data: ``[bit7 = ask for IPMI 2.0 extended data | channel, max privilege]``.

    Some 1.5-only BMCs answer 0xCC when bit 7 is set; callers retry with
    ``ipmi20_extended=False`` (as ipmitool and pyghmi do).
    """
    check_range(channel, 0, 0x0F, "channel")
    check_range(int(privilege), 0, 0x0F, "privilege")
    return bytes(((0x80 if ipmi20_extended else 0) | channel, int(privilege)))


def parse_get_channel_auth_capabilities_request(data: bytes) -> GetChannelAuthCapabilitiesRequest:
    r = Reader(data, "GCAC request")
    b1 = r.u8("channel")
    b2 = r.u8("privilege")
    return GetChannelAuthCapabilitiesRequest(channel=b1 & 0x0F, privilege=b2 & 0x0F,
                                             ipmi20_extended=bool(b1 & 0x80))


def build_get_channel_auth_capabilities_packet(
    channel: int = CHANNEL_THIS,
    privilege: int = Privilege.ADMINISTRATOR,
    *,
    ipmi20_extended: bool = True,
    rq_seq: int = 0,
) -> bytes:
    """The whole pre-session GCAC datagram (IPMI 1.5 wrapper, auth NONE, session 0).

    With the defaults this is byte-for-byte the 23-byte probe nmap's
    ``ipmi-version`` and Metasploit's ``ipmi_version`` send.
    """
    msg = build_request_message(
        IpmiRequest(netfn=NetFn.APP, cmd=AppCmd.GET_CHANNEL_AUTH_CAPABILITIES, rq_seq=rq_seq,
                    data=build_get_channel_auth_capabilities_request(channel, privilege,
                                                                     ipmi20_extended=ipmi20_extended))
    )
    return build_session15_packet(msg)


@dataclass(frozen=True, slots=True)
class ChannelAuthCapabilities:
    """Decoded Get Channel Authentication Capabilities response (IPMI 2.0 table 22-15).

    Field names state the *meaning*, with the spec's inverted bits already
    resolved: ``per_message_auth_disabled=True`` is the weak setting.
    ``kg_nonzero`` is byte 4 bit 5 (1 = a non-zero BMC key Kg is set; nmap and
    Metasploit label this bit "kg_default", inverted). ``raw`` is the response
    data (without completion code), kept as evidence. Without the extended
    data (bit 7 of byte 3 clear) byte 5 is reserved, so ``supports_ipmi15`` and
    ``supports_ipmi20`` are ``None`` (unknown), not False.
    """

    channel: int
    auth_types: frozenset[AuthType]
    ipmi20_extended: bool
    kg_nonzero: bool
    per_message_auth_disabled: bool
    user_level_auth_disabled: bool
    non_null_usernames: bool
    null_usernames: bool
    anonymous_login: bool
    supports_ipmi15: bool | None
    supports_ipmi20: bool | None
    oem_id: int = 0
    oem_aux: int = 0
    raw: bytes = field(default=b"", compare=False)

    @property
    def weak_auth_types(self) -> frozenset[AuthType]:
        """The 1.5 auth types that give no or broken protection (none, MD2, straight password)."""
        return self.auth_types & {AuthType.NONE, AuthType.MD2, AuthType.PASSWORD}


def parse_channel_auth_capabilities_response(data: bytes) -> ChannelAuthCapabilities:
    """Decode the 8 response data bytes (after the completion code); extra bytes are ignored."""
    r = Reader(data, "GCAC response")
    channel = r.u8("channel")
    auth = r.u8("auth type support")
    status = r.u8("auth status")
    ext = r.u8("extended capabilities")
    oem = r.take(3, "OEM ID")
    aux = r.u8("OEM aux data")
    is_v20 = bool(auth & 0x80)
    return ChannelAuthCapabilities(
        channel=channel,
        auth_types=frozenset(t for t in _AUTH_TYPE_BITS if auth & (1 << t)),
        ipmi20_extended=is_v20,
        kg_nonzero=bool(status & 0x20),
        per_message_auth_disabled=bool(status & 0x10),
        user_level_auth_disabled=bool(status & 0x08),
        non_null_usernames=bool(status & 0x04),
        null_usernames=bool(status & 0x02),
        anonymous_login=bool(status & 0x01),
        supports_ipmi15=bool(ext & 0x01) if is_v20 else None,
        supports_ipmi20=bool(ext & 0x02) if is_v20 else None,
        oem_id=oem[0] | (oem[1] << 8) | (oem[2] << 16),
        oem_aux=aux,
        raw=bytes(data[:8]),
    )


def build_channel_auth_capabilities_response(caps: ChannelAuthCapabilities) -> bytes:
    """Encode response data (without completion code) from a capabilities record."""
    check_range(caps.channel, 0, 0xFF, "channel")
    check_range(caps.oem_id, 0, 0xFFFFFF, "OEM ID")
    check_range(caps.oem_aux, 0, 0xFF, "OEM aux")
    auth = 0x80 if caps.ipmi20_extended else 0
    for t in caps.auth_types:
        if t not in _AUTH_TYPE_BITS:
            raise WireError(f"auth type {t!r} has no GCAC bit")
        auth |= 1 << t
    status = (
        (0x20 if caps.kg_nonzero else 0)
        | (0x10 if caps.per_message_auth_disabled else 0)
        | (0x08 if caps.user_level_auth_disabled else 0)
        | (0x04 if caps.non_null_usernames else 0)
        | (0x02 if caps.null_usernames else 0)
        | (0x01 if caps.anonymous_login else 0)
    )
    ext = (0x01 if caps.supports_ipmi15 else 0) | (0x02 if caps.supports_ipmi20 else 0)
    if not caps.ipmi20_extended:
        ext = 0
    oem = caps.oem_id.to_bytes(3, "little")
    return bytes((caps.channel, auth, status, ext)) + oem + bytes((caps.oem_aux,))


# --------------------------------------------------------------------------- 1.5 session setup


def _name16(username: bytes, what: str) -> bytes:
    check_bytes(username, None, what, max_len=16)
    return bytes(username).ljust(16, b"\x00")


@dataclass(frozen=True, slots=True)
class SessionChallengeRequest:
    auth_type: int
    username: bytes  # trailing NULs stripped; b"" is the null user


def build_session_challenge_request(auth_type: AuthType | int, username: bytes) -> bytes:
    """Get Session Challenge (0x39) request data: ``auth type | user name[16]``."""
    check_range(int(auth_type), 0, 0x0F, "auth type")
    return bytes((int(auth_type),)) + _name16(username, "user name")


def parse_session_challenge_request(data: bytes) -> SessionChallengeRequest:
    r = Reader(data, "Get Session Challenge request")
    at = r.u8("auth type") & 0x0F
    name = r.take(16, "user name")
    return SessionChallengeRequest(auth_type=at, username=name.rstrip(b"\x00"))


@dataclass(frozen=True, slots=True)
class SessionChallenge:
    """Get Session Challenge response. Completion code 0x81 = unknown user name
    (user enumeration), 0x82 = null user name not enabled."""

    temp_session_id: int
    challenge: bytes


def build_session_challenge_response(temp_session_id: int, challenge: bytes) -> bytes:
    check_range(temp_session_id, 0, 0xFFFFFFFF, "temporary session ID")
    return struct.pack("<I", temp_session_id) + check_bytes(challenge, 16, "challenge")


def parse_session_challenge_response(data: bytes) -> SessionChallenge:
    r = Reader(data, "Get Session Challenge response")
    sid = r.u32le("temporary session ID")
    return SessionChallenge(temp_session_id=sid, challenge=r.take(16, "challenge"))


@dataclass(frozen=True, slots=True)
class ActivateSessionRequest:
    auth_type: int
    max_privilege: int
    challenge: bytes
    initial_outbound_seq: int


def build_activate_session_request(auth_type: AuthType | int, max_privilege: int, challenge: bytes,
                                   initial_outbound_seq: int) -> bytes:
    """Activate Session (0x3A) data: ``auth type | max priv | challenge[16] | initial outbound seq``."""
    check_range(int(auth_type), 0, 0x0F, "auth type")
    check_range(int(max_privilege), 0, 0x0F, "privilege")
    check_range(initial_outbound_seq, 0, 0xFFFFFFFF, "initial outbound sequence")
    return (bytes((int(auth_type), int(max_privilege))) + check_bytes(challenge, 16, "challenge")
            + struct.pack("<I", initial_outbound_seq))


def parse_activate_session_request(data: bytes) -> ActivateSessionRequest:
    r = Reader(data, "Activate Session request")
    at = r.u8("auth type") & 0x0F
    priv = r.u8("max privilege") & 0x0F
    challenge = r.take(16, "challenge")
    return ActivateSessionRequest(auth_type=at, max_privilege=priv, challenge=challenge,
                                  initial_outbound_seq=r.u32le("initial outbound sequence"))


@dataclass(frozen=True, slots=True)
class ActivateSessionResponse:
    auth_type: int
    session_id: int
    initial_inbound_seq: int
    max_privilege: int


def build_activate_session_response(auth_type: AuthType | int, session_id: int, initial_inbound_seq: int,
                                    max_privilege: int) -> bytes:
    check_range(int(auth_type), 0, 0x0F, "auth type")
    check_range(session_id, 0, 0xFFFFFFFF, "session ID")
    check_range(initial_inbound_seq, 0, 0xFFFFFFFF, "initial inbound sequence")
    check_range(int(max_privilege), 0, 0x0F, "privilege")
    return struct.pack("<BIIB", int(auth_type), session_id, initial_inbound_seq, int(max_privilege))


def parse_activate_session_response(data: bytes) -> ActivateSessionResponse:
    r = Reader(data, "Activate Session response")
    at = r.u8("auth type") & 0x0F
    sid = r.u32le("session ID")
    seq = r.u32le("initial inbound sequence")
    priv = r.u8("max privilege") & 0x0F
    return ActivateSessionResponse(auth_type=at, session_id=sid, initial_inbound_seq=seq, max_privilege=priv)


def build_set_session_privilege_request(privilege: int) -> bytes:
    """Set Session Privilege Level (0x3B) data; the response carries the new level (1 byte)."""
    check_range(int(privilege), 0, 0x0F, "privilege")
    return bytes((int(privilege),))


def parse_set_session_privilege_request(data: bytes) -> int:
    return Reader(data, "Set Session Privilege request").u8("privilege") & 0x0F


def parse_set_session_privilege_response(data: bytes) -> int:
    return Reader(data, "Set Session Privilege response").u8("privilege") & 0x0F


def build_close_session_request(session_id: int, session_handle: int | None = None) -> bytes:
    """Close Session (0x3C) data: the BMC-side session ID (plus a handle when the ID is 0)."""
    check_range(session_id, 0, 0xFFFFFFFF, "session ID")
    out = struct.pack("<I", session_id)
    if session_handle is not None:
        out += bytes((check_range(session_handle, 0, 0xFF, "session handle"),))
    return out


def parse_close_session_request(data: bytes) -> int:
    return Reader(data, "Close Session request").u32le("session ID")


# --------------------------------------------------------------------------- Get Device ID (0x01)


@dataclass(frozen=True, slots=True)
class DeviceId:
    """Get Device ID response (IPMI 2.0 section 20.1).

    ``firmware_minor`` is the decoded BCD value (0x08 -> 8); ``firmware_version``
    renders it the way ipmitool does ("9.08"). ``ipmi_version`` is (major, minor).
    """

    device_id: int
    device_revision: int
    provides_sdrs: bool
    firmware_major: int
    firmware_minor: int
    update_in_progress: bool
    ipmi_version: tuple[int, int]
    additional_support: int
    manufacturer_id: int
    product_id: int
    aux_firmware: bytes | None = None

    @property
    def firmware_version(self) -> str:
        return f"{self.firmware_major}.{self.firmware_minor:02d}"


def _bcd(b: int) -> int:
    hi, lo = b >> 4, b & 0x0F
    if hi > 9 or lo > 9:
        raise WireError(f"byte 0x{b:02x} is not BCD")
    return hi * 10 + lo


def _to_bcd(n: int) -> int:
    check_range(n, 0, 99, "BCD value")
    return ((n // 10) << 4) | (n % 10)


def parse_device_id_response(data: bytes) -> DeviceId:
    """Decode Get Device ID response data (11 bytes, or 15 with aux firmware revision)."""
    r = Reader(data, "Get Device ID response")
    dev_id = r.u8("device ID")
    rev = r.u8("device revision")
    fw1 = r.u8("firmware revision 1")
    fw2 = r.u8("firmware revision 2")
    ver = r.u8("IPMI version")
    support = r.u8("additional device support")
    mfg = r.take(3, "manufacturer ID")
    product = r.u16le("product ID")
    aux = r.take(4, "aux firmware revision") if r.remaining >= 4 else None
    return DeviceId(
        device_id=dev_id,
        device_revision=rev & 0x0F,
        provides_sdrs=bool(rev & 0x80),
        firmware_major=fw1 & 0x7F,
        firmware_minor=_bcd(fw2),
        update_in_progress=bool(fw1 & 0x80),
        ipmi_version=(ver & 0x0F, ver >> 4),
        additional_support=support,
        manufacturer_id=(mfg[0] | (mfg[1] << 8) | (mfg[2] << 16)) & 0x0FFFFF,
        product_id=product,
        aux_firmware=aux,
    )


def build_device_id_response(dev: DeviceId) -> bytes:
    check_range(dev.device_id, 0, 0xFF, "device ID")
    check_range(dev.device_revision, 0, 0x0F, "device revision")
    check_range(dev.firmware_major, 0, 0x7F, "firmware major")
    major, minor = dev.ipmi_version
    check_range(major, 0, 0x0F, "IPMI major version")
    check_range(minor, 0, 0x0F, "IPMI minor version")
    check_range(dev.additional_support, 0, 0xFF, "additional device support")
    check_range(dev.manufacturer_id, 0, 0x0FFFFF, "manufacturer ID")
    check_range(dev.product_id, 0, 0xFFFF, "product ID")
    out = bytes((
        dev.device_id,
        (0x80 if dev.provides_sdrs else 0) | dev.device_revision,
        (0x80 if dev.update_in_progress else 0) | dev.firmware_major,
        _to_bcd(dev.firmware_minor),
        (minor << 4) | major,
        dev.additional_support,
    )) + dev.manufacturer_id.to_bytes(3, "little") + struct.pack("<H", dev.product_id)
    if dev.aux_firmware is not None:
        out += check_bytes(dev.aux_firmware, 4, "aux firmware revision")
    return out


# --------------------------------------------------------------------------- cipher suites (0x54)

_STD_RECORD = 0xC0
_OEM_RECORD = 0xC1
CIPHER_SUITE_CHUNK = 16  # record bytes per Get Channel Cipher Suites response


@dataclass(frozen=True, slots=True)
class CipherSuitesRequest:
    channel: int
    payload_type: int
    list_by_cipher_suite: bool
    list_index: int


def build_cipher_suites_request(list_index: int = 0, channel: int = CHANNEL_THIS, payload_type: int = 0,
                                *, list_by_cipher_suite: bool = True) -> bytes:
    """Get Channel Cipher Suites (0x54) data: ``channel | payload type | bit7 by-suite + list index``."""
    check_range(list_index, 0, 0x3F, "list index")
    check_range(channel, 0, 0x0F, "channel")
    check_range(payload_type, 0, 0x3F, "payload type")
    return bytes((channel, payload_type, (0x80 if list_by_cipher_suite else 0) | list_index))


def parse_cipher_suites_request(data: bytes) -> CipherSuitesRequest:
    r = Reader(data, "Get Channel Cipher Suites request")
    ch = r.u8("channel") & 0x0F
    pt = r.u8("payload type") & 0x3F
    idx = r.u8("list index")
    return CipherSuitesRequest(channel=ch, payload_type=pt, list_by_cipher_suite=bool(idx & 0x80),
                               list_index=idx & 0x3F)


def build_cipher_suites_response(channel: int, chunk: bytes) -> bytes:
    check_range(channel, 0, 0xFF, "channel")
    return bytes((channel,)) + check_bytes(chunk, None, "record chunk", max_len=CIPHER_SUITE_CHUNK)


def parse_cipher_suites_response(data: bytes) -> tuple[int, bytes]:
    """Return (channel, record bytes). The caller concatenates chunks while 16 bytes come back."""
    r = Reader(data, "Get Channel Cipher Suites response")
    ch = r.u8("channel")
    chunk = r.rest()
    if len(chunk) > CIPHER_SUITE_CHUNK:
        raise WireError(f"Get Channel Cipher Suites response: {len(chunk)} record bytes > 16")
    return ch, chunk


@dataclass(frozen=True, slots=True)
class CipherSuiteRecord:
    """One cipher suite record: ID and algorithm numbers (see rmcpplus enums).

    A record may list several integrity / confidentiality algorithms; the
    standard suites list exactly one of each. ``oem_iana`` is set for OEM (0xC1)
    records only.
    """

    suite_id: int
    auth_alg: int
    integrity_algs: tuple[int, ...]
    confidentiality_algs: tuple[int, ...]
    oem_iana: int | None = None


def decode_cipher_suite_records(data: bytes) -> tuple[CipherSuiteRecord, ...]:
    """Decode the concatenated record bytes of all Get Channel Cipher Suites responses.

    Trailing zero bytes (padding some BMCs add to the last chunk) are accepted.
    """
    r = Reader(data, "cipher suite records")
    out: list[CipherSuiteRecord] = []
    while r.remaining:
        start = r.u8("record start")
        if start == 0 and not r.rest().strip(b"\x00"):
            break
        if start not in (_STD_RECORD, _OEM_RECORD):
            raise WireError(f"cipher suite records: bad start-of-record byte 0x{start:02x}")
        suite_id = r.u8("cipher suite ID")
        iana = None
        if start == _OEM_RECORD:
            b = r.take(3, "OEM IANA")
            iana = b[0] | (b[1] << 8) | (b[2] << 16)
        auth: int | None = None
        integ: list[int] = []
        conf: list[int] = []
        while r.remaining:
            peek = data[r.pos]
            if peek in (_STD_RECORD, _OEM_RECORD):
                break
            if auth is not None and not any(data[r.pos :]):
                r.rest()  # zero padding after the last record
                break
            b = r.u8("algorithm")
            tag, alg = b >> 6, b & 0x3F
            if tag == 0:
                if auth is not None:
                    raise WireError(f"cipher suite {suite_id}: two authentication algorithms")
                auth = alg
            elif tag == 1:
                integ.append(alg)
            elif tag == 2:
                conf.append(alg)
            else:
                raise WireError(f"cipher suite {suite_id}: bad algorithm tag byte 0x{b:02x}")
        if auth is None:
            raise WireError(f"cipher suite {suite_id}: no authentication algorithm")
        out.append(CipherSuiteRecord(suite_id=suite_id, auth_alg=auth, integrity_algs=tuple(integ),
                                     confidentiality_algs=tuple(conf), oem_iana=iana))
    return tuple(out)


def encode_cipher_suite_records(records: Iterable[CipherSuiteRecord]) -> bytes:
    out = bytearray()
    for rec in records:
        check_range(rec.suite_id, 0, 0xFF, "cipher suite ID")
        check_range(rec.auth_alg, 0, 0x3F, "authentication algorithm")
        if rec.oem_iana is None:
            out += bytes((_STD_RECORD, rec.suite_id))
        else:
            check_range(rec.oem_iana, 0, 0xFFFFFF, "OEM IANA")
            out += bytes((_OEM_RECORD, rec.suite_id)) + rec.oem_iana.to_bytes(3, "little")
        out.append(rec.auth_alg)
        for a in rec.integrity_algs:
            out.append(0x40 | check_range(a, 0, 0x3F, "integrity algorithm"))
        for a in rec.confidentiality_algs:
            out.append(0x80 | check_range(a, 0, 0x3F, "confidentiality algorithm"))
    return bytes(out)


def cipher_suite_record_chunk(records: bytes, list_index: int) -> bytes:
    """The 16-byte window of the record bytes a BMC returns for ``list_index``."""
    check_range(list_index, 0, 0x3F, "list index")
    return records[list_index * CIPHER_SUITE_CHUNK : (list_index + 1) * CIPHER_SUITE_CHUNK]


# --------------------------------------------------------------------------- LAN configuration


@dataclass(frozen=True, slots=True)
class LanConfigRequest:
    channel: int
    parameter: int
    set_selector: int
    block_selector: int
    revision_only: bool


def build_lan_config_request(parameter: int, channel: int = CHANNEL_THIS, set_selector: int = 0,
                             block_selector: int = 0, *, revision_only: bool = False) -> bytes:
    """Get LAN Configuration Parameters (Transport 0x02) data. Response: ``revision (0x11) | data``."""
    check_range(parameter, 0, 0xFF, "parameter")
    check_range(channel, 0, 0x0F, "channel")
    check_range(set_selector, 0, 0xFF, "set selector")
    check_range(block_selector, 0, 0xFF, "block selector")
    return bytes(((0x80 if revision_only else 0) | channel, parameter, set_selector, block_selector))


def parse_lan_config_request(data: bytes) -> LanConfigRequest:
    r = Reader(data, "Get LAN Configuration request")
    ch = r.u8("channel")
    param = r.u8("parameter")
    return LanConfigRequest(channel=ch & 0x0F, parameter=param, set_selector=r.u8("set selector"),
                            block_selector=r.u8("block selector"), revision_only=bool(ch & 0x80))
