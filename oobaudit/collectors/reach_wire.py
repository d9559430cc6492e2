"""Pure pieces of the reachability prober: fact kinds, port lists, probe payloads.

No sockets and no scapy here, so the checks (which must stay pure and cheap to
import) can share the fact kind names and the state vocabulary with the collector.

Payloads are built here on purpose rather than borrowed from ``oobaudit.wire``: the
reach probe needs exactly one 12-byte ASF presence ping and one SNMP get, and
keeping them independent means a bug in the IPMI wire code cannot hide a leak.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import Any

# Fact kinds live in oobaudit.facts (re-exported here for the reach modules).
from ..facts import REACH_PORT, REACH_RESPONDER, REACH_SCOPE, REACH_VANTAGE  # noqa: F401

COLLECTOR = "reach"

# --- states ---------------------------------------------------------------------------------
# TCP:  open (SYN-ACK) | closed (RST) | filtered (ICMP unreachable, or silence after every retry)
# UDP:  open (a UDP answer) | closed (ICMP port unreachable) | filtered (other ICMP unreachable)
#       | open|filtered (silence: UDP gives no proof either way)
# ICMP: answered (echo reply) | filtered (ICMP unreachable or silence)
OPEN, CLOSED, FILTERED, OPEN_FILTERED, ANSWERED = "open", "closed", "filtered", "open|filtered", "answered"
STATES = (OPEN, CLOSED, FILTERED, OPEN_FILTERED, ANSWERED)

#: Default TCP ports: the usual BMC management, console and virtual-media listeners.
#: 22 SSH, 23 Telnet, 80 HTTP, 443 HTTPS/Redfish, 623 (IPMI/RMCP on TCP on some BMCs),
#: 2068 (HPE iLO / Dell / Avocent virtual media and KVM), 3668/3669 (Dell iDRAC virtual media),
#: 5120/5123 (Supermicro virtual media CD / floppy-USB), 5900/5901 (KVM over VNC),
#: 8080/8443 (alternate web UIs), 17988/17990 (HPE iLO virtual media / remote console).
DEFAULT_TCP_PORTS: tuple[int, ...] = (22, 23, 80, 443, 623, 2068, 3668, 3669, 5120, 5123, 5900, 5901, 8080, 8443,
                                      17988, 17990)
IPMI_PORT = 623
SNMP_PORT = 161

#: Discovery refuses to sweep more addresses than a /16 holds unless forced.
DISCOVERY_MAX_ADDRESSES = 65536
DISCOVERY_TCP_PORTS: tuple[int, ...] = (443, 623)


def subject_of(proto: str, port: int | None) -> str:
    return "icmp" if proto == "icmp" else f"{proto}/{port}"


def parse_ports(text: str) -> tuple[int, ...]:
    """``"22,443,5120-5123"`` -> sorted unique ports; ValueError names the bad part."""
    ports: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo_s, sep, hi_s = part.partition("-")
        try:
            lo = int(lo_s)
            hi = int(hi_s) if sep else lo
        except ValueError:
            raise ValueError(f"not a port or port range: {part!r}") from None
        if not (1 <= lo <= hi <= 65535):
            raise ValueError(f"port out of range 1-65535 (or range reversed): {part!r}")
        if hi - lo > 4096:
            raise ValueError(f"port range too large (more than 4096 ports): {part!r}")
        ports.update(range(lo, hi + 1))
    if not ports:
        raise ValueError("no ports given")
    return tuple(sorted(ports))


# --- ASF presence ping / pong (DMTF ASF 2.0, RMCP class 6) ----------------------------------------

ASF_IANA = 4542  # 0x000011BE
ASF_PING, ASF_PONG = 0x80, 0x40


def asf_ping(tag: int = 0) -> bytes:
    """The 12-byte ASF presence ping: RMCP ``06 00 ff 06`` + ASF ``00 00 11 be 80 <tag> 00 00``."""
    if not 0 <= tag <= 0xFE:
        raise ValueError("ASF message tag is 0..0xFE (0xFF means 'no reply expected')")
    return bytes((0x06, 0x00, 0xFF, 0x06)) + struct.pack("!IBBBB", ASF_IANA, ASF_PING, tag, 0, 0)


@dataclass(frozen=True)
class AsfPong:
    tag: int
    iana: int
    oem_defined: int
    entities: int
    interactions: int
    iana_byteswapped: bool = False

    @property
    def ipmi_supported(self) -> bool:
        return bool(self.entities & 0x80)

    @property
    def asf_version(self) -> int:
        return self.entities & 0x0F

    def as_dict(self) -> dict[str, Any]:
        return {"iana": self.iana, "oem_defined": self.oem_defined, "supported_entities": f"0x{self.entities:02x}",
                "supported_interactions": f"0x{self.interactions:02x}", "ipmi_supported": self.ipmi_supported,
                "asf_version": self.asf_version, "iana_byteswapped": self.iana_byteswapped, "tag": self.tag}

    def describe(self) -> str:
        swapped = " (IANA byte-swapped)" if self.iana_byteswapped else ""
        return (f"ASF presence pong: enterprise {self.iana}{swapped}, entities 0x{self.entities:02x}"
                f" (IPMI {'supported' if self.ipmi_supported else 'not supported'}, ASF v{self.asf_version})")


def parse_asf_pong(data: bytes) -> AsfPong | None:
    """Parse a presence pong leniently (an OpenBMC quirk byte-swaps the IANA number); None if not a pong."""
    if len(data) < 12 or data[0] != 0x06 or (data[3] & 0x1F) != 0x06:
        return None
    iana, mtype, tag, _res, dlen = struct.unpack_from("!IBBBB", data, 4)
    if mtype != ASF_PONG:
        return None
    swapped = False
    if iana == 0xBE110000:
        iana, swapped = ASF_IANA, True
    body = data[12:12 + dlen]
    if len(body) < 10:
        return AsfPong(tag, iana, 0, 0, 0, swapped)
    oem_iana, oem_def, entities, interactions = struct.unpack_from("!IIBB", body, 0)
    if oem_iana == 0xBE110000:
        oem_iana, swapped = ASF_IANA, True
    return AsfPong(tag, oem_iana, oem_def, entities, interactions, swapped)


# --- SNMP v2c get-request sysDescr.0 -----------------------------------------------------------

SYS_DESCR_OID = (1, 3, 6, 1, 2, 1, 1, 1, 0)
#: The probe community.  A well-known public value, not a secret: the probe only asks whether
#: anything answers SNMP on the path.
SNMP_PROBE_COMMUNITY = b"public"


def _ber_len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + _ber_len(len(value)) + value


def _ber_int(v: int) -> bytes:
    return _tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def _ber_oid(oid: tuple[int, ...]) -> bytes:
    out = bytearray((40 * oid[0] + oid[1],))
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def snmp_get(request_id: int, community: bytes = SNMP_PROBE_COMMUNITY, oid: tuple[int, ...] = SYS_DESCR_OID) -> bytes:
    """A minimal SNMPv2c GetRequest for one OID (value NULL)."""
    varbind = _tlv(0x30, _ber_oid(oid) + b"\x05\x00")
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _ber_int(1) + _tlv(0x04, community) + pdu)


# --- address ranges ---------------------------------------------------------------------------

def range_addresses(networks: list[ipaddress.IPv4Network]) -> list[str]:
    """Unique host addresses of the ranges, in order (network / broadcast skipped above a /31)."""
    seen: dict[str, None] = {}
    for net in networks:
        hosts = net.hosts() if net.prefixlen < 31 else iter(net)
        for a in hosts:
            seen.setdefault(str(a), None)
    return list(seen)


def count_addresses(networks: list[ipaddress.IPv4Network]) -> int:
    """Addresses covered by the ranges, overlaps counted once."""
    return sum(n.num_addresses for n in ipaddress.collapse_addresses(networks))
