"""Small test helpers shared by the suites (ports, certificates, waiting for peers)."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def self_signed(dir_: Path, cn: str = "127.0.0.1") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    cp, kp = dir_ / "cert.pem", dir_ / "key.pem"
    cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cp, kp


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"peer exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


class FakeTarget:
    """The inventory-target attributes the store reads in ``begin_sweep``, for store-level tests."""

    def __init__(self, name: str) -> None:
        self.name, self.address, self.site, self.rack, self.platform = name, "192.0.2.1", "s", "r", "generic"
        self.credentials = None

    def inventory_meta(self) -> dict:
        return {}


def new_sweep(store: Any, *names: str) -> tuple[str, dict[str, int], int]:
    """A running sweep of fake targets with one evaluation: (sweep id, target ids, evaluation id)."""
    sid, ids = store.begin_sweep(inventory_path="i", inventory_sha256="", targets=[FakeTarget(n) for n in names],
                                 options={}, tool_version="t")
    return sid, ids, store.begin_evaluation(sid)
