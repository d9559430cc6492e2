"""Independent TLS peers for the collector tests: ``openssl s_server`` and ``sslscan``.

Both are Debian packages (openssl, sslscan); tests that need them skip with a
reason when they are absent.  Everything listens on / talks to loopback only.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from oobaudit.collectors import tls_suites

OPENSSL = shutil.which("openssl")
SSLSCAN = shutil.which("sslscan")


@dataclass
class OpenSSLServer:
    """``openssl s_server -www`` on 127.0.0.1 (or ::1), on a port the kernel picked."""

    name: str
    args: list[str]
    workdir: Path
    host: str = "127.0.0.1"
    proc: subprocess.Popen | None = None
    port: int = 0
    log: Path | None = None

    def start(self, timeout: float = 15.0) -> OpenSSLServer:
        assert OPENSSL is not None
        self.log = self.workdir / f"{self.name}.log"
        accept = f"[{self.host}]:0" if ":" in self.host else f"{self.host}:0"
        cmd = [OPENSSL, "s_server", "-accept", accept, "-www", *self.args]
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = re.search(r"^ACCEPT .*:(\d+)\s*$", self.log.read_text(errors="replace"), re.M)
            if m:
                self.port = int(m.group(1))
                self._wait_listening(end)
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"openssl s_server {self.name} exited: {self.log.read_text(errors='replace')}")
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"openssl s_server {self.name} did not report its port")

    def _wait_listening(self, end: float) -> None:
        while time.monotonic() < end:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"openssl s_server {self.name} is not accepting on {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait(timeout=5)


@dataclass
class SslscanResult:
    protocols: dict[str, bool] = field(default_factory=dict)  # "SSLv2".."TLSv1.3" -> enabled
    ciphers: list[tuple[str, int, str]] = field(default_factory=list)  # (version, id, openssl name)
    signature_algorithm: str | None = None
    key_type: str | None = None
    key_bits: int | None = None  # RSA: modulus bits; EC: sslscan reports *security* bits (128 for P-256)
    curve_name: str | None = None  # OpenSSL spelling, e.g. prime256v1
    subject: str | None = None
    self_signed: bool | None = None
    expired: bool | None = None
    not_after: dt.datetime | None = None

    def classes(self) -> dict[str, bool]:
        """Weak classes accepted according to sslscan's cipher enumeration (<= TLS 1.2)."""
        out = dict.fromkeys(tls_suites.WEAK_CLASSES, False)
        for version, code, _name in self.ciphers:
            if version == "TLSv1.3":
                continue
            for cls in tls_suites.suite_classes(code):
                out[cls] = True
        return out


def run_sslscan(host: str, port: int, workdir: Path) -> SslscanResult:
    """Run Debian's sslscan against host:port and parse its XML report."""
    assert SSLSCAN is not None
    xml_path = workdir / f"sslscan-{port}.xml"
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    proc = subprocess.run(
        [SSLSCAN, "--no-colour", "--show-cipher-ids", "--no-heartbleed", "--no-groups",
         f"--xml={xml_path}", target],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if not xml_path.exists():  # pragma: no cover - diagnostic
        raise RuntimeError(f"sslscan wrote no XML (rc={proc.returncode}): {proc.stdout}\n{proc.stderr}")
    return parse_sslscan_xml(xml_path.read_text())


def parse_sslscan_xml(text: str) -> SslscanResult:
    root = ET.fromstring(text)
    test = root.find("ssltest")
    if test is None:
        raise ValueError("sslscan XML has no <ssltest> (connection failed?)")
    res = SslscanResult()
    for p in test.findall("protocol"):
        kind, version = p.get("type"), p.get("version")
        key = f"SSLv{version}" if kind == "ssl" else f"TLSv{version}"
        res.protocols[key] = p.get("enabled") == "1"
    for c in test.findall("cipher"):
        if c.get("status") in ("accepted", "preferred"):
            res.ciphers.append((c.get("sslversion", ""), int(c.get("id", "0"), 16), c.get("cipher", "")))
    cert = test.find("certificates/certificate")
    if cert is not None:
        res.signature_algorithm = (cert.findtext("signature-algorithm") or "").strip() or None
        pk = cert.find("pk")
        if pk is not None:
            res.key_type = pk.get("type")
            res.key_bits = int(pk.get("bits", "0")) or None
            res.curve_name = pk.get("curve_name")
        res.subject = (cert.findtext("subject") or "").strip() or None
        ss = cert.findtext("self-signed")
        res.self_signed = None if ss is None else ss.strip() == "true"
        ex = cert.findtext("expired")
        res.expired = None if ex is None else ex.strip() == "true"
        na = cert.findtext("not-valid-after")
        if na:
            res.not_after = dt.datetime.strptime(na.strip(), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=dt.UTC)
    return res
