"""OOB-FW-003 / OOB-FW-004 on host-side fact fixtures, judged by the signed hgx-h100 baseline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import oobaudit.checks  # noqa: F401 - registers every check
from oobaudit.baseline.model import effective_settings, parse_baseline_yaml
from oobaudit.baseline.signing import TrustedKeys, verify_and_load
from oobaudit.checks import REGISTRY, Status, run_target_checks
from oobaudit.checks.firmware import host_gpu_rule, host_gsp_rule
from oobaudit.collectors.host import HOST_DRIVER, HOST_GPU, HOST_KINDS, HOST_NVIDIA_SMI
from oobaudit.facts import REDFISH_CHASSIS, REDFISH_CONNECTIVITY, REDFISH_FIRMWARE, Fact, TargetFacts
from oobaudit.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 1)
SERIALS = [f"16500000000{i:02d}" for i in range(8)]
STALE = SERIALS[5]


@pytest.fixture(scope="module")
def baseline():
    keys = TrustedKeys.from_dir(ROOT / "oobaudit" / "data" / "trusted-keys-demo")
    return verify_and_load(ROOT / "baselines" / "hgx-h100.yaml", keys, today=TODAY).baseline


def host_facts(vbios: dict[str, str] | None = None, driver: str = "550.90.07", gsp: str | None = "same",
               serials: list[str] | None = None) -> list[Fact]:
    vbios = vbios or {}
    ev = {"address": "10.1.0.7", "port": 22}
    out = [Fact(kind=HOST_NVIDIA_SMI, subject="10.1.0.7:22", collector="host", evidence=ev,
                data={"exit_status": 0, "gpus_reported": 8})]
    gpus, per_gpu = [], []
    for i, serial in enumerate(serials or SERIALS):
        g = driver if gsp == "same" else gsp
        gpus.append(Fact(kind=HOST_GPU, subject=serial, collector="host", evidence=ev,
                         data={"index": i, "serial": serial, "uuid": f"GPU-{i}", "pci_bus_id": f"00000000:{i:02X}:00.0",
                               "module_id": str(i + 1), "product_name": "NVIDIA H100 80GB HBM3",
                               "vbios_version": vbios.get(serial, "96.00.BC.00.01"), "gsp_firmware_version": g}))
        per_gpu.append({"index": i, "gpu": serial, "pci_bus_id": f"00000000:{i:02X}:00.0", "gsp_firmware_version": g})
    out.append(Fact(kind=HOST_DRIVER, subject="driver", collector="host", evidence=ev,
                    data={"driver_version": driver, "cuda_version": "12.4", "gsp_firmware_versions": per_gpu}))
    return out + gpus


def redfish_facts(stale_slot: int | None = None) -> list[Fact]:
    out = [Fact(kind=REDFISH_CONNECTIVITY, collector="redfish", data={})]
    for n in range(1, 9):
        version = "96.00.5C.00.03" if n == stale_slot else "96.00.BC.00.01"
        out.append(Fact(kind=REDFISH_FIRMWARE, subject=f"HGX_FW_GPU_SXM_{n}", collector="redfish",
                        data={"Version": version}))
    return out


def judge(facts: list[Fact], baseline, checks=("OOB-FW-003", "OOB-FW-004")) -> list:
    tf = TargetFacts("gpu-node-7", facts, meta={"platform": "hgx-h100"})
    policy = Policy(effective_settings(baseline), baseline, "baseline hgx-h100") if baseline else Policy()
    return run_target_checks(tf, policy, [REGISTRY[c] for c in checks])


def by_subject(findings, check_id: str) -> dict[str, Status]:
    return {f.subject: f.status for f in findings if f.check_id == check_id}


def test_stale_gpu_gives_one_host_side_fail_naming_its_serial(baseline) -> None:
    findings = judge(host_facts({STALE: "96.00.5C.00.03"}), baseline, ("OOB-FW-003",))
    fails = [f for f in findings if f.status is Status.FAIL]
    assert [f.subject for f in fails] == [f"host-gpu:{STALE}"]
    f = fails[0]
    assert "96.00.5C.00.03" in f.detail and "96.00.BC.00.01" in f.detail and STALE in f.detail
    assert f.evidence["serial"] == STALE and f.evidence["rule"] == "HOST_GPU_*"
    assert f.evidence["installed"] == "96.00.5C.00.03" and f.evidence["required_min"] == "96.00.BC.00.01"
    passes = [s for s, st in by_subject(findings, "OOB-FW-003").items() if st is Status.PASS]
    assert sorted(passes) == sorted(f"host-gpu:{s}" for s in SERIALS if s != STALE)


def test_redfish_side_is_unchanged_and_subjects_stay_distinct(baseline) -> None:
    findings = judge(redfish_facts(stale_slot=3) + host_facts({STALE: "96.00.5C.00.03"}), baseline, ("OOB-FW-003",))
    fails = sorted(f.subject for f in findings if f.status is Status.FAIL)
    assert fails == ["HGX_FW_GPU_SXM_3", f"host-gpu:{STALE}"]
    assert sum(1 for f in findings if f.subject.startswith("HGX_FW_GPU_SXM_")) == 8


def test_redfish_only_target_keeps_its_verdicts_and_gets_a_host_na(baseline) -> None:
    findings = judge(redfish_facts(stale_slot=3), baseline)
    st = by_subject(findings, "OOB-FW-003")
    assert st.pop("host-gpu") is Status.NOT_APPLICABLE
    assert st == {f"HGX_FW_GPU_SXM_{n}": (Status.FAIL if n == 3 else Status.PASS) for n in range(1, 9)}
    assert by_subject(findings, "OOB-FW-004") == {"host-gsp": Status.NOT_APPLICABLE}


def test_old_driver_fails_fw004_with_the_advisory(baseline) -> None:
    findings = judge(host_facts(driver="550.54.15"), baseline, ("OOB-FW-004",))
    assert [(f.subject, f.status) for f in findings] == [("host-gsp", Status.FAIL)]
    f = findings[0]
    assert "550.54.15" in f.detail and ">= 550.90.07" in f.detail
    assert any("CVE-2024-0090" in a for a in f.evidence["advisories"])
    r535 = judge(host_facts(driver="535.104.05"), baseline, ("OOB-FW-004",))[0]
    assert r535.status is Status.FAIL and r535.evidence["advisories"]


@pytest.mark.parametrize("driver", ["550.90.07", "550.127.05", "570.86.10"])
def test_current_driver_passes(baseline, driver: str) -> None:
    assert by_subject(judge(host_facts(driver=driver), baseline, ("OOB-FW-004",)), "OOB-FW-004") == {
        "host-gsp": Status.PASS}


def test_gsp_disabled_is_noted_and_a_lagging_gsp_version_fails(baseline) -> None:
    na = judge(host_facts(gsp=None), baseline, ("OOB-FW-004",))[0]
    assert na.status is Status.PASS and "GSP firmware is disabled" in na.detail
    lag = judge(host_facts(gsp="535.104.05"), baseline, ("OOB-FW-004",))[0]
    assert lag.status is Status.FAIL and "535.104.05" in lag.detail


def test_no_host_block_is_not_applicable(baseline) -> None:
    findings = judge([], baseline)
    assert by_subject(findings, "OOB-FW-004") == {"host-gsp": Status.NOT_APPLICABLE}
    fw3 = by_subject(findings, "OOB-FW-003")
    assert fw3["host-gpu"] is Status.NOT_APPLICABLE  # the Redfish side still says it could not read firmware
    assert fw3[""] is Status.ERROR


def test_host_errors_are_errors(baseline) -> None:
    err = [Fact(kind=HOST_NVIDIA_SMI, subject="10.1.0.7:22", collector="host",
                error="nvidia-smi is not installed or not on the PATH on the host (exit 127)",
                evidence={"reason": "command_missing", "address": "10.1.0.7", "port": 22})]
    findings = judge(err, baseline)
    host = [f for f in findings if f.subject.startswith("host-")]
    assert {(f.check_id, f.subject, f.status) for f in host} == {
        ("OOB-FW-003", "host-gpu", Status.ERROR), ("OOB-FW-004", "host-gsp", Status.ERROR)}
    assert all("exit 127" in f.detail and f.evidence["reason"] == "command_missing" for f in host)


def test_unreadable_versions_are_errors_never_passes(baseline) -> None:
    facts = host_facts({STALE: None}, driver="550.90")  # VBIOS N/A; a two-field driver is another line
    fw3 = by_subject(judge(facts, baseline, ("OOB-FW-003",)), "OOB-FW-003")
    assert fw3[f"host-gpu:{STALE}"] is Status.ERROR
    assert judge(facts, baseline, ("OOB-FW-004",))[0].status is Status.ERROR
    no_gpu = [f for f in host_facts() if f.kind != HOST_GPU]
    assert by_subject(judge(no_gpu, baseline, ("OOB-FW-003",)), "OOB-FW-003")["host-gpu"] is Status.ERROR


def test_redfish_unreadable_does_not_hide_host_findings(baseline) -> None:
    findings = judge(host_facts({STALE: "96.00.5C.00.03"}), baseline)
    fw3 = by_subject(findings, "OOB-FW-003")
    assert fw3[f"host-gpu:{STALE}"] is Status.FAIL and fw3[""] is Status.ERROR  # Redfish not collected
    assert by_subject(findings, "OOB-FW-004") == {"host-gsp": Status.PASS}  # GSP is not in Redfish: no error


def test_serial_joins_the_redfish_resource(baseline) -> None:
    chassis = Fact(kind=REDFISH_CHASSIS, subject="HGX_GPU_SXM_3", collector="redfish",
                   data={"Id": "HGX_GPU_SXM_3", "SerialNumber": STALE})
    findings = judge([chassis, *host_facts({STALE: "96.00.5C.00.03"})], baseline, ("OOB-FW-003",))
    f = next(f for f in findings if f.subject == f"host-gpu:{STALE}")
    assert f.evidence["redfish_resource"] == "HGX_GPU_SXM_3"


def test_without_a_baseline_only_one_na(baseline) -> None:
    findings = judge(host_facts(), None)
    assert [(f.check_id, f.status) for f in findings] == [("OOB-FW-003", Status.NOT_APPLICABLE),
                                                          ("OOB-FW-004", Status.NOT_APPLICABLE)]


BASE = """
name: t
version: 1
issued: 2026-01-01
expires: 2027-01-01
components:
{rules}
"""


def _b(rules: str):
    return parse_baseline_yaml(BASE.format(rules=rules))


def test_rule_convention_and_fallbacks() -> None:
    pinned = _b("""
  - {id: "HOST_GPU_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
  - {id: "HOST_GPU_1650000000005", class: gpu-vbios, scheme: hex-dotted, allowed: ["96.00.5C.00.03"]}
  - {id: "HOST_GSP", class: gsp, scheme: dotted, min: "550.90.07"}
""")
    assert host_gpu_rule(pinned, STALE)[0].id == "HOST_GPU_1650000000005"  # one board pinned by serial
    assert host_gpu_rule(pinned, SERIALS[0])[0].id == "HOST_GPU_*"
    assert host_gsp_rule(pinned)[0].id == "HOST_GSP"
    findings = judge(host_facts({STALE: "96.00.5C.00.03"}), pinned, ("OOB-FW-003",))
    assert not [f for f in findings if f.status is Status.FAIL and f.subject.startswith("host-")]

    fallback = _b("""
  - {id: "HGX_FW_GPU_SXM_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
  - {id: "HGX_FW_GPU_SXM_3", class: gpu-vbios, scheme: hex-dotted, min: "96.00.5C.00.00"}
  - {id: "DRIVER", class: gsp, scheme: dotted, min: "550.90.07"}
""")
    rule, how = host_gpu_rule(fallback, STALE)
    assert rule.id == "HGX_FW_GPU_SXM_*" and "only wildcard" in how
    assert host_gsp_rule(fallback)[0].id == "DRIVER"

    ambiguous = _b("""
  - {id: "HGX_FW_GPU_SXM_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
  - {id: "HGX_FW_GPU_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
""")
    st = by_subject(judge(host_facts(), ambiguous, ("OOB-FW-003",)), "OOB-FW-003")
    assert {s for s, v in st.items() if s.startswith("host-gpu:")} == {f"host-gpu:{s}" for s in SERIALS}
    assert all(v is Status.ERROR for s, v in st.items() if s.startswith("host-gpu:"))

    none = _b("""
  - {id: "HGX_FW_GPU_SXM_1", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
""")
    st = by_subject(judge(host_facts(), none, ("OOB-FW-003",)), "OOB-FW-003")
    assert all(v is Status.NOT_APPLICABLE for s, v in st.items() if s.startswith("host-gpu:"))


def test_host_rules_are_never_required_of_redfish(baseline) -> None:
    required = _b("""
  - {id: "HOST_GPU_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01", required: true}
  - {id: "HGX_FW_GPU_SXM_*", class: gpu-vbios, scheme: hex-dotted, min: "96.00.BC.00.01"}
""")
    st = by_subject(judge(redfish_facts() + host_facts(), required, ("OOB-FW-003",)), "OOB-FW-003")
    assert not [s for s in st if s.startswith("missing:")]


def test_fw003_and_fw004_declare_the_host_kinds() -> None:
    for cid in ("OOB-FW-003", "OOB-FW-004"):
        assert set(REGISTRY[cid].meta.needs) >= HOST_KINDS and REDFISH_FIRMWARE in REGISTRY[cid].meta.needs
    assert REGISTRY["OOB-FW-001"].meta.needs == (REDFISH_FIRMWARE,)
