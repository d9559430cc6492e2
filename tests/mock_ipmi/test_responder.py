"""The mock BMC's behaviour, observed through our own wire code (fast, no ipmitool)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_bmc.ipmi import IpmiConfig, IpmiFault, IpmiResponder, start_ipmi_responder
from oobaudit.wire import commands as c
from oobaudit.wire.errors import WireError
from oobaudit.wire.ipmi15 import AuthType
from oobaudit.wire.rakp import RakpHash, find_rakp2_password
from oobaudit.wire.rmcp import build_presence_ping
from oobaudit.wire.rmcpplus import Rakp4, RakpStatus
from tests.mock_ipmi.conftest import ACCOUNTS, wait_for
from tests.mock_ipmi.wireclient import PlusSession, Session15, WireClient

ADMIN_PW = ACCOUNTS["admin"][0].encode()


def test_asf_pong(hardened_bmc: IpmiResponder) -> None:
    with WireClient(hardened_bmc.port) as cl:
        pong = cl.ping(0x33)
    assert pong.tag == 0x33 and pong.ipmi_supported and pong.asf_version == 1


def test_gcac_hardened(hardened_bmc: IpmiResponder) -> None:
    with WireClient(hardened_bmc.port) as cl:
        caps = cl.capabilities()
    assert caps.auth_types == {AuthType.MD5}
    assert caps.ipmi20_extended and caps.supports_ipmi15 and caps.supports_ipmi20
    assert not caps.anonymous_login and not caps.null_usernames and caps.non_null_usernames
    assert not caps.per_message_auth_disabled and not caps.user_level_auth_disabled
    assert not caps.kg_nonzero
    assert caps.raw == bytes.fromhex("01 84 04 03 000000 00")


def test_gcac_vulnerable(vulnerable_bmc: IpmiResponder) -> None:
    with WireClient(vulnerable_bmc.port) as cl:
        caps = cl.capabilities()
        legacy = cl.gcac(extended=False)
    assert caps.auth_types == {AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD}
    assert caps.weak_auth_types == {AuthType.NONE, AuthType.MD2, AuthType.PASSWORD}
    assert caps.anonymous_login and caps.per_message_auth_disabled and caps.user_level_auth_disabled
    assert caps.raw == bytes.fromhex("01 97 1d 03 000000 00")
    assert legacy.completion_code == 0
    old = c.parse_channel_auth_capabilities_response(legacy.data)
    assert not old.ipmi20_extended and old.supports_ipmi20 is None


@pytest.mark.parametrize(
    ("cfg", "raw"),
    [
        (IpmiConfig(ipmi_v15=False, kg="k"), "01 80 24 02 000000 00"),
        (IpmiConfig(null_user=True, auth_types_v15=["md5", "password"]), "01 94 06 03 000000 00"),
        (IpmiConfig(channel=2, auth_types_v15=[]), "02 80 04 03 000000 00"),
    ],
)
def test_gcac_reflects_config(make_bmc, cfg: IpmiConfig, raw: str) -> None:
    with WireClient(make_bmc(cfg).port) as cl:
        assert cl.capabilities().raw == bytes.fromhex(raw)


def test_v15_only_bmc_rejects_extended_gcac(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(ipmi_v20=False))
    with WireClient(bmc.port) as cl:
        assert cl.gcac().completion_code == 0xCC
        rsp = cl.gcac(extended=False)
        assert rsp.completion_code == 0
        assert c.parse_channel_auth_capabilities_response(rsp.data).auth_types == {AuthType.MD5}


def test_cipher_suite_records(hardened_bmc: IpmiResponder, vulnerable_bmc: IpmiResponder) -> None:
    with WireClient(hardened_bmc.port) as cl:
        recs = cl.cipher_suite_records()
    assert [(r.suite_id, r.auth_alg, r.integrity_algs, r.confidentiality_algs) for r in recs] == [
        (3, 1, (1,), (1,)), (17, 3, (4,), (1,))]
    with WireClient(vulnerable_bmc.port) as cl:
        assert [r.suite_id for r in cl.cipher_suite_records()] == [0, 1, 2, 3, 6, 7, 8, 15, 16, 17]


def test_rakp2_discloses_hash_for_existing_users_only(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig())
    with WireClient(bmc.port) as cl:
        h = cl.rakp_hash(b"ADMIN", suite=3)
        assert isinstance(h, RakpHash)
        assert find_rakp2_password(h, [b"admin", b"password", b"ADMIN"]) == b"ADMIN"
        h17 = cl.rakp_hash(b"admin", suite=17)
        assert isinstance(h17, RakpHash) and h17.verifies(ADMIN_PW) and not h17.verifies(b"ADMIN")
        assert cl.rakp_hash(b"root", suite=3) == RakpStatus.UNAUTHORIZED_NAME
        assert cl.rakp_hash(b"", suite=3) == RakpStatus.UNAUTHORIZED_NAME
    # the offline check never counts as a failed login
    assert bmc.failed_logins == {}
    assert bmc.rakp2_disclosures == {"ADMIN": 1, "admin": 1}


def test_unknown_user_silent_mode(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(unknown_user="silent"))
    with WireClient(bmc.port, timeout=0.3) as cl:
        with pytest.raises(TimeoutError):
            cl.rakp_hash(b"root")
        assert isinstance(cl.rakp_hash(b"admin"), RakpHash)


def test_full_login_and_commands(hardened_bmc: IpmiResponder) -> None:
    with WireClient(hardened_bmc.port) as cl:
        for suite in (3, 17):
            sess = cl.login(b"admin", ADMIN_PW, suite)
            assert isinstance(sess, PlusSession)
            rsp = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.SET_SESSION_PRIVILEGE_LEVEL, b"\x04")
            assert (rsp.completion_code, rsp.data) == (0, b"\x04")
            dev = c.parse_device_id_response(cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID).data)
            assert dev.manufacturer_id == 10876 and dev.ipmi_version == (2, 0)
            guid = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_GUID)
            assert guid.data == hardened_bmc.guid
            assert cl.request_plus(sess, 0x30, 0x01).completion_code == 0xC1  # OEM command: invalid
            close = cl.request_plus(sess, c.NetFn.APP, c.AppCmd.CLOSE_SESSION,
                                    c.build_close_session_request(sess.bmc_session_id))
            assert close.completion_code == 0
            with pytest.raises(TimeoutError):  # the session is gone
                cl.sock.settimeout(0.2)
                cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID)
            cl.sock.settimeout(1.0)


def test_wrong_rakp3_counts_failure_and_lockout(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(lockout_threshold=2))
    with WireClient(bmc.port) as cl:
        for _ in range(2):
            bad = cl.login(b"admin", ADMIN_PW, 17, rakp3_password=b"guess")
            assert isinstance(bad, Rakp4) and bad.status == RakpStatus.INVALID_INTEGRITY_CHECK_VALUE
        assert bmc.failed_logins == {"admin": 2}
        assert bmc.locked_users == {"admin"}
        locked = cl.login(b"admin", ADMIN_PW, 17)  # right password, locked account
        assert isinstance(locked, Rakp4) and locked.status == RakpStatus.UNAUTHORIZED_NAME
        # the lockout does not stop RAKP2 from disclosing the hash (why CVE-2013-4786 matters)
        assert isinstance(cl.rakp_hash(b"admin"), RakpHash)
        ok = cl.login(b"oper", b"operpw", 17, privilege=3)
        assert isinstance(ok, PlusSession)
    assert bmc.successful_logins == {"oper": 1}


def test_cipher_zero(vulnerable_bmc: IpmiResponder, hardened_bmc: IpmiResponder) -> None:
    with WireClient(vulnerable_bmc.port) as cl:
        osr = cl.open_session(0)
        assert osr.ok and osr.cipher_suite is not None and osr.cipher_suite.suite_id == 0
        sess = cl.login(b"admin", b"not-the-password", 0)
        assert isinstance(sess, PlusSession)
        assert cl.request_plus(sess, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID).completion_code == 0
        assert cl.login(b"nobody", b"x", 0) == RakpStatus.UNAUTHORIZED_NAME
    with WireClient(hardened_bmc.port) as cl:
        osr = cl.open_session(0)
        assert osr.status == RakpStatus.INVALID_AUTHENTICATION_ALGORITHM
        assert osr.bmc_session_id is None


def test_open_session_statuses(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(cipher_suites=[3]))
    with WireClient(bmc.port) as cl:
        assert cl.open_session(17).status == RakpStatus.INVALID_AUTHENTICATION_ALGORITHM
        assert cl.open_session(2).status == RakpStatus.INVALID_CONFIDENTIALITY_ALGORITHM
        assert cl.open_session(1).status == RakpStatus.INVALID_INTEGRITY_ALGORITHM
        assert cl.open_session(3).ok


def test_override_suite_quirk(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(open_session_override_suite=3))
    with WireClient(bmc.port) as cl:
        osr = cl.open_session(0)
    # status 0 (what nmap / Metasploit call VULNERABLE) but the echoed algorithms are suite 3
    assert osr.ok
    assert osr.cipher_suite is not None and osr.cipher_suite.suite_id == 3


def test_ipmi15_sessions(vulnerable_bmc: IpmiResponder, hardened_bmc: IpmiResponder) -> None:
    with WireClient(vulnerable_bmc.port) as cl:
        for at in (AuthType.MD5, AuthType.MD2, AuthType.PASSWORD, AuthType.NONE):
            s = cl.login15(b"admin", ADMIN_PW, at)
            assert isinstance(s, Session15), (at, s)
            rsp = cl.request_in15(s, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID)
            assert rsp.completion_code == 0
            # per-message auth disabled: unauthenticated messages are accepted after activation
            assert cl.request_in15(s, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID, auth_type=AuthType.NONE).completion_code == 0
        assert cl.challenge(b"nobody").completion_code == 0x81
        anon = cl.login15(b"", b"", AuthType.MD5, privilege=2)
        assert isinstance(anon, Session15)
    with WireClient(hardened_bmc.port, timeout=0.3) as cl:
        assert cl.challenge(b"admin", AuthType.PASSWORD).completion_code == 0xCC
        assert cl.challenge(b"").completion_code == 0x82
        s = cl.login15(b"admin", ADMIN_PW, AuthType.MD5)
        assert isinstance(s, Session15)
        with pytest.raises(TimeoutError):  # per-message auth on: an unauthenticated message is dropped
            cl.request_in15(s, c.NetFn.APP, c.AppCmd.GET_DEVICE_ID, auth_type=AuthType.NONE)


def test_fault_silent(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(fault=IpmiFault.SILENT))
    with WireClient(bmc.port, timeout=0.2) as cl, pytest.raises(TimeoutError):
        cl.ping()
    assert wait_for(lambda: bmc.packets_received == 1)


def test_fault_garbage(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(fault=IpmiFault.GARBAGE))
    with WireClient(bmc.port) as cl:
        for _ in range(5):
            with pytest.raises(WireError):
                cl.capabilities()


def test_fault_duplicate(make_bmc) -> None:
    bmc = make_bmc(IpmiConfig(fault=IpmiFault.DUPLICATE))
    with WireClient(bmc.port) as cl:
        cl.sock.send(build_presence_ping(7))
        assert cl.sock.recv(100) == cl.sock.recv(100)


def test_disabled_bmc_is_closed_port() -> None:
    async def main() -> None:
        bmc = await start_ipmi_responder(IpmiConfig(enabled=False), ACCOUNTS, "127.0.0.1", 0)
        assert not bmc.bound
        bmc.close()

    asyncio.run(main())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with WireClient(port, timeout=0.5) as cl, pytest.raises(ConnectionRefusedError):
        cl.ping()


def test_async_api_and_repr() -> None:
    async def main() -> None:
        async with await start_ipmi_responder(IpmiConfig(kg="topsecretkg"), {"admin": ("pw-xyz", 4)}) as bmc:
            assert bmc.bound and bmc.port > 0
            text = repr(bmc) + repr(bmc.config) + repr(bmc._account("admin"))
            assert "pw-xyz" not in text and "topsecretkg" not in text
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                               remote_addr=("127.0.0.1", bmc.port))
            transport.sendto(b"\x06\x00\xff\x06garbage")
            await asyncio.sleep(0.05)
            transport.close()
            assert bmc.packets_malformed == 1
        assert not bmc.bound

    asyncio.run(main())


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        IpmiConfig(cipher_suites=[3, 99])
    with pytest.raises(ValueError):
        IpmiConfig(bogus=1)  # extra="forbid"
    with pytest.raises(ValueError):
        IpmiConfig(guid="xyz")
    with pytest.raises(ValueError):
        IpmiConfig(cipher_suites=[])
    cfg = IpmiConfig.model_validate({"cipher_suites": [0, 3], "auth_types_v15": ["md5", "none"],
                                     "device_id": {"firmware_major": 3, "firmware_minor": 45}})
    assert cfg.device_id.to_device_id().firmware_version == "3.45"


def _seeds() -> list[bytes]:
    from tests.wire.vectors import IPMITOOL_MOCK_C17, IPMITOOL_MOCK_LAN_MD5, IPMITOOL_SIM_C3

    return [bytes.fromhex(h) for v in (IPMITOOL_MOCK_C17, IPMITOOL_MOCK_LAN_MD5, IPMITOOL_SIM_C3)
            for d, h in v if d == "C"]


SEEDS = _seeds()


def _fuzz_responder() -> IpmiResponder:
    return IpmiResponder(IpmiConfig(cipher_suites=[0, 3, 17], auth_types_v15=["none", "md5", "password"],
                                    anonymous_login=True, per_message_auth=False, lockout_threshold=3),
                         {"admin": ("pw", 4), "": ("", 2)}, "127.0.0.1", 0)


@settings(max_examples=300, deadline=None)
@given(seed=st.sampled_from(SEEDS), pos=st.integers(0, 200), junk=st.binary(max_size=6), cut=st.integers(0, 200))
def test_handler_never_raises_on_mutated_captures(seed: bytes, pos: int, junk: bytes, cut: int) -> None:
    bmc = _fuzz_responder()
    data = (seed[:pos] + junk + seed[pos + len(junk):])[: max(cut, 4)]
    with contextlib.suppress(WireError):
        bmc._handle(data)


@settings(max_examples=300, deadline=None)
@given(suite=st.sampled_from([0, 3, 17]), name=st.binary(max_size=18), role=st.integers(0, 255),
       status=st.integers(0, 255), code=st.binary(max_size=40), body=st.binary(max_size=40),
       ptype=st.integers(0, 255), tail=st.binary(max_size=20))
def test_handler_never_raises_in_a_session(suite: int, name: bytes, role: int, status: int, code: bytes,
                                            body: bytes, ptype: int, tail: bytes) -> None:
    """Walk the RMCP+ state machine with a real session ID and hostile field values."""
    from oobaudit.wire import rmcpplus as rp

    bmc = _fuzz_responder()
    s = rp.cipher_suite(suite)
    reply = bmc._handle(rp.build_rmcpplus_packet(rp.PayloadType.OPEN_SESSION_REQUEST,
                                                 rp.build_open_session_request(7, s.auth, s.integrity,
                                                                               s.confidentiality)))
    assert reply is not None
    sid = rp.parse_open_session_response(rp.parse_rmcpplus_packet(reply).payload).bmc_session_id
    assert sid is not None
    rakp1 = bytes(4) + sid.to_bytes(4, "little") + bytes(16) + bytes((role, 0, 0, len(name))) + name
    packets = [
        rp.build_rmcpplus_packet(rp.PayloadType.RAKP1, rakp1 + tail),
        rp.build_rmcpplus_packet(rp.PayloadType.RAKP1, rp.build_rakp1(sid, bytes(16), b"admin")),
        rp.build_rmcpplus_packet(rp.PayloadType.RAKP3, rp.build_rakp3(0, status, sid, code)),
        rp.build_rmcpplus_packet(rp.PayloadType.RAKP3, rp.build_rakp3(0, 0, sid, b"")),
    ]
    ipmi = rp.build_rmcpplus_packet(rp.PayloadType.IPMI, body, session_id=sid, session_seq=1)
    packets.append(ipmi[:5] + bytes((ptype,)) + ipmi[6:] + tail)  # any payload type / flag bits
    for pkt in packets:
        with contextlib.suppress(WireError):
            bmc._handle(pkt)


@settings(max_examples=200, deadline=None)
@given(act=st.binary(max_size=30), priv=st.integers(0, 255), netfn=st.integers(0, 63), cmd=st.integers(0, 255),
       body=st.binary(max_size=30))
def test_handler_never_raises_in_a_15_session(act: bytes, priv: int, netfn: int, cmd: int, body: bytes) -> None:
    from oobaudit.wire import ipmi15 as i15

    bmc = _fuzz_responder()

    def req(n: int, c_: int, d: bytes, sid: int = 0) -> bytes:
        msg = i15.build_request_message(i15.IpmiRequest(netfn=n & 0x3E, cmd=c_, data=d, rq_seq=1))
        return i15.build_session15_packet(msg, session_id=sid)

    rsp = bmc._handle(req(6, 0x39, c.build_session_challenge_request(AuthType.NONE, b"admin")))
    assert rsp is not None
    ch = c.parse_session_challenge_response(
        i15.parse_response_message(i15.parse_session15_packet(rsp).message).data)
    good = c.build_activate_session_request(AuthType.NONE, 4, ch.challenge, 1)
    for data in (act, good[:1] + bytes((priv,)) + good[2:]):
        with contextlib.suppress(WireError):
            out = bmc._handle(req(6, 0x3A, data, ch.temp_session_id))
            if out is not None:
                a = i15.parse_response_message(i15.parse_session15_packet(out).message)
                if a.completion_code == 0:
                    sid = c.parse_activate_session_response(a.data).session_id
                    bmc._handle(req(netfn, cmd, body, sid))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200), prefix=st.sampled_from([b"", b"\x06\x00\xff\x07\x06", b"\x06\x00\xff\x07\x00",
                                                             b"\x06\x00\xff\x06"]))
def test_handler_never_raises_anything_but_wireerror(data: bytes, prefix: bytes) -> None:
    bmc = IpmiResponder(IpmiConfig(cipher_suites=[0, 3, 17], auth_types_v15=["none", "md5"]),
                        {"admin": ("pw", 4)}, "127.0.0.1", 0)
    with contextlib.suppress(WireError):
        bmc._handle(prefix + data)
