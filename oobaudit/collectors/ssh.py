"""SSH collector: what the BMC's SSH server offers, and whether it takes a default password.

Facts (collector ``"ssh"``, subject ``host:port``; ``[v6]:port`` for IPv6):

``ssh.connectivity``
    ok: ``{"port", "banner"}``; error: why nothing could be learned (refused, timed
    out, TCP accepted but no banner, not an SSH server, closed before KEXINIT).
    ``evidence.reason`` is a machine-readable class of the error: ``refused``,
    ``timeout``, ``unreachable``, ``no_banner``, ``not_ssh``, ``closed``,
    ``protocol``.
``ssh.algorithms``
    ``banner`` (identification string, printable ASCII), ``protocol`` ("2.0",
    "1.99", "1.5"), ``software``, ``comments``; the server's KEXINIT name-lists in
    its order: ``kex``, ``host_key_types``, ``ciphers``, ``macs``, ``compression``
    (client-to-server and server-to-client merged; ``asymmetric`` says whether they
    differ); ``strict_kex`` (kex-strict-s-v00@openssh.com offered); ``host_key``
    ``{type, bits, sha256}`` (the key a default client negotiates, or null);
    ``host_keys`` ``[{type, bits, sha256, algorithms}]`` (one per key type probed;
    ``sha256`` is ``SHA256:<base64>`` as ssh-keygen prints it); ``host_key_errors``
    ``{key type: why it could not be read}``; ``auth_methods`` (list, or null when
    unknown) and ``auth_methods_error``; ``password_auth`` (password or
    keyboard-interactive offered; null when unknown); ``negotiated`` ``{kex,
    host_key, cipher, mac}`` of the first key exchange (evidence only).  An SSH-1
    only server has empty lists.
``cred.login`` (subject ``ssh:USER``; ``ssh:(none)`` when ``none`` auth is accepted)
    the same shape as the Redfish side (collectors/credentials.py): protocol
    ``"ssh"``, username, outcome accepted | rejected | skipped | error | no_auth,
    attempts, budget, lockout_threshold, matched_vendor, method, reason (skipped,
    or rejected because no password method is offered), prior_attempts (attempts
    other protocols already spent on the account this sweep).  Never the password.

How each question is asked (and why):

* Algorithm lists - a raw TCP connection: read the identification string (any
  pre-banner lines are skipped, RFC 4253 s4.2), send ours and a KEXINIT, read the
  server's ``SSH_MSG_KEXINIT`` and parse its ten name-lists by hand.  The server
  sends its KEXINIT without waiting for ours, so this needs no key exchange, no
  login, and is independent of which algorithms paramiko implements: a server
  that offers only ``arcfour`` or ``diffie-hellman-group1-sha1`` is described
  exactly (this is also how ssh-audit does it).
* Host keys - one paramiko key exchange per host-key family the server offers
  (ed25519, each ECDSA curve, RSA), each pinned to that family, so a weak RSA key
  behind a preferred ed25519 key is still seen; type, size and SHA-256
  fingerprint of each.  paramiko >= 4 dropped the SHA-1 key exchanges and
  ``ssh-rsa`` signatures; :class:`AuditTransport` adds them back (client *and*
  server side, the mock BMC uses it too) because the BMCs most worth auditing are
  the ones that offer nothing else.  ``ssh-dss`` keys and certificate host keys
  are judged by name only.
* Authentication methods - ``none`` authentication with a user name that does
  not exist (``oobaudit-probe``): the server answers with the methods it allows
  and no real account's failure counter moves.  A server that *accepts* ``none``
  needs no credentials at all (``cred.login`` outcome ``no_auth``).
* Default credentials - only when password or keyboard-interactive is offered,
  only for accounts the caller says exist, and within the *same* per-account
  budget as the Redfish test (``attempt_budget``; attempts already spent on an
  account by another protocol this sweep are subtracted).  The auditor's own
  account is compared offline.  One connection per account, reused while the
  server keeps it open.

Every network operation is bounded by ``timeout``; the blocking work runs in a
worker thread (``asyncio.to_thread``) so the engine's per-target deadline can
cancel the coroutine, and the thread ends on its own socket timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import socket
import struct
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any

import paramiko
from cryptography.hazmat.primitives import hashes
from paramiko.kex_gex import KexGexSHA256
from paramiko.kex_group14 import KexGroup14SHA256
from paramiko.ssh_exception import AuthenticationException, BadAuthenticationType, SSHException

from .. import __version__
from .. import facts as F
from ..facts import SSH_ALGORITHMS, SSH_CONNECTIVITY, Fact  # noqa: F401 - re-exported
from ..inventory import Target
from ..secrets import Secret, SecretError
from .credentials import CredentialOptions, DefaultRow, attempt_budget, order_rows

COLLECTOR = "ssh"

CLIENT_VERSION = f"SSH-2.0-oobaudit_{__version__}"
#: User name for the ``none`` authentication probe: not an account on any BMC.
PROBE_USER = "oobaudit-probe"
#: paramiko logs through this channel (quiet: failures become facts, not log noise).
LOG_CHANNEL = "oobaudit.collectors.ssh.paramiko"
logging.getLogger(LOG_CHANNEL).setLevel(logging.CRITICAL)

MAX_PACKET = 35000  # RFC 4253 s6.1
MAX_PRE_BANNER_LINES = 64
MAX_LINE = 1024
MAX_NAMES = 256

_MSG_DISCONNECT = 1
_MSG_IGNORE = 2
_MSG_DEBUG = 4
_MSG_KEXINIT = 20


# --------------------------------------------------------------------------- legacy algorithms for paramiko


class KexGroup1SHA1(KexGroup14SHA256):
    """diffie-hellman-group1-sha1 (RFC 4253 s8.1: Oakley group 2, 1024-bit)."""

    P = int(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD"
        "3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F"
        "24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        16,
    )
    name = "diffie-hellman-group1-sha1"
    hash_algo = sha1


class KexGroup14SHA1(KexGroup14SHA256):
    """diffie-hellman-group14-sha1 (RFC 4253 s8.2: the group14 prime, SHA-1)."""

    name = "diffie-hellman-group14-sha1"
    hash_algo = sha1


class KexGexSHA1(KexGexSHA256):
    """diffie-hellman-group-exchange-sha1 (RFC 4419)."""

    name = "diffie-hellman-group-exchange-sha1"
    hash_algo = sha1


class LegacyRSAKey(paramiko.RSAKey):
    """An RSA key that also signs / verifies ``ssh-rsa`` (PKCS#1 v1.5 with SHA-1)."""

    HASHES = {**paramiko.RSAKey.HASHES, "ssh-rsa": hashes.SHA1, "ssh-rsa-cert-v01@openssh.com": hashes.SHA1}


_LEGACY_KEX: dict[str, type] = {
    "diffie-hellman-group14-sha1": KexGroup14SHA1,
    "diffie-hellman-group-exchange-sha1": KexGexSHA1,
    "diffie-hellman-group1-sha1": KexGroup1SHA1,
}


class AuditTransport(paramiko.Transport):
    """paramiko's Transport plus the SHA-1 key exchanges and ``ssh-rsa`` host keys.

    They are appended *after* paramiko's own (strong) preferences, so a client only
    uses them when the server offers nothing better.  Algorithms paramiko already
    implements (older versions) are left as they are.
    """

    _kex_info = {**paramiko.Transport._kex_info, **{k: v for k, v in _LEGACY_KEX.items()
                                                    if k not in paramiko.Transport._kex_info}}
    _key_info = {**paramiko.Transport._key_info, "ssh-rsa": LegacyRSAKey,
                 "rsa-sha2-256": LegacyRSAKey, "rsa-sha2-512": LegacyRSAKey}
    _preferred_kex = tuple(paramiko.Transport._preferred_kex) + tuple(
        k for k in _LEGACY_KEX if k not in paramiko.Transport._preferred_kex)
    _preferred_keys = tuple(paramiko.Transport._preferred_keys) + (
        () if "ssh-rsa" in paramiko.Transport._preferred_keys else ("ssh-rsa",))

    agreed_kex: str | None = None

    def _parse_kex_init(self, m: paramiko.Message) -> None:  # record the agreed key exchange for the evidence
        super()._parse_kex_init(m)
        engine = type(self.kex_engine)
        self.agreed_kex = next((name for name, cls in self._kex_info.items() if cls is engine), None)


# --------------------------------------------------------------------------- errors


class ProbeError(Exception):
    """Nothing (more) could be learned; ``kind`` classifies it for the checks."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _connect(address: str, port: int, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((address, port), timeout=timeout)
    except ConnectionRefusedError:
        raise ProbeError("refused", f"connection refused ({_hostport(address, port)})") from None
    except TimeoutError:
        raise ProbeError("timeout", f"timed out connecting to {_hostport(address, port)} after {timeout:g} s") from None
    except socket.gaierror as exc:
        raise ProbeError("unreachable", f"cannot resolve {address}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise ProbeError("unreachable", f"cannot connect to {_hostport(address, port)}: "
                         f"{exc.strerror or type(exc).__name__}") from None


def _hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _clean(raw: bytes, limit: int = 255) -> str:
    """Printable ASCII only: banners and names are attacker-controlled text."""
    text = raw.decode("latin-1")
    return "".join(c if 32 <= ord(c) < 127 else "?" for c in text)[:limit]


# --------------------------------------------------------------------------- raw banner + KEXINIT


@dataclass
class KexInit:
    banner: str
    protocol: str
    software: str | None
    comments: str | None
    pre_banner_lines: int = 0
    kex: list[str] = field(default_factory=list)
    host_key_types: list[str] = field(default_factory=list)
    ciphers_c2s: list[str] = field(default_factory=list)
    ciphers_s2c: list[str] = field(default_factory=list)
    macs_c2s: list[str] = field(default_factory=list)
    macs_s2c: list[str] = field(default_factory=list)
    compression_c2s: list[str] = field(default_factory=list)
    compression_s2c: list[str] = field(default_factory=list)
    first_kex_follows: bool = False


class _Reader:
    """Deadline-bounded reads from a blocking socket."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buf = b""
        self.received_any = False

    def _fill(self, what: str) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(what)
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(4096)
        except TimeoutError:
            raise TimeoutError(what) from None
        except OSError as exc:
            raise ProbeError("closed", f"connection reset while waiting for {what}: "
                             f"{exc.strerror or type(exc).__name__}") from None
        if not chunk:
            raise ProbeError("closed", f"connection closed by the server before {what}")
        self.received_any = True
        self.buf += chunk

    def line(self, what: str) -> bytes:
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_LINE:
                raise ProbeError("not_ssh", f"not an SSH server: {MAX_LINE}+ bytes without a line end "
                                 f"(starts {_clean(self.buf[:40])!r})")
            self._fill(what)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def exact(self, n: int, what: str) -> bytes:
        while len(self.buf) < n:
            self._fill(what)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def parse_banner(line: str) -> tuple[str, str | None, str | None]:
    """``SSH-protoversion-softwareversion SP comments`` -> (protocol, software, comments)."""
    rest = line[4:]
    proto, _, tail = rest.partition("-")
    software, _, comments = tail.partition(" ")
    return proto, (software or None), (comments.strip() or None)


def _name_list(payload: bytes, off: int) -> tuple[list[str], int]:
    if off + 4 > len(payload):
        raise ProbeError("protocol", "truncated KEXINIT (name-list length)")
    (n,) = struct.unpack_from(">I", payload, off)
    off += 4
    if n > len(payload) - off:
        raise ProbeError("protocol", f"malformed KEXINIT: name-list of {n} bytes exceeds the packet")
    raw = payload[off:off + n]
    names = [_clean(x, 128) for x in raw.split(b",") if x][:MAX_NAMES]
    return names, off + n


def parse_kexinit(payload: bytes) -> dict[str, Any]:
    """The ten name-lists and first_kex_packet_follows of an SSH_MSG_KEXINIT payload."""
    if not payload or payload[0] != _MSG_KEXINIT:
        raise ProbeError("protocol", "not a KEXINIT message")
    off = 1 + 16  # message type, cookie
    if len(payload) < off:
        raise ProbeError("protocol", "truncated KEXINIT (cookie)")
    keys = ("kex", "host_key_types", "ciphers_c2s", "ciphers_s2c", "macs_c2s", "macs_s2c",
            "compression_c2s", "compression_s2c", "languages_c2s", "languages_s2c")
    out: dict[str, Any] = {}
    for key in keys:
        out[key], off = _name_list(payload, off)
    out["first_kex_follows"] = bool(payload[off]) if off < len(payload) else False
    return out


def _client_kexinit() -> bytes:
    """A plausible client KEXINIT packet (never used beyond being sent)."""
    lists = (
        "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
        "diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
        "diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,"
        "diffie-hellman-group1-sha1",
        "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,"
        "ssh-rsa,ssh-dss",
        *(["chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,"
           "aes256-ctr,aes128-cbc,aes192-cbc,aes256-cbc,3des-cbc"] * 2),
        *(["hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1,"
           "hmac-md5"] * 2),
        "none,zlib@openssh.com,zlib", "none,zlib@openssh.com,zlib", "", "",
    )
    payload = bytes([_MSG_KEXINIT]) + os.urandom(16)
    for names in lists:
        raw = names.encode()
        payload += struct.pack(">I", len(raw)) + raw
    payload += b"\x00" + b"\x00\x00\x00\x00"
    pad = 8 - (len(payload) + 5) % 8
    if pad < 4:
        pad += 8
    return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + os.urandom(pad)


def probe_kexinit(address: str, port: int, timeout: float) -> KexInit:
    """Banner and the server's KEXINIT over a plain socket; raises ProbeError."""
    sock = _connect(address, port, timeout)
    deadline = time.monotonic() + timeout
    reader = _Reader(sock, deadline)
    try:
        pre = 0
        first = b""
        while True:
            try:
                line = reader.line("the SSH banner")
            except TimeoutError:
                if reader.received_any:
                    raise ProbeError("not_ssh", f"not an SSH server: no identification string within {timeout:g} s "
                                     f"(got {_clean((first or reader.buf)[:40])!r})") from None
                raise ProbeError("no_banner", f"TCP connected but no SSH banner within {timeout:g} s") from None
            except ProbeError as exc:
                if exc.kind == "closed" and reader.received_any:
                    raise ProbeError("not_ssh", "not an SSH server: closed without an identification string "
                                     f"(got {_clean((first or reader.buf)[:40])!r})") from None
                raise
            if line.startswith(b"SSH-"):
                break
            first = first or line or b" "
            pre += 1
            if pre > MAX_PRE_BANNER_LINES:
                raise ProbeError("not_ssh", f"not an SSH server: {pre} lines without an identification string")
        banner = _clean(line)
        proto, software, comments = parse_banner(banner)
        result = KexInit(banner=banner, protocol=proto, software=software, comments=comments, pre_banner_lines=pre)
        if not (proto.startswith("2.") or proto == "1.99"):
            return result  # SSH-1 only: no SSH-2 KEXINIT will follow
        try:
            sock.sendall(CLIENT_VERSION.encode() + b"\r\n" + _client_kexinit())
        except OSError as exc:
            raise ProbeError("closed", f"connection closed after the banner: {exc.strerror or exc}") from None
        for _ in range(16):  # skip IGNORE / DEBUG packets sent before KEXINIT
            try:
                head = reader.exact(4, "the server's KEXINIT")
                (length,) = struct.unpack(">I", head)
                if not 5 <= length <= MAX_PACKET:
                    raise ProbeError("protocol", f"malformed SSH packet length {length}")
                body = reader.exact(length, "the server's KEXINIT")
            except TimeoutError:
                raise ProbeError("timeout", f"banner received but no KEXINIT within {timeout:g} s") from None
            padlen = body[0]
            if padlen >= length:
                raise ProbeError("protocol", "malformed SSH packet padding")
            payload = body[1:length - padlen]
            if not payload:
                continue
            if payload[0] == _MSG_KEXINIT:
                lists = parse_kexinit(payload)
                for key in ("kex", "host_key_types", "ciphers_c2s", "ciphers_s2c", "macs_c2s", "macs_s2c",
                            "compression_c2s", "compression_s2c", "first_kex_follows"):
                    setattr(result, key, lists[key])
                return result
            if payload[0] == _MSG_DISCONNECT:
                reason = ""
                if len(payload) >= 9:
                    (n,) = struct.unpack_from(">I", payload, 5)
                    reason = _clean(payload[9:9 + n], 120)
                raise ProbeError("closed", f"server disconnected before KEXINIT: {reason or 'no reason given'}")
            if payload[0] not in (_MSG_IGNORE, _MSG_DEBUG):
                raise ProbeError("protocol", f"unexpected SSH message {payload[0]} before KEXINIT")
        raise ProbeError("protocol", "no KEXINIT among the first 16 packets")
    finally:
        sock.close()


# --------------------------------------------------------------------------- paramiko: host keys, auth methods


@dataclass
class HostKeyInfo:
    type: str
    bits: int
    sha256: str
    algorithms: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "bits": self.bits, "sha256": self.sha256, "algorithms": list(self.algorithms)}


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:<base64, no padding>`` of the public key blob."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_key_families(offered: Iterable[str]) -> dict[str, list[str]]:
    """Host-key algorithms grouped by the key type they need (``ssh-rsa`` for all three RSA
    signature algorithms); only the types paramiko can probe."""
    fam: dict[str, list[str]] = {}
    for alg in offered:
        if alg in ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"):
            fam.setdefault(alg, []).append(alg)
        elif alg in ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"):
            fam.setdefault("ssh-rsa", []).append(alg)
    if "ssh-rsa" in fam:  # negotiate the strongest RSA signature the server offers
        fam["ssh-rsa"].sort(key=("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa").index)
    return fam


def _open_transport(address: str, port: int, timeout: float, key_types: list[str] | None = None) -> AuditTransport:
    sock = _connect(address, port, timeout)
    t = AuditTransport(sock)
    t.set_log_channel(LOG_CHANNEL)
    t.local_version = CLIENT_VERSION
    t.banner_timeout = timeout
    t.handshake_timeout = timeout
    t.auth_timeout = timeout
    if key_types:
        t.get_security_options().key_types = key_types
    try:
        t.start_client(timeout=timeout)  # returns silently when the time is up: check
        if not t.initial_kex_done:
            raise ProbeError("timeout", f"key exchange did not complete within {timeout:g} s")
    except BaseException:
        t.close()
        raise
    return t


def _ssh_reason(exc: BaseException) -> str:
    if isinstance(exc, ProbeError):
        return exc.reason
    text = str(exc).strip() or type(exc).__name__
    if "Incompatible ssh" in text or "no acceptable" in text:
        return f"no algorithm in common with the prober ({text})"
    if isinstance(exc, EOFError):
        return "connection closed by the server during the key exchange"
    return _clean(text.encode("latin-1", "replace"), 160)


@dataclass
class NegotiationResult:
    host_keys: list[HostKeyInfo] = field(default_factory=list)
    host_key_errors: dict[str, str] = field(default_factory=dict)
    auth_methods: list[str] | None = None
    auth_methods_error: str | None = None
    none_accepted: bool = False
    negotiated: dict[str, Any] | None = None


def _auth_methods(t: AuditTransport) -> tuple[list[str] | None, bool]:
    """(allowed methods, whether ``none`` was accepted) for the probe user."""
    try:
        remaining = t.auth_none(PROBE_USER)
    except BadAuthenticationType as exc:
        return [_clean(m.encode(), 64) for m in exc.allowed_types], False
    return ["none", *(remaining or [])], True


def probe_negotiation(address: str, port: int, offered_keys: list[str], timeout: float,
                      deadline: float | None = None) -> NegotiationResult:
    """One paramiko key exchange per host-key family; the first also asks for the auth methods.

    No new connection is started after ``deadline`` (monotonic) or after a key exchange
    timed out (a server that stalls once stalls every time): those families are
    recorded as not probed.
    """
    res = NegotiationResult()
    families = host_key_families(offered_keys)
    plan: list[tuple[str, list[str] | None]] = list(families.items()) or [("default", None)]
    stop: str | None = None
    for family, algs in plan:
        if stop is None and deadline is not None and time.monotonic() >= deadline:
            stop = "not probed: the SSH time budget for this target ran out"
        if stop is not None:
            res.host_key_errors[family] = stop
            continue
        try:
            t = _open_transport(address, port, timeout, algs)
        except (ProbeError, SSHException, OSError, EOFError) as exc:
            res.host_key_errors[family] = _ssh_reason(exc)
            if isinstance(exc, ProbeError) and exc.kind in ("timeout", "refused", "unreachable"):
                stop = f"not probed: an earlier connection failed ({exc.reason})"
            continue
        try:
            key = t.get_remote_server_key()
            if family != "default":
                res.host_keys.append(HostKeyInfo(key.get_name(), key.get_bits(), fingerprint(key), list(algs or [])))
            if res.negotiated is None:
                res.negotiated = {"kex": t.agreed_kex, "host_key": t.host_key_type,
                                  "cipher": t.local_cipher, "mac": t.local_mac}
            if res.auth_methods is None and res.auth_methods_error is None:
                try:
                    res.auth_methods, res.none_accepted = _auth_methods(t)
                except (SSHException, OSError, EOFError) as exc:
                    res.auth_methods_error = _ssh_reason(exc)
        finally:
            t.close()
    if res.auth_methods is None and res.auth_methods_error is None:
        res.auth_methods_error = next(iter(res.host_key_errors.values()), "no key exchange completed")
    return res


def _algorithms_data(ki: KexInit, neg: NegotiationResult | None) -> dict[str, Any]:
    def union(a: list[str], b: list[str]) -> list[str]:
        return list(dict.fromkeys([*a, *b]))

    host_keys = [k.as_dict() for k in neg.host_keys] if neg else []
    auth = neg.auth_methods if neg else None
    return {
        "banner": ki.banner,
        "protocol": ki.protocol,
        "software": ki.software,
        "comments": ki.comments,
        "kex": ki.kex,
        "host_key_types": ki.host_key_types,
        "ciphers": union(ki.ciphers_c2s, ki.ciphers_s2c),
        "macs": union(ki.macs_c2s, ki.macs_s2c),
        "compression": union(ki.compression_c2s, ki.compression_s2c),
        "asymmetric": (ki.ciphers_c2s != ki.ciphers_s2c or ki.macs_c2s != ki.macs_s2c
                       or ki.compression_c2s != ki.compression_s2c),
        "strict_kex": "kex-strict-s-v00@openssh.com" in ki.kex,
        # The key a default client ends up with (paramiko's preference order), then every key probed.
        "host_key": ({k: host_keys[0][k] for k in ("type", "bits", "sha256")} if host_keys else None),
        "host_keys": host_keys,
        "host_key_errors": dict(neg.host_key_errors) if neg else {},
        "auth_methods": auth,
        "auth_methods_error": neg.auth_methods_error if neg else "SSH-2 not offered",
        "password_auth": (None if auth is None else bool({"password", "keyboard-interactive"} & set(auth))),
        "negotiated": neg.negotiated if neg else None,
    }


# --------------------------------------------------------------------------- default credentials


class _AttemptError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _LoginSession:
    """One connection used for one account's attempts; reconnects if the server hangs up."""

    def __init__(self, address: str, port: int, timeout: float) -> None:
        self.address, self.port, self.timeout = address, port, timeout
        self.t: AuditTransport | None = None

    def attempt(self, user: str, password: Secret, method: str) -> bool:
        if self.t is None or not self.t.is_active():
            self.close()
            try:
                self.t = _open_transport(self.address, self.port, self.timeout)
            except (ProbeError, SSHException, OSError, EOFError) as exc:
                raise _AttemptError(f"could not connect for the login attempt: {_ssh_reason(exc)}") from None
        try:
            if method == "password":
                self.t.auth_password(user, password.reveal(), fallback=False)
            else:
                def answer(_title: str, _instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
                    return [password.reveal() for _ in prompts]

                self.t.auth_interactive(user, answer)
        except AuthenticationException:
            return False
        except (SSHException, OSError, EOFError) as exc:
            self.close()
            raise _AttemptError(f"connection failed during the login attempt: {_ssh_reason(exc)}") from None
        return self.t.is_authenticated()

    def close(self) -> None:
        if self.t is not None:
            self.t.close()
            self.t = None


def prior_attempts(out: Iterable[Fact]) -> dict[str, int]:
    """Default-password attempts already made per account this sweep by other protocols."""
    used: dict[str, int] = {}
    for f in out:
        if f.kind != F.CRED_LOGIN or f.data.get("protocol") == "ssh":
            continue
        user = f.data.get("username")
        n = f.data.get("attempts")
        if isinstance(user, str) and isinstance(n, int):
            used[user] = used.get(user, 0) + n
    return used


def _accepted_vendors(out: Iterable[Fact]) -> dict[str, str]:
    return {f.data["username"]: f.data["matched_vendor"] for f in out
            if f.kind == F.CRED_LOGIN and f.data.get("outcome") == "accepted"
            and isinstance(f.data.get("username"), str) and isinstance(f.data.get("matched_vendor"), str)}


def _vendor_hint(out: Iterable[Fact], software: str | None) -> str:
    parts: list[str] = [software or ""]
    for f in out:
        if f.ok and f.kind in (F.REDFISH_SERVICE_ROOT, F.REDFISH_MANAGER):
            parts += [str(f.data.get(k) or "") for k in ("Vendor", "Product", "Manufacturer", "Model")]
    return " ".join(p for p in parts if p)


def _login_method(auth_methods: list[str]) -> str | None:
    if "password" in auth_methods:
        return "password"
    if "keyboard-interactive" in auth_methods:
        return "keyboard-interactive"
    return None


def try_ssh_defaults(
    target: Target,
    auth_methods: list[str] | None,
    auth_error: str | None,
    facts: list[Fact],
    *,
    timeout: float,
    opts: CredentialOptions,
    lockout_threshold: int | None,
    existing_users: set[str] | None,
    used: Mapping[str, int],
    accepted_elsewhere: Mapping[str, str],
    vendor_hint: str,
    deadline: float | None = None,
) -> None:
    """Blocking: try the default passwords over SSH and append ``cred.login`` facts to ``facts``.

    ``used``: attempts already made per account this sweep by other protocols;
    ``accepted_elsewhere``: account -> vendor row another protocol matched.
    """
    port = target.port("ssh")
    if port is None:
        return
    budget, why = attempt_budget(lockout_threshold, opts)
    candidates = order_rows(vendor_hint)
    auditor_user = target.credentials.username if target.credentials else None
    method = _login_method(auth_methods) if auth_methods is not None else None

    def emit(user: str, data: dict[str, Any], error: str | None = None) -> None:
        facts.append(Fact(kind=F.CRED_LOGIN, subject=f"ssh:{user}", collector=COLLECTOR, data=data, error=error))

    for user, rows in candidates.items():
        if existing_users is not None and user not in existing_users:
            continue
        prior = used.get(user, 0)
        base = {"protocol": "ssh", "username": user, "budget": budget, "lockout_threshold": lockout_threshold,
                "prior_attempts": prior, "matched_vendor": None}
        if auth_methods is None:
            emit(user, {**base, "outcome": "skipped", "attempts": 0,
                        "reason": f"authentication methods unknown: {auth_error or 'SSH negotiation failed'}"})
            continue
        if method is None:
            emit(user, {**base, "outcome": "rejected", "attempts": 0,
                        "method": "none: the server offers " + (", ".join(auth_methods) or "no method"),
                        "reason": "password authentication is not offered"})
            continue
        if user == auditor_user and target.credentials is not None:
            try:
                secret = target.credentials.password.resolve()
            except SecretError as exc:
                emit(user, {**base, "outcome": "skipped", "attempts": 0,
                            "reason": f"auditor account, password not resolvable: {exc}"})
                continue
            match = next((r for r in rows if r.password == secret.reveal()), None)
            emit(user, {**base, "attempts": 0, "method": "offline (auditor's own password)",
                        "outcome": "accepted" if match else "rejected",
                        "matched_vendor": match.vendor if match else None})
            continue
        remaining = max(0, budget - prior)
        if deadline is not None and time.monotonic() >= deadline:
            emit(user, {**base, "outcome": "skipped", "attempts": 0,
                        "reason": "the SSH time budget for this target ran out"})
            continue
        if remaining == 0:
            reason = why if budget == 0 else (f"the per-account budget of {budget} attempt(s) this sweep was "
                                              f"already used by another protocol")
            emit(user, {**base, "outcome": "skipped", "attempts": 0, "reason": reason})
            continue
        ordered: list[DefaultRow] = list(rows)
        vendor = accepted_elsewhere.get(user)
        if vendor:  # the row another protocol already matched goes first
            ordered.sort(key=lambda r: 0 if r.vendor == vendor else 1)
        session = _LoginSession(target.address, port, timeout)
        attempts, verdict, matched, error = 0, "rejected", None, None
        try:
            for row in ordered[:remaining]:
                attempts += 1
                try:
                    ok = session.attempt(user, Secret(row.password), method)
                except _AttemptError as exc:
                    error = exc.reason
                    break
                if ok:
                    verdict, matched = "accepted", row.vendor
                    break
        finally:
            session.close()
        emit(user, {**base, "outcome": verdict if error is None else "error", "attempts": attempts,
                    "matched_vendor": matched, "method": f"SSH {method} authentication"}, error=error)


# --------------------------------------------------------------------------- entry point


async def collect_ssh(
    target: Target,
    out: list[Fact],
    *,
    timeout: float,
    cred_opts: CredentialOptions | None,
    lockout_threshold: int | None,
    existing_users: set[str] | None,
    attempts_used: Mapping[str, int] | None = None,
    max_time: float | None = None,
) -> None:
    """Probe ``target``'s SSH port and append the facts to ``out``.

    ``lockout_threshold`` and ``existing_users`` come from the Redfish side
    (AccountService; enabled, unlocked account names, or None when unknown).
    ``attempts_used`` maps account -> default-password attempts already made on it
    this sweep; when None it is read from the ``cred.login`` facts already in
    ``out``.  ``cred_opts`` None or disabled: no credential testing.  ``timeout`` bounds
    every network operation; no new connection starts after ``max_time`` seconds
    (default ``8 * timeout``), so a slow BMC cannot hold the sweep.
    """
    port = target.port("ssh")
    if port is None:
        return
    deadline = time.monotonic() + (max_time if max_time is not None else 8 * timeout)
    subject = _hostport(target.address, port)
    evidence = {"address": target.address, "port": port, "client": CLIENT_VERSION}
    try:
        ki = await asyncio.to_thread(probe_kexinit, target.address, port, timeout)
    except ProbeError as exc:
        out.append(Fact(kind=SSH_CONNECTIVITY, subject=subject, collector=COLLECTOR, error=exc.reason,
                        evidence={**evidence, "reason": exc.kind}))
        return
    out.append(Fact(kind=SSH_CONNECTIVITY, subject=subject, collector=COLLECTOR,
                    data={"port": port, "banner": ki.banner}, evidence=evidence))
    neg: NegotiationResult | None = None
    if ki.kex:
        neg = await asyncio.to_thread(probe_negotiation, target.address, port, ki.host_key_types, timeout, deadline)
    data = _algorithms_data(ki, neg)
    out.append(Fact(kind=SSH_ALGORITHMS, subject=subject, collector=COLLECTOR, data=data,
                    evidence={**evidence, "method": "raw SSH_MSG_KEXINIT + one paramiko key exchange per "
                              "host-key family + 'none' authentication as " + PROBE_USER,
                              "pre_banner_lines": ki.pre_banner_lines}))
    if neg is not None and neg.none_accepted:
        out.append(Fact(kind=F.CRED_LOGIN, subject="ssh:(none)", collector=COLLECTOR,
                        data={"protocol": "ssh", "username": PROBE_USER, "outcome": "no_auth", "attempts": 0,
                              "budget": 0, "lockout_threshold": lockout_threshold, "matched_vendor": None,
                              "method": "SSH 'none' authentication"}))
        return
    if cred_opts is None or not cred_opts.enabled or neg is None:
        return
    facts: list[Fact] = []
    try:
        await asyncio.to_thread(
            try_ssh_defaults, target, data["auth_methods"], data["auth_methods_error"], facts,
            timeout=timeout, opts=cred_opts, lockout_threshold=lockout_threshold, existing_users=existing_users,
            used=dict(attempts_used) if attempts_used is not None else prior_attempts(out),
            accepted_elsewhere=_accepted_vendors(out), vendor_hint=_vendor_hint(out, ki.software),
            deadline=deadline)
    finally:
        out.extend(facts)
