"""RAKP key exchange: the RAKP2/3/4 HMACs, SIK/K1/K2, the offline RAKP2 password
check (CVE-2013-4786) and the per-session integrity + confidentiality wrapper.

Why the offline check matters: RAKP2 carries ``HMAC_Kuid(salt)`` for any
*existing* user name *before* the console proves anything, so a prober can test
a default-password list against it locally without a single failed login on
the BMC (DESIGN.md: "prefer the offline RAKP2 check for IPMI").

Formulas (reference/ipmi-wire.md section 10, ipmitool ``lanplus_crypt.c``):

* RAKP2 = HMAC_Kuid(SIDm | SIDc | Rm | Rc | GUIDc | ROLEm | ULENGTHm | UNAMEm)
* RAKP3 = HMAC_Kuid(Rc | SIDm | ROLEm | ULENGTHm | UNAMEm)
* SIK   = HMAC_KG(Rm | Rc | ROLEm | ULENGTHm | UNAMEm), KG = Kuid unless a BMC key is set
* RAKP4 = HMAC_SIK(Rm | SIDc | GUIDc), truncated to 12 (SHA1) / 16 (MD5, SHA256) bytes
* K1/K2 = HMAC_SIK(20 x 0x01 / 20 x 0x02). The constant is 20 bytes for every
  algorithm in ipmitool and the spec; OpenIPMI's ipmi_sim uses hash-length
  constants (identical for SHA1, different for MD5), hence ``const_len``.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import WireError, check_bytes, check_range
from .rmcpplus import (
    MAX_PASSWORD_LEN,
    MAX_USERNAME_LEN,
    AuthAlgorithm,
    CipherSuite,
    ConfidentialityAlgorithm,
    IntegrityAlgorithm,
    IntegrityError,
    PayloadType,
    Rakp1,
    Rakp2,
    RmcpPlusPacket,
    build_rmcpplus_packet,
    decrypt_aes_cbc_128,
    encrypt_aes_cbc_128,
    parse_rmcpplus_packet,
    verify_integrity,
)

__all__ = [
    "KEY_EXCHANGE_CODE_LEN",
    "RAKP4_ICV_LEN",
    "RakpHash",
    "SessionCrypto",
    "SessionKeys",
    "compute_rakp2_auth_code",
    "compute_rakp3_auth_code",
    "compute_rakp4_icv",
    "compute_sik",
    "derive_k",
    "derive_session_keys",
    "find_rakp2_password",
    "rakp2_hmac_input",
    "verify_rakp2_password",
]

_DIGEST: dict[int, Callable[..., Any]] = {
    AuthAlgorithm.RAKP_HMAC_SHA1: hashlib.sha1,
    AuthAlgorithm.RAKP_HMAC_MD5: hashlib.md5,
    AuthAlgorithm.RAKP_HMAC_SHA256: hashlib.sha256,
}

#: Length of the RAKP2 key exchange auth code (and of RAKP3's) per authentication algorithm.
KEY_EXCHANGE_CODE_LEN: Mapping[int, int] = MappingProxyType({
    AuthAlgorithm.RAKP_NONE: 0,
    AuthAlgorithm.RAKP_HMAC_SHA1: 20,
    AuthAlgorithm.RAKP_HMAC_MD5: 16,
    AuthAlgorithm.RAKP_HMAC_SHA256: 32,
})

#: Length of the RAKP4 integrity check value per authentication algorithm.
RAKP4_ICV_LEN: Mapping[int, int] = MappingProxyType({
    AuthAlgorithm.RAKP_NONE: 0,
    AuthAlgorithm.RAKP_HMAC_SHA1: 12,
    AuthAlgorithm.RAKP_HMAC_MD5: 16,
    AuthAlgorithm.RAKP_HMAC_SHA256: 16,
})


def _digest(alg: int) -> Callable[..., Any]:
    try:
        return _DIGEST[alg]
    except (KeyError, TypeError):
        raise WireError(f"no HMAC for authentication algorithm {alg!r}") from None


def _hmac(alg: int, key: bytes, msg: bytes) -> bytes:
    return hmac.new(bytes(key), bytes(msg), _digest(alg)).digest()


def _kuid(password: bytes) -> bytes:
    # Kuid is the password zero-padded to 20 bytes. HMAC zero-pads keys shorter
    # than the block size anyway, so padding does not change any result.
    return check_bytes(password, None, "password", max_len=MAX_PASSWORD_LEN)


def _user(role: int, username: bytes) -> bytes:
    check_range(role, 0, 0xFF, "role")
    check_bytes(username, None, "user name", max_len=MAX_USERNAME_LEN)
    return bytes((role, len(username))) + bytes(username)


def rakp2_hmac_input(console_session_id: int, bmc_session_id: int, console_random: bytes, bmc_random: bytes,
                     bmc_guid: bytes, role: int, username: bytes) -> bytes:
    """The RAKP2 HMAC input ("salt" in hashcat mode 7300 / Metasploit ipmi_dumphashes)."""
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    check_range(bmc_session_id, 0, 0xFFFFFFFF, "BMC session ID")
    return (struct.pack("<II", console_session_id, bmc_session_id) + check_bytes(console_random, 16, "Rm")
            + check_bytes(bmc_random, 16, "Rc") + check_bytes(bmc_guid, 16, "GUID") + _user(role, username))


def compute_rakp2_auth_code(alg: int, password: bytes, console_session_id: int, bmc_session_id: int,
                            console_random: bytes, bmc_random: bytes, bmc_guid: bytes, role: int,
                            username: bytes) -> bytes:
    """RAKP2 key exchange auth code (full HMAC; b"" for RAKP-none)."""
    salt = rakp2_hmac_input(console_session_id, bmc_session_id, console_random, bmc_random, bmc_guid, role,
                            username)
    if alg == AuthAlgorithm.RAKP_NONE:
        return b""
    return _hmac(alg, _kuid(password), salt)


def compute_rakp3_auth_code(alg: int, password: bytes, bmc_random: bytes, console_session_id: int, role: int,
                            username: bytes) -> bytes:
    """RAKP3 auth code: the console's proof that it knows the password."""
    check_range(console_session_id, 0, 0xFFFFFFFF, "console session ID")
    data = check_bytes(bmc_random, 16, "Rc") + struct.pack("<I", console_session_id) + _user(role, username)
    if alg == AuthAlgorithm.RAKP_NONE:
        return b""
    return _hmac(alg, _kuid(password), data)


def compute_sik(alg: int, key: bytes, console_random: bytes, bmc_random: bytes, role: int,
                username: bytes) -> bytes:
    """Session Integrity Key; ``key`` is Kg when the BMC has one, else the password."""
    data = check_bytes(console_random, 16, "Rm") + check_bytes(bmc_random, 16, "Rc") + _user(role, username)
    if alg == AuthAlgorithm.RAKP_NONE:
        return b""
    return _hmac(alg, check_bytes(key, None, "KG", max_len=MAX_PASSWORD_LEN), data)


def derive_k(alg: int, sik: bytes, n: int, *, const_len: int = 20) -> bytes:
    """K1 (n=1, integrity key) or K2 (n=2, AES key source) = HMAC_SIK(const)."""
    check_range(n, 1, 3, "K index")
    if alg == AuthAlgorithm.RAKP_NONE:
        return bytes((n,)) * 20  # what ipmitool keeps; unused without integrity/confidentiality
    return _hmac(alg, check_bytes(sik, None, "SIK"), bytes((n,)) * const_len)


def compute_rakp4_icv(alg: int, sik: bytes, console_random: bytes, bmc_session_id: int,
                      bmc_guid: bytes) -> bytes:
    """RAKP4 integrity check value: the BMC's proof that it derived the same SIK."""
    check_range(bmc_session_id, 0, 0xFFFFFFFF, "BMC session ID")
    data = (check_bytes(console_random, 16, "Rm") + struct.pack("<I", bmc_session_id)
            + check_bytes(bmc_guid, 16, "GUID"))
    if alg == AuthAlgorithm.RAKP_NONE:
        return b""
    return _hmac(alg, check_bytes(sik, None, "SIK"), data)[: RAKP4_ICV_LEN[alg]]


# --------------------------------------------------------------------------- offline check


@dataclass(frozen=True, slots=True)
class RakpHash:
    """What RAKP1/RAKP2 disclose for one user name: enough to test passwords offline.

    ``hmac`` is a password-equivalent secret: it is kept out of the repr and
    only leaves this object through :meth:`hashcat_line`, on purpose.
    """

    auth_alg: AuthAlgorithm
    username: bytes
    salt: bytes = field(repr=False)
    hmac: bytes = field(repr=False)

    @classmethod
    def from_exchange(cls, auth_alg: int, console_session_id: int, bmc_session_id: int, rakp1: Rakp1,
                      rakp2: Rakp2) -> RakpHash:
        """Build from the RAKP1 we sent and the RAKP2 we got (status must be 0)."""
        if rakp2.status != 0 or rakp2.bmc_random is None or rakp2.bmc_guid is None:
            raise WireError(f"RAKP2 with status 0x{rakp2.status:02x} carries no hash")
        expected = KEY_EXCHANGE_CODE_LEN.get(auth_alg)
        if expected is None or expected == 0:
            raise WireError(f"authentication algorithm {auth_alg!r} has no RAKP2 HMAC")
        code = rakp2.key_exchange_auth_code
        if len(code) < expected:
            raise WireError(f"RAKP2 auth code is {len(code)} bytes, expected {expected}")
        salt = rakp2_hmac_input(console_session_id, bmc_session_id, rakp1.console_random, rakp2.bmc_random,
                                rakp2.bmc_guid, rakp1.role, rakp1.username)
        return cls(auth_alg=AuthAlgorithm(auth_alg), username=rakp1.username, salt=salt, hmac=code[:expected])

    @property
    def is_all_zero(self) -> bool:
        """Metasploit's "bogus hash": some BMCs send zeros instead of an HMAC."""
        return not any(self.hmac)

    def verifies(self, password: bytes) -> bool:
        """True when ``password`` produced this HMAC. Passwords over 20 bytes can never match."""
        if not isinstance(password, bytes | bytearray) or len(password) > MAX_PASSWORD_LEN:
            return False
        return hmac.compare_digest(_hmac(self.auth_alg, bytes(password), self.salt), self.hmac)

    def hashcat_line(self) -> str:
        """``salt_hex:hmac_hex`` (hashcat mode 7300 for SHA1). Exports the secret: handle with care."""
        return f"{self.salt.hex()}:{self.hmac.hex()}"


def verify_rakp2_password(password: bytes, alg: int, key_exchange_auth_code: bytes, console_session_id: int,
                          bmc_session_id: int, console_random: bytes, bmc_random: bytes, bmc_guid: bytes,
                          role: int, username: bytes) -> bool:
    """Offline check: does this RAKP2 HMAC come from ``password``? (CVE-2013-4786)."""
    if not isinstance(password, bytes | bytearray) or len(password) > MAX_PASSWORD_LEN:
        return False
    expected = compute_rakp2_auth_code(alg, bytes(password), console_session_id, bmc_session_id,
                                       console_random, bmc_random, bmc_guid, role, username)
    return bool(expected) and hmac.compare_digest(expected, bytes(key_exchange_auth_code))


def find_rakp2_password(rakp_hash: RakpHash, candidates: Iterable[bytes]) -> bytes | None:
    """The first candidate the hash verifies against, or None."""
    for cand in candidates:
        if rakp_hash.verifies(cand):
            return bytes(cand)
    return None


# --------------------------------------------------------------------------- session keys and crypto


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """SIK, K1 and K2 of an RMCP+ session (never printed)."""

    auth_alg: AuthAlgorithm
    sik: bytes = field(repr=False)
    k1: bytes = field(repr=False)
    k2: bytes = field(repr=False)


def derive_session_keys(alg: int, password: bytes, console_random: bytes, bmc_random: bytes, role: int,
                        username: bytes, *, kg: bytes | None = None, const_len: int = 20) -> SessionKeys:
    """SIK from Kg (if set and not all zero) or the password, then K1 and K2."""
    key = kg if kg and any(kg) else password
    sik = compute_sik(alg, key, console_random, bmc_random, role, username)
    return SessionKeys(auth_alg=AuthAlgorithm(alg), sik=sik, k1=derive_k(alg, sik, 1, const_len=const_len),
                       k2=derive_k(alg, sik, 2, const_len=const_len))


@dataclass(frozen=True, slots=True)
class SessionCrypto:
    """Integrity + confidentiality of one established RMCP+ session.

    ``seal`` frames an outgoing payload the way the suite demands; ``unseal``
    verifies and decrypts an incoming one, raising :class:`IntegrityError`
    (a WireError) when the AuthCode is wrong or the protection the suite
    requires is missing.
    """

    suite: CipherSuite
    keys: SessionKeys = field(repr=False)

    def __post_init__(self) -> None:
        supported = (ConfidentialityAlgorithm.NONE, ConfidentialityAlgorithm.AES_CBC_128)
        if self.suite.confidentiality not in supported:
            raise WireError(f"confidentiality algorithm {self.suite.confidentiality.name} is not supported")
        if self.suite.integrity == IntegrityAlgorithm.MD5_128:
            raise WireError("integrity algorithm MD5-128 is not supported")

    def seal(self, payload_type: PayloadType | int, payload: bytes, session_id: int, session_seq: int, *,
             iv: bytes | None = None) -> bytes:
        encrypted = self.suite.confidentiality == ConfidentialityAlgorithm.AES_CBC_128
        body = encrypt_aes_cbc_128(self.keys.k2, payload, iv) if encrypted else bytes(payload)
        return build_rmcpplus_packet(payload_type, body, session_id=session_id, session_seq=session_seq,
                                     encrypted=encrypted, integrity=self.suite.integrity, k1=self.keys.k1)

    def unseal(self, data: bytes) -> RmcpPlusPacket:
        pkt = parse_rmcpplus_packet(data)
        return self.unseal_packet(pkt)

    def unseal_packet(self, pkt: RmcpPlusPacket) -> RmcpPlusPacket:
        if self.suite.integrity != IntegrityAlgorithm.NONE:
            if not pkt.authenticated:
                raise IntegrityError("session requires authenticated packets")
            if not verify_integrity(pkt, self.suite.integrity, self.keys.k1):
                raise IntegrityError("integrity check value mismatch")
        elif pkt.authenticated:
            raise IntegrityError("authenticated packet in a session without integrity algorithm")
        if self.suite.confidentiality == ConfidentialityAlgorithm.AES_CBC_128:
            if not pkt.encrypted:
                raise IntegrityError("session requires encrypted payloads")
            plain = decrypt_aes_cbc_128(self.keys.k2, pkt.payload)
        elif pkt.encrypted:
            raise IntegrityError("encrypted payload in a session without confidentiality algorithm")
        else:
            plain = pkt.payload
        return RmcpPlusPacket(payload_type=pkt.payload_type, encrypted=pkt.encrypted,
                              authenticated=pkt.authenticated, session_id=pkt.session_id,
                              session_seq=pkt.session_seq, payload=plain, oem_iana=pkt.oem_iana,
                              oem_payload_id=pkt.oem_payload_id, auth_code=pkt.auth_code, signed=pkt.signed)
