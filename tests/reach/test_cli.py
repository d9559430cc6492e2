"""The reach / discover commands: refusals and exit codes (nothing here sends a packet
except the loopback run at the end)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from oobaudit.store import Store

from .helpers import FAST, findings, invoke, oobaudit_cmd, report
from .topology import REPO

INV = """\
management_networks: [198.18.2.0/24]
vantage_points:
  - {name: jump, zone: management, bmc_reachable: true}
  - {name: tenant, zone: tenant, bmc_reachable: false}
sites:
  - name: lab
    racks:
      - name: r1
        hosts:
          - {name: bmc-1, address: 127.0.0.1, ports: {https: HTTPS, ipmi: IPMI}}
"""


@pytest.fixture
def inv(tmp_path: Path) -> Path:
    p = tmp_path / "inv.yaml"
    p.write_text(INV.replace("HTTPS", "443").replace("IPMI", "623"))
    return p


def _run(*args: str, prefix: list[str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), *oobaudit_cmd(), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def _no_net_raw_prefix() -> list[str] | None:
    """A command prefix that runs the CLI without CAP_NET_RAW, or None if this host cannot."""
    if os.geteuid() != 0:
        return []  # an ordinary user has no raw sockets already
    if shutil.which("capsh"):
        return ["capsh", "--drop=cap_net_raw", "--"]
    if shutil.which("setpriv"):
        return ["setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw"]
    return None


def test_no_raw_socket_permission_exits_5_and_stores_nothing(inv: Path, tmp_path: Path) -> None:
    prefix = _no_net_raw_prefix()
    if prefix is None:
        pytest.skip("neither capsh nor setpriv is available to drop CAP_NET_RAW")
    db = tmp_path / "db.sqlite"
    args = ["reach", "-i", str(inv), "--vantage", "tenant", "--db", f"sqlite:///{db}", "--out", str(tmp_path / "r")]
    if prefix and prefix[0] == "capsh":
        cmd = " ".join(f"'{a}'" for a in [*oobaudit_cmd(), *args])
        r = subprocess.run([*prefix, "-c", cmd], cwd=REPO, capture_output=True, text=True, timeout=60)
    else:
        r = _run(*args, prefix=prefix)
    assert r.returncode == 5, r.stdout + r.stderr
    assert "raw sockets are refused" in r.stderr and "CAP_NET_RAW" in r.stderr
    assert not (tmp_path / "r").exists()
    if db.exists():
        store = Store(f"sqlite:///{db}")
        try:
            assert store.sweeps() == []
        finally:
            store.close()


def test_unknown_vantage_is_bad_input(inv: Path, tmp_path: Path) -> None:
    r = invoke("reach", "-i", str(inv), "--vantage", "nowhere", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert r.exit_code == 4
    assert "nowhere" in r.output and "jump" in r.output


def test_bad_ports_is_usage_error(inv: Path) -> None:
    r = invoke("reach", "-i", str(inv), "--vantage", "tenant", "--ports", "22,99999")
    assert r.exit_code == 2 and "99999" in r.output


def test_discover_refuses_more_than_a_slash_16(inv: Path, tmp_path: Path) -> None:
    r = invoke("discover", "-i", str(inv), "--ranges", "198.18.0.0/15", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert r.exit_code == 4 and "131,072" in r.output and "--force" in r.output
    r = invoke("discover", "-i", str(inv), "--ranges", "198.18.0.0/16,198.19.0.0/24",
               "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert r.exit_code == 4 and "more than a /16" in r.output
    assert not (tmp_path / "db.sqlite").exists()  # refused before anything was opened


def test_discover_needs_ranges(tmp_path: Path) -> None:
    p = tmp_path / "inv.yaml"
    p.write_text("sites: [{name: s, racks: [{name: r, hosts: [{name: b, address: 127.0.0.1}]}]}]\n")
    r = invoke("discover", "-i", str(p), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert r.exit_code == 4 and "management_networks" in r.output


# --- loopback run (root) -----------------------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root or CAP_NET_RAW (raw sockets)")


@pytest.fixture
def loopback_bmc(tmp_path: Path) -> Iterator[Path]:
    """A TCP listener as 'HTTPS' and the ASF responder's pong on a free UDP port, on 127.0.0.1."""
    sys.path.insert(0, str(Path(__file__).parent))
    from asf_responder import pong

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                d, a = udp.recvfrom(100)
            except OSError:
                continue
            if len(d) >= 12 and d[8] == 0x80:
                udp.sendto(pong(d[9]), a)

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    p = tmp_path / "inv.yaml"
    p.write_text(INV.replace("HTTPS", str(srv.getsockname()[1])).replace("IPMI", str(udp.getsockname()[1])))
    try:
        yield p
    finally:
        stop.set()
        th.join(2)
        srv.close()
        udp.close()


@needs_root
def test_loopback_management_vantage_passes(loopback_bmc: Path, tmp_path: Path) -> None:
    r = _run("reach", "-i", str(loopback_bmc), "--vantage", "jump", "--ports", "22,443",
             "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "--out", str(tmp_path / "r"), *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = report(tmp_path / "r")
    assert [f["status"] for f in findings(rep, "OOB-NET-002")] == ["PASS"]


@needs_root
def test_loopback_tenant_vantage_fails(loopback_bmc: Path, tmp_path: Path) -> None:
    r = _run("reach", "-i", str(loopback_bmc), "--vantage", "tenant", "--ports", "22",
             "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "--out", str(tmp_path / "r"), *FAST)
    assert r.returncode == 1, r.stdout + r.stderr
    rep = report(tmp_path / "r")
    sev = {f["subject"]: (f["status"], f["severity"]) for f in findings(rep, "OOB-NET-001")}
    https = f"tcp/{rep['targets'][0]['ports']['https']}"
    assert sev[https] == ("FAIL", "high")  # open
    assert sev["tcp/80"] == ("FAIL", "medium")  # the inventory's default http port is always probed: RST
    assert sev["tcp/22"][0] == "FAIL" and sev["tcp/22"][1] == "medium"  # RST: routed, only closed


@needs_root
def test_bad_interface_is_bad_input(inv: Path, tmp_path: Path) -> None:
    r = invoke("reach", "-i", str(inv), "--vantage", "tenant", "--iface", "nosuchif0",
               "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert r.exit_code == 4 and "nosuchif0" in r.output
