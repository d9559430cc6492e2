"""RMCP header and ASF presence ping / pong."""

from __future__ import annotations

import pytest

from oobaudit.wire.errors import WireError
from oobaudit.wire.rmcp import (
    ASF_IANA,
    RmcpClass,
    build_presence_ping,
    build_presence_pong,
    build_rmcp_header,
    parse_presence_ping,
    parse_presence_pong,
    parse_rmcp_header,
)
from tests.wire.vectors import IPMITOOL_SIM_LAN_MD5

# reference/ipmi-wire.md section 2: the pong OpenIPMI ipmi_sim 2.0.33 sends for tag 0x11
SIM_PONG = bytes.fromhex("0600ff06000011be40110010000011be000000008100000000000000")


def test_ping_matches_ipmitool() -> None:
    # ipmitool -I lan sends this ping first (tag 0)
    assert IPMITOOL_SIM_LAN_MD5[0] == ("C", build_presence_ping(0).hex())
    assert build_presence_ping(0) == bytes.fromhex("0600ff06000011be80000000")
    assert parse_presence_ping(build_presence_ping(0x42)) == 0x42


def test_pong_known_answer() -> None:
    pong = parse_presence_pong(SIM_PONG)
    assert (pong.tag, pong.iana, pong.oem_defined) == (0x11, ASF_IANA, 0)
    assert pong.ipmi_supported and pong.asf_version == 1 and pong.supported_interactions == 0
    assert not pong.iana_byteswapped
    assert build_presence_pong(0x11) == SIM_PONG
    # and the one ipmi_sim sent to ipmitool's tag-0 ping
    assert parse_presence_pong(bytes.fromhex(IPMITOOL_SIM_LAN_MD5[1][1])).tag == 0


def test_pong_without_ipmi() -> None:
    pong = parse_presence_pong(build_presence_pong(1, supported_entities=0x01))
    assert not pong.ipmi_supported


def test_pong_byteswapped_iana_is_accepted_and_flagged() -> None:
    swapped = SIM_PONG[:4] + bytes.fromhex("be110000") + SIM_PONG[8:]
    pong = parse_presence_pong(swapped)
    assert pong.iana_byteswapped and pong.ipmi_supported


def test_rmcp_header() -> None:
    h = parse_rmcp_header(build_rmcp_header(RmcpClass.IPMI))
    assert (h.version, h.sequence, h.msg_class, h.is_ack) == (6, 0xFF, RmcpClass.IPMI, False)
    assert parse_rmcp_header(build_rmcp_header(RmcpClass.ASF, 3, ack=True)).is_ack


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x06\x00\xff",
        bytes.fromhex("0500ff07"),  # RMCP version 5
        bytes.fromhex("0600ff1f"),  # unknown class
        bytes.fromhex("0600ff07000011be80000000"),  # IPMI class is not a ping
        bytes.fromhex("0600ff06000011bf80000000"),  # wrong IANA
        bytes.fromhex("0600ff06000011be40000000"),  # a pong is not a ping
        SIM_PONG[:-1][:20],  # truncated pong body
        SIM_PONG[:11] + b"\x20" + SIM_PONG[12:],  # data length beyond the datagram
    ],
)
def test_malformed(data: bytes) -> None:
    with pytest.raises(WireError):
        parse_presence_ping(data)
    with pytest.raises(WireError):
        parse_presence_pong(data)


def test_builder_range_checks() -> None:
    with pytest.raises(WireError):
        build_presence_ping(256)
    with pytest.raises(WireError):
        build_presence_pong(1, supported_entities=-1)
