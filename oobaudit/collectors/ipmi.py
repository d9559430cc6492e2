"""IPMI-over-LAN collector: presence, auth capabilities, cipher suite 0, cipher suites,
RAKP user probing with an offline default-password check, IPMI 1.5 user enumeration.

One asyncio UDP endpoint per target (connected, so an ICMP port unreachable is seen),
a per-target rate limit, a timeout per exchange and a bounded number of retries.
Every datagram we send is built by :mod:`oobaudit.wire`; every reply is parsed there,
so a malformed reply is one ``WireError`` and never a crash.

Facts (collector ``"ipmi"``; the data keys are the contract with checks/ipmi.py):

``ipmi.presence`` (subject ``udp/PORT``)
    ok when *anything* answered (ASF pong or GCAC; some BMCs answer GCAC but not the
    ASF ping): ``{port, asf_pong, ipmi_supported, iana, iana_byteswapped, gcac_answered}``.
    error ``"no answer on udp/PORT ..."`` when nothing did; ``evidence.reason`` is
    ``"icmp_unreachable"`` (the port is closed) or ``"timeout"`` (filtered, or nothing
    there), with the probe counts.  Nothing else is probed then.
``ipmi.auth_caps``
    decoded Get Channel Authentication Capabilities: ``{channel, ipmi20_extended,
    extended_refused_cc, auth_types, weak_auth_types, kg_nonzero, per_message_auth_disabled,
    user_level_auth_disabled, non_null_usernames, null_usernames, anonymous_login,
    supports_ipmi15, supports_ipmi20, oem_id, oem_aux, raw_hex}``; error if unanswered / refused.
``ipmi.cipher_zero``
    Open Session proposing 0/0/0: ``{status, status_name, echoed: {auth, integrity,
    confidentiality} | null, echoed_suite, accepted, command_with_wrong_password,
    command_user, command_note, ipmi20_supported}``.  ``accepted`` is true only when the
    status is 0 **and** the BMC echoed 0/0/0 (nmap flags any Open Session Response,
    Metasploit / OpenVAS any status 0; both false-positive on pyghmi-style BMCs that
    answer status 0 with suite 3).  When accepted, RAKP1 for a known user, RAKP3 with
    no proof (there is none under RAKP-none: the same as ``ipmitool -C 0 -P wrong``),
    then Get Device ID inside the session: ``command_with_wrong_password`` true when the
    BMC answered it with completion code 0, false when RAKP or the command failed, null
    when not tried (reason in ``command_note``).  The session is closed afterwards.
``ipmi.cipher_suites``
    Get Channel Cipher Suites outside a session: ``{suites: [ids], records: [{id, auth,
    integrity, confidentiality, oem_iana, standard}], raw_hex}``; error if refused.
``ipmi.user`` (subject ``ipmi-user:NAME``, ``ipmi-user:(null)`` for the null user)
    ``{username, exists, rakp2_status, rakp2_status_name, probe_suite, auth_alg,
    hash_disclosed, hash_cracked, matched_vendor, candidates_tested, note}``.  Only the
    verdict: the HMAC, the salt and a matching password are never stored.  ``exists`` is
    true for RAKP2 status 0, false for 0x0D (unauthorized name), null otherwise; a BMC
    that stays silent for unknown names (pyghmi) gives ``exists: null, silent: true``.
``ipmi.v15_users`` (only when IPMI 1.5 is supported)
    Get Session Challenge per name: ``{auth_type, results: {name: status}, challenged,
    rejected, enumerable}``; status is ``challenge`` (cc 0), ``invalid_user`` (0x81),
    ``null_user_disabled`` (0x82), ``cc_0xNN`` or ``no_answer``.
``ipmi.device`` (optional)
    Get Device ID over an authenticated python-ipmi ``rmcpplus`` session (suite 3) with
    the inventory credentials, tried only when the offline RAKP2 check already proved
    the password right (so it can never be a failed login); collected only when ``needs``
    asks for it or is None (the standalone collector), since no built-in check reads it.
``cred.login`` (protocol ``ipmi``, only with credential tests on)
    per existing probed user: ``outcome`` ``accepted`` (its RAKP2 HMAC verified offline
    against a default password) or ``rejected``, ``attempts`` 0, ``method``
    ``"offline RAKP2"``; and ``no_auth`` for the user a cipher-0 session let in with a
    wrong password (subject ``ipmi-cipher0:NAME``).

Lockout safety: the RAKP probe never sends RAKP3 (RAKP2 alone discloses the hash), so
it is not a login attempt; the half-open session times out on the BMC.  The only online
"login" is the cipher-0 RAKP3 (no proof exists under RAKP-none), which costs at most one
attempt of the chosen user's ``cred_budget``; with budget 0 or credential tests off it
is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .. import facts as F
from ..aioloop import wait_future
from ..facts import (  # noqa: F401 - kinds re-exported for callers of this module
    IPMI_AUTH_CAPS,
    IPMI_CIPHER_SUITES,
    IPMI_CIPHER_ZERO,
    IPMI_DEVICE,
    IPMI_PRESENCE,
    IPMI_USER,
    IPMI_V15_USERS,
    Fact,
)
from ..inventory import Target
from ..wire import commands as cmds
from ..wire.commands import AppCmd, NetFn, Privilege
from ..wire.errors import WireError
from ..wire.ipmi15 import (
    AuthType,
    IpmiRequest,
    IpmiResponse,
    build_request_message,
    build_session15_packet,
    completion_code_name,
    parse_response_message,
    parse_session15_packet,
)
from ..wire.rakp import RakpHash, SessionCrypto, SessionKeys
from ..wire.rmcp import AsfPong, RmcpClass, build_presence_ping, parse_presence_pong, parse_rmcp_header
from ..wire.rmcpplus import (
    CIPHER_SUITES,
    AuthAlgorithm,
    CipherSuite,
    OpenSessionResponse,
    PayloadType,
    Rakp1,
    Rakp2,
    Rakp4,
    RakpStatus,
    build_open_session_request,
    build_rakp1,
    build_rakp3,
    build_rmcpplus_packet,
    parse_open_session_response,
    parse_rakp1,
    parse_rakp2,
    parse_rakp4,
    parse_rmcpplus_packet,
)
from .credentials import DefaultRow, default_rows, order_rows

log = logging.getLogger(__name__)

COLLECTOR = "ipmi"

FACT_KINDS = (IPMI_PRESENCE, IPMI_AUTH_CAPS, IPMI_CIPHER_ZERO, IPMI_CIPHER_SUITES, IPMI_USER, IPMI_V15_USERS,
              IPMI_DEVICE)

#: Well-known IPMI user names probed on every BMC (Metasploit ipmi_users.txt, vendor defaults),
#: plus the null user; the default-credential list and the inventory user are added.
WELL_KNOWN_USERS: tuple[str, ...] = ("", "ADMIN", "admin", "root", "USERID", "Administrator")
#: Suites tried for the RAKP probe, most widely supported first (all have an HMAC in RAKP2).
_PROBE_SUITES = (3, 17, 1, 2, 16, 15, 8, 7, 6, 12, 11)
_MAX_USER_PROBES = 12
_USER_CONCURRENCY = 3
_RAKP2_RETRY_STATUS = RakpStatus.INVALID_SESSION_ID  # HP iLO 4 needs several tries (Metasploit)
_SILENCE_LIMIT = 3  # unanswered exchanges in a row before retries stop

_AUTH_TYPE_NAMES = {AuthType.NONE: "none", AuthType.MD2: "md2", AuthType.MD5: "md5",
                    AuthType.PASSWORD: "password", AuthType.OEM: "oem"}

T = TypeVar("T")


def null_safe_name(username: str) -> str:
    """How a user name appears in subjects: the null user is ``(null)``."""
    return username if username else "(null)"


def rakp_status_name(status: int | None) -> str | None:
    if status is None:
        return None
    try:
        return RakpStatus(status).name
    except ValueError:
        return f"UNKNOWN_0x{status:02X}"


# --------------------------------------------------------------------------- transport


class _Refused(Exception):
    """ICMP port unreachable: nothing listens on the port."""


class _Waiter:
    """One exchange awaiting its reply, across its retries.

    A reply to any try answers it: the waiter stays registered between tries, so a late reply
    to the first send is not lost while the second is being paced.  Each try waits on a fresh
    future with one timer (``wait_for(shield(...))`` cost three futures per datagram, a visible
    share of a sweep's CPU at 26 datagrams per BMC).
    """

    __slots__ = ("match", "answered", "result", "_fut")

    def __init__(self, match: Callable[[bytes], Any]) -> None:
        self.match = match
        self.answered = False
        self.result: Any = None
        self._fut: asyncio.Future[Any] | None = None

    def answer(self, result: Any) -> None:
        self.answered, self.result = True, result
        if self._fut is not None and not self._fut.done():
            self._fut.set_result(result)

    def refuse(self) -> None:
        if self._fut is not None and not self._fut.done():
            self._fut.set_exception(_Refused())

    async def wait(self, loop: asyncio.AbstractEventLoop, timeout: float) -> Any:
        fut = self._fut = loop.create_future()
        try:
            return await wait_future(fut, timeout)
        finally:
            self._fut = None


class _Link(asyncio.DatagramProtocol):
    """A connected UDP endpoint with request/reply matching, retries and a rate limit.

    Several exchanges may be outstanding at once; each incoming datagram goes to the
    first waiter whose matcher accepts it (a matcher returns None or raises WireError
    for datagrams that are not its reply), so late duplicates and stray replies are
    dropped instead of being mistaken for an answer.
    """

    def __init__(self, timeout: float, retries: int, rate_pps: float) -> None:
        self.timeout = max(0.05, float(timeout))
        self.retries = max(0, int(retries))
        self._interval = 1.0 / rate_pps if rate_pps and rate_pps > 0 else 0.0
        self._next_send = 0.0
        self._waiters: list[_Waiter] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.refused = False
        self.os_error: str | None = None
        self.sent = 0
        self.received = 0
        self.unmatched = 0
        #: exchanges in a row that got no reply at all; from _SILENCE_LIMIT on, later exchanges
        #: are sent once (no retries), so a BMC that stops answering cannot stretch the sweep
        self.silent_streak = 0

    # -- protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received += 1
        for w in self._waiters:
            if w.answered:
                continue
            try:
                result = w.match(data)
            except WireError:
                continue
            if result is not None:
                self.silent_streak = 0
                w.answer(result)
                return
        self.unmatched += 1

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self.refused = True
            for w in self._waiters:
                w.refuse()
        else:  # e.g. host / network unreachable: keep it for the presence evidence
            self.os_error = f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    # -- API
    async def _pace(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        at = max(now, self._next_send)
        self._next_send = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)

    async def exchange(self, packet: bytes, match: Callable[[bytes], T | None], *,
                       retries: int | None = None, timeout: float | None = None) -> T | None:
        """Send ``packet`` (re-sent up to ``retries`` times) until ``match`` accepts a reply.

        Returns None on timeout; raises :class:`_Refused` on ICMP port unreachable.
        """
        if self.refused:
            raise _Refused()
        loop = asyncio.get_running_loop()
        waiter = _Waiter(match)
        self._waiters.append(waiter)
        tries = 1 + (self.retries if retries is None else max(0, retries))
        if self.silent_streak >= _SILENCE_LIMIT:
            tries = 1
        try:
            for _ in range(tries):
                await self._pace()
                if waiter.answered:
                    return waiter.result  # type: ignore[no-any-return]
                if self.refused:
                    raise _Refused()
                if self.transport is None:
                    raise ConnectionError("UDP endpoint closed")
                self.transport.sendto(packet)
                self.sent += 1
                try:
                    return await waiter.wait(loop, timeout or self.timeout)  # type: ignore[no-any-return]
                except TimeoutError:
                    continue
            self.silent_streak += 1
            return None
        finally:
            self._waiters.remove(waiter)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


# --------------------------------------------------------------------------- matchers


def _match_pong(tag: int) -> Callable[[bytes], AsfPong | None]:
    def match(data: bytes) -> AsfPong | None:
        if parse_rmcp_header(data).msg_class is not RmcpClass.ASF:
            return None
        pong = parse_presence_pong(data)
        return pong if pong.tag == tag else None
    return match


def _match_response15(cmd: int, rq_seq: int) -> Callable[[bytes], IpmiResponse | None]:
    def match(data: bytes) -> IpmiResponse | None:
        if len(data) < 5 or parse_rmcp_header(data).msg_class is not RmcpClass.IPMI:
            return None
        if data[4] & 0x0F == AuthType.RMCP_PLUS:
            pkt = parse_rmcpplus_packet(data)
            if pkt.payload_type != PayloadType.IPMI or pkt.session_id != 0 or pkt.encrypted:
                return None
            msg = pkt.payload
        else:
            msg = parse_session15_packet(data).message
        rsp = parse_response_message(msg)
        return rsp if rsp.cmd == cmd and rsp.rq_seq == rq_seq else None
    return match


def _match_plus(payload_type: int, tag: int, console_sid: int,
                parse: Callable[[bytes], T]) -> Callable[[bytes], T | None]:
    def match(data: bytes) -> T | None:
        if len(data) < 5 or data[4] & 0x0F != AuthType.RMCP_PLUS:
            return None
        pkt = parse_rmcpplus_packet(data)
        if pkt.payload_type != payload_type or not pkt.payload:
            return None
        msg = parse(pkt.payload)
        sid = getattr(msg, "console_session_id", None)
        if sid == console_sid:
            return msg  # our session ID: ours, even from a BMC that does not echo the message tag
        # no (or a zero) session ID - short error replies, RAKP2 "invalid session ID": the tag decides
        if pkt.payload[0] == tag and (sid is None or (sid == 0 and getattr(msg, "status", 0))):
            return msg
        return None
    return match


def _match_session_response(crypto: SessionCrypto, console_sid: int, cmd: int,
                            rq_seq: int) -> Callable[[bytes], IpmiResponse | None]:
    def match(data: bytes) -> IpmiResponse | None:
        if len(data) < 5 or data[4] & 0x0F != AuthType.RMCP_PLUS:
            return None
        pkt = parse_rmcpplus_packet(data)
        if pkt.payload_type != PayloadType.IPMI or pkt.session_id != console_sid:
            return None
        plain = crypto.unseal_packet(pkt)
        rsp = parse_response_message(plain.payload)
        return rsp if rsp.cmd == cmd and rsp.rq_seq == rq_seq else None
    return match


# --------------------------------------------------------------------------- prober


@dataclass
class _UserProbe:
    username: str
    exists: bool | None = None
    status: int | None = None
    suite: int | None = None
    auth_alg: int | None = None
    rakp_hash: RakpHash | None = field(default=None, repr=False)
    silent: bool = False
    note: str | None = None


class IpmiProber:
    """All IPMI probes of one target; :func:`collect_ipmi` is the entry point."""

    def __init__(self, target: Target, *, timeout: float = 2.0, retries: int = 2, rate_pps: float = 20,
                 cred_budget: dict[str, int] | None = None, credential_tests: bool = True,
                 needs: frozenset[str] | None = None) -> None:
        self.target = target
        self.needs = needs
        self.host = target.address
        self.port = target.port("ipmi") or 623  # collect_ipmi returns early when the inventory has none
        self.timeout = timeout
        self.retries = retries
        self.rate_pps = rate_pps
        self.cred_budget = cred_budget
        self.credential_tests = credential_tests
        self.link: _Link | None = None
        self._rq_seq = itertools.count(secrets.randbelow(64))
        self._tags = itertools.count(secrets.randbelow(256))
        self._subject = f"udp/{self.port}"

    # -- ids
    def _seq(self) -> int:
        return next(self._rq_seq) % 64

    def _tag(self) -> int:
        return next(self._tags) % 256

    @staticmethod
    def _console_sid() -> int:
        return secrets.randbelow(0xFFFFFFFE) + 1

    def _fact(self, kind: str, subject: str = "", data: dict[str, Any] | None = None, error: str | None = None,
              evidence: dict[str, Any] | None = None) -> Fact:
        ev = {"port": self.port, **(evidence or {})}
        return Fact(kind=kind, subject=subject, collector=COLLECTOR, data=data or {}, error=error, evidence=ev)

    # -- pre-session requests
    async def request15(self, netfn: int, cmd: int, data: bytes = b"", *,
                        retries: int | None = None) -> IpmiResponse | None:
        assert self.link is not None
        seq = self._seq()
        msg = build_request_message(IpmiRequest(netfn=netfn, cmd=cmd, data=data, rq_seq=seq))
        return await self.link.exchange(build_session15_packet(msg), _match_response15(cmd, seq), retries=retries)

    async def ping(self) -> AsfPong | None:
        assert self.link is not None
        tag = secrets.randbelow(0xFE)
        return await self.link.exchange(build_presence_ping(tag), _match_pong(tag))

    async def gcac(self, extended: bool) -> IpmiResponse | None:
        data = cmds.build_get_channel_auth_capabilities_request(privilege=Privilege.ADMINISTRATOR,
                                                                ipmi20_extended=extended)
        return await self.request15(NetFn.APP, AppCmd.GET_CHANNEL_AUTH_CAPABILITIES, data)

    async def open_session(self, auth: int, integrity: int, conf: int,
                           *, retries: int | None = None) -> tuple[int, OpenSessionResponse | None]:
        assert self.link is not None
        sid, tag = self._console_sid(), self._tag()
        payload = build_open_session_request(sid, auth, integrity, conf, message_tag=tag)
        pkt = build_rmcpplus_packet(PayloadType.OPEN_SESSION_REQUEST, payload)
        rsp = await self.link.exchange(pkt, _match_plus(PayloadType.OPEN_SESSION_RESPONSE, tag, sid,
                                                        parse_open_session_response), retries=retries)
        return sid, rsp

    async def rakp1(self, console_sid: int, bmc_sid: int, username: bytes,
                    *, retries: int | None = None) -> tuple[Rakp1, Rakp2 | None]:
        assert self.link is not None
        tag = self._tag()
        payload = build_rakp1(bmc_sid, os.urandom(16), username, privilege=Privilege.ADMINISTRATOR,
                              name_only_lookup=True, message_tag=tag)
        pkt = build_rmcpplus_packet(PayloadType.RAKP1, payload)
        r2 = await self.link.exchange(pkt, _match_plus(PayloadType.RAKP2, tag, console_sid, parse_rakp2),
                                      retries=retries)
        return parse_rakp1(payload), r2

    # -- the run
    async def run(self, out: list[Fact]) -> None:
        """Append the facts to ``out`` as they are learned (a deadline keeps what was collected)."""
        loop = asyncio.get_running_loop()
        link = _Link(self.timeout, self.retries, self.rate_pps)
        try:
            await loop.create_datagram_endpoint(lambda: link, remote_addr=(self.host, self.port))
        except OSError as exc:
            out.append(self._fact(IPMI_PRESENCE, self._subject, error=f"cannot probe udp/{self.port}: "
                                  f"{exc.strerror or exc}", evidence={"reason": "socket_error"}))
            return
        self.link = link
        try:
            await self._run(out)
            # What this target cost in datagrams (probes are bounded in rate and count).
            presence = next((f for f in out if f.kind == IPMI_PRESENCE and f.collector == COLLECTOR), None)
            if presence is not None:
                presence.evidence.update(sent=link.sent, received=link.received, unmatched=link.unmatched)
        except _Refused:
            # the port went dark mid-run (BMC reset, firewall change): record it, keep what we have
            out.append(self._fact("ipmi.incomplete", self._subject,
                                  error="ICMP port unreachable in the middle of the IPMI probes"))
        finally:
            link.close()

    async def _run(self, out: list[Fact]) -> None:
        assert self.link is not None
        # 1. presence: ASF ping and GCAC together (a BMC may answer one and not the other)
        ping_res, gcac_res = await asyncio.gather(self._safe(self.ping()), self._safe(self.gcac(True)),)
        pong = ping_res if isinstance(ping_res, AsfPong) else None
        gcac_rsp = gcac_res if isinstance(gcac_res, IpmiResponse) else None
        if pong is None and gcac_rsp is None:
            refused = self.link.refused or isinstance(ping_res, _Refused) or isinstance(gcac_res, _Refused)
            reason = "icmp_unreachable" if refused else "timeout"
            why = ("ICMP port unreachable: nothing listens (IPMI over LAN off)" if refused
                   else f"no reply to an ASF presence ping or Get Channel Auth Capabilities "
                        f"({1 + self.retries} tries each, {self.timeout:g} s timeout)")
            out.append(self._fact(IPMI_PRESENCE, self._subject, error=f"no answer on udp/{self.port}: {why}",
                                  evidence={"reason": reason, "sent": self.link.sent,
                                            "received": self.link.received, "os_error": self.link.os_error}))
            return
        out.append(self._fact(IPMI_PRESENCE, self._subject, data={
            "port": self.port,
            "asf_pong": pong is not None,
            "ipmi_supported": pong.ipmi_supported if pong else None,
            "iana": pong.iana if pong else None,
            "iana_byteswapped": pong.iana_byteswapped if pong else None,
            "gcac_answered": gcac_rsp is not None,
        }))

        # 2. auth capabilities
        caps = await self._auth_caps(gcac_rsp, out)
        v20 = None if caps is None else caps.supports_ipmi20
        v15 = None if caps is None else caps.supports_ipmi15
        if caps is not None and not caps.ipmi20_extended and gcac_rsp is not None and gcac_rsp.completion_code:
            v20 = False  # the IPMI 2.0 extended GCAC was refused: a 1.5-only BMC (checked again below)

        # 3. cipher suites (outside a session)
        suites = await self._cipher_suites(out, v20)

        # 4. RAKP probing per user name
        users: list[_UserProbe] = []
        if v20 is not False:
            users = await self._probe_users(suites)
            self._emit_users(users, out)
        # 5. cipher zero
        await self._cipher_zero(out, v20, users)
        # 6. IPMI 1.5 user enumeration
        if v15 is not False and caps is not None and caps.auth_types:
            await self._v15_users(caps, out)
        # 7. authenticated Get Device ID via python-ipmi: only when something reads it (no built-in
        # check does; a session in python-ipmi costs more CPU than every other probe together)
        if self.needs is None or IPMI_DEVICE in self.needs:
            await self._device_id(out, users, suites, pong is not None)

    @staticmethod
    async def _safe(coro: Any) -> Any:
        try:
            return await coro
        except _Refused as exc:
            return exc

    # -- GCAC
    async def _auth_caps(self, first: IpmiResponse | None, out: list[Fact]) -> cmds.ChannelAuthCapabilities | None:
        rsp = first
        refused_cc: int | None = None
        if rsp is not None and rsp.completion_code != 0:
            # 1.5-only BMCs refuse the IPMI 2.0 extended bit (often cc 0xCC): ask the 1.5 way
            refused_cc = rsp.completion_code
            rsp = await self.gcac(False)
        elif rsp is None:
            rsp = await self.gcac(False)
        if rsp is None:
            out.append(self._fact(IPMI_AUTH_CAPS, error="no reply to Get Channel Authentication Capabilities"))
            return None
        if rsp.completion_code != 0:
            out.append(self._fact(IPMI_AUTH_CAPS, error=f"Get Channel Authentication Capabilities refused: cc "
                                  f"0x{rsp.completion_code:02X} ({completion_code_name(rsp.completion_code)})"))
            return None
        try:
            caps = cmds.parse_channel_auth_capabilities_response(rsp.data)
        except WireError as exc:
            out.append(self._fact(IPMI_AUTH_CAPS, error=f"unparseable Get Channel Authentication Capabilities "
                                  f"reply: {exc}", evidence={"raw_hex": rsp.data.hex()}))
            return None
        order = (AuthType.NONE, AuthType.MD2, AuthType.MD5, AuthType.PASSWORD, AuthType.OEM)
        out.append(self._fact(IPMI_AUTH_CAPS, data={
            "channel": caps.channel,
            "ipmi20_extended": caps.ipmi20_extended,
            "extended_refused_cc": refused_cc,
            "auth_types": [_AUTH_TYPE_NAMES[t] for t in order if t in caps.auth_types],
            "weak_auth_types": [_AUTH_TYPE_NAMES[t] for t in order if t in caps.weak_auth_types],
            "kg_nonzero": caps.kg_nonzero,
            "per_message_auth_disabled": caps.per_message_auth_disabled,
            "user_level_auth_disabled": caps.user_level_auth_disabled,
            "non_null_usernames": caps.non_null_usernames,
            "null_usernames": caps.null_usernames,
            "anonymous_login": caps.anonymous_login,
            "supports_ipmi15": caps.supports_ipmi15,
            "supports_ipmi20": caps.supports_ipmi20,
            "oem_id": caps.oem_id,
            "oem_aux": caps.oem_aux,
            "raw_hex": caps.raw.hex(),
        }))
        return caps

    # -- Get Channel Cipher Suites
    async def _cipher_suites(self, out: list[Fact], v20: bool | None) -> list[int] | None:
        if v20 is False:
            out.append(self._fact(IPMI_CIPHER_SUITES, data={"suites": [], "records": [], "ipmi20_supported": False,
                                                            "note": "IPMI 2.0 / RMCP+ not supported: no suites"}))
            return []
        records = b""
        for index in range(0x40):
            rsp = await self.request15(NetFn.APP, AppCmd.GET_CHANNEL_CIPHER_SUITES,
                                       cmds.build_cipher_suites_request(index))
            if rsp is None:
                out.append(self._fact(IPMI_CIPHER_SUITES, error=f"no reply to Get Channel Cipher Suites "
                                      f"(list index {index})"))
                return None
            if rsp.completion_code != 0:
                out.append(self._fact(IPMI_CIPHER_SUITES, error=f"Get Channel Cipher Suites refused: cc "
                                      f"0x{rsp.completion_code:02X} ({completion_code_name(rsp.completion_code)})"))
                return None
            try:
                _, chunk = cmds.parse_cipher_suites_response(rsp.data)
            except WireError as exc:
                out.append(self._fact(IPMI_CIPHER_SUITES, error=f"unparseable Get Channel Cipher Suites reply: "
                                      f"{exc}"))
                return None
            records += chunk
            if len(chunk) < cmds.CIPHER_SUITE_CHUNK:
                break
        try:
            decoded = cmds.decode_cipher_suite_records(records)
        except WireError as exc:
            out.append(self._fact(IPMI_CIPHER_SUITES, error=f"unparseable cipher suite records: {exc}",
                                  evidence={"raw_hex": records.hex()}))
            return None
        recs = []
        for r in decoded:
            std = CIPHER_SUITES.get(r.suite_id)
            standard = (r.oem_iana is None and std is not None
                        and (r.auth_alg, r.integrity_algs, r.confidentiality_algs)
                        == (std.auth, (std.integrity,), (std.confidentiality,)))
            recs.append({"id": r.suite_id, "auth": r.auth_alg, "integrity": list(r.integrity_algs),
                         "confidentiality": list(r.confidentiality_algs), "oem_iana": r.oem_iana,
                         "standard": standard})
        suites = list(dict.fromkeys(r.suite_id for r in decoded))
        out.append(self._fact(IPMI_CIPHER_SUITES, data={"suites": suites, "records": recs,
                                                        "raw_hex": records.hex(), "ipmi20_supported": v20}))
        return suites

    # -- RAKP user probing
    def _user_names(self) -> list[str]:
        names = list(WELL_KNOWN_USERS)
        names += [r.user for r in default_rows()]
        if self.target.credentials is not None:
            names.append(self.target.credentials.username)
        out: list[str] = []
        for n in names:
            if n not in out and len(n.encode()) <= 16:
                out.append(n)
        return out[:_MAX_USER_PROBES]

    def _probe_suite_order(self, advertised: list[int] | None) -> list[int]:
        if advertised:
            order = [s for s in _PROBE_SUITES if s in advertised]
            return order or [s for s in advertised if s in CIPHER_SUITES and CIPHER_SUITES[s].auth != 0][:3]
        return [3, 17]

    async def _find_probe_suite(self, advertised: list[int] | None) -> tuple[CipherSuite | None, str | None]:
        """The suite the RAKP probes use: the first one the BMC opens a session with."""
        last: str | None = None
        for sid in self._probe_suite_order(advertised):
            s = CIPHER_SUITES[sid]
            _, rsp = await self.open_session(s.auth, s.integrity, s.confidentiality)
            if rsp is None:
                last = f"no Open Session Response for suite {sid}"
                continue
            if rsp.status != 0:
                last = f"suite {sid} refused with status 0x{rsp.status:02X} ({rakp_status_name(rsp.status)})"
                continue
            echoed = rsp.cipher_suite
            if echoed is None or echoed.auth == AuthAlgorithm.RAKP_NONE:
                last = f"suite {sid}: BMC selected algorithms without an HMAC"
                continue
            return echoed, None
        return None, last or "no cipher suite with an HMAC is offered"

    async def _probe_users(self, advertised: list[int] | None) -> list[_UserProbe]:
        names = self._user_names()
        suite, why = await self._find_probe_suite(advertised)
        if suite is None:
            return [_UserProbe(n, note=f"not probed: {why}") for n in names]
        sem = asyncio.Semaphore(_USER_CONCURRENCY)

        async def one(name: str) -> _UserProbe:
            async with sem:
                return await self._probe_user(name, suite)

        probes = list(await asyncio.gather(*(one(n) for n in names)))
        # A BMC that stays silent for unknown names (pyghmi) answers the names that exist:
        # silence next to real answers means "no such user", not "could not check".
        answered = any(p.status is not None for p in probes)
        for p in probes:
            if p.status is None and p.exists is None and p.note == "no RAKP2 reply" and answered:
                p.silent = True
        return probes

    async def _probe_user(self, name: str, suite: CipherSuite) -> _UserProbe:
        probe = _UserProbe(name, suite=suite.suite_id, auth_alg=int(suite.auth))
        uname = name.encode()
        for _attempt in range(3):  # status 0x02 (invalid session ID): retry with a new session
            csid, osr = await self.open_session(suite.auth, suite.integrity, suite.confidentiality)
            if osr is None or osr.status != 0 or osr.bmc_session_id is None:
                probe.note = ("no Open Session Response" if osr is None
                              else f"Open Session refused: status 0x{osr.status:02X}")
                return probe
            echoed = osr.cipher_suite
            if echoed is not None and echoed.auth != suite.auth:
                probe.auth_alg = int(echoed.auth)
            r1, r2 = await self.rakp1(csid, osr.bmc_session_id, uname, retries=0)
            if r2 is None and self.retries:
                r1, r2 = await self.rakp1(csid, osr.bmc_session_id, uname, retries=0)
                if r2 is not None and r2.status == _RAKP2_RETRY_STATUS:
                    # silence, then "invalid session ID": the BMC dropped the session on our
                    # RAKP1 without a word (pyghmi does this for unknown names)
                    probe.silent = True
                    probe.note = "no RAKP2 reply; the BMC then discarded the session (unknown name)"
                    return probe
            if r2 is None:
                probe.note = "no RAKP2 reply"
                return probe
            probe.status = r2.status
            if r2.status == _RAKP2_RETRY_STATUS:
                continue
            if r2.status == RakpStatus.UNAUTHORIZED_NAME:
                probe.exists = False
                return probe
            if r2.status != RakpStatus.NO_ERRORS:
                probe.note = f"RAKP2 status 0x{r2.status:02X} ({rakp_status_name(r2.status)})"
                return probe
            probe.exists = True
            # no RAKP3: RAKP2 alone discloses the HMAC; the half-open session times out on the BMC
            try:
                h = RakpHash.from_exchange(probe.auth_alg, csid, osr.bmc_session_id, r1, r2)
            except WireError as exc:
                probe.note = f"RAKP2 carries no usable HMAC: {exc}"
                return probe
            if h.is_all_zero:
                probe.note = "RAKP2 HMAC is all zeros (bogus hash)"
                return probe
            probe.rakp_hash = h
            return probe
        probe.note = "RAKP2 status 0x02 (invalid session ID) three times"
        return probe

    def _candidates(self, username: str) -> list[DefaultRow]:
        per_user = order_rows(self.target.platform or "")
        if username == "":
            # the null user: anonymous (empty password), then every published default
            rows = [DefaultRow(vendor="(empty password)", product="anonymous / null user", user="", password="")]
            seen = {""}
            for lst in per_user.values():
                for r in lst:
                    if r.password not in seen:
                        seen.add(r.password)
                        rows.append(r)
            return rows
        return list(per_user.get(username, []))

    def _emit_users(self, probes: list[_UserProbe], out: list[Fact]) -> None:
        auditor = self.target.credentials.username if self.target.credentials else None
        for p in probes:
            cracked: bool | None = None
            vendor: str | None = None
            tested = 0
            note = p.note
            auditor_ok: bool | None = None
            if p.rakp_hash is not None:
                if self.credential_tests:
                    rows = self._candidates(p.username)
                    tested = len(rows)
                    match = next((r for r in rows if p.rakp_hash.verifies(r.password.encode())), None)
                    cracked = match is not None
                    vendor = match.vendor if match else None
                    if not rows:
                        cracked = None
                        note = "no published default password for this user name"
                else:
                    note = "credential tests are off: hash not checked"
                if p.username == auditor and self.target.credentials is not None:
                    auditor_ok = self._verify_auditor(p.rakp_hash)
            data = {
                "username": p.username,
                "exists": p.exists,
                "silent": p.silent,
                "rakp2_status": p.status,
                "rakp2_status_name": rakp_status_name(p.status),
                "probe_suite": p.suite,
                "auth_alg": p.auth_alg,
                "hash_disclosed": p.rakp_hash is not None,
                "hash_cracked": cracked,
                "matched_vendor": vendor,
                "candidates_tested": tested,
                "note": note,
            }
            if auditor_ok is not None:
                data["auditor_password_verified"] = auditor_ok
            out.append(self._fact(IPMI_USER, f"ipmi-user:{null_safe_name(p.username)}", data=data))
            if self.credential_tests and p.rakp_hash is not None and cracked is not None:
                out.append(Fact(kind=F.CRED_LOGIN, subject=f"ipmi:{null_safe_name(p.username)}", collector=COLLECTOR,
                                data={"protocol": "ipmi", "username": p.username,
                                      "outcome": "accepted" if cracked else "rejected", "attempts": 0,
                                      "budget": None, "lockout_threshold": None, "matched_vendor": vendor,
                                      "method": "offline RAKP2", "candidates_tested": tested}))

    def _verify_auditor(self, h: RakpHash) -> bool | None:
        assert self.target.credentials is not None
        try:
            secret = self.target.credentials.password.resolve()
        except Exception:  # noqa: BLE001 - a missing secret just means "not verified"
            return None
        return h.verifies(secret.reveal().encode())

    # -- cipher zero
    async def _cipher_zero(self, out: list[Fact], v20: bool | None, users: list[_UserProbe]) -> None:
        # Even when GCAC says "no IPMI 2.0", one Open Session is sent: a BMC whose capability
        # bits are wrong must not get a pass for cipher 0.
        csid, rsp = await self.open_session(0, 0, 0, retries=0 if v20 is False else None)
        if rsp is None and v20 is False:
            out.append(self._fact(IPMI_CIPHER_ZERO, data={"ipmi20_supported": False, "accepted": False,
                                                          "status": None, "status_name": None, "echoed": None,
                                                          "echoed_suite": None, "command_with_wrong_password": None,
                                                          "command_note": "IPMI 2.0 / RMCP+ not supported (no "
                                                                          "Open Session Response either)"}))
            return
        if v20 is False:
            v20 = None  # it does speak RMCP+ after all
        if rsp is None:
            out.append(self._fact(IPMI_CIPHER_ZERO, error="no Open Session Response to a cipher suite 0 proposal"))
            return
        echoed = None
        if rsp.auth_alg is not None or rsp.integrity_alg is not None or rsp.confidentiality_alg is not None:
            echoed = {"auth": rsp.auth_alg, "integrity": rsp.integrity_alg, "confidentiality": rsp.confidentiality_alg}
        echoed_suite = rsp.cipher_suite.suite_id if rsp.cipher_suite is not None else None
        accepted = rsp.status == 0 and echoed == {"auth": 0, "integrity": 0, "confidentiality": 0}
        data: dict[str, Any] = {
            "ipmi20_supported": v20,
            "status": rsp.status,
            "status_name": rakp_status_name(rsp.status),
            "echoed": echoed,
            "echoed_suite": echoed_suite,
            "accepted": accepted,
            "command_with_wrong_password": None,
            "command_user": None,
            "command_note": None,
        }
        if not accepted:
            data["command_note"] = ("not tried: cipher suite 0 was not accepted"
                                    + (f" (status 0 but the BMC selected suite {echoed_suite}, "
                                       "not 0/0/0)" if rsp.status == 0 else ""))
            out.append(self._fact(IPMI_CIPHER_ZERO, data=data))
            return
        user = self._cipher_zero_user(users)
        budget = self._budget(user) if user is not None else 0
        if user is None:
            data["command_note"] = "not tried: no existing user name is known"
        elif not self.credential_tests:
            data["command_note"] = "not tried: credential tests are off"
        elif budget <= 0:
            data["command_note"] = f"not tried: no login budget left for user {user!r}"
        else:
            data["command_user"] = user
            ok, note = await self._cipher_zero_command(csid, rsp, user)
            data["command_with_wrong_password"] = ok
            data["command_note"] = note
            if ok:
                out.append(Fact(kind=F.CRED_LOGIN, subject=f"ipmi-cipher0:{null_safe_name(user)}",
                                collector=COLLECTOR,
                                data={"protocol": "ipmi", "username": user, "outcome": "no_auth", "attempts": 1,
                                      "budget": budget, "lockout_threshold": None, "matched_vendor": None,
                                      "method": "cipher suite 0: RAKP without a password, then Get Device ID"}))
        out.append(self._fact(IPMI_CIPHER_ZERO, data=data))

    def _budget(self, user: str) -> int:
        if self.cred_budget is None:
            return 1  # lockout threshold unknown: one attempt cannot lock an account with threshold >= 2
        return int(self.cred_budget.get(user, self.cred_budget.get("*", 1)))

    def _cipher_zero_user(self, users: list[_UserProbe]) -> str | None:
        existing = [p.username for p in users if p.exists]
        auditor = self.target.credentials.username if self.target.credentials else None
        if auditor is not None and auditor in existing:
            return auditor
        named = [n for n in existing if n]
        if named:
            return named[0]
        if "" in existing:
            return ""
        if not users:  # RAKP probing did not run (e.g. no HMAC suite): try the inventory user
            return auditor
        return None

    async def _cipher_zero_command(self, csid: int, osr: OpenSessionResponse, user: str) -> tuple[bool, str]:
        """RAKP1-3 under RAKP-none with no proof, then Get Device ID, then Close Session."""
        assert self.link is not None and osr.bmc_session_id is not None
        bmc_sid = osr.bmc_session_id
        r1, r2 = await self.rakp1(csid, bmc_sid, user.encode())
        if r2 is None:
            return False, f"no RAKP2 for user {user!r} in the cipher 0 session"
        if r2.status != 0:
            return False, f"RAKP2 status 0x{r2.status:02X} ({rakp_status_name(r2.status)}) for user {user!r}"
        tag = self._tag()
        # RAKP-none: the RAKP3 auth code is empty, i.e. any (wrong) password is "proved"
        pkt = build_rmcpplus_packet(PayloadType.RAKP3, build_rakp3(tag, 0, bmc_sid, b""))
        r4 = await self.link.exchange(pkt, _match_plus(PayloadType.RAKP4, tag, csid, parse_rakp4))
        if r4 is None:
            return False, "no RAKP4 reply"
        if not isinstance(r4, Rakp4) or r4.status != 0:
            return False, f"RAKP4 status 0x{r4.status:02X} ({rakp_status_name(r4.status)}): session refused"
        suite0 = CIPHER_SUITES[0]
        crypto = SessionCrypto(suite0, SessionKeys(auth_alg=AuthAlgorithm.RAKP_NONE, sik=b"", k1=b"", k2=b""))
        seqs = itertools.count(1)

        async def command(cmd: int, data: bytes = b"") -> IpmiResponse | None:
            assert self.link is not None
            rq = self._seq()
            msg = build_request_message(IpmiRequest(netfn=NetFn.APP, cmd=cmd, data=data, rq_seq=rq))
            sealed = crypto.seal(PayloadType.IPMI, msg, bmc_sid, next(seqs))
            return await self.link.exchange(sealed, _match_session_response(crypto, csid, cmd, rq))

        rsp = await command(AppCmd.GET_DEVICE_ID)
        with contextlib.suppress(WireError, _Refused):
            await command(AppCmd.CLOSE_SESSION, cmds.build_close_session_request(bmc_sid))
        if rsp is None:
            return False, "session opened but Get Device ID got no reply"
        if rsp.completion_code != 0:
            return False, (f"session opened but Get Device ID failed: cc 0x{rsp.completion_code:02X} "
                           f"({completion_code_name(rsp.completion_code)})")
        return True, f"Get Device ID succeeded as {user!r} with no valid password (cipher suite 0)"

    # -- IPMI 1.5 user enumeration
    async def _v15_users(self, caps: cmds.ChannelAuthCapabilities, out: list[Fact]) -> None:
        for at in (AuthType.MD5, AuthType.PASSWORD, AuthType.MD2, AuthType.NONE):
            if at in caps.auth_types:
                break
        else:
            return
        results: dict[str, str] = {}
        for name in self._user_names():
            rsp = await self.request15(NetFn.APP, AppCmd.GET_SESSION_CHALLENGE,
                                       cmds.build_session_challenge_request(at, name.encode()),
                                       retries=min(self.retries, 1))
            if rsp is None:
                results[name] = "no_answer"
                if len(results) >= 2 and all(v == "no_answer" for v in results.values()):
                    break  # the BMC does not answer Get Session Challenge at all
            elif rsp.completion_code == 0:
                results[name] = "challenge"
            elif rsp.completion_code == 0x81:
                results[name] = "invalid_user"
            elif rsp.completion_code == 0x82:
                results[name] = "null_user_disabled"
            else:
                results[name] = f"cc_0x{rsp.completion_code:02X}"
        challenged = [n for n, s in results.items() if s == "challenge"]
        rejected = [n for n, s in results.items() if s in ("invalid_user", "null_user_disabled")]
        if all(s == "no_answer" for s in results.values()):
            out.append(self._fact(IPMI_V15_USERS, error="no reply to Get Session Challenge"))
            return
        out.append(self._fact(IPMI_V15_USERS, data={
            "auth_type": _AUTH_TYPE_NAMES[at],
            "results": results,
            "challenged": challenged,
            "rejected": rejected,
            "enumerable": bool(challenged) and bool([n for n in rejected if n]),
        }))

    # -- python-ipmi Get Device ID
    async def _device_id(self, out: list[Fact], users: list[_UserProbe], suites: list[int] | None,
                         pong: bool) -> None:
        creds = self.target.credentials
        if creds is None or not pong:  # python-ipmi needs an ASF pong before anything else
            return
        password = self._auditor_password_bytes()
        probe = next((p for p in users if p.username == creds.username and p.rakp_hash is not None), None)
        if password is None or probe is None or probe.rakp_hash is None or not probe.rakp_hash.verifies(password):
            return  # not proven offline: never risk a failed login for a device ID
        if suites is not None and 3 not in suites:
            return  # python-ipmi 0.6.1: suite 17 is incompatible, suites 0 / MD5 unsupported
        if ":" in self.host:
            return  # python-ipmi's sockets are IPv4 only
        try:
            dev = await asyncio.wait_for(asyncio.to_thread(_pyipmi_device_id, self.host, self.port,
                                                           creds.username, password.decode(errors="replace"),
                                                           self.timeout),
                                         timeout=self.timeout * 4 + 2)
        except Exception as exc:  # noqa: BLE001 - python-ipmi raises many types; one fact records it
            out.append(self._fact(IPMI_DEVICE, error=f"python-ipmi Get Device ID failed: {type(exc).__name__}: "
                                  f"{str(exc)[:200]}"))
            return
        out.append(self._fact(IPMI_DEVICE, data={**dev, "via": "python-ipmi rmcpplus, cipher suite 3",
                                                 "username": creds.username}))

    def _auditor_password_bytes(self) -> bytes | None:
        if self.target.credentials is None:
            return None
        try:
            return self.target.credentials.password.resolve().reveal().encode()
        except Exception:  # noqa: BLE001
            return None


def _pyipmi_device_id(host: str, port: int, username: str, password: str, timeout: float) -> dict[str, Any]:
    """Blocking: an authenticated RMCP+ session (suite 3) and Get Device ID with python-ipmi."""
    import pyipmi
    import pyipmi.interfaces

    intf = pyipmi.interfaces.create_interface("rmcpplus", cipher_suite=3, keep_alive_interval=0, max_retries=1)
    ipmi = pyipmi.create_connection(intf)
    ipmi.session.set_session_type_rmcp(host, port)
    ipmi.session.set_auth_type_user(username, password)
    ipmi.session.set_priv_level("user")  # Get Device ID needs no more; any IPMI user has it
    ipmi.target = pyipmi.Target(0x20)
    intf.open()
    intf.set_timeout(timeout)
    try:
        ipmi.session.establish()
        try:
            dev = ipmi.get_device_id()
        finally:
            with contextlib.suppress(Exception):
                ipmi.session.close()
    finally:
        with contextlib.suppress(Exception):
            intf.close()
    fw = getattr(dev, "fw_revision", None)
    ipmi_ver = getattr(dev, "ipmi_version", None)
    return {
        "device_id": getattr(dev, "device_id", None),
        "revision": getattr(dev, "revision", None),
        "firmware_version": str(fw) if fw is not None else None,
        "ipmi_version": str(ipmi_ver) if ipmi_ver is not None else None,
        "manufacturer_id": getattr(dev, "manufacturer_id", None),
        "product_id": getattr(dev, "product_id", None),
    }


async def collect_ipmi(
    target: Target,
    out: list[Fact],
    *,
    timeout: float = 2.0,
    retries: int = 2,
    rate_pps: float = 20,
    cred_budget: dict[str, int] | None = None,
    credential_tests: bool = True,
    needs: frozenset[str] | None = None,
) -> None:
    """Probe IPMI over LAN on ``target.port("ipmi")`` (default 623/udp) and append the facts to ``out``
    as they are learned.  No IPMI port in the inventory (``ipmi: null``): nothing is probed.

    ``cred_budget`` maps an IPMI user name (or ``"*"``) to the login attempts still allowed
    this sweep (the Redfish lockout budget); None means "unknown": one attempt.  Only the
    cipher-0 confirmation spends one; everything else is offline.  With
    ``credential_tests`` false no hash is checked and no login is attempted.  ``needs`` (fact
    kinds some check reads; None = everything) leaves out the optional ``ipmi.device``.
    """
    if target.port("ipmi") is None:
        return  # the inventory says this BMC has no IPMI port (``ipmi: null``): the checks use Redfish
    prober = IpmiProber(target, timeout=timeout, retries=retries, rate_pps=rate_pps, cred_budget=cred_budget,
                        credential_tests=credential_tests, needs=needs)
    await prober.run(out)


__all__ = [
    "COLLECTOR",
    "FACT_KINDS",
    "IPMI_AUTH_CAPS",
    "IPMI_CIPHER_SUITES",
    "IPMI_CIPHER_ZERO",
    "IPMI_DEVICE",
    "IPMI_PRESENCE",
    "IPMI_USER",
    "IPMI_V15_USERS",
    "WELL_KNOWN_USERS",
    "IpmiProber",
    "collect_ipmi",
    "null_safe_name",
]
