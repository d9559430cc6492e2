"""Deterministic per-BMC identity (UUIDs, serial numbers) and key material seeds.

Drift tests compare two sweeps of "the same" fleet, so a BMC must look identical
every time the fleet is started with the same seed: identity is a pure function of
(fleet seed, profile name, index of the BMC within that profile).  Using the index
within the profile (not the global index) keeps identities stable when another
group is added to a mixed fleet.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from .profiles import IdentitySpec


@dataclass(frozen=True, slots=True)
class Identity:
    """What makes one BMC recognisable across sweeps."""

    uuid: str
    """ServiceRoot / Manager UUID (the BMC itself)."""
    system_uuid: str
    """ComputerSystem UUID (the host the BMC manages)."""
    serial: str
    """System and primary chassis serial number."""


def derive_bytes(seed: str, *labels: str | int, length: int = 32) -> bytes:
    """Stable pseudo-random bytes for ``labels`` under ``seed`` (HMAC-SHA512 expand).

    Not secret material in any real sense: it feeds mock identities and mock TLS keys
    that only ever exist on loopback.
    """
    info = "/".join(str(label) for label in labels).encode()
    out = b""
    counter = 0
    while len(out) < length:
        counter += 1
        out += hmac.new(seed.encode(), info + counter.to_bytes(4, "big"), hashlib.sha512).digest()
    return out[:length]


def derive_uuid(seed: str, *labels: str | int) -> str:
    """A random-looking (version 4 layout) UUID that is a pure function of its inputs."""
    return str(uuid.UUID(bytes=derive_bytes(seed, "uuid", *labels, length=16), version=4))


def derive_identity(seed: str, profile_name: str, index: int, spec: IdentitySpec) -> Identity:
    """Identity of BMC number ``index`` of profile ``profile_name`` in a fleet seeded with ``seed``."""
    digits_raw = derive_bytes(seed, "serial", profile_name, index, length=16)
    number = int.from_bytes(digits_raw, "big") % (10**spec.serial_digits)
    return Identity(
        uuid=derive_uuid(seed, "manager", profile_name, index),
        system_uuid=derive_uuid(seed, "system", profile_name, index),
        serial=f"{spec.serial_prefix}{number:0{spec.serial_digits}d}",
    )
