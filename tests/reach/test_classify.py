"""The reply classifier on crafted scapy packets, and the probe payloads (no network)."""

from __future__ import annotations

import ipaddress

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, ICMPerror, IPerror, TCPerror, UDPerror
from scapy.layers.snmp import SNMP, SNMPget, SNMPresponse, SNMPvarbind
from scapy.packet import Raw

from oobaudit.collectors.reach import PROBE_ASF, PROBE_SNMP, classify, describe_udp
from oobaudit.collectors.reach_wire import (
    asf_ping,
    count_addresses,
    parse_asf_pong,
    parse_ports,
    range_addresses,
    snmp_get,
)

ME, BMC, ROUTER = "198.18.1.10", "198.18.2.10", "198.18.1.1"
SPORT, ICMP_ID = 45123, 0x4242
PONG = bytes.fromhex("0600ff06000011be40110010000011be000000008100000000000000")  # ipmi_sim 2.0.33


def _re(pkt):
    """Round-trip through bytes, as the prober sees packets."""
    return IP(bytes(pkt))


def test_syn_ack_is_open() -> None:
    key, obs = classify(_re(IP(src=BMC, dst=ME) / TCP(sport=443, dport=SPORT, flags="SA", ack=1001)), SPORT, ICMP_ID)
    assert key == (BMC, "tcp", 443)
    assert (obs.state, obs.responder) == ("open", BMC) and "SYN-ACK" in obs.reply
    assert obs.details["ack"] == 1001


@pytest.mark.parametrize("flags,name", [("RA", "RST-ACK"), ("R", "RST")])
def test_rst_is_closed(flags: str, name: str) -> None:
    key, obs = classify(_re(IP(src=BMC, dst=ME) / TCP(sport=22, dport=SPORT, flags=flags)), SPORT, ICMP_ID)
    assert key == (BMC, "tcp", 22) and obs.state == "closed" and obs.reply.startswith(name)


def test_tcp_to_another_port_is_ignored() -> None:
    assert classify(_re(IP(src=BMC, dst=ME) / TCP(sport=443, dport=SPORT + 1, flags="SA")), SPORT, ICMP_ID) is None
    # our own SYN as seen on loopback is not an answer
    assert classify(_re(IP(src=ME, dst=BMC) / TCP(sport=SPORT, dport=443, flags="S")), SPORT, ICMP_ID) is None


def test_icmp_admin_prohibited_from_router_is_filtered_for_tcp() -> None:
    pkt = IP(src=ROUTER, dst=ME) / ICMP(type=3, code=13) / IPerror(src=ME, dst=BMC) / TCPerror(
        sport=SPORT, dport=623, seq=77)
    key, obs = classify(_re(pkt), SPORT, ICMP_ID)
    assert key == (BMC, "tcp", 623)
    assert obs.state == "filtered" and obs.responder == ROUTER
    assert "administratively prohibited" in obs.reply and obs.details["seq"] == 77


def test_icmp_port_unreachable_from_bmc_is_udp_closed() -> None:
    pkt = IP(src=BMC, dst=ME) / ICMP(type=3, code=3) / IPerror(src=ME, dst=BMC) / UDPerror(sport=SPORT, dport=161)
    key, obs = classify(_re(pkt), SPORT, ICMP_ID)
    assert key == (BMC, "udp", 161) and obs.state == "closed" and obs.responder == BMC


def test_icmp_port_unreachable_from_router_is_filtered() -> None:
    pkt = IP(src=ROUTER, dst=ME) / ICMP(type=3, code=3) / IPerror(src=ME, dst=BMC) / UDPerror(sport=SPORT, dport=623)
    key, obs = classify(_re(pkt), SPORT, ICMP_ID)
    assert obs.state == "filtered" and obs.responder == ROUTER


def test_icmp_error_about_someone_elses_packet_is_ignored() -> None:
    pkt = IP(src=ROUTER, dst=ME) / ICMP(type=3, code=1) / IPerror(src=ME, dst=BMC) / UDPerror(sport=999, dport=623)
    assert classify(_re(pkt), SPORT, ICMP_ID) is None


def test_ttl_exceeded_is_filtered() -> None:
    pkt = IP(src=ROUTER, dst=ME) / ICMP(type=11, code=0) / IPerror(src=ME, dst=BMC) / TCPerror(sport=SPORT, dport=22)
    _, obs = classify(_re(pkt), SPORT, ICMP_ID)
    assert obs.state == "filtered" and "TTL exceeded" in obs.reply


def test_asf_pong_is_udp_open_and_decoded() -> None:
    key, obs = classify(_re(IP(src=BMC, dst=ME) / UDP(sport=623, dport=SPORT) / Raw(PONG)), SPORT, ICMP_ID)
    assert key == (BMC, "udp", 623) and obs.state == "open" and obs.payload == PONG
    text, details = describe_udp(PROBE_ASF, obs.payload)
    assert "ASF presence pong" in text and "4542" in text
    assert details["asf_pong"]["ipmi_supported"] is True and details["asf_pong"]["supported_entities"] == "0x81"


def test_snmp_response_is_decoded() -> None:
    resp = SNMP(community="public", PDU=SNMPresponse(id=7, varbindlist=[
        SNMPvarbind(oid="1.3.6.1.2.1.1.1.0", value=b"Supermicro BMC")]))
    key, obs = classify(_re(IP(src=BMC, dst=ME) / UDP(sport=161, dport=SPORT) / resp), SPORT, ICMP_ID)
    assert key == (BMC, "udp", 161) and obs.state == "open"
    text, details = describe_udp(PROBE_SNMP, obs.payload)
    assert "SNMP response" in text and details["sysDescr"] == "Supermicro BMC"
    assert describe_udp(PROBE_SNMP, b"\x00garbage")[0].startswith("UDP reply on the SNMP port that is not SNMP")


def test_echo_reply_and_icmp_id() -> None:
    key, obs = classify(_re(IP(src=BMC, dst=ME) / ICMP(type=0, id=ICMP_ID, seq=3)), SPORT, ICMP_ID)
    assert key == (BMC, "icmp", None) and obs.state == "answered"
    assert classify(_re(IP(src=BMC, dst=ME) / ICMP(type=0, id=ICMP_ID + 1)), SPORT, ICMP_ID) is None
    assert classify(_re(IP(src=ME, dst=BMC) / ICMP(type=8, id=ICMP_ID)), SPORT, ICMP_ID) is None


def test_echo_unreachable_is_filtered() -> None:
    pkt = IP(src=ROUTER, dst=ME) / ICMP(type=3, code=10) / IPerror(src=ME, dst=BMC) / ICMPerror(type=8, id=ICMP_ID)
    key, obs = classify(_re(pkt), SPORT, ICMP_ID)
    assert key == (BMC, "icmp", None) and obs.state == "filtered"


# --- payloads ---------------------------------------------------------------------------------

def test_asf_ping_bytes() -> None:
    assert asf_ping() == bytes.fromhex("0600ff06000011be80000000")
    assert asf_ping(0x11)[9] == 0x11 and len(asf_ping(0x11)) == 12
    with pytest.raises(ValueError):
        asf_ping(0xFF)


def test_asf_pong_parsing_is_lenient() -> None:
    pong = parse_asf_pong(PONG)
    assert pong and pong.iana == 4542 and pong.tag == 0x11 and pong.ipmi_supported and pong.asf_version == 1
    swapped = PONG[:12] + bytes.fromhex("be110000") + PONG[16:]  # openbmc/phosphor-net-ipmid#25
    p2 = parse_asf_pong(swapped)
    assert p2 and p2.iana == 4542 and p2.iana_byteswapped
    assert parse_asf_pong(asf_ping()) is None  # a ping is not a pong
    assert parse_asf_pong(b"\x06\x00") is None


def test_snmp_get_is_valid_v2c() -> None:
    msg = SNMP(snmp_get(0x1234))
    assert msg.version.val == 1 and msg.community.val == b"public"
    assert isinstance(msg.PDU, SNMPget) and msg.PDU.id.val == 0x1234
    assert msg.PDU.varbindlist[0].oid.val == "1.3.6.1.2.1.1.1.0"


def test_parse_ports() -> None:
    assert parse_ports("443,22, 5120-5123,22") == (22, 443, 5120, 5121, 5122, 5123)
    for bad in ("", "0", "70000", "a", "5-1", "1-9000"):
        with pytest.raises(ValueError):
            parse_ports(bad)


def test_ranges() -> None:
    nets = [ipaddress.IPv4Network("198.18.2.0/30"), ipaddress.IPv4Network("198.18.2.0/31"),
            ipaddress.IPv4Network("198.18.9.9/32")]
    assert range_addresses(nets) == ["198.18.2.1", "198.18.2.2", "198.18.2.0", "198.18.9.9"]
    assert count_addresses([ipaddress.IPv4Network("198.18.0.0/16"), ipaddress.IPv4Network("198.18.4.0/24")]) == 65536
    assert count_addresses([ipaddress.IPv4Network("198.18.0.0/15")]) == 131072
