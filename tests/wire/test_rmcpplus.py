"""RMCP+ framing, Open Session, RAKP message layouts, cipher suites, AES and integrity."""

from __future__ import annotations

import os

import pytest

from oobaudit.wire.errors import WireError
from oobaudit.wire.rmcpplus import (
    CIPHER_SUITES,
    AuthAlgorithm,
    ConfidentialityAlgorithm,
    IntegrityAlgorithm,
    PayloadType,
    RakpStatus,
    build_open_session_request,
    build_open_session_response,
    build_rakp1,
    build_rakp2,
    build_rakp3,
    build_rakp4,
    build_rmcpplus_packet,
    cipher_suite,
    decrypt_aes_cbc_128,
    encrypt_aes_cbc_128,
    find_cipher_suite,
    integrity_code,
    parse_open_session_request,
    parse_open_session_response,
    parse_rakp1,
    parse_rakp2,
    parse_rakp3,
    parse_rakp4,
    parse_rmcpplus_packet,
    verify_integrity,
)
from tests.wire.vectors import IPMITOOL_MOCK_C17, IPMITOOL_SIM_C3, SIM_UNKNOWN_USER_C3


def raw(vector: list[tuple[str, str]], i: int) -> bytes:
    return bytes.fromhex(vector[i][1])


def test_cipher_suite_table() -> None:
    assert sorted(CIPHER_SUITES) == list(range(20))
    s3, s17 = cipher_suite(3), cipher_suite(17)
    assert (s3.auth, s3.integrity, s3.confidentiality) == (1, 1, 1)
    assert (s17.auth, s17.integrity, s17.confidentiality) == (3, 4, 1)
    assert cipher_suite(0).auth == AuthAlgorithm.RAKP_NONE
    assert cipher_suite(12).integrity == IntegrityAlgorithm.MD5_128
    assert cipher_suite(19).confidentiality == ConfidentialityAlgorithm.XRC4_40
    assert find_cipher_suite(3, 4, 1) == s17 and find_cipher_suite(3, 1, 1) is None
    with pytest.raises(WireError):
        cipher_suite(20)


def test_nmap_cipher_zero_probe() -> None:
    # nmap ipmi-cipher-zero / Metasploit ipmi_cipher_zero (reference section 12.1)
    sid = 0x12345678
    expected = bytes.fromhex(
        "0600ff07" "06" "10" "00000000" "00000000" "2000"
        "00000000" "78563412" "0000000800000000" "0100000800000000" "0200000800000000")
    assert build_rmcpplus_packet(PayloadType.OPEN_SESSION_REQUEST, build_open_session_request(sid, 0, 0, 0)) == \
        expected
    req = parse_open_session_request(parse_rmcpplus_packet(expected).payload)
    assert (req.console_session_id, req.auth_alg, req.integrity_alg, req.confidentiality_alg) == (sid, 0, 0, 0)


def test_ipmitool_open_session_request_known_answer() -> None:
    pkt = parse_rmcpplus_packet(raw(IPMITOOL_MOCK_C17, 2))
    assert (pkt.payload_type, pkt.session_id, pkt.session_seq, pkt.authenticated, pkt.encrypted) == \
        (PayloadType.OPEN_SESSION_REQUEST, 0, 0, False, False)
    req = parse_open_session_request(pkt.payload)
    assert (req.requested_privilege, req.console_session_id) == (0, 0xA0A2A3A4)
    assert (req.auth_alg, req.integrity_alg, req.confidentiality_alg) == (3, 4, 1)
    again = build_rmcpplus_packet(PayloadType.OPEN_SESSION_REQUEST, build_open_session_request(0xA0A2A3A4, 3, 4, 1))
    assert again == raw(IPMITOOL_MOCK_C17, 2)


def test_open_session_response_ipmi_sim() -> None:
    rsp = parse_open_session_response(parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 3)).payload)
    assert rsp.ok and (rsp.console_session_id, rsp.bmc_session_id) == (0xA0A2A3A4, 0x802)
    assert rsp.cipher_suite == cipher_suite(3)
    enc = build_open_session_response(0, 0, max_privilege=0, console_session_id=0xA0A2A3A4, bmc_session_id=0x802,
                                      auth_alg=1, integrity_alg=1, confidentiality_alg=1)
    assert enc == parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 3)).payload


def test_open_session_error_forms() -> None:
    # ipmi_sim sends only tag + status on error
    two = parse_open_session_response(bytes.fromhex("0004"))
    assert two.status == RakpStatus.INVALID_AUTHENTICATION_ALGORITHM and not two.ok
    assert two.bmc_session_id is None and two.cipher_suite is None and two.console_session_id is None
    eight = parse_open_session_response(build_open_session_response(7, 0x11, console_session_id=5))
    assert (eight.message_tag, eight.status, eight.console_session_id) == (7, 0x11, 5)
    with pytest.raises(WireError):
        parse_open_session_response(bytes.fromhex("0000"))  # success needs the whole payload
    # a "null" algorithm proposal (payload length 0) parses as None
    null = build_open_session_request(1, None, 1, None)
    req = parse_open_session_request(null)
    assert (req.auth_alg, req.integrity_alg, req.confidentiality_alg) == (None, 1, None)
    with pytest.raises(WireError):
        parse_open_session_request(null[:8] + b"\x01" + null[9:])  # slot type byte mismatch


def test_rakp1_known_answer() -> None:
    r1 = parse_rakp1(parse_rmcpplus_packet(raw(IPMITOOL_MOCK_C17, 4)).payload)
    assert (r1.bmc_session_id, r1.role, r1.username) == (0x4B2A229B, 0x14, b"admin")
    assert r1.requested_privilege == 4 and r1.name_only_lookup
    assert build_rakp1(r1.bmc_session_id, r1.console_random, b"admin") == \
        parse_rmcpplus_packet(raw(IPMITOOL_MOCK_C17, 4)).payload
    with pytest.raises(WireError):
        parse_rakp1(build_rakp1(1, bytes(16), b"a")[:27] + b"\x11" + b"x" * 17)


def test_rakp2_rakp4_layouts() -> None:
    r2 = parse_rakp2(parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 5)).payload)
    assert r2.status == 0 and r2.console_session_id == 0xA0A2A3A4
    assert r2.bmc_guid == bytes.fromhex("a123456789abcdefa123456789abcdef")
    assert len(r2.key_exchange_auth_code) == 20
    assert r2.key_exchange_auth_code.hex() not in repr(r2)
    unknown = parse_rakp2(parse_rmcpplus_packet(raw(SIM_UNKNOWN_USER_C3, 17)).payload)
    assert unknown.status == RakpStatus.UNAUTHORIZED_NAME
    short = parse_rakp2(bytes.fromhex("000d0000"))
    assert short.status == 0x0D and short.bmc_random is None
    r4 = parse_rakp4(parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 7)).payload)
    assert r4.status == 0 and len(r4.integrity_check_value) == 12
    assert parse_rakp4(bytes.fromhex("000f")).console_session_id is None
    r3 = parse_rakp3(parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 6)).payload)
    assert (r3.status, r3.bmc_session_id, len(r3.auth_code)) == (0, 0x802, 20)
    assert build_rakp3(0, 0, 0x802, r3.auth_code) == parse_rmcpplus_packet(raw(IPMITOOL_SIM_C3, 6)).payload
    assert parse_rakp4(build_rakp4(1, 0, 9, b"x" * 16)).integrity_check_value == b"x" * 16
    assert parse_rakp2(build_rakp2(1, 0, 9, bytes(16), bytes(16), b"h" * 32)).key_exchange_auth_code == b"h" * 32


def test_authenticated_packet_trailer() -> None:
    pkt = parse_rmcpplus_packet(raw(IPMITOOL_MOCK_C17, 8))
    assert pkt.authenticated and pkt.encrypted and pkt.payload_type == PayloadType.IPMI
    assert len(pkt.auth_code) == 16 and len(pkt.signed) % 4 == 0
    assert pkt.signed[-4:] == bytes.fromhex("ffff0207")
    assert pkt.auth_code.hex() not in repr(pkt)


@pytest.mark.parametrize("plen", range(0, 9))
def test_integrity_pad_round_trip(plen: int) -> None:
    k1 = os.urandom(20)
    for alg in (IntegrityAlgorithm.HMAC_SHA1_96, IntegrityAlgorithm.HMAC_MD5_128, IntegrityAlgorithm.HMAC_SHA256_128):
        data = build_rmcpplus_packet(PayloadType.IPMI, b"\xaa" * plen, session_id=5, session_seq=6, integrity=alg,
                                     k1=k1)
        pkt = parse_rmcpplus_packet(data)
        assert pkt.payload == b"\xaa" * plen and len(pkt.signed) % 4 == 0
        assert verify_integrity(pkt, alg, k1)
        assert not verify_integrity(pkt, alg, os.urandom(20))
        assert integrity_code(alg, k1, pkt.signed) == pkt.auth_code


def test_oem_explicit_payload() -> None:
    data = build_rmcpplus_packet(PayloadType.OEM_EXPLICIT, b"hi", oem_iana=674, oem_payload_id=0x1234)
    pkt = parse_rmcpplus_packet(data)
    assert (pkt.oem_iana, pkt.oem_payload_id, pkt.payload) == (674, 0x1234, b"hi")
    with pytest.raises(WireError):
        build_rmcpplus_packet(PayloadType.OEM_EXPLICIT, b"hi")


@pytest.mark.parametrize("n", [0, 1, 14, 15, 16, 17, 31, 32, 100])
def test_aes_round_trip_and_pad(n: int) -> None:
    k2 = os.urandom(20)
    iv = bytes(range(16))
    enc = encrypt_aes_cbc_128(k2, b"\x55" * n, iv)
    assert enc[:16] == iv and (len(enc) - 16) % 16 == 0 and len(enc) - 16 >= n + 1
    assert decrypt_aes_cbc_128(k2, enc) == b"\x55" * n


def test_aes_pad_layout() -> None:
    """15 data bytes + pad length 0 fill one block; 14 bytes get pad 01 and length 1."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key, iv = bytes(range(16)), bytes(range(16, 32))
    # the primitive itself: NIST SP 800-38A F.2.1, CBC-AES128, first block
    nist = Cipher(algorithms.AES(bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")),
                  modes.CBC(bytes.fromhex("000102030405060708090a0b0c0d0e0f"))).encryptor()
    assert nist.update(bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")).hex() == "7649abac8119b246cee98e9b12e9197d"
    for data, padded in ((b"A" * 15, b"A" * 15 + b"\x00"), (b"B" * 14, b"B" * 14 + b"\x01\x01"),
                         (b"C" * 16, b"C" * 16 + bytes(range(1, 16)) + b"\x0f")):
        ref = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        assert encrypt_aes_cbc_128(key + b"tail", data, iv) == iv + ref.update(padded) + ref.finalize()


def test_aes_errors() -> None:
    k2 = os.urandom(20)
    with pytest.raises(WireError):
        decrypt_aes_cbc_128(k2, bytes(17))
    with pytest.raises(WireError):
        decrypt_aes_cbc_128(k2, bytes(16))  # IV only
    with pytest.raises(WireError):
        decrypt_aes_cbc_128(os.urandom(20), encrypt_aes_cbc_128(k2, b"payload"))  # wrong key -> bad pad (p~1)
    with pytest.raises(WireError):
        encrypt_aes_cbc_128(b"short", b"x")


def test_packet_errors() -> None:
    good = raw(IPMITOOL_MOCK_C17, 8)
    with pytest.raises(WireError):
        parse_rmcpplus_packet(good[:20])
    with pytest.raises(WireError):
        parse_rmcpplus_packet(good[:-17] + b"\x08" + good[-16:])  # next header != 7
    with pytest.raises(WireError):
        parse_rmcpplus_packet(bytes.fromhex("0600ff07000000000000000000092018c88100388e04b5"))  # 1.5 packet
    with pytest.raises(WireError):
        build_rmcpplus_packet(PayloadType.IPMI, b"x", integrity=IntegrityAlgorithm.HMAC_SHA1_96)  # no K1
    with pytest.raises(WireError):
        integrity_code(IntegrityAlgorithm.MD5_128, bytes(20), b"x")
