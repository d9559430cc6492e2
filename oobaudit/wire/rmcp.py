"""RMCP header and ASF presence ping / pong (DMTF ASF 2.0, big-endian).

Every IPMI-over-LAN datagram starts with the 4-byte RMCP header; its class byte
tells an ASF presence ping/pong (class 6) from an IPMI packet (class 7). The
ASF presence pong is the cheapest "is there a BMC here" probe (OOB-NET-003,
OOB-IPMI-001), and its supported-entities byte says whether IPMI is supported.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from .errors import Reader, WireError, check_range

__all__ = [
    "ASF_IANA",
    "RMCP_HEADER_LEN",
    "RMCP_NO_ACK",
    "RMCP_VERSION_1",
    "AsfMessageType",
    "AsfPong",
    "RmcpClass",
    "RmcpHeader",
    "build_presence_ping",
    "build_presence_pong",
    "build_rmcp_header",
    "parse_presence_ping",
    "parse_presence_pong",
    "parse_rmcp_header",
]

RMCP_VERSION_1 = 0x06
RMCP_NO_ACK = 0xFF
RMCP_HEADER_LEN = 4
ASF_IANA = 4542  # 0x000011BE, the ASF enterprise number
_ASF_IANA_SWAPPED = 0xBE110000  # seen from an OpenBMC build (phosphor-net-ipmid #25)

#: supported-entities byte of a pong: bit 7 = IPMI supported, bits 3:0 = ASF version (1 = 1.0)
PONG_ENTITY_IPMI = 0x80


class RmcpClass(IntEnum):
    """RMCP message class (byte 3, bits 4:0)."""

    ASF = 0x06
    IPMI = 0x07
    OEM = 0x08


class AsfMessageType(IntEnum):
    PONG = 0x40
    PING = 0x80


@dataclass(frozen=True, slots=True)
class RmcpHeader:
    """The 4-byte RMCP header."""

    version: int
    sequence: int
    msg_class: RmcpClass
    is_ack: bool


@dataclass(frozen=True, slots=True)
class AsfPong:
    """A decoded ASF Presence Pong.

    ``iana_byteswapped`` records the real-world quirk of a BMC that sends the
    ASF enterprise number little-endian; we still accept the pong (a BMC is
    there) but keep the evidence.
    """

    tag: int
    iana: int
    oem_defined: int
    supported_entities: int
    supported_interactions: int
    iana_byteswapped: bool = False

    @property
    def ipmi_supported(self) -> bool:
        return bool(self.supported_entities & PONG_ENTITY_IPMI)

    @property
    def asf_version(self) -> int:
        """ASF version nibble (1 = ASF 1.0)."""
        return self.supported_entities & 0x0F


def build_rmcp_header(msg_class: RmcpClass | int, sequence: int = RMCP_NO_ACK, *, ack: bool = False) -> bytes:
    """RMCP header; IPMI always uses sequence 0xFF (no RMCP ACK)."""
    check_range(int(msg_class), 0, 0x1F, "RMCP class")
    check_range(sequence, 0, 0xFF, "RMCP sequence")
    return bytes((RMCP_VERSION_1, 0x00, sequence, (0x80 if ack else 0) | int(msg_class)))


def parse_rmcp_header(data: bytes) -> RmcpHeader:
    """Decode the first 4 bytes; raise WireError for a non-RMCP datagram."""
    r = Reader(data, "RMCP header")
    version = r.u8("version")
    r.u8("reserved")
    sequence = r.u8("sequence")
    cls = r.u8("class")
    if version != RMCP_VERSION_1:
        raise WireError(f"RMCP header: unsupported version 0x{version:02x}")
    try:
        msg_class = RmcpClass(cls & 0x1F)
    except ValueError:
        raise WireError(f"RMCP header: unknown class 0x{cls & 0x1F:02x}") from None
    return RmcpHeader(version=version, sequence=sequence, msg_class=msg_class, is_ack=bool(cls & 0x80))


def _asf_header(msg_type: AsfMessageType, tag: int, data_len: int) -> bytes:
    return struct.pack(">IBBxB", ASF_IANA, int(msg_type), tag, data_len)


def build_presence_ping(tag: int = 0) -> bytes:
    """The 12-byte ASF Presence Ping (tag 0..0xFE; 0xFF means "no response wanted")."""
    check_range(tag, 0, 0xFF, "ASF message tag")
    return build_rmcp_header(RmcpClass.ASF) + _asf_header(AsfMessageType.PING, tag, 0)


def _parse_asf(data: bytes, expect: AsfMessageType) -> tuple[Reader, int, int, bool]:
    hdr = parse_rmcp_header(data)
    if hdr.msg_class is not RmcpClass.ASF:
        raise WireError(f"ASF message: RMCP class is {hdr.msg_class.name}, not ASF")
    r = Reader(data, f"ASF {expect.name.lower()}")
    r.take(RMCP_HEADER_LEN, "RMCP header")
    iana = r.u32be("IANA")
    msg_type = r.u8("message type")
    tag = r.u8("message tag")
    r.u8("reserved")
    data_len = r.u8("data length")
    if msg_type != expect:
        raise WireError(f"ASF message: type 0x{msg_type:02x}, expected 0x{int(expect):02x}")
    swapped = iana == _ASF_IANA_SWAPPED
    if iana != ASF_IANA and not swapped:
        raise WireError(f"ASF message: IANA {iana} is not the ASF enterprise number")
    if data_len > r.remaining:
        raise WireError(f"ASF message: data length {data_len} exceeds the {r.remaining} bytes present")
    return r, tag, data_len, swapped


def parse_presence_ping(data: bytes) -> int:
    """Return the message tag of an ASF Presence Ping (the pong must echo it)."""
    _, tag, _, _ = _parse_asf(data, AsfMessageType.PING)
    return tag


def build_presence_pong(
    tag: int,
    *,
    supported_entities: int = PONG_ENTITY_IPMI | 0x01,
    supported_interactions: int = 0x00,
    oem_iana: int = ASF_IANA,
    oem_defined: int = 0,
) -> bytes:
    """ASF Presence Pong (28 bytes), as a BMC sends it: entities 0x81 = IPMI + ASF 1.0."""
    check_range(tag, 0, 0xFF, "ASF message tag")
    check_range(supported_entities, 0, 0xFF, "supported entities")
    check_range(supported_interactions, 0, 0xFF, "supported interactions")
    check_range(oem_iana, 0, 0xFFFFFFFF, "OEM IANA")
    check_range(oem_defined, 0, 0xFFFFFFFF, "OEM defined")
    body = struct.pack(">IIBB6x", oem_iana, oem_defined, supported_entities, supported_interactions)
    return build_rmcp_header(RmcpClass.ASF) + _asf_header(AsfMessageType.PONG, tag, len(body)) + body


def parse_presence_pong(data: bytes) -> AsfPong:
    """Decode an ASF Presence Pong leniently (a byte-swapped IANA is accepted and flagged)."""
    r, tag, data_len, swapped = _parse_asf(data, AsfMessageType.PONG)
    if data_len < 10:
        raise WireError(f"ASF pong: data length {data_len} < 10")
    body = Reader(r.take(data_len, "pong data"), "ASF pong data")
    oem_iana = body.u32be("OEM IANA")
    oem_defined = body.u32be("OEM defined")
    entities = body.u8("supported entities")
    interactions = body.u8("supported interactions")
    return AsfPong(
        tag=tag,
        iana=oem_iana,
        oem_defined=oem_defined,
        supported_entities=entities,
        supported_interactions=interactions,
        iana_byteswapped=swapped,
    )
