"""Mock IPMI-over-LAN responder (RMCP / ASF / IPMI 1.5 / RMCP+) for one BMC.

It speaks enough real protocol that the Debian ``ipmitool`` (``-I lan`` and
``-I lanplus -C 0/3/17``) logs in and runs ``mc info``, ``chassis status``,
``channel getciphers ipmi`` and ``lan print`` against it, and it reproduces the
behaviours the IPMI audit checks look for:

* ASF presence pong; Get Channel Authentication Capabilities reflecting the
  configured 1.5 auth types, anonymous / null users, per-message and
  user-level authentication, Kg and IPMI 1.5 / 2.0 support;
* IPMI 1.5 sessions (Get Session Challenge, Activate Session) with the
  configured auth types; cc 0x81 for an unknown user (user enumeration);
* RMCP+ Open Session with the configured cipher suites, RAKP 1-4; RAKP2 hands
  out the HMAC for any *existing* user name before any proof (CVE-2013-4786)
  and status 0x0D for unknown names; suite 0, when configured, lets any
  password in (CVE-2013-4782 family); integrity + AES-CBC-128 for suites 3 / 17;
* optional pyghmi-style quirk (Open Session always "succeeds" with one fixed
  suite), Kg (two-key login), account lockout, and transport faults.

Configuration is the ``ipmi:`` section of a mock profile (:class:`IpmiConfig`);
accounts are passed separately because they are shared with the Redfish and
SSH sides of the mock. Secrets (passwords, Kg, HMACs, session keys) are never
logged.

Not modelled (documented limits): sequence-number replay windows (any session
sequence number is accepted), per-command privilege checks, SOL, xRC4 and
MD5-128 payload protection (such suites can be offered and negotiated, but IPMI
messages inside those sessions are dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from oobaudit.wire import commands as cmds
from oobaudit.wire.commands import AppCmd, NetFn, Privilege
from oobaudit.wire.errors import WireError
from oobaudit.wire.ipmi15 import (
    AuthType,
    CompletionCode,
    IpmiRequest,
    IpmiResponse,
    Session15Packet,
    build_response_message,
    build_session15_packet,
    parse_request_message,
    parse_session15_packet,
)
from oobaudit.wire.rakp import (
    SessionCrypto,
    compute_rakp2_auth_code,
    compute_rakp3_auth_code,
    compute_rakp4_icv,
    derive_session_keys,
)
from oobaudit.wire.rmcp import (
    RmcpClass,
    build_presence_pong,
    parse_presence_ping,
    parse_rmcp_header,
)
from oobaudit.wire.rmcpplus import (
    CIPHER_SUITES,
    AuthAlgorithm,
    CipherSuite,
    PayloadType,
    RakpStatus,
    RmcpPlusPacket,
    build_open_session_response,
    build_rakp2,
    build_rakp4,
    build_rmcpplus_packet,
    cipher_suite,
    parse_open_session_request,
    parse_rakp1,
    parse_rakp3,
    parse_rmcpplus_packet,
)

__all__ = [
    "DeviceIdConfig",
    "IpmiAccountSpec",
    "IpmiConfig",
    "IpmiFault",
    "IpmiResponder",
    "FleetIpmiListener",
    "ThreadedIpmiResponder",
    "fleet_ipmi_config",
    "start_ipmi_responder",
]

log = logging.getLogger(__name__)

_AUTH_NAMES: dict[str, AuthType] = {
    "none": AuthType.NONE,
    "md2": AuthType.MD2,
    "md5": AuthType.MD5,
    "password": AuthType.PASSWORD,
}
_GET_CHASSIS_STATUS = 0x01  # NetFn CHASSIS
_IPMI_CHANNEL_INFO_IANA = 7154  # IPMI forum enterprise number, as real BMCs report it


class IpmiFault(StrEnum):
    """Transport faults a profile can inject.

    * ``silent``: bind the port, receive, never answer (a filtered / hung IPMI stack);
    * ``garbage``: every reply keeps its 4-byte RMCP header, the rest is random bytes;
    * ``duplicate``: every reply is sent twice.
    """

    SILENT = "silent"
    GARBAGE = "garbage"
    DUPLICATE = "duplicate"


class DeviceIdConfig(BaseModel):
    """What Get Device ID (and ``ipmitool mc info``) reports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: int = Field(0x20, ge=0, le=0xFF)
    device_revision: int = Field(1, ge=0, le=0x0F)
    provides_sdrs: bool = False
    firmware_major: int = Field(1, ge=0, le=0x7F)
    firmware_minor: int = Field(0, ge=0, le=99, description="decimal, sent as BCD (8 -> '1.08')")
    ipmi_version: Literal["1.5", "2.0"] = "2.0"
    additional_support: int = Field(0xBF, ge=0, le=0xFF)
    manufacturer_id: int = Field(10876, ge=0, le=0x0FFFFF, description="IANA; 10876 = Supermicro")
    product_id: int = Field(0x1234, ge=0, le=0xFFFF)
    aux_firmware: str | None = Field(None, description="8 hex digits (4 bytes) or null")

    @field_validator("aux_firmware")
    @classmethod
    def _aux(cls, v: str | None) -> str | None:
        if v is not None and (len(v) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in v)):
            raise ValueError("aux_firmware must be 8 hex digits")
        return v

    def to_device_id(self) -> cmds.DeviceId:
        major, minor = (int(x) for x in self.ipmi_version.split("."))
        return cmds.DeviceId(
            device_id=self.device_id,
            device_revision=self.device_revision,
            provides_sdrs=self.provides_sdrs,
            firmware_major=self.firmware_major,
            firmware_minor=self.firmware_minor,
            update_in_progress=False,
            ipmi_version=(major, minor),
            additional_support=self.additional_support,
            manufacturer_id=self.manufacturer_id,
            product_id=self.product_id,
            aux_firmware=bytes.fromhex(self.aux_firmware) if self.aux_firmware else None,
        )


_PRIV_NAMES = {"callback": 1, "user": 2, "operator": 3, "administrator": 4, "admin": 4, "oem": 5}


class IpmiAccountSpec(BaseModel):
    """An IPMI-only account (e.g. the null user, or a vendor's IPMI-only user)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    password: SecretStr = Field(SecretStr(""), description="at most 20 bytes")
    privilege: int = Field(Privilege.USER, ge=1, le=5, description="1..5 or callback/user/operator/administrator")

    @field_validator("privilege", mode="before")
    @classmethod
    def _priv(cls, v: object) -> object:
        if isinstance(v, str) and v.lower() in _PRIV_NAMES:
            return _PRIV_NAMES[v.lower()]
        return v

    @field_validator("password")
    @classmethod
    def _pw(cls, v: SecretStr) -> SecretStr:
        if len(v.get_secret_value().encode()) > 20:
            raise ValueError("IPMI passwords are at most 20 bytes")
        return v


class IpmiConfig(BaseModel):
    """The ``ipmi:`` section of a mock BMC profile.

    Defaults describe a *hardened* IPMI 2.0 BMC: suites 3 and 17 only, 1.5 with
    MD5 only, no anonymous or null user, per-message and user-level
    authentication on.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false: nothing is bound, UDP gets ICMP port unreachable")
    channel: int = Field(1, ge=1, le=0x0B, description="LAN channel number reported by GCAC")
    asf_pong: bool = Field(True, description="answer ASF presence pings")
    ipmi_v15: bool = Field(True, description="IPMI 1.5 sessions (GCAC byte 5 bit 0)")
    ipmi_v20: bool = Field(True, description="RMCP+ sessions (GCAC byte 5 bit 1); false: GCAC bit7 -> cc 0xCC")
    cipher_suites: list[int] = Field(default_factory=lambda: [3, 17], description="offered suites, 0..19")
    auth_types_v15: list[Literal["none", "md2", "md5", "password"]] = Field(default_factory=lambda: ["md5"])
    anonymous_login: bool = Field(False, description="null user name + null password may log in")
    null_user: bool = Field(False, description="null user name with the password of accounts['']")
    per_message_auth: bool = Field(True, description="false: 1.5 messages after activation may be unauthenticated")
    user_level_auth: bool = Field(True, description="false: 1.5 user-level messages may be unauthenticated")
    kg: SecretStr | None = Field(None, description="BMC key Kg (<= 20 bytes); the SIK is keyed with it")
    guid: str | None = Field(None, description="32 hex digits; default: random per responder")
    device_id: DeviceIdConfig = Field(default_factory=DeviceIdConfig)
    fault: IpmiFault | None = None
    unknown_user: Literal["reject", "silent"] = Field(
        "reject", description="RAKP1 for an unknown name: RAKP2 status 0x0D, or no answer (pyghmi)"
    )
    open_session_override_suite: int | None = Field(
        None, description="pyghmi/virtualbmc quirk: every Open Session gets status 0 and this suite"
    )
    lockout_threshold: int | None = Field(None, ge=1, description="failed logins before the account locks")
    accounts: dict[str, IpmiAccountSpec] = Field(
        default_factory=dict, description="IPMI-only accounts, added to the ones passed to the responder"
    )
    max_sessions: int = Field(32, ge=1, le=1024)
    session_timeout: float = Field(60.0, gt=0, description="seconds an idle active session lives")
    handshake_timeout: float = Field(10.0, gt=0, description="seconds a half-open session / challenge lives")

    @field_validator("cipher_suites")
    @classmethod
    def _suites(cls, v: list[int]) -> list[int]:
        for s in v:
            if s not in CIPHER_SUITES:
                raise ValueError(f"cipher suite {s} is not a standard suite (0..19)")
        if len(set(v)) != len(v):
            raise ValueError("cipher_suites has duplicates")
        return v

    @field_validator("open_session_override_suite")
    @classmethod
    def _override(cls, v: int | None) -> int | None:
        if v is not None and v not in CIPHER_SUITES:
            raise ValueError(f"cipher suite {v} is not a standard suite (0..19)")
        return v

    @field_validator("guid")
    @classmethod
    def _guid(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                if len(bytes.fromhex(v)) != 16:
                    raise ValueError
            except ValueError:
                raise ValueError("guid must be 32 hex digits") from None
        return v

    @field_validator("kg")
    @classmethod
    def _kg(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value().encode()) > 20:
            raise ValueError("kg must be at most 20 bytes")
        return v

    @model_validator(mode="after")
    def _v20_needs_suites(self) -> IpmiConfig:
        if self.ipmi_v20 and not self.cipher_suites and self.open_session_override_suite is None:
            raise ValueError("ipmi_v20 needs at least one cipher suite")
        return self

    @property
    def auth_types(self) -> frozenset[AuthType]:
        return frozenset(_AUTH_NAMES[n] for n in self.auth_types_v15) if self.ipmi_v15 else frozenset()

    @property
    def kg_bytes(self) -> bytes | None:
        if self.kg is None:
            return None
        kg = self.kg.get_secret_value().encode()
        return kg if any(kg) else None


# --------------------------------------------------------------------------- state


@dataclass(slots=True)
class _Account:
    name: str
    password: bytes = field(repr=False)
    privilege: int


class _State(Enum):
    OPENED = 1
    RAKP2_SENT = 2
    ACTIVE = 3


@dataclass(slots=True)
class _PlusSession:
    bmc_id: int
    console_id: int
    suite: CipherSuite
    max_priv_requested: int
    created: float
    last: float
    state: _State = _State.OPENED
    account: _Account | None = None
    role: int = 0
    username: bytes = b""
    rm: bytes = b""
    rc: bytes = b""
    crypto: SessionCrypto | None = field(default=None, repr=False)
    privilege: int = Privilege.USER
    max_privilege: int = Privilege.USER
    out_seq: int = 0


@dataclass(slots=True)
class _Challenge:
    temp_id: int
    auth_type: AuthType
    account: _Account
    challenge: bytes = field(repr=False)
    created: float = 0.0


@dataclass(slots=True)
class _Session15:
    session_id: int
    auth_type: AuthType
    account: _Account
    max_privilege: int
    last: float
    privilege: int = Privilege.USER
    out_seq: int = 0


class IpmiResponder(asyncio.DatagramProtocol):
    """One mock BMC's UDP responder. Create it with :func:`start_ipmi_responder`."""

    def __init__(
        self,
        config: IpmiConfig,
        accounts: Mapping[str, tuple[str, int]],
        host: str,
        port: int,
        *,
        login_hook: Callable[[str, bool], None] | None = None,
        lock_check: Callable[[str], bool] | None = None,
    ) -> None:
        self.config = config
        self.host = host
        self.port = port
        # Read on every lookup, so a live mapping (the fleet's account store) is honoured.
        self._accounts_src = accounts
        self._login_hook = login_hook
        self._lock_check = lock_check
        self.guid = bytes.fromhex(config.guid) if config.guid else uuid.uuid4().bytes
        self._device_id = cmds.build_device_id_response(config.device_id.to_device_id())
        self._suite_records = cmds.encode_cipher_suite_records(
            cmds.CipherSuiteRecord(s, CIPHER_SUITES[s].auth, (CIPHER_SUITES[s].integrity,),
                                   (CIPHER_SUITES[s].confidentiality,))
            for s in config.cipher_suites
        )
        self._plus: dict[int, _PlusSession] = {}
        self._challenges: dict[int, _Challenge] = {}
        self._s15: dict[int, _Session15] = {}
        self._failed: dict[str, int] = {}
        self._succeeded: dict[str, int] = {}
        self._disclosed: dict[str, int] = {}
        self._locked: set[str] = set()
        self.packets_received = 0
        self.packets_malformed = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._lock = threading.Lock()  # counters are read from other threads in tests

    # ----------------------------------------------------------------- public API

    @property
    def bound(self) -> bool:
        return self._transport is not None

    @property
    def failed_logins(self) -> dict[str, int]:
        """Failed login attempts per user name (wrong RAKP3 / Activate Session proof)."""
        with self._lock:
            return dict(self._failed)

    @property
    def successful_logins(self) -> dict[str, int]:
        with self._lock:
            return dict(self._succeeded)

    @property
    def rakp2_disclosures(self) -> dict[str, int]:
        """RAKP2 HMACs handed out per user name (the offline-check traffic; not failures)."""
        with self._lock:
            return dict(self._disclosed)

    @property
    def locked_users(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._locked)

    @property
    def active_sessions(self) -> int:
        with self._lock:
            return sum(1 for s in list(self._plus.values()) if s.state is _State.ACTIVE) + len(self._s15)

    def reset_counters(self) -> None:
        with self._lock:
            self._failed.clear()
            self._succeeded.clear()
            self._disclosed.clear()
            self._locked.clear()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> IpmiResponder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IpmiResponder(host={self.host!r}, port={self.port}, bound={self.bound})"

    # ----------------------------------------------------------------- transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets_received += 1
        try:
            reply = self._handle(data)
        except WireError as exc:
            self.packets_malformed += 1
            log.debug("ipmi mock %s:%d: dropped malformed datagram from %s: %s", self.host, self.port, addr, exc)
            return
        if reply is not None:
            self._send(reply, addr)

    def _send(self, reply: bytes, addr: tuple[str, int]) -> None:
        if self._transport is None:
            return
        fault = self.config.fault
        if fault is IpmiFault.SILENT:
            return
        if fault is IpmiFault.GARBAGE:
            reply = reply[:4] + os.urandom(max(len(reply) - 4, 8))
        self._transport.sendto(reply, addr)
        if fault is IpmiFault.DUPLICATE:
            self._transport.sendto(reply, addr)

    # ----------------------------------------------------------------- dispatch

    def _handle(self, data: bytes) -> bytes | None:
        hdr = parse_rmcp_header(data)
        if hdr.msg_class is RmcpClass.ASF:
            tag = parse_presence_ping(data)
            if not self.config.asf_pong or tag == 0xFF:
                return None
            return build_presence_pong(tag)
        if hdr.msg_class is not RmcpClass.IPMI or len(data) < 5:
            return None
        if data[4] & 0x0F == AuthType.RMCP_PLUS:
            if not self.config.ipmi_v20:
                return None
            return self._handle_plus(parse_rmcpplus_packet(data))
        return self._handle_15(parse_session15_packet(data))

    # ----------------------------------------------------------------- accounts

    def _account(self, name: str) -> _Account | None:
        entry = self._accounts_src.get(name)
        if entry is None:
            extra = self.config.accounts.get(name)
            if extra is None:
                return None
            return _Account(name=name, password=extra.password.get_secret_value().encode(),
                            privilege=extra.privilege)
        password, priv = entry
        pw = password.encode() if isinstance(password, str) else bytes(password)
        if len(pw) > 20:  # cannot be an IPMI password
            return None
        return _Account(name=name, password=pw, privilege=int(priv))

    def _has_named_accounts(self) -> bool:
        return any(n for n in self._accounts_src) or any(n for n in self.config.accounts)

    def _lookup(self, name: bytes) -> _Account | None:
        if not name:
            # One account owns the null name. With a password it is a "null user"
            # (null_user), without one it is the anonymous login (anonymous_login).
            acct = self._account("")
            if acct is not None and acct.password and self.config.null_user:
                return acct
            if self.config.anonymous_login:
                priv = acct.privilege if acct is not None else Privilege.USER
                return _Account(name="", password=b"", privilege=priv)
            return None
        try:
            key = name.decode()
        except UnicodeDecodeError:
            return None
        return self._account(key) if key else None

    def _login_failed(self, acct: _Account) -> None:
        with self._lock:
            n = self._failed.get(acct.name, 0) + 1
            self._failed[acct.name] = n
            threshold = self.config.lockout_threshold
            if threshold is not None and n >= threshold:
                self._locked.add(acct.name)
        if self._login_hook is not None:
            self._login_hook(acct.name, False)
        log.info("ipmi mock %s:%d: failed login for user %r", self.host, self.port, acct.name)

    def _login_succeeded(self, acct: _Account) -> None:
        with self._lock:
            self._succeeded[acct.name] = self._succeeded.get(acct.name, 0) + 1
            self._failed.pop(acct.name, None)
        if self._login_hook is not None:
            self._login_hook(acct.name, True)

    def _is_locked(self, acct: _Account) -> bool:
        with self._lock:
            if acct.name in self._locked:
                return True
        return self._lock_check is not None and self._lock_check(acct.name)

    # ----------------------------------------------------------------- shared commands

    def _gcac(self, data: bytes) -> tuple[int, bytes]:
        req = cmds.parse_get_channel_auth_capabilities_request(data)
        if req.channel not in (cmds.CHANNEL_THIS, self.config.channel):
            return CompletionCode.INVALID_DATA_FIELD, b""
        if req.ipmi20_extended and not self.config.ipmi_v20:
            return CompletionCode.INVALID_DATA_FIELD, b""
        cfg = self.config
        caps = cmds.ChannelAuthCapabilities(
            channel=cfg.channel,
            auth_types=cfg.auth_types,
            ipmi20_extended=req.ipmi20_extended,
            kg_nonzero=cfg.kg_bytes is not None,
            per_message_auth_disabled=not cfg.per_message_auth,
            user_level_auth_disabled=not cfg.user_level_auth,
            non_null_usernames=self._has_named_accounts(),
            null_usernames=cfg.null_user,
            anonymous_login=cfg.anonymous_login,
            supports_ipmi15=cfg.ipmi_v15,
            supports_ipmi20=cfg.ipmi_v20,
        )
        return CompletionCode.OK, cmds.build_channel_auth_capabilities_response(caps)

    def _cipher_suites(self, data: bytes) -> tuple[int, bytes]:
        req = cmds.parse_cipher_suites_request(data)
        if req.channel not in (cmds.CHANNEL_THIS, self.config.channel) or req.payload_type != 0:
            return CompletionCode.INVALID_DATA_FIELD, b""
        if not self.config.ipmi_v20:
            return CompletionCode.INVALID_COMMAND, b""
        if req.list_by_cipher_suite:
            records = self._suite_records
        else:  # "list supported algorithms": one byte per algorithm, tagged like the records
            algs: list[int] = []
            for s in self.config.cipher_suites:
                cs = CIPHER_SUITES[s]
                for b in (int(cs.auth), 0x40 | cs.integrity, 0x80 | cs.confidentiality):
                    if b not in algs:
                        algs.append(b)
            records = bytes(algs)
        chunk = cmds.cipher_suite_record_chunk(records, req.list_index)
        return CompletionCode.OK, cmds.build_cipher_suites_response(self.config.channel, chunk)

    def _channel_info(self, data: bytes) -> tuple[int, bytes]:
        if not data:
            return CompletionCode.REQUEST_DATA_LENGTH_INVALID, b""
        ch = data[0] & 0x0F
        if ch not in (cmds.CHANNEL_THIS, self.config.channel):
            return CompletionCode.INVALID_DATA_FIELD, b""
        active = min(self.active_sessions, 0x3F)
        body = bytes((self.config.channel, 0x04, 0x01, 0x80 | active))
        return CompletionCode.OK, body + _IPMI_CHANNEL_INFO_IANA.to_bytes(3, "little") + b"\x00\x00"

    def _lan_config(self, data: bytes) -> tuple[int, bytes]:
        req = cmds.parse_lan_config_request(data)
        if req.channel not in (cmds.CHANNEL_THIS, self.config.channel):
            return CompletionCode.INVALID_DATA_FIELD, b""
        rev = b"\x11"
        if req.revision_only:
            return CompletionCode.OK, rev
        mask = 0
        for t in self.config.auth_types:
            mask |= 1 << t
        suites = self.config.cipher_suites if self.config.ipmi_v20 else []
        host = self.host if self._is_ipv4(self.host) else "127.0.0.1"
        params: dict[int, bytes] = {
            0: b"\x00",
            1: bytes((mask,)),
            2: bytes((mask, mask, mask, mask, 0)),
            3: bytes(int(x) for x in host.split(".")),
            4: b"\x01",
            5: bytes.fromhex("020000") + self.guid[-3:],
            6: bytes((255, 0, 0, 0)),
            22: bytes((len(suites),)),
            23: b"\x00" + bytes(suites),
            24: b"\x00" + self._priv_nibbles(len(suites)),
        }
        if req.parameter not in params:
            return 0x80, b""  # parameter not supported
        return CompletionCode.OK, rev + params[req.parameter]

    @staticmethod
    def _is_ipv4(host: str) -> bool:
        parts = host.split(".")
        return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)

    @staticmethod
    def _priv_nibbles(n: int) -> bytes:
        nibbles = [Privilege.ADMINISTRATOR] * n + [0] * (16 - n)
        return bytes(nibbles[i] | (nibbles[i + 1] << 4) for i in range(0, 16, 2))

    def _command(self, req: IpmiRequest, session: _PlusSession | _Session15 | None) -> IpmiResponse:
        """Answer one IPMI request; ``session`` is None outside a session."""
        netfn, cmd = req.netfn, req.cmd
        cc: int = CompletionCode.OK
        body = b""
        try:
            if netfn == NetFn.APP and cmd == AppCmd.GET_CHANNEL_AUTH_CAPABILITIES:
                cc, body = self._gcac(req.data)
            elif netfn == NetFn.APP and cmd == AppCmd.GET_CHANNEL_CIPHER_SUITES:
                cc, body = self._cipher_suites(req.data)
            elif session is None:
                cc = CompletionCode.NOT_SUPPORTED_IN_STATE
            elif netfn == NetFn.APP and cmd == AppCmd.GET_DEVICE_ID:
                body = self._device_id
            elif netfn == NetFn.APP and cmd in (AppCmd.GET_DEVICE_GUID, AppCmd.GET_SYSTEM_GUID):
                body = self.guid
            elif netfn == NetFn.APP and cmd == AppCmd.SET_SESSION_PRIVILEGE_LEVEL:
                cc, body = self._set_privilege(req.data, session)
            elif netfn == NetFn.APP and cmd == AppCmd.CLOSE_SESSION:
                cc = self._close_session(req.data, session)
            elif netfn == NetFn.APP and cmd == AppCmd.GET_CHANNEL_INFO:
                cc, body = self._channel_info(req.data)
            elif netfn == NetFn.TRANSPORT and cmd == cmds.TransportCmd.GET_LAN_CONFIG_PARAMETERS:
                cc, body = self._lan_config(req.data)
            elif netfn == NetFn.CHASSIS and cmd == _GET_CHASSIS_STATUS:
                body = b"\x01\x00\x00\x00"  # power on, no fault, no last event, front panel default
            else:
                cc = CompletionCode.INVALID_COMMAND
        except WireError:
            cc, body = CompletionCode.REQUEST_DATA_LENGTH_INVALID, b""
        return self._reply_for(req, cc, body)

    def _set_privilege(self, data: bytes, session: _PlusSession | _Session15) -> tuple[int, bytes]:
        want = cmds.parse_set_session_privilege_request(data)
        if want == 0:
            return CompletionCode.OK, bytes((session.privilege,))
        if want > Privilege.OEM or want < Privilege.USER:
            return 0x80, b""  # requested level not available for this user
        if want > session.max_privilege:
            return 0x81, b""  # requested level exceeds the user / channel limit
        session.privilege = want
        return CompletionCode.OK, bytes((want,))

    def _close_session(self, data: bytes, session: _PlusSession | _Session15) -> int:
        sid = cmds.parse_close_session_request(data)
        own = session.bmc_id if isinstance(session, _PlusSession) else session.session_id
        if sid not in (own, 0):
            if sid in self._plus or sid in self._s15:  # closing another session: allowed for admins only
                if session.privilege < Privilege.ADMINISTRATOR:
                    return CompletionCode.INSUFFICIENT_PRIVILEGE
                self._plus.pop(sid, None)
                self._s15.pop(sid, None)
                return CompletionCode.OK
            return 0x87  # invalid session ID
        # the caller still holds the session object, so the reply goes out inside it
        self._forget(own)
        return CompletionCode.OK

    def _forget(self, sid: int) -> None:
        with self._lock:
            self._plus.pop(sid, None)
            self._s15.pop(sid, None)

    # ----------------------------------------------------------------- IPMI 1.5

    def _handle_15(self, pkt: Session15Packet) -> bytes | None:
        req = parse_request_message(pkt.message)
        now = time.monotonic()
        if pkt.session_id == 0:
            if pkt.auth_type != AuthType.NONE:
                return None
            if req.netfn == NetFn.APP and req.cmd == AppCmd.GET_SESSION_CHALLENGE:
                cc, body = self._session_challenge(req.data, now)
                rsp = self._reply_for(req, cc, body)
            else:
                rsp = self._command(req, None)
            return build_session15_packet(build_response_message(rsp))
        if pkt.session_id in self._challenges and req.netfn == NetFn.APP and req.cmd == AppCmd.ACTIVATE_SESSION:
            return self._activate(pkt, req, now)
        sess = self._s15.get(pkt.session_id)
        if sess is None or now - sess.last > self.config.session_timeout:
            self._s15.pop(pkt.session_id, None)
            return None
        if pkt.auth_type == sess.auth_type:
            if not pkt.verify(sess.account.password):
                return None
        elif not (pkt.auth_type == AuthType.NONE
                  and (not self.config.per_message_auth or not self.config.user_level_auth)):
            return None
        sess.last = now
        rsp = self._command(req, sess)
        sess.out_seq = (sess.out_seq + 1) & 0xFFFFFFFF or 1
        return self._wrap15(rsp, pkt.auth_type, sess.session_id, sess.out_seq, sess.account.password)

    @staticmethod
    def _reply_for(req: IpmiRequest, cc: int, body: bytes) -> IpmiResponse:
        return IpmiResponse(netfn=req.netfn | 1, cmd=req.cmd, completion_code=int(cc), data=body, rq_seq=req.rq_seq,
                            rq_addr=req.rq_addr, rs_addr=req.rs_addr, rq_lun=req.rq_lun, rs_lun=req.rs_lun)

    @staticmethod
    def _wrap15(rsp: IpmiResponse, auth_type: AuthType, sid: int, seq: int, password: bytes) -> bytes:
        msg = build_response_message(rsp)
        if auth_type == AuthType.NONE:
            return build_session15_packet(msg, session_id=sid, session_seq=seq)
        return build_session15_packet(msg, auth_type=auth_type, session_id=sid, session_seq=seq,
                                      password=password[:16])

    def _session_challenge(self, data: bytes, now: float) -> tuple[int, bytes]:
        if not self.config.ipmi_v15:
            return CompletionCode.INVALID_COMMAND, b""
        req = cmds.parse_session_challenge_request(data)
        if req.auth_type not in self.config.auth_types:
            return CompletionCode.INVALID_DATA_FIELD, b""
        acct = self._lookup(req.username)
        if acct is None:
            return (0x82 if not req.username else 0x81), b""  # null user disabled / invalid user name
        self._expire(now)
        if len(self._challenges) >= self.config.max_sessions:
            oldest = min(self._challenges.values(), key=lambda c: c.created)
            del self._challenges[oldest.temp_id]
        temp = self._new_id()
        self._challenges[temp] = _Challenge(temp_id=temp, auth_type=AuthType(req.auth_type), account=acct,
                                            challenge=secrets.token_bytes(16), created=now)
        return CompletionCode.OK, cmds.build_session_challenge_response(temp, self._challenges[temp].challenge)

    def _activate(self, pkt: Session15Packet, req: IpmiRequest, now: float) -> bytes | None:
        ch = self._challenges[pkt.session_id]
        try:
            act = cmds.parse_activate_session_request(req.data)
        except WireError:
            return None
        acct = ch.account
        if pkt.auth_type != ch.auth_type or act.auth_type != ch.auth_type or act.challenge != ch.challenge:
            return None
        if ch.auth_type != AuthType.NONE and (len(acct.password) > 16 or not pkt.verify(acct.password)):
            # The spec says: silently discard a message that fails authentication.
            del self._challenges[pkt.session_id]
            self._login_failed(acct)
            return None
        del self._challenges[pkt.session_id]
        if self._is_locked(acct):
            self._login_failed(acct)
            return self._wrap15(self._reply_for(req, 0x86, b""), ch.auth_type, pkt.session_id,
                                act.initial_outbound_seq, acct.password)
        if act.max_privilege > acct.privilege or act.max_privilege == 0:
            return self._wrap15(self._reply_for(req, 0x86, b""), ch.auth_type, pkt.session_id,
                                act.initial_outbound_seq, acct.password)
        if len(self._s15) >= self.config.max_sessions:
            return self._wrap15(self._reply_for(req, 0x81, b""), ch.auth_type, pkt.session_id,
                                act.initial_outbound_seq, acct.password)
        sid = self._new_id()
        inbound = secrets.randbelow(0xFFFFFFFE) + 1
        sess = _Session15(session_id=sid, auth_type=ch.auth_type, account=acct, max_privilege=act.max_privilege,
                          last=now, out_seq=act.initial_outbound_seq)
        self._s15[sid] = sess
        self._login_succeeded(acct)
        body = cmds.build_activate_session_response(ch.auth_type, sid, inbound, act.max_privilege)
        return self._wrap15(self._reply_for(req, CompletionCode.OK, body), ch.auth_type, pkt.session_id,
                            act.initial_outbound_seq, acct.password)

    def _new_id(self) -> int:
        while True:
            sid = secrets.randbelow(0xFFFFFFFE) + 1
            if sid not in self._plus and sid not in self._s15 and sid not in self._challenges:
                return sid

    def _expire(self, now: float) -> None:
        hs, st = self.config.handshake_timeout, self.config.session_timeout
        with self._lock:
            for sid in [k for k, c in self._challenges.items() if now - c.created > hs]:
                del self._challenges[sid]
            for sid in [k for k, s in self._plus.items()
                        if now - s.last > (st if s.state is _State.ACTIVE else hs)]:
                del self._plus[sid]
            for sid in [k for k, s in self._s15.items() if now - s.last > st]:
                del self._s15[sid]

    # ----------------------------------------------------------------- RMCP+

    def _handle_plus(self, pkt: RmcpPlusPacket) -> bytes | None:
        now = time.monotonic()
        pt = pkt.payload_type
        if pkt.session_id == 0:
            if pkt.authenticated or pkt.encrypted:
                return None
            if pt == PayloadType.OPEN_SESSION_REQUEST:
                return self._open_session(pkt.payload, now)
            if pt == PayloadType.RAKP1:
                return self._rakp1(pkt.payload, now)
            if pt == PayloadType.RAKP3:
                return self._rakp3(pkt.payload, now)
            if pt == PayloadType.IPMI:
                rsp = self._command(parse_request_message(pkt.payload), None)
                return build_rmcpplus_packet(PayloadType.IPMI, build_response_message(rsp))
            return None
        sess = self._plus.get(pkt.session_id)
        if sess is None or sess.state is not _State.ACTIVE or sess.crypto is None:
            return None
        if now - sess.last > self.config.session_timeout:
            self._forget(sess.bmc_id)
            return None
        if pt != PayloadType.IPMI:
            return None
        plain = sess.crypto.unseal_packet(pkt)  # IntegrityError (a WireError) -> dropped
        req = parse_request_message(plain.payload)
        sess.last = now
        rsp = self._command(req, sess)
        sess.out_seq = (sess.out_seq + 1) & 0xFFFFFFFF or 1
        return sess.crypto.seal(PayloadType.IPMI, build_response_message(rsp), sess.console_id, sess.out_seq)

    def _open_session(self, payload: bytes, now: float) -> bytes | None:
        if len(payload) < 1:
            return None
        tag = payload[0]

        def fail(status: int, console_id: int = 0) -> bytes:
            return build_rmcpplus_packet(PayloadType.OPEN_SESSION_RESPONSE, build_open_session_response(
                tag, status, console_session_id=console_id))

        try:
            req = parse_open_session_request(payload)
        except WireError:
            return fail(RakpStatus.ILLEGAL_PARAMETER)
        if req.console_session_id == 0:
            return fail(RakpStatus.INVALID_SESSION_ID)
        if req.requested_privilege > Privilege.OEM:
            return fail(RakpStatus.INVALID_ROLE, req.console_session_id)
        if self.config.open_session_override_suite is not None:
            suite = cipher_suite(self.config.open_session_override_suite)
        else:
            offered = [CIPHER_SUITES[s] for s in self.config.cipher_suites]
            want = (req.auth_alg, req.integrity_alg, req.confidentiality_alg)
            if want[0] is not None and all(s.auth != want[0] for s in offered):
                return fail(RakpStatus.INVALID_AUTHENTICATION_ALGORITHM, req.console_session_id)
            if want[1] is not None and all(s.integrity != want[1] for s in offered):
                return fail(RakpStatus.INVALID_INTEGRITY_ALGORITHM, req.console_session_id)
            if want[2] is not None and all(s.confidentiality != want[2] for s in offered):
                return fail(RakpStatus.INVALID_CONFIDENTIALITY_ALGORITHM, req.console_session_id)
            match = [s for s in offered
                     if all(w is None or w == have
                            for w, have in zip(want, (s.auth, s.integrity, s.confidentiality), strict=True))]
            if not match:
                return fail(RakpStatus.NO_CIPHER_SUITE_MATCH, req.console_session_id)
            suite = match[0]
        self._expire(now)
        if len(self._plus) >= self.config.max_sessions:
            half_open = [s for s in self._plus.values() if s.state is not _State.ACTIVE]
            if not half_open:
                return fail(RakpStatus.INSUFFICIENT_RESOURCES, req.console_session_id)
            del self._plus[min(half_open, key=lambda s: s.created).bmc_id]
        bmc_id = self._new_id()
        self._plus[bmc_id] = _PlusSession(bmc_id=bmc_id, console_id=req.console_session_id, suite=suite,
                                          max_priv_requested=req.requested_privilege, created=now, last=now)
        granted = req.requested_privilege or Privilege.ADMINISTRATOR
        return build_rmcpplus_packet(PayloadType.OPEN_SESSION_RESPONSE, build_open_session_response(
            tag, RakpStatus.NO_ERRORS, max_privilege=granted, console_session_id=req.console_session_id,
            bmc_session_id=bmc_id, auth_alg=suite.auth, integrity_alg=suite.integrity,
            confidentiality_alg=suite.confidentiality))

    def _rakp2_error(self, tag: int, status: int, console_id: int) -> bytes:
        payload = build_rakp2(tag, status, console_id, bytes(16), self.guid)
        return build_rmcpplus_packet(PayloadType.RAKP2, payload)

    def _rakp1(self, payload: bytes, now: float) -> bytes | None:
        if len(payload) < 8:
            return None
        tag = payload[0]
        sess = self._plus.get(int.from_bytes(payload[4:8], "little"))
        if sess is None:
            return self._rakp2_error(tag, RakpStatus.INVALID_SESSION_ID, 0)
        if sess.state is _State.ACTIVE:
            return None
        if len(payload) >= 28 and payload[27] > 16:
            self._plus.pop(sess.bmc_id, None)
            return self._rakp2_error(tag, RakpStatus.INVALID_NAME_LENGTH, sess.console_id)
        try:
            r1 = parse_rakp1(payload)
        except WireError:
            return None
        priv = r1.requested_privilege
        if priv == 0 or priv > Privilege.OEM:
            self._plus.pop(sess.bmc_id, None)
            return self._rakp2_error(tag, RakpStatus.INVALID_ROLE, sess.console_id)
        acct = self._lookup(r1.username)
        if acct is not None and not r1.name_only_lookup and acct.privilege != priv:
            acct = None  # role-based lookup: name *and* privilege must match
        if acct is None:
            self._plus.pop(sess.bmc_id, None)
            if self.config.unknown_user == "silent":
                return None
            return self._rakp2_error(tag, RakpStatus.UNAUTHORIZED_NAME, sess.console_id)
        # Name-only lookup: like real BMCs (and ipmi_sim) the HMAC is handed out whatever
        # role was asked for; the session is capped at the user's privilege, so asking
        # Set Session Privilege for more fails later (cc 0x81).
        sess.account = acct
        sess.role = r1.role
        sess.username = r1.username
        sess.rm = r1.console_random
        sess.rc = secrets.token_bytes(16)
        sess.max_privilege = min(priv, acct.privilege)
        sess.state = _State.RAKP2_SENT
        sess.last = now
        code = compute_rakp2_auth_code(sess.suite.auth, acct.password, sess.console_id, sess.bmc_id, sess.rm,
                                       sess.rc, self.guid, sess.role, sess.username)
        with self._lock:
            self._disclosed[acct.name] = self._disclosed.get(acct.name, 0) + 1
        return build_rmcpplus_packet(PayloadType.RAKP2, build_rakp2(tag, RakpStatus.NO_ERRORS, sess.console_id,
                                                                     sess.rc, self.guid, code))

    def _rakp3(self, payload: bytes, now: float) -> bytes | None:
        try:
            r3 = parse_rakp3(payload)
        except WireError:
            return None
        sess = self._plus.get(r3.bmc_session_id)
        if sess is None or sess.state is not _State.RAKP2_SENT or sess.account is None:
            return None
        acct = sess.account

        def rakp4(status: int, icv: bytes = b"") -> bytes:
            return build_rmcpplus_packet(PayloadType.RAKP4, build_rakp4(r3.message_tag, status, sess.console_id,
                                                                         icv))

        if r3.status != RakpStatus.NO_ERRORS:
            # The console rejected our RAKP2 (ipmitool: wrong password) -> a failed login, no reply.
            self._plus.pop(sess.bmc_id, None)
            self._login_failed(acct)
            return None
        if sess.suite.auth != AuthAlgorithm.RAKP_NONE:
            expected = compute_rakp3_auth_code(sess.suite.auth, acct.password, sess.rc, sess.console_id,
                                               sess.role, sess.username)
            if not secrets.compare_digest(expected, r3.auth_code):
                self._plus.pop(sess.bmc_id, None)
                self._login_failed(acct)
                return rakp4(RakpStatus.INVALID_INTEGRITY_CHECK_VALUE)
        if self._is_locked(acct):
            self._plus.pop(sess.bmc_id, None)
            self._login_failed(acct)
            return rakp4(RakpStatus.UNAUTHORIZED_NAME)
        keys = derive_session_keys(sess.suite.auth, acct.password, sess.rm, sess.rc, sess.role, sess.username,
                                   kg=self.config.kg_bytes)
        try:
            sess.crypto = SessionCrypto(sess.suite, keys)
        except WireError:
            sess.crypto = None  # negotiated, but we cannot protect messages (xRC4 / MD5-128)
        sess.state = _State.ACTIVE
        sess.last = now
        self._login_succeeded(acct)
        icv = compute_rakp4_icv(sess.suite.auth, keys.sik, sess.rm, sess.bmc_id, self.guid)
        return rakp4(RakpStatus.NO_ERRORS, icv)


async def start_ipmi_responder(
    config: IpmiConfig,
    accounts: Mapping[str, tuple[str, int]],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    login_hook: Callable[[str, bool], None] | None = None,
    lock_check: Callable[[str], bool] | None = None,
) -> IpmiResponder:
    """Bind ``host:port`` (0 = pick a free port; see ``.port``) and start answering.

    ``accounts`` maps user name -> (password, privilege 1..5); the empty name
    is the null user. With ``config.enabled`` false nothing is bound, so the
    port answers like a closed one (ICMP port unreachable).

    ``login_hook(user, ok)`` is called after every login proof the BMC checks
    (RAKP3, Activate Session), so a shared account store can count IPMI
    failures toward its lockout; ``lock_check(user)`` lets that store refuse a
    locked or disabled account. Mere RAKP2 disclosures are not logins.
    """
    for name, (password, priv) in accounts.items():
        if len(name.encode()) > 16:
            raise ValueError(f"IPMI user name {name!r} is longer than 16 bytes")
        if len(password.encode()) > 20:
            raise ValueError(f"password of IPMI user {name!r} is longer than 20 bytes")
        if not 1 <= int(priv) <= 5:
            raise ValueError(f"privilege of IPMI user {name!r} must be 1..5")
    responder = IpmiResponder(config, accounts, host, port, login_hook=login_hook, lock_check=lock_check)
    if not config.enabled:
        return responder
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: responder, local_addr=(host, port))
    sockname = transport.get_extra_info("sockname")
    if sockname:
        responder.port = int(sockname[1])
    log.info("ipmi mock listening on %s:%d (suites %s)", host, responder.port, config.cipher_suites)
    return responder


class ThreadedIpmiResponder:
    """Run one responder on its own event loop in a daemon thread.

    For tests whose client is a subprocess (ipmitool) or blocking code::

        with ThreadedIpmiResponder(IpmiConfig(), {"admin": ("pw", 4)}) as bmc:
            subprocess.run(["ipmitool", "-p", str(bmc.port), ...])
    """

    def __init__(self, config: IpmiConfig, accounts: Mapping[str, tuple[str, int]], host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self._args = (config, dict(accounts), host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ipmi-mock", daemon=True)
        self.responder: IpmiResponder | None = None

    def start(self) -> IpmiResponder:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(start_ipmi_responder(*self._args), self._loop)
        self.responder = fut.result(timeout=10)
        return self.responder

    @property
    def port(self) -> int:
        assert self.responder is not None
        return self.responder.port

    def stop(self) -> None:
        if self.responder is not None:
            self._loop.call_soon_threadsafe(self.responder.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        with contextlib.suppress(RuntimeError):
            self._loop.close()

    def __enter__(self) -> IpmiResponder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- fleet glue
#
# The fleet (mock_bmc.fleet) imports this module and starts one responder per BMC
# whose profile has an ``ipmi:`` section with ``enabled`` true (the default once
# the section exists). Accounts come live from the BMC's shared account store:
# those whose ``AccountTypes`` include ``IPMI`` and that are enabled, with
# Administrator / Operator / ReadOnly mapped to IPMI ADMINISTRATOR / OPERATOR /
# USER; IPMI failures count toward the same lockout as Redfish failures.

_ROLE_PRIVILEGE = {"Administrator": Privilege.ADMINISTRATOR, "Operator": Privilege.OPERATOR,
                   "ReadOnly": Privilege.USER}
#: IANA enterprise numbers for Get Device ID when the profile does not set ``device_id.manufacturer_id``.
_VENDOR_IANA = {"supermicro": 10876, "dell": 674, "hpe": 11, "hewlett": 11, "lenovo": 19046, "nvidia": 5703,
                "openbmc": 49871, "intel": 343, "ami": 20974, "ibm": 2, "cisco": 5771, "quanta": 7244}


class _IpmiAccountView(Mapping[str, tuple[str, int]]):
    """Live (user name -> (password, privilege)) view of a MockBMC's IPMI-enabled accounts."""

    def __init__(self, bmc: object) -> None:
        self._bmc = bmc

    def _ipmi(self) -> dict[str, object]:
        accounts = getattr(self._bmc, "accounts", {})
        return {n: a for n, a in accounts.items()
                if "IPMI" in getattr(a, "account_types", ()) and getattr(a, "enabled", True)}

    def __getitem__(self, name: str) -> tuple[str, int]:
        acct = self._ipmi()[name]
        return (getattr(acct, "password", ""), _ROLE_PRIVILEGE.get(getattr(acct, "role_id", ""), Privilege.USER))

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._ipmi())

    def __len__(self) -> int:
        return len(self._ipmi())

    def __repr__(self) -> str:
        return f"_IpmiAccountView({sorted(self._ipmi())!r})"


def fleet_ipmi_config(profile: object) -> IpmiConfig | None:
    """The IpmiConfig of a mock_bmc profile, or None when it has no enabled ``ipmi:`` section.

    Get Device ID defaults follow the profile: manufacturer from the service
    root vendor, firmware major.minor from the manager's FirmwareVersion.
    """
    raw = dict(getattr(profile, "ipmi", {}) or {})
    if not raw:
        return None
    dev = dict(raw.get("device_id") or {})
    vendor = str(getattr(getattr(profile, "service_root", None), "Vendor", "") or "").lower()
    if "manufacturer_id" not in dev:
        iana = next((v for k, v in _VENDOR_IANA.items() if k in vendor), None)
        if iana is not None:
            dev["manufacturer_id"] = iana
    fw = str(getattr(getattr(profile, "manager", None), "FirmwareVersion", "") or "")
    m = re.search(r"(\d+)\.(\d+)", fw)
    if m and "firmware_major" not in dev and "firmware_minor" not in dev:
        major, minor = int(m.group(1)), int(m.group(2))
        if major <= 0x7F and minor <= 99:
            dev["firmware_major"], dev["firmware_minor"] = major, minor
    raw["device_id"] = dev
    cfg = IpmiConfig.model_validate(raw)
    return cfg if cfg.enabled else None


class FleetIpmiListener:
    """``mock_bmc.listeners.Listener`` adapter: one responder for one MockBMC."""

    def __init__(self, bmc: object, config: IpmiConfig) -> None:
        self._bmc = bmc
        if config.guid is None:
            # IPMI GUID = the Redfish UUID, in the IPMI encoding (all 16 bytes LS byte
            # first; ``ipmitool mc guid`` prints it back as the same UUID string)
            ident_uuid = getattr(getattr(bmc, "identity", None), "uuid", None)
            with contextlib.suppress(ValueError, TypeError):
                guid = uuid.UUID(str(ident_uuid)).bytes[::-1].hex()
                config = config.model_copy(update={"guid": guid})
        self.config = config
        self.responder: IpmiResponder | None = None

    def _hook(self, user: str, ok: bool) -> None:
        acct = getattr(self._bmc, "accounts", {}).get(user)
        auth = getattr(self._bmc, "auth", None)
        if acct is None or auth is None:
            return
        # Account through the shared store's public check: the stored password
        # counts as a success, anything else (a NUL-suffixed copy never matches)
        # as a failure, so Redfish lockout policy applies to IPMI attempts too.
        auth.verify(user, acct.password if ok else acct.password + "\x00")

    def _locked(self, user: str) -> bool:
        acct = getattr(self._bmc, "accounts", {}).get(user)
        return acct is not None and (bool(getattr(acct, "locked", False)) or not getattr(acct, "enabled", True))

    async def start(self, host: str, port: int) -> int:
        self.responder = await start_ipmi_responder(self.config, _IpmiAccountView(self._bmc), host, port,
                                                    login_hook=self._hook, lock_check=self._locked)
        return self.responder.port

    async def stop(self) -> None:
        if self.responder is not None:
            self.responder.close()
            self.responder = None


def _fleet_factory(bmc: object) -> FleetIpmiListener | None:
    cfg = fleet_ipmi_config(getattr(bmc, "profile", None))
    return FleetIpmiListener(bmc, cfg) if cfg is not None else None


try:
    from mock_bmc.listeners import register_listener
except ImportError:  # pragma: no cover - the responder is usable without the fleet
    pass
else:
    register_listener("ipmi", port_offset=2, factory=_fleet_factory)
