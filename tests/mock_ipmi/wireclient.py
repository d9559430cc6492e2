"""A small blocking IPMI client built only from ``oobaudit.wire``, for tests.

It drives the mock and ``ipmi_sim`` the way a prober would (ASF ping, GCAC,
Get Channel Cipher Suites, Open Session + RAKP 1-4, IPMI 1.5 challenge /
activate) so the tests can assert on typed results. It is deliberately dumb:
one request, one reply, a short timeout, no retries.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from oobaudit.wire import commands as c
from oobaudit.wire.ipmi15 import (
    AuthType,
    IpmiRequest,
    IpmiResponse,
    build_request_message,
    build_session15_packet,
    parse_response_message,
    parse_session15_packet,
)
from oobaudit.wire.rakp import (
    RakpHash,
    SessionCrypto,
    compute_rakp3_auth_code,
    compute_rakp4_icv,
    derive_session_keys,
)
from oobaudit.wire.rmcp import AsfPong, build_presence_ping, parse_presence_pong
from oobaudit.wire.rmcpplus import (
    CipherSuite,
    OpenSessionResponse,
    PayloadType,
    Rakp1,
    Rakp2,
    Rakp4,
    build_open_session_request,
    build_rakp1,
    build_rakp3,
    build_rmcpplus_packet,
    cipher_suite,
    parse_open_session_response,
    parse_rakp1,
    parse_rakp2,
    parse_rakp4,
    parse_rmcpplus_packet,
)

CONSOLE_SID = 0x0BAD_CAFE


@dataclass
class PlusSession:
    bmc_session_id: int
    crypto: SessionCrypto = field(repr=False)
    seq: int = 0


@dataclass
class Session15:
    session_id: int
    auth_type: AuthType
    password: bytes = field(repr=False)
    seq: int = 0


class WireClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self._rq_seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> WireClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def roundtrip(self, data: bytes) -> bytes:
        self.sock.send(data)
        return self.sock.recv(65535)

    def _next_seq(self) -> int:
        self._rq_seq = (self._rq_seq + 1) % 64
        return self._rq_seq

    # ------------------------------------------------------------------ pre-session

    def ping(self, tag: int = 0x2A) -> AsfPong:
        return parse_presence_pong(self.roundtrip(build_presence_ping(tag)))

    def request15(self, netfn: int, cmd: int, data: bytes = b"") -> IpmiResponse:
        msg = build_request_message(IpmiRequest(netfn=netfn, cmd=cmd, data=data, rq_seq=self._next_seq()))
        return parse_response_message(parse_session15_packet(self.roundtrip(build_session15_packet(msg))).message)

    def gcac(self, *, extended: bool = True, privilege: int = 4) -> IpmiResponse:
        data = c.build_get_channel_auth_capabilities_request(privilege=privilege, ipmi20_extended=extended)
        return self.request15(c.NetFn.APP, c.AppCmd.GET_CHANNEL_AUTH_CAPABILITIES, data)

    def capabilities(self) -> c.ChannelAuthCapabilities:
        rsp = self.gcac()
        assert rsp.completion_code == 0, rsp
        return c.parse_channel_auth_capabilities_response(rsp.data)

    def cipher_suite_records(self) -> tuple[c.CipherSuiteRecord, ...]:
        records = b""
        for index in range(64):
            rsp = self.request15(c.NetFn.APP, c.AppCmd.GET_CHANNEL_CIPHER_SUITES, c.build_cipher_suites_request(index))
            assert rsp.completion_code == 0, rsp
            _, chunk = c.parse_cipher_suites_response(rsp.data)
            records += chunk
            if len(chunk) < 16:
                break
        return c.decode_cipher_suite_records(records)

    # ------------------------------------------------------------------ RMCP+

    def open_session(self, suite: CipherSuite | int, *, privilege: int = 0) -> OpenSessionResponse:
        s = cipher_suite(suite) if isinstance(suite, int) else suite
        payload = build_open_session_request(CONSOLE_SID, s.auth, s.integrity, s.confidentiality,
                                             requested_privilege=privilege)
        pkt = parse_rmcpplus_packet(self.roundtrip(build_rmcpplus_packet(PayloadType.OPEN_SESSION_REQUEST, payload)))
        assert pkt.payload_type == PayloadType.OPEN_SESSION_RESPONSE
        return parse_open_session_response(pkt.payload)

    def rakp1(self, bmc_session_id: int, username: bytes, *, privilege: int = 4) -> tuple[Rakp1, Rakp2]:
        payload = build_rakp1(bmc_session_id, os.urandom(16), username, privilege=privilege)
        pkt = parse_rmcpplus_packet(self.roundtrip(build_rmcpplus_packet(PayloadType.RAKP1, payload)))
        assert pkt.payload_type == PayloadType.RAKP2
        return parse_rakp1(payload), parse_rakp2(pkt.payload)

    def rakp_hash(self, username: bytes, suite: int = 3) -> RakpHash | int:
        """Open Session + RAKP1 only (no RAKP3): the hash, or the failing status."""
        osr = self.open_session(suite)
        if not osr.ok:
            return osr.status
        assert osr.bmc_session_id is not None
        r1, r2 = self.rakp1(osr.bmc_session_id, username)
        if r2.status:
            return r2.status
        return RakpHash.from_exchange(cipher_suite(suite).auth, CONSOLE_SID, osr.bmc_session_id, r1, r2)

    def login(self, username: bytes, password: bytes, suite: int = 17, *, privilege: int = 4,
              kg: bytes | None = None, rakp3_password: bytes | None = None) -> PlusSession | Rakp4 | int:
        """Full RMCP+ login. Returns the session, a failing Rakp4, or a failing status code."""
        s = cipher_suite(suite)
        osr = self.open_session(s)
        if not osr.ok:
            return osr.status
        assert osr.bmc_session_id is not None
        r1, r2 = self.rakp1(osr.bmc_session_id, username, privilege=privilege)
        if r2.status:
            return r2.status
        assert r2.bmc_random is not None and r2.bmc_guid is not None
        proof = rakp3_password if rakp3_password is not None else password
        code3 = compute_rakp3_auth_code(s.auth, proof, r2.bmc_random, CONSOLE_SID, r1.role, username)
        rsp = self.roundtrip(build_rmcpplus_packet(PayloadType.RAKP3, build_rakp3(0, 0, osr.bmc_session_id, code3)))
        r4 = parse_rakp4(parse_rmcpplus_packet(rsp).payload)
        if r4.status:
            return r4
        keys = derive_session_keys(s.auth, password, r1.console_random, r2.bmc_random, r1.role, username, kg=kg)
        icv = compute_rakp4_icv(s.auth, keys.sik, r1.console_random, osr.bmc_session_id, r2.bmc_guid)
        assert icv == r4.integrity_check_value, "RAKP4 ICV mismatch"
        return PlusSession(bmc_session_id=osr.bmc_session_id, crypto=SessionCrypto(s, keys))

    def request_plus(self, session: PlusSession, netfn: int, cmd: int, data: bytes = b"") -> IpmiResponse:
        session.seq += 1
        msg = build_request_message(IpmiRequest(netfn=netfn, cmd=cmd, data=data, rq_seq=self._next_seq()))
        raw = self.roundtrip(session.crypto.seal(PayloadType.IPMI, msg, session.bmc_session_id, session.seq))
        pkt = session.crypto.unseal(raw)
        assert pkt.session_id == CONSOLE_SID
        return parse_response_message(pkt.payload)

    # ------------------------------------------------------------------ IPMI 1.5

    def challenge(self, username: bytes, auth_type: AuthType = AuthType.MD5) -> IpmiResponse:
        return self.request15(c.NetFn.APP, c.AppCmd.GET_SESSION_CHALLENGE,
                              c.build_session_challenge_request(auth_type, username))

    def login15(self, username: bytes, password: bytes, auth_type: AuthType = AuthType.MD5,
                privilege: int = 4) -> Session15 | IpmiResponse:
        rsp = self.challenge(username, auth_type)
        if rsp.completion_code:
            return rsp
        ch = c.parse_session_challenge_response(rsp.data)
        msg = build_request_message(IpmiRequest(
            netfn=c.NetFn.APP, cmd=c.AppCmd.ACTIVATE_SESSION, rq_seq=self._next_seq(),
            data=c.build_activate_session_request(auth_type, privilege, ch.challenge, 0x1000)))
        raw = self.roundtrip(build_session15_packet(msg, auth_type=auth_type, session_id=ch.temp_session_id,
                                                    password=password))
        pkt = parse_session15_packet(raw)
        assert pkt.verify(password), "BMC reply auth code does not verify"
        act = parse_response_message(pkt.message)
        if act.completion_code:
            return act
        a = c.parse_activate_session_response(act.data)
        return Session15(session_id=a.session_id, auth_type=auth_type, password=password,
                         seq=a.initial_inbound_seq)

    def request_in15(self, session: Session15, netfn: int, cmd: int, data: bytes = b"",
                     auth_type: AuthType | None = None) -> IpmiResponse:
        at = session.auth_type if auth_type is None else auth_type
        msg = build_request_message(IpmiRequest(netfn=netfn, cmd=cmd, data=data, rq_seq=self._next_seq()))
        pw = session.password if at != AuthType.NONE else None
        raw = self.roundtrip(build_session15_packet(msg, auth_type=at, session_id=session.session_id,
                                                    session_seq=session.seq, password=pw))
        session.seq += 1
        pkt = parse_session15_packet(raw)
        assert pkt.verify(session.password)
        return parse_response_message(pkt.message)
