"""Our wire code against OpenIPMI ``ipmi_sim``: the independent peer that catches
bugs mirrored between our prober-side parsing and our mock."""

from __future__ import annotations

import pytest

from oobaudit.wire import commands as c
from oobaudit.wire.ipmi15 import AuthType
from oobaudit.wire.rakp import RakpHash
from oobaudit.wire.rmcpplus import CIPHER_SUITES, AuthAlgorithm, RakpStatus
from tests.mock_ipmi.conftest import SimPeer
from tests.mock_ipmi.wireclient import PlusSession, Session15, WireClient

DEFAULT_PASSWORDS = [b"ADMIN", b"calvin", b"PASSW0RD", b"0penBmc", b"password", b"admin", b"changeme"]


def test_pong(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        pong = cl.ping(0x11)
    assert pong.tag == 0x11 and pong.ipmi_supported and pong.asf_version == 1 and pong.iana == 4542


def test_auth_capabilities_vulnerable_channel(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        caps = cl.capabilities()
        legacy = c.parse_channel_auth_capabilities_response(cl.gcac(extended=False).data)
    assert caps.channel == 1
    assert caps.auth_types == {AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD}
    assert caps.ipmi20_extended and caps.supports_ipmi15 and caps.supports_ipmi20
    assert caps.anonymous_login and caps.non_null_usernames and not caps.null_usernames
    assert not caps.kg_nonzero
    assert caps.raw == bytes.fromhex("01 97 05 03 000000 00")  # the reference's observed bytes
    assert not legacy.ipmi20_extended and legacy.supports_ipmi20 is None


def test_auth_capabilities_md5_channel(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.md5_port) as cl:
        caps = cl.capabilities()
    assert caps.channel == 2 and caps.auth_types == {AuthType.MD5} and caps.weak_auth_types == frozenset()


def test_cipher_suites_match_our_table(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        records = cl.cipher_suite_records()
    assert [r.suite_id for r in records] == list(range(15))  # no SHA256 suites in ipmi_sim
    for r in records:
        std = CIPHER_SUITES[r.suite_id]
        assert (r.auth_alg, r.integrity_algs, r.confidentiality_algs, r.oem_iana) == (
            std.auth, (std.integrity,), (std.confidentiality,), None)


@pytest.mark.parametrize("suite", [3, 6, 1])
def test_rakp2_hmac_verifies_known_password(ipmi_sim: SimPeer, suite: int) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        for user, pw in ipmi_sim.users.items():
            h = cl.rakp_hash(user.encode(), suite)
            assert isinstance(h, RakpHash), (user, h)
            assert h.verifies(pw.encode())
            assert not h.verifies(pw.encode() + b"x")
            assert not h.is_all_zero
    assert CIPHER_SUITES[suite].auth in (AuthAlgorithm.RAKP_HMAC_SHA1, AuthAlgorithm.RAKP_HMAC_MD5)


def test_offline_default_credential_check(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        found = {}
        for user in (b"ADMIN", b"admin", b"oper"):
            h = cl.rakp_hash(user)
            assert isinstance(h, RakpHash)
            found[user] = next((p for p in DEFAULT_PASSWORDS if h.verifies(p)), None)
    assert found == {b"ADMIN": b"ADMIN", b"admin": b"admin", b"oper": None}


def test_null_user_hash_is_hmac_with_empty_key(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        h = cl.rakp_hash(b"")
    assert isinstance(h, RakpHash) and h.username == b""
    assert h.verifies(b"")


def test_unknown_user_is_enumerable(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        assert cl.rakp_hash(b"root") == RakpStatus.UNAUTHORIZED_NAME
        assert cl.challenge(b"root").completion_code == 0x81
        assert cl.challenge(b"admin").completion_code == 0


def test_cipher_zero_accepted_with_echoed_algorithms(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        osr = cl.open_session(0)
        assert osr.ok
        assert (osr.auth_alg, osr.integrity_alg, osr.confidentiality_alg) == (0, 0, 0)
        assert osr.cipher_suite is not None and osr.cipher_suite.suite_id == 0
        sess = cl.login(b"admin", b"wrong-password", 0)
        assert isinstance(sess, PlusSession)
        dev = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID)
        assert dev.completion_code == 0


def test_suite_17_unsupported(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        osr = cl.open_session(17)
    assert osr.status == RakpStatus.INVALID_AUTHENTICATION_ALGORITHM and osr.bmc_session_id is None


@pytest.mark.parametrize("suite", [3, 2, 1])
def test_full_login_and_device_id(ipmi_sim: SimPeer, suite: int) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        sess = cl.login(b"admin", b"admin", suite)
        assert isinstance(sess, PlusSession)
        rsp = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID)
        dev = c.parse_device_id_response(rsp.data)
        assert (dev.device_id, dev.device_revision, dev.firmware_version) == (0, 3, "9.08")
        assert (dev.manufacturer_id, dev.product_id, dev.additional_support) == (0x1291, 0xF02, 0x9F)
        assert dev.ipmi_version == (2, 0) and not dev.provides_sdrs
        guid = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_SYSTEM_GUID)
        assert guid.completion_code == 0 and guid.data == ipmi_sim.guid1
        close = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.CLOSE_SESSION,
                                c.build_close_session_request(sess.bmc_session_id))
        assert close.completion_code == 0


def test_wrong_rakp3_rejected(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        r4 = cl.login(b"admin", b"admin", 3, rakp3_password=b"nope")
    assert not isinstance(r4, PlusSession | int)
    assert r4.status == RakpStatus.INVALID_INTEGRITY_CHECK_VALUE


@pytest.mark.parametrize("auth", [AuthType.MD5, AuthType.MD2, AuthType.PASSWORD, AuthType.NONE])
def test_ipmi15_login(ipmi_sim: SimPeer, auth: AuthType) -> None:
    with WireClient(ipmi_sim.vuln_port) as cl:
        s = cl.login15(b"admin", b"admin", auth)
        assert isinstance(s, Session15), s
        rsp = cl.request_in15(s, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID)
        assert c.parse_device_id_response(rsp.data).firmware_version == "9.08"
        close = cl.request_in15(s, c.NetFn.APP, c.AppCmd.CLOSE_SESSION, c.build_close_session_request(s.session_id))
        assert close.completion_code == 0


def test_ipmi15_md5_channel_refuses_weak_types(ipmi_sim: SimPeer) -> None:
    with WireClient(ipmi_sim.md5_port, timeout=0.3) as cl:
        assert isinstance(cl.login15(b"admin", b"admin", AuthType.MD5), Session15)
        for weak in (AuthType.PASSWORD, AuthType.NONE, AuthType.MD2):
            # ipmi_sim hands out the challenge and refuses at Activate Session (cc 0xCC)
            rsp = cl.login15(b"admin", b"admin", weak)
            assert not isinstance(rsp, Session15) and rsp.completion_code == 0xCC
