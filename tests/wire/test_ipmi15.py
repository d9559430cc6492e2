"""IPMI 1.5 session wrapper, message framing, checksums and auth codes."""

from __future__ import annotations

import hashlib

import pytest

from oobaudit.wire.errors import WireError
from oobaudit.wire.ipmi15 import (
    AuthType,
    IpmiRequest,
    IpmiResponse,
    build_request_message,
    build_response_message,
    build_session15_packet,
    checksum,
    completion_code_name,
    compute_auth_code,
    md2,
    parse_request_message,
    parse_response_message,
    parse_session15_packet,
)
from tests.wire.vectors import (
    IPMITOOL_MOCK_LAN_MD5,
    IPMITOOL_SIM_LAN_MD5,
    SIM_LAN_MD2,
    SIM_LAN_PASSWORD,
)

# nmap ipmi-version / Metasploit ipmi_version probe (reference section 4)
NMAP_GCAC = bytes.fromhex("0600ff07" "00" "00000000" "00000000" "09" "2018c88100388e04b5")


def test_checksums_known_answer() -> None:
    assert checksum(bytes.fromhex("2018")) == 0xC8
    assert checksum(bytes.fromhex("8100388e04")) == 0xB5
    assert checksum(b"") == 0


def test_request_message_known_answer() -> None:
    msg = build_request_message(IpmiRequest(netfn=6, cmd=0x38, data=b"\x8e\x04"))
    assert msg == bytes.fromhex("2018c88100388e04b5")
    assert build_session15_packet(msg) == NMAP_GCAC
    pkt = parse_session15_packet(NMAP_GCAC)
    assert (pkt.auth_type, pkt.session_seq, pkt.session_id, pkt.auth_code) == (AuthType.NONE, 0, 0, None)
    req = parse_request_message(pkt.message)
    assert (req.netfn, req.cmd, req.data, req.rq_seq, req.rs_addr, req.rq_addr) == (6, 0x38, b"\x8e\x04", 0, 0x20,
                                                                                     0x81)


def test_response_message_known_answer() -> None:
    # ipmi_sim's GCAC answer to ipmitool -I lan (1.5 request without the v2 bit)
    pkt = parse_session15_packet(bytes.fromhex(IPMITOOL_SIM_LAN_MD5[3][1]))
    rsp = parse_response_message(pkt.message)
    assert (rsp.netfn, rsp.cmd, rsp.completion_code, rsp.rq_seq) == (7, 0x38, 0, 1)
    assert rsp.data == bytes.fromhex("0117050000000000")
    assert build_response_message(rsp) == pkt.message


def test_message_round_trip_and_luns() -> None:
    req = IpmiRequest(netfn=0x2C, cmd=0x3E, data=b"\x00\x02", rq_seq=63, rs_lun=2, rq_lun=1)
    assert parse_request_message(build_request_message(req)) == req
    rsp = IpmiResponse(netfn=0x2D, cmd=0x3E, completion_code=0xC1, rq_seq=5, rq_lun=3, rs_lun=1)
    assert parse_response_message(build_response_message(rsp)) == rsp


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m[:2] + bytes([m[2] ^ 1]) + m[3:],  # header checksum
        lambda m: m[:-1] + bytes([m[-1] ^ 1]),  # data checksum
        lambda m: m[:5],  # too short
    ],
)
def test_bad_messages(mutate) -> None:
    good = build_request_message(IpmiRequest(netfn=6, cmd=1))
    with pytest.raises(WireError):
        parse_request_message(mutate(good))


def test_request_response_netfn_parity() -> None:
    req = build_request_message(IpmiRequest(netfn=6, cmd=1))
    with pytest.raises(WireError):
        parse_response_message(req)
    rsp = build_response_message(IpmiResponse(netfn=7, cmd=1, completion_code=0))
    with pytest.raises(WireError):
        parse_request_message(rsp)
    with pytest.raises(WireError):
        build_request_message(IpmiRequest(netfn=7, cmd=1))
    with pytest.raises(WireError):
        build_response_message(IpmiResponse(netfn=6, cmd=1, completion_code=0))


def test_md2_rfc1319_vectors() -> None:
    vectors = {
        b"": "8350e5a3e24c153df2275c9f80692773",
        b"a": "32ec01ec4a6dac72c0ab96fb34c0b5d1",
        b"abc": "da853b0d3f88d99b30283a69e6ded6bb",
        b"message digest": "ab4f496bfb2a530b219ff33031fe06b0",
        b"abcdefghijklmnopqrstuvwxyz": "4e8ddff3650292ab5a4108c3aa47940b",
        b"1234567890" * 8: "d5976f79d83d3a0dc9806c3c66f3efd8",
    }
    for msg, digest in vectors.items():
        assert md2(msg).hex() == digest


def test_md5_auth_code_formula() -> None:
    pw = b"admin".ljust(16, b"\0")
    msg = bytes.fromhex("2018c88104380e0431")
    expected = hashlib.md5(pw + (0x1234).to_bytes(4, "little") + msg + (7).to_bytes(4, "little") + pw).digest()
    assert compute_auth_code(AuthType.MD5, b"admin", 0x1234, msg, 7) == expected
    assert compute_auth_code(AuthType.PASSWORD, b"admin", 1, msg, 2) == pw


def _verify_all(vector: list[tuple[str, str]], password: bytes, expect_type: AuthType) -> int:
    n = 0
    for _, hexdata in vector:
        raw = bytes.fromhex(hexdata)
        if raw[3] != 0x07:  # ASF ping / pong
            continue
        pkt = parse_session15_packet(raw)
        if pkt.auth_type == AuthType.NONE:
            continue
        assert pkt.auth_type == expect_type
        assert pkt.verify(password), hexdata
        assert not pkt.verify(password + b"x")
        n += 1
    return n


def test_md5_auth_codes_of_ipmitool_and_ipmi_sim() -> None:
    # both directions of ipmitool <-> ipmi_sim: two independent MD5 implementations
    assert _verify_all(IPMITOOL_SIM_LAN_MD5, b"admin", AuthType.MD5) == 16
    # ipmitool -> our mock (the C packets are ipmitool's)
    assert _verify_all([p for p in IPMITOOL_MOCK_LAN_MD5 if p[0] == "C"], b"secret", AuthType.MD5) >= 6


def test_md2_auth_codes_of_ipmi_sim() -> None:
    bmc = [p for p in SIM_LAN_MD2 if p[0] == "B"]
    assert _verify_all(bmc, b"admin", AuthType.MD2) >= 2


def test_straight_password_is_the_password() -> None:
    pkt = parse_session15_packet(bytes.fromhex(SIM_LAN_PASSWORD[3][1]))
    assert pkt.auth_type == AuthType.PASSWORD and pkt.auth_code == b"admin".ljust(16, b"\0")
    assert "auth_code" not in repr(pkt) and "admin" not in repr(pkt)


def test_session_packet_round_trip() -> None:
    msg = build_request_message(IpmiRequest(netfn=6, cmd=1, rq_seq=9))
    for at in (AuthType.MD5, AuthType.MD2, AuthType.PASSWORD):
        raw = build_session15_packet(msg, auth_type=at, session_id=0xDEADBEEF, session_seq=42, password=b"pw")
        pkt = parse_session15_packet(raw)
        assert (pkt.auth_type, pkt.session_id, pkt.session_seq, pkt.message) == (at, 0xDEADBEEF, 42, msg)
        assert pkt.verify(b"pw") and not pkt.verify(b"PW")
    # a trailing legacy pad byte is tolerated
    assert parse_session15_packet(NMAP_GCAC + b"\x00").message == NMAP_GCAC[14:]


def test_session_packet_errors() -> None:
    msg = build_request_message(IpmiRequest(netfn=6, cmd=1))
    with pytest.raises(WireError):
        build_session15_packet(msg, auth_type=AuthType.MD5)  # no password
    with pytest.raises(WireError):
        build_session15_packet(msg, auth_type=AuthType.OEM, password=b"x")  # OEM is not computable
    with pytest.raises(WireError):
        compute_auth_code(AuthType.MD5, b"x" * 17, 0, msg, 0)
    with pytest.raises(WireError):
        parse_session15_packet(NMAP_GCAC[:-1])  # message length says 9, 8 present
    with pytest.raises(WireError):
        parse_session15_packet(NMAP_GCAC[:4] + b"\x06" + NMAP_GCAC[5:])  # RMCP+
    with pytest.raises(WireError):
        parse_session15_packet(NMAP_GCAC[:4] + b"\x03" + NMAP_GCAC[5:])  # unknown auth type


def test_completion_code_names() -> None:
    assert completion_code_name(0xC1) == "INVALID_COMMAND"
    assert completion_code_name(0x81) == "COMMAND_SPECIFIC_0x81"
    assert completion_code_name(0x10) == "UNKNOWN_0x10"
