"""The real Redfish collector against DMTF's public-rackmount1 mockup served by a
third-party server (sushy-static from sushy-tools), over HTTPS on loopback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from oobaudit import facts as F
from oobaudit.checks import Status
from oobaudit.collectors.http import make_session
from oobaudit.collectors.redfish import RedfishOptions, collect_redfish
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

from ..helpers import free_port
from .conftest import sushy_inventory


@pytest.fixture(scope="module")
def sushy(sushy_static_port: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An inventory naming the session's sushy-static server."""
    return sushy_inventory(tmp_path_factory.mktemp("sushy") / "inv.yaml", sushy_static_port, "SUSHY_TEST_PASS",
                           http_port=free_port())


def test_crawl_records_every_linked_resource_and_ignores_member_count(sushy, monkeypatch):
    monkeypatch.setenv("SUSHY_TEST_PASS", "irrelevant")
    target = load_inventory(sushy).targets[0]

    async def go():
        out: list[F.Fact] = []
        async with make_session() as http:
            await collect_redfish(target, http, out, RedfishOptions(needs=None))
        return out

    facts = asyncio.run(go())
    kinds = {f.kind for f in facts if f.ok}
    for k in (F.REDFISH_SERVICE_ROOT, F.REDFISH_ACCOUNT_SERVICE, F.REDFISH_ACCOUNT, F.REDFISH_SESSION_SERVICE,
              F.REDFISH_MANAGER, F.REDFISH_NETWORK_PROTOCOL, F.REDFISH_SYSTEM, F.REDFISH_SECURE_BOOT,
              F.REDFISH_CHASSIS, F.REDFISH_FIRMWARE, F.REDFISH_CERTIFICATE_SERVICE,
              F.REDFISH_COMPONENT_INTEGRITY, F.REDFISH_CERTIFICATE):
        assert k in kinds, k
    # FirmwareInventory says Members@odata.count 2 but lists 3: all three are read.
    fw = sorted(f.subject for f in facts if f.kind == F.REDFISH_FIRMWARE and f.ok)
    assert fw == ["BIOS", "BMC", "SS"]
    np = next(f for f in facts if f.kind == F.REDFISH_NETWORK_PROTOCOL)
    assert np.subject == "BMC" and np.data["Telnet"]["ProtocolEnabled"] is True
    conn = next(f for f in facts if f.kind == F.REDFISH_CONNECTIVITY)
    assert conn.ok and conn.data["unauthenticated_read"] is True


def test_sweep_of_mockup_reports_its_insecure_services(sushy, tmp_path, monkeypatch):
    monkeypatch.setenv("SUSHY_TEST_PASS", "irrelevant")
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    result = asyncio.run(Sweep(store, load_inventory(sushy), SweepOptions()).run())
    assert result.status == "complete" and result.targets[0].status == "audited"
    st = {(f.check_id, f.subject): f.status for f in result.findings}
    for svc in ("Telnet", "SSDP", "SNMPv1", "HTTP"):
        assert st[("OOB-SVC-001", f"BMC:{svc}")] is Status.FAIL
    assert st[("OOB-SVC-001", "BMC:SNMPv2c")] is Status.PASS
    assert st[("OOB-IPMI-001", "BMC:IPMI")] is Status.FAIL
    assert st[("OOB-BOOT-001", "system:437XR1138R2")] is Status.FAIL
    assert st[("OOB-ACCT-001", "AccountLockoutThreshold")] is Status.PASS  # 5 with 30 s duration
    # sushy-static enforces no authentication at all: that is the worst credential finding.
    assert st[("OOB-CRED-001", "redfish:(none)")] is Status.FAIL
    assert store.fact_count(result.sweep_id) > 8


def test_cli_sweep_exit_code_and_reports(sushy, tmp_path):
    env = {"SUSHY_TEST_PASS": "x", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "oobaudit.cli", "sweep", "-i", str(sushy), "--db",
                        f"sqlite:///{tmp_path / 'c.db'}", "--out", str(tmp_path / "rep"), "--quiet"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1, p.stderr  # FAILs at or above the default --fail-on
    assert (tmp_path / "rep" / "report.html").is_file() and (tmp_path / "rep" / "report.json").is_file()
    p2 = subprocess.run([sys.executable, "-m", "oobaudit.cli", "sweep", "-i", str(sushy), "--db",
                         f"sqlite:///{tmp_path / 'c.db'}", "--out", str(tmp_path / "rep2"), "--quiet",
                         "--check", "OOB-ACCT-003", "--fail-on", "critical"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert p2.returncode == 0, p2.stdout + p2.stderr
