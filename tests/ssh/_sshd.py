"""A real OpenSSH ``sshd`` on a loopback port, as an independent peer for the SSH collector.

Started from a throw-away config (generated host keys, ``UsePAM no``, no root login,
``-D -e -f cfg``); tests skip with the reason when sshd is missing or cannot start
(it wants root for its privilege-separation directory).  Loopback only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)
SSH = shutil.which("ssh")
SSH_AUDIT = shutil.which("ssh-audit")

#: Weak algorithms we ask sshd to add on top of its defaults (those it still supports).
WEAK = {
    "KexAlgorithms": ("kex", ["diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
                              "diffie-hellman-group-exchange-sha1"]),
    "Ciphers": ("cipher", ["aes128-cbc", "3des-cbc"]),
    "MACs": ("mac", ["hmac-sha1", "hmac-md5"]),
    "HostKeyAlgorithms": ("key", ["ssh-rsa"]),
}


class SshdUnavailable(Exception):
    """sshd cannot run here; the message is the skip reason."""


@dataclass
class Sshd:
    port: int
    proc: subprocess.Popen
    config: Path
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def supported(kind: str) -> set[str] | None:
    """What the installed OpenSSH implements (``ssh -Q``), or None when unknown."""
    if SSH is None:
        return None
    try:
        out = subprocess.run([SSH, "-Q", kind], capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return set(out.split())


def _write_key(path: Path, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_sshd(workdir: Path, *, weak: bool = True, only: dict[str, list[str]] | None = None,
             rsa_bits: int = 1024) -> Iterator[Sshd]:
    """sshd with its defaults plus ``WEAK`` (``weak``), or with exactly ``only`` per keyword."""
    if SSHD is None:
        raise SshdUnavailable("OpenSSH sshd is not installed (Debian package openssh-server)")
    privsep = Path("/run/sshd")
    if not privsep.is_dir():
        if os.geteuid() != 0:
            raise SshdUnavailable("sshd needs its privilege separation directory /run/sshd (run as root)")
        privsep.mkdir(mode=0o755, parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    _write_key(workdir / "host_ed25519", ed25519.Ed25519PrivateKey.generate())
    _write_key(workdir / "host_rsa", rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
    lines = [
        "ListenAddress 127.0.0.1",
        f"HostKey {workdir / 'host_ed25519'}",
        f"HostKey {workdir / 'host_rsa'}",
        f"PidFile {workdir / 'sshd.pid'}",
        "UsePAM no",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        "StrictModes no",
        "AuthorizedKeysFile none",
        "MaxStartups 100",
        "LogLevel VERBOSE",
    ]
    if only:
        lines += [f"{kw} {','.join(names)}" for kw, names in only.items()]
    elif weak:
        for kw, (kind, names) in WEAK.items():
            have = supported(kind)
            names = [n for n in names if have is None or n in have]
            if names:
                lines.append(f"{kw} +{','.join(names)}")
    last_error = ""
    for _ in range(3):
        port = _free_port()
        cfg = workdir / "sshd_config"
        cfg.write_text("\n".join([f"Port {port}", *lines]) + "\n")
        test = subprocess.run([SSHD, "-t", "-f", str(cfg)], capture_output=True, text=True, timeout=20)
        if test.returncode != 0:
            raise SshdUnavailable(f"sshd rejects the test configuration: {test.stderr.strip()[:300]}")
        log = workdir / "sshd.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg)], stdout=fh, stderr=subprocess.STDOUT)
        end = time.monotonic() + 10
        up = False
        while time.monotonic() < end and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.settimeout(2)
                    up = s.recv(4).startswith(b"SSH-")
                break
            except OSError:
                time.sleep(0.05)
        if up:
            server = Sshd(port, proc, cfg, log)
            try:
                yield server
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        last_error = log.read_text(errors="replace").strip()[-300:]
    raise SshdUnavailable(f"sshd did not start: {last_error or 'no output'}")
