"""RAKP HMACs, SIK/K1/K2, the offline RAKP2 check and session protection, against
packets captured between independent implementations (ipmitool, ipmi_sim)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pytest

from oobaudit.wire.errors import WireError
from oobaudit.wire.ipmi15 import IpmiRequest, build_request_message, parse_request_message, parse_response_message
from oobaudit.wire.rakp import (
    RakpHash,
    SessionCrypto,
    compute_rakp2_auth_code,
    compute_rakp3_auth_code,
    compute_rakp4_icv,
    derive_k,
    derive_session_keys,
    find_rakp2_password,
    rakp2_hmac_input,
    verify_rakp2_password,
)
from oobaudit.wire.rmcpplus import (
    CIPHER_SUITES,
    AuthAlgorithm,
    IntegrityError,
    OpenSessionRequest,
    OpenSessionResponse,
    PayloadType,
    Rakp1,
    Rakp2,
    Rakp3,
    Rakp4,
    cipher_suite,
    parse_open_session_request,
    parse_open_session_response,
    parse_rakp1,
    parse_rakp2,
    parse_rakp3,
    parse_rakp4,
    parse_rmcpplus_packet,
)
from tests.wire.vectors import (
    IPMITOOL_MOCK_C3,
    IPMITOOL_MOCK_C17,
    IPMITOOL_SIM_C3,
    SIM_ADMIN_C6,
    SIM_NULL_USER_C3,
)


@dataclass
class Handshake:
    packets: list[tuple[str, bytes]]
    osreq: OpenSessionRequest
    osrsp: OpenSessionResponse
    r1: Rakp1
    r2: Rakp2
    r3: Rakp3 | None
    r4: Rakp4 | None
    after: list[tuple[str, bytes]]


def handshake(vector: list[tuple[str, str]]) -> Handshake:
    pk = [(d, bytes.fromhex(h)) for d, h in vector]
    plus = [(d, b) for d, b in pk if b[3] == 0x07 and b[4] == 0x06]
    by_type: dict[int, bytes] = {}
    after = []
    for d, b in plus:
        p = parse_rmcpplus_packet(b)
        if p.payload_type == PayloadType.IPMI:
            after.append((d, b))
        else:
            by_type[p.payload_type] = p.payload
    return Handshake(
        packets=pk,
        osreq=parse_open_session_request(by_type[PayloadType.OPEN_SESSION_REQUEST]),
        osrsp=parse_open_session_response(by_type[PayloadType.OPEN_SESSION_RESPONSE]),
        r1=parse_rakp1(by_type[PayloadType.RAKP1]),
        r2=parse_rakp2(by_type[PayloadType.RAKP2]),
        r3=parse_rakp3(by_type[PayloadType.RAKP3]) if PayloadType.RAKP3 in by_type else None,
        r4=parse_rakp4(by_type[PayloadType.RAKP4]) if PayloadType.RAKP4 in by_type else None,
        after=after,
    )


CASES = [
    # vector, password, suite, which side is independent of our code
    pytest.param(IPMITOOL_SIM_C3, b"admin", 3, id="ipmitool<->ipmi_sim suite 3"),
    pytest.param(IPMITOOL_MOCK_C17, b"secret", 17, id="ipmitool<->mock suite 17"),
    pytest.param(IPMITOOL_MOCK_C3, b"secret", 3, id="ipmitool<->mock suite 3"),
]


@pytest.mark.parametrize(("vector", "password", "suite"), CASES)
def test_captured_session(vector: list[tuple[str, str]], password: bytes, suite: int) -> None:
    h = handshake(vector)
    s = cipher_suite(suite)
    assert (h.osreq.auth_alg, h.osreq.integrity_alg, h.osreq.confidentiality_alg) == (s.auth, s.integrity,
                                                                                    s.confidentiality)
    assert h.osrsp.cipher_suite == s
    csid, bsid = h.osreq.console_session_id, h.osrsp.bmc_session_id
    assert bsid is not None and h.r2.bmc_random is not None and h.r2.bmc_guid is not None
    assert h.r1.role == 0x14 and h.r1.username == b"admin"
    # RAKP2 (BMC) and RAKP3 (ipmitool) auth codes
    assert compute_rakp2_auth_code(s.auth, password, csid, bsid, h.r1.console_random, h.r2.bmc_random,
                                   h.r2.bmc_guid, h.r1.role, b"admin") == h.r2.key_exchange_auth_code
    assert h.r3 is not None and h.r4 is not None
    assert compute_rakp3_auth_code(s.auth, password, h.r2.bmc_random, csid, h.r1.role, b"admin") == h.r3.auth_code
    keys = derive_session_keys(s.auth, password, h.r1.console_random, h.r2.bmc_random, h.r1.role, b"admin")
    assert compute_rakp4_icv(s.auth, keys.sik, h.r1.console_random, bsid, h.r2.bmc_guid) == \
        h.r4.integrity_check_value
    # every protected packet in both directions verifies and decrypts (K1/K2 with 20-byte constants)
    crypto = SessionCrypto(s, keys)
    cmds = []
    for d, b in h.after:
        pkt = crypto.unseal(b)
        if d == "C":
            assert pkt.session_id == bsid
            cmds.append(parse_request_message(pkt.payload).cmd)
        else:
            assert pkt.session_id == csid
            assert parse_response_message(pkt.payload).completion_code in (0, 0xC1)
    assert cmds[0] == 0x3B and cmds[-1] == 0x3C  # Set Session Privilege ... Close Session


def test_offline_check_on_ipmi_sim_hash() -> None:
    h = handshake(IPMITOOL_SIM_C3)
    assert h.osrsp.bmc_session_id is not None
    rh = RakpHash.from_exchange(AuthAlgorithm.RAKP_HMAC_SHA1, h.osreq.console_session_id, h.osrsp.bmc_session_id,
                                h.r1, h.r2)
    assert rh.verifies(b"admin") and not rh.verifies(b"Admin") and not rh.verifies(b"a" * 21)
    assert find_rakp2_password(rh, [b"ADMIN", b"calvin", b"admin"]) == b"admin"
    assert find_rakp2_password(rh, [b"ADMIN", b"calvin"]) is None
    # salt layout = Metasploit's create_rakp_hmac_sha1_salt
    assert rh.salt == (h.osreq.console_session_id.to_bytes(4, "little") + h.osrsp.bmc_session_id.to_bytes(4, "little")
                       + h.r1.console_random + h.r2.bmc_random + h.r2.bmc_guid + b"\x14\x05admin")
    salt_hex, hmac_hex = rh.hashcat_line().split(":")
    assert bytes.fromhex(salt_hex) == rh.salt and bytes.fromhex(hmac_hex) == h.r2.key_exchange_auth_code
    # the HMAC never shows in a repr
    assert hmac_hex not in repr(rh) and salt_hex not in repr(rh)
    assert verify_rakp2_password(b"admin", 1, h.r2.key_exchange_auth_code, h.osreq.console_session_id,
                                 h.osrsp.bmc_session_id, h.r1.console_random, h.r2.bmc_random, h.r2.bmc_guid,
                                 0x14, b"admin")
    # ipmitool zero-pads Kuid to 20 bytes; HMAC pads keys anyway, so the result is the same
    assert hmac.new(b"admin".ljust(20, b"\0"), rh.salt, hashlib.sha1).digest() == rh.hmac


def test_md5_suite_hash_from_ipmi_sim() -> None:
    h = handshake(SIM_ADMIN_C6)
    assert h.osrsp.cipher_suite == cipher_suite(6) and h.osrsp.bmc_session_id is not None
    assert len(h.r2.key_exchange_auth_code) == 16
    rh = RakpHash.from_exchange(AuthAlgorithm.RAKP_HMAC_MD5, h.osreq.console_session_id, h.osrsp.bmc_session_id,
                                h.r1, h.r2)
    assert rh.verifies(b"admin") and not rh.verifies(b"ADMIN")
    # RAKP4 from ipmi_sim: HMAC-MD5 truncated to 16 bytes
    assert h.r4 is not None and h.r2.bmc_random is not None and h.r2.bmc_guid is not None
    keys = derive_session_keys(2, b"admin", h.r1.console_random, h.r2.bmc_random, h.r1.role, b"admin")
    assert compute_rakp4_icv(2, keys.sik, h.r1.console_random, h.osrsp.bmc_session_id, h.r2.bmc_guid) == \
        h.r4.integrity_check_value


def test_null_user_hash_is_keyed_with_empty_password() -> None:
    h = handshake(SIM_NULL_USER_C3)
    assert h.r1.username == b"" and h.osrsp.bmc_session_id is not None
    rh = RakpHash.from_exchange(1, h.osreq.console_session_id, h.osrsp.bmc_session_id, h.r1, h.r2)
    assert rh.verifies(b"") and not rh.verifies(b"admin")
    assert hmac.new(b"", rh.salt, hashlib.sha1).digest() == rh.hmac


def test_rakp_hash_refuses_error_status_and_rakp_none() -> None:
    h = handshake(IPMITOOL_SIM_C3)
    bad = Rakp2(message_tag=0, status=0x0D, console_session_id=1, bmc_random=None, bmc_guid=None)
    with pytest.raises(WireError):
        RakpHash.from_exchange(1, 1, 2, h.r1, bad)
    with pytest.raises(WireError):
        RakpHash.from_exchange(0, 1, 2, h.r1, h.r2)
    with pytest.raises(WireError):  # a SHA256 hash needs 32 bytes
        RakpHash.from_exchange(3, 1, 2, h.r1, h.r2)
    zero = Rakp2(message_tag=0, status=0, console_session_id=1, bmc_random=bytes(16), bmc_guid=bytes(16),
                 key_exchange_auth_code=bytes(20))
    assert RakpHash.from_exchange(1, 1, 2, h.r1, zero).is_all_zero


def test_k_constant_length() -> None:
    sik = bytes(range(20))
    # SHA1: 20-byte constants everywhere; the const_len knob only matters for MD5 / SHA256 peers
    assert derive_k(1, sik, 1) == hmac.new(sik, b"\x01" * 20, hashlib.sha1).digest()
    assert derive_k(3, sik, 2) == hmac.new(sik, b"\x02" * 20, hashlib.sha256).digest()
    assert derive_k(2, sik[:16], 1, const_len=16) != derive_k(2, sik[:16], 1)
    assert derive_k(0, b"", 1) == b"\x01" * 20


def test_kg_replaces_password_in_sik() -> None:
    rm, rc = bytes(16), bytes(range(16))
    plain = derive_session_keys(3, b"pw", rm, rc, 0x14, b"u")
    with_kg = derive_session_keys(3, b"pw", rm, rc, 0x14, b"u", kg=b"bmc-key")
    assert plain.sik != with_kg.sik
    assert derive_session_keys(3, b"pw", rm, rc, 0x14, b"u", kg=bytes(20)).sik == plain.sik  # all-zero Kg = unset
    text = repr(plain) + repr(SessionCrypto(cipher_suite(17), plain))
    assert plain.sik.hex() not in text and plain.k1.hex() not in text and plain.k2.hex() not in text


@pytest.mark.parametrize("suite", [0, 1, 2, 3, 6, 7, 8, 15, 16, 17])
def test_seal_unseal_round_trip(suite: int) -> None:
    s = cipher_suite(suite)
    keys = derive_session_keys(s.auth, b"pw", bytes(16), bytes(range(16)), 0x14, b"admin")
    crypto = SessionCrypto(s, keys)
    msg = build_request_message(IpmiRequest(netfn=6, cmd=1, rq_seq=3))
    wire = crypto.seal(PayloadType.IPMI, msg, 0x1234, 7)
    pkt = crypto.unseal(wire)
    assert (pkt.payload, pkt.session_id, pkt.session_seq) == (msg, 0x1234, 7)
    assert pkt.encrypted == (s.confidentiality != 0) and pkt.authenticated == (s.integrity != 0)
    if s.integrity:
        tampered = bytearray(wire)
        tampered[20] ^= 1
        with pytest.raises(IntegrityError):
            crypto.unseal(bytes(tampered))
        other = SessionCrypto(s, derive_session_keys(s.auth, b"other", bytes(16), bytes(range(16)), 0x14, b"a"))
        with pytest.raises(IntegrityError):
            other.unseal(wire)


def test_session_crypto_requires_protection() -> None:
    s3 = SessionCrypto(cipher_suite(3), derive_session_keys(1, b"pw", bytes(16), bytes(16), 0x14, b"a"))
    s0 = SessionCrypto(cipher_suite(0), derive_session_keys(0, b"pw", bytes(16), bytes(16), 0x14, b"a"))
    plain = s0.seal(PayloadType.IPMI, b"\x20\x18\xc8\x81\x04\x01\x7a", 1, 1)
    with pytest.raises(IntegrityError):
        s3.unseal(plain)  # unauthenticated packet in a suite-3 session
    with pytest.raises(IntegrityError):
        s0.unseal(s3.seal(PayloadType.IPMI, b"x", 1, 1))  # authenticated packet in a suite-0 session
    for unsupported in (4, 12):
        with pytest.raises(WireError):
            SessionCrypto(CIPHER_SUITES[unsupported], derive_session_keys(1, b"p", bytes(16), bytes(16), 4, b""))


def test_rakp2_input_validation() -> None:
    with pytest.raises(WireError):
        rakp2_hmac_input(1, 2, bytes(15), bytes(16), bytes(16), 0x14, b"a")
    with pytest.raises(WireError):
        rakp2_hmac_input(1, 2, bytes(16), bytes(16), bytes(16), 0x14, b"a" * 17)
    with pytest.raises(WireError):
        compute_rakp2_auth_code(1, b"p" * 21, 1, 2, bytes(16), bytes(16), bytes(16), 0x14, b"a")
    assert not verify_rakp2_password(b"p" * 21, 1, bytes(20), 1, 2, bytes(16), bytes(16), bytes(16), 0x14, b"a")
    assert compute_rakp2_auth_code(0, b"any", 1, 2, bytes(16), bytes(16), bytes(16), 0x14, b"a") == b""
