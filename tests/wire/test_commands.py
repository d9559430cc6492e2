"""Command data: GCAC, session setup, Get Device ID, Get Channel Cipher Suites, LAN config."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oobaudit.wire import commands as c
from oobaudit.wire.errors import WireError
from oobaudit.wire.ipmi15 import AuthType, parse_request_message, parse_response_message, parse_session15_packet
from oobaudit.wire.rmcpplus import CIPHER_SUITES
from tests.wire.vectors import IPMITOOL_MOCK_C17, IPMITOOL_SIM_C3, IPMITOOL_SIM_LAN_MD5, SIM_NULL_USER_C3


def _msg(hexdata: str) -> bytes:
    return parse_session15_packet(bytes.fromhex(hexdata)).message


def test_gcac_request_matches_nmap_and_ipmitool() -> None:
    nmap = bytes.fromhex("0600ff07000000000000000000092018c88100388e04b5")
    assert c.build_get_channel_auth_capabilities_packet() == nmap
    # ipmitool -I lanplus sends exactly the nmap probe
    assert IPMITOOL_MOCK_C17[0] == ("C", nmap.hex())
    # ipmitool -I lan: no v2 bit, rqSeq 1
    assert c.build_get_channel_auth_capabilities_packet(ipmi20_extended=False, rq_seq=1).hex() == \
        IPMITOOL_SIM_LAN_MD5[2][1]
    req = c.parse_get_channel_auth_capabilities_request(parse_request_message(_msg(IPMITOOL_SIM_LAN_MD5[2][1])).data)
    assert (req.channel, req.privilege, req.ipmi20_extended) == (0x0E, 4, False)


# reference/ipmi-wire.md section 4 example responses (data after the completion code)
GCAC_EXAMPLES = {
    "gigabyte": "01 84 14 03 000000 00",
    "ipmi_sim": "01 97 05 03 000000 00",
    "pyghmi": "01 80 04 02 000000 00",
}


def test_gcac_gigabyte() -> None:
    caps = c.parse_channel_auth_capabilities_response(bytes.fromhex(GCAC_EXAMPLES["gigabyte"]))
    assert caps.channel == 1 and caps.auth_types == {AuthType.MD5} and caps.ipmi20_extended
    assert caps.per_message_auth_disabled and not caps.user_level_auth_disabled
    assert caps.non_null_usernames and not caps.null_usernames and not caps.anonymous_login
    assert caps.supports_ipmi15 and caps.supports_ipmi20 and not caps.kg_nonzero


def test_gcac_ipmi_sim() -> None:
    caps = c.parse_channel_auth_capabilities_response(bytes.fromhex(GCAC_EXAMPLES["ipmi_sim"]))
    assert caps.auth_types == {AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD}
    assert caps.weak_auth_types == {AuthType.NONE, AuthType.MD2, AuthType.PASSWORD}
    assert caps.anonymous_login and caps.non_null_usernames and not caps.per_message_auth_disabled


def test_gcac_pyghmi() -> None:
    caps = c.parse_channel_auth_capabilities_response(bytes.fromhex(GCAC_EXAMPLES["pyghmi"]))
    assert caps.auth_types == frozenset() and caps.supports_ipmi20 and not caps.supports_ipmi15


def test_gcac_kg_oem_and_legacy() -> None:
    caps = c.parse_channel_auth_capabilities_response(bytes.fromhex("0ea03a03f21b0007"))
    assert caps.kg_nonzero and AuthType.OEM in caps.auth_types and caps.user_level_auth_disabled
    assert (caps.oem_id, caps.oem_aux) == (7154, 7)
    legacy = c.parse_channel_auth_capabilities_response(bytes.fromhex("0117050000000000"))
    assert not legacy.ipmi20_extended and legacy.supports_ipmi15 is None and legacy.supports_ipmi20 is None
    with pytest.raises(WireError):
        c.parse_channel_auth_capabilities_response(bytes.fromhex("01970503"))


@given(
    channel=st.integers(0, 15),
    auth=st.frozensets(st.sampled_from([AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD,
                                        AuthType.OEM])),
    flags=st.lists(st.booleans(), min_size=8, max_size=8),
    oem=st.integers(0, 0xFFFFFF),
)
def test_gcac_round_trip(channel: int, auth: frozenset[AuthType], flags: list[bool], oem: int) -> None:
    caps = c.ChannelAuthCapabilities(
        channel=channel, auth_types=auth, ipmi20_extended=True, kg_nonzero=flags[0],
        per_message_auth_disabled=flags[1], user_level_auth_disabled=flags[2], non_null_usernames=flags[3],
        null_usernames=flags[4], anonymous_login=flags[5], supports_ipmi15=flags[6], supports_ipmi20=flags[7],
        oem_id=oem, oem_aux=3)
    assert c.parse_channel_auth_capabilities_response(c.build_channel_auth_capabilities_response(caps)) == caps


def test_session_challenge_and_activate_known_answers() -> None:
    req = parse_request_message(_msg(IPMITOOL_SIM_LAN_MD5[4][1]))
    ch = c.parse_session_challenge_request(req.data)
    assert (ch.auth_type, ch.username) == (AuthType.MD5, b"admin")
    assert c.build_session_challenge_request(AuthType.MD5, b"admin") == req.data
    rsp = parse_response_message(_msg(IPMITOOL_SIM_LAN_MD5[5][1]))
    chal = c.parse_session_challenge_response(rsp.data)
    assert chal.temp_session_id == 0x285 and len(chal.challenge) == 16
    act = c.parse_activate_session_request(parse_request_message(_msg(IPMITOOL_SIM_LAN_MD5[6][1])).data)
    assert (act.auth_type, act.max_privilege, act.challenge) == (AuthType.MD5, 4, chal.challenge)
    ok = c.parse_activate_session_response(parse_response_message(_msg(IPMITOOL_SIM_LAN_MD5[7][1])).data)
    assert (ok.auth_type, ok.session_id, ok.max_privilege) == (AuthType.MD5, 0x882, 4)
    assert ok.initial_inbound_seq == 0x7D07FE1C
    assert c.build_activate_session_response(2, 0x882, 0x7D07FE1C, 4) == \
        parse_response_message(_msg(IPMITOOL_SIM_LAN_MD5[7][1])).data
    assert c.parse_set_session_privilege_request(c.build_set_session_privilege_request(4)) == 4
    assert c.parse_close_session_request(c.build_close_session_request(0x882)) == 0x882
    assert c.build_close_session_request(0, 3) == b"\0\0\0\0\x03"


def test_device_id_ipmi_sim() -> None:
    dev = c.parse_device_id_response(bytes.fromhex("00030908029f911200020f00000000"))
    assert (dev.device_id, dev.device_revision, dev.provides_sdrs, dev.update_in_progress) == (0, 3, False, False)
    assert (dev.firmware_major, dev.firmware_minor, dev.firmware_version) == (9, 8, "9.08")
    assert dev.ipmi_version == (2, 0) and dev.additional_support == 0x9F
    assert (dev.manufacturer_id, dev.product_id, dev.aux_firmware) == (4753, 0x0F02, b"\0\0\0\0")
    assert c.build_device_id_response(dev).hex() == "00030908029f911200020f00000000"
    short = c.parse_device_id_response(bytes.fromhex("20818123519f7c2a003412"))
    assert short.aux_firmware is None and short.firmware_version == "1.23" and short.ipmi_version == (1, 5)
    assert short.provides_sdrs and short.update_in_progress
    with pytest.raises(WireError):
        c.parse_device_id_response(bytes.fromhex("20818123"))
    with pytest.raises(WireError):  # firmware minor 0x1A is not BCD
        c.parse_device_id_response(bytes.fromhex("2001011a519f7c2a003412"))


def _ids(records: tuple[c.CipherSuiteRecord, ...]) -> list[int]:
    return [r.suite_id for r in records]


def test_cipher_suites_python_ipmi_issue_188() -> None:
    rsp = bytes.fromhex("00 01 c0 03 01 41 81 c0 11 03 44 81")
    assert rsp[0] == 0
    channel, chunk = c.parse_cipher_suites_response(rsp[1:])
    recs = c.decode_cipher_suite_records(chunk)
    assert channel == 1 and _ids(recs) == [3, 17]
    assert (recs[1].auth_alg, recs[1].integrity_algs, recs[1].confidentiality_algs) == (3, (4,), (1,))
    assert c.decode_cipher_suite_records(bytes.fromhex("c003014181"))[0].suite_id == 3  # pyghmi


def test_cipher_suites_ipmi_sim_chunks() -> None:
    # the five 16-byte windows ipmi_sim returned for list indexes 0..4
    chunks = ["c000004080c001014080c002014180c0", "03014181c004014182c005014183c006",
              "024080c007024280c008024281c00902", "4282c00a024283c00b024380c00c0243",
              "81c00d024382c00e024383"]
    recs = c.decode_cipher_suite_records(bytes.fromhex("".join(chunks)))
    assert _ids(recs) == list(range(15))
    for r in recs:
        s = CIPHER_SUITES[r.suite_id]
        assert (r.auth_alg, r.integrity_algs, r.confidentiality_algs) == (s.auth, (s.integrity,), (s.confidentiality,))
    # and our encoder produces the same bytes
    enc = c.encode_cipher_suite_records(recs)
    assert enc.hex() == "".join(chunks)
    assert [c.cipher_suite_record_chunk(enc, i).hex() for i in range(6)] == [*chunks, ""]


def test_cipher_suites_from_captured_request() -> None:
    pkt = parse_session15_packet(bytes.fromhex(SIM_NULL_USER_C3[8][1]))
    req = c.parse_cipher_suites_request(parse_request_message(pkt.message).data)
    assert (req.channel, req.payload_type, req.list_by_cipher_suite, req.list_index) == (0x0E, 0, True, 2)
    assert c.build_cipher_suites_request(2) == parse_request_message(pkt.message).data


def test_cipher_suites_oem_and_multi_algorithm_records() -> None:
    data = bytes.fromhex("c1 80 a2 02 00 01 41 81" "c0 11 03 44 41 81 80" "000000")
    oem, multi = c.decode_cipher_suite_records(data)
    assert (oem.suite_id, oem.oem_iana, oem.auth_alg) == (0x80, 674, 1)
    assert (multi.integrity_algs, multi.confidentiality_algs) == ((4, 1), (1, 0))
    assert c.encode_cipher_suite_records([oem, multi]) == data[:-3]


@pytest.mark.parametrize(
    "bad",
    ["c2 03 01 41 81", "c0 03 41 81", "c0 03 01 01 41", "c0 03 01 c1", "c1 80 a2", "c0 03 01 41 c1", "00 01"],
)
def test_cipher_suites_malformed(bad: str) -> None:
    with pytest.raises(WireError):
        c.decode_cipher_suite_records(bytes.fromhex(bad))


def test_cipher_suite_response_too_long() -> None:
    with pytest.raises(WireError):
        c.parse_cipher_suites_response(bytes(18))


def test_lan_config_request() -> None:
    raw = c.build_lan_config_request(23, channel=1)
    assert raw == bytes.fromhex("01170000")
    req = c.parse_lan_config_request(bytes.fromhex("81020000"))
    assert (req.channel, req.parameter, req.revision_only) == (1, 2, True)


def test_open_session_algorithms_in_ipmitool_capture() -> None:
    # sanity: the C17 capture starts with GCAC and its reply decodes
    rsp = parse_response_message(_msg(IPMITOOL_MOCK_C17[1][1]))
    assert c.parse_channel_auth_capabilities_response(rsp.data).supports_ipmi20
    rsp = parse_response_message(_msg(IPMITOOL_SIM_C3[1][1]))
    assert c.parse_channel_auth_capabilities_response(rsp.data).raw.hex() == "0197050300000000"
