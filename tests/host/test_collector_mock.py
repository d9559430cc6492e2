"""The host collector against the mock over loopback SSH: the mock's SSH port doubles as the GPU
host's OS and answers ``nvidia-smi -q -x`` from the profile's ``host_gpu`` data.

One fleet per module (ephemeral ports).  The password is a sentinel that must appear in no fact.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import oobaudit.checks  # noqa: F401 - registers every check
from mock_bmc.fleet import Fleet, FleetSpec, GroupSpec, run_fleet_in_thread
from mock_bmc.profiles import ProfileError, load_profile
from mock_bmc.ssh import host_gpus, nvidia_smi_xml
from oobaudit.baseline.model import effective_settings
from oobaudit.baseline.signing import TrustedKeys, verify_and_load
from oobaudit.checks import REGISTRY, Status, run_target_checks
from oobaudit.collectors.host import HOST_DRIVER, HOST_GPU, HOST_NVIDIA_SMI, collect_host, parse_nvidia_smi
from oobaudit.collectors.ssh import fingerprint
from oobaudit.facts import Fact, TargetFacts
from oobaudit.inventory import Credentials, InBand, Target, load_inventory
from oobaudit.policy import Policy
from oobaudit.secrets import SecretRef

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "Host-Sentinel-Pa55-4d2b"
PW_ENV = "OOBAUDIT_TEST_HOST_MOCK_PW"
WRONG_ENV = "OOBAUDIT_TEST_HOST_MOCK_WRONG"


def _groups() -> list[GroupSpec]:
    hgx = load_profile("hgx-h100")
    hardened = load_profile("hardened")
    return [
        GroupSpec("hgx-h100", 1),
        GroupSpec("hgx-h100-stale-vbios", 1),
        GroupSpec(hgx.derive("hgx-cc", host_gpu={"gsp_enabled": False,
                                                  "gpus": {"SXM_2": {"cc_mode": "on", "mig_mode": "Enabled"}}}), 1),
        GroupSpec("hardened", 1),
        GroupSpec(hardened.derive("ssh-silent", ssh={"no_banner": True}), 1),
    ]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    with run_fleet_in_thread(FleetSpec(groups=_groups(), seed="tests-host", auditor_password=SENTINEL)) as running:
        yield running


@pytest.fixture(autouse=True)
def _passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PW_ENV, SENTINEL)
    monkeypatch.setenv(WRONG_ENV, "not-the-password-1")


def _target(fleet: Fleet, name: str, *, port: int | None = None, env: str = PW_ENV) -> Target:
    bmc = fleet.bmc(f"mock-{name}")
    host = InBand("127.0.0.1", port or bmc.ports["ssh"], Credentials(fleet.auditor_user, SecretRef("env", env)))
    return Target(name=bmc.name, address="127.0.0.1", ports=dict(bmc.ports), platform=bmc.platform, site="mock",
                  rack="rack-1", host=host)


def _collect(target: Target, timeout: float = 5.0) -> list[Fact]:
    out: list[Fact] = []
    asyncio.run(collect_host(target, out, timeout=timeout))
    assert SENTINEL not in json.dumps([f.model_dump(mode="json") for f in out])
    return out


def test_hgx_host_reports_eight_gpus_driver_and_host_key(fleet: Fleet) -> None:
    bmc = fleet.bmc("mock-hgx-h100-000")
    out = _collect(_target(fleet, "hgx-h100-000"))
    assert [f.kind for f in out] == [HOST_NVIDIA_SMI, HOST_DRIVER] + [HOST_GPU] * 8
    assert all(f.ok for f in out)
    run = out[0]
    assert run.subject == f"127.0.0.1:{bmc.ports['ssh']}" and run.data["exit_status"] == 0
    assert run.data["username"] == fleet.auditor_user and run.data["gpus_reported"] == 8
    assert run.data["host_key"]["sha256"] == fingerprint(bmc.extra_listeners["ssh"].host_key())
    driver = out[1].data
    assert (driver["driver_version"], driver["cuda_version"], driver["attached_gpus"]) == ("550.90.07", "12.4", 8)
    assert {g["gsp_firmware_version"] for g in driver["gsp_firmware_versions"]} == {"550.90.07"}
    expected = host_gpus(bmc)
    gpus = out[2:]
    assert [f.subject for f in gpus] == [row["serial"] for row in expected]
    for f, row in zip(gpus, expected, strict=True):
        d = f.data
        assert (d["index"], d["pci_bus_id"], d["uuid"]) == (row["index"], row["pci_bus_id"], row["uuid"])
        assert d["vbios_version"] == "96.00.BC.00.01" and d["inforom_image"] == "G520.0200.00.05"
        assert d["product_name"] == "NVIDIA H100 80GB HBM3" and d["module_id"] == str(row["module_id"])
        assert (d["mig_mode"], d["cc_mode"], d["gsp_firmware_version"]) == ("Disabled", "off", "550.90.07")
    # nvidia-smi's order is PCI order, not slot order: index 0 is not SXM_1
    assert [row["slot"] for row in expected] != [f"SXM_{n}" for n in range(1, 9)]


def test_stale_vbios_host_is_found_and_judged_by_serial(fleet: Fleet) -> None:
    bmc = fleet.bmc("mock-hgx-h100-stale-vbios-000")
    stale = next(row for row in host_gpus(bmc) if row["slot"] == "SXM_3")
    out = _collect(_target(fleet, "hgx-h100-stale-vbios-000"))
    versions = {f.subject: f.data["vbios_version"] for f in out if f.kind == HOST_GPU}
    assert versions.pop(stale["serial"]) == "96.00.5C.00.03"
    assert set(versions.values()) == {"96.00.BC.00.01"} and len(versions) == 7
    keys = TrustedKeys.from_dir(ROOT / "oobaudit" / "data" / "trusted-keys-demo")
    baseline = verify_and_load(ROOT / "baselines" / "hgx-h100.yaml", keys, today=date(2026, 12, 1)).baseline
    tf = TargetFacts(bmc.name, out, meta={"platform": "hgx-h100"})
    findings = run_target_checks(tf, Policy(effective_settings(baseline), baseline, "hgx-h100"),
                                 [REGISTRY["OOB-FW-003"], REGISTRY["OOB-FW-004"]])
    fails = [(f.check_id, f.subject) for f in findings if f.status is Status.FAIL]
    assert fails == [("OOB-FW-003", f"host-gpu:{stale['serial']}")]
    assert {(f.subject, f.status) for f in findings if f.check_id == "OOB-FW-004"} == {("host-gsp", Status.PASS)}


def test_gsp_disabled_cc_and_mig_come_through(fleet: Fleet) -> None:
    out = _collect(_target(fleet, "hgx-cc-000"))
    gpus = {f.data["pci_bus_id"]: f.data for f in out if f.kind == HOST_GPU}
    sxm2 = gpus["00000000:52:00.0"]
    assert (sxm2["cc_mode"], sxm2["mig_mode"]) == ("on", "Enabled")
    assert all(g["gsp_firmware_version"] is None for g in gpus.values())  # nvidia-smi says N/A
    assert sum(1 for g in gpus.values() if g["cc_mode"] == "off") == 7


def test_no_nvidia_smi_on_the_host_is_exit_127(fleet: Fleet) -> None:
    out = _collect(_target(fleet, "hardened-000"))
    assert [(f.kind, f.evidence["reason"]) for f in out] == [(HOST_NVIDIA_SMI, "command_missing")]
    assert "exit 127" in out[0].error and out[0].evidence["exit_status"] == 127


def test_wrong_password_is_an_auth_error(fleet: Fleet) -> None:
    out = _collect(_target(fleet, "hgx-h100-000", env=WRONG_ENV))
    assert [(f.kind, f.evidence["reason"]) for f in out] == [(HOST_NVIDIA_SMI, "auth")]
    assert "not-the-password-1" not in json.dumps([f.model_dump(mode="json") for f in out])
    account = fleet.bmc("mock-hgx-h100-000").accounts[fleet.auditor_user]
    assert not account.locked


def test_refused_and_silent_hosts_are_errors(fleet: Fleet) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    out = _collect(_target(fleet, "hgx-h100-000", port=free))
    assert [(f.kind, f.evidence["reason"]) for f in out] == [(HOST_NVIDIA_SMI, "refused")]
    out = _collect(_target(fleet, "ssh-silent-000"), timeout=1.0)
    # which fires first, paramiko's banner timeout or the handshake bound, is a race: both are honest
    assert [f.kind for f in out] == [HOST_NVIDIA_SMI] and out[0].evidence["reason"] in ("no_banner", "timeout")


def test_emitted_inventory_carries_host_blocks_for_gpu_hosts(fleet: Fleet, tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    fleet.write_inventory(path)
    assert SENTINEL not in path.read_text()
    inv = load_inventory(path)
    with_host = {t.name for t in inv if t.host is not None}
    assert with_host == {"mock-hgx-h100-000", "mock-hgx-h100-stale-vbios-000", "mock-hgx-cc-000"}
    t = inv.by_name("mock-hgx-h100-000")
    assert t.host.port == t.port("ssh") and t.host.credentials.username == fleet.auditor_user
    out = _collect(t)  # straight from the inventory: file: secret reference
    assert [f.kind for f in out][:2] == [HOST_NVIDIA_SMI, HOST_DRIVER] and all(f.ok for f in out)


def test_mock_xml_is_what_the_parser_expects(fleet: Fleet) -> None:
    bmc = fleet.bmc("mock-hgx-h100-000")
    text = nvidia_smi_xml(bmc)
    assert text.startswith(b'<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">')
    assert len(parse_nvidia_smi(text).gpus) == 8


def test_profile_host_gpu_section_is_validated() -> None:
    hgx = load_profile("hgx-h100")
    with pytest.raises(ProfileError, match="pci_bus_id"):
        hgx.derive("bad", host_gpu={"gpus": {"SXM_1": {"pci_bus_id": "18:00.0"}}})
    with pytest.raises(ProfileError, match="share a pci_bus_id"):
        hgx.derive("dup", host_gpu={"gpus": {"SXM_1": {"pci_bus_id": "00000000:52:00.0"}}})
    with pytest.raises(ProfileError, match="cc_mode"):
        hgx.derive("yaml-off", host_gpu={"gpus": {"SXM_1": {"cc_mode": False}}})  # unquoted YAML `off`
    assert load_profile("hardened").host_gpu is None
