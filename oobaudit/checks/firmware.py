"""OOB-FW-001..012 (one per component class), OOB-FW-090 and OOB-ATT-001.

Firmware is judged only against a verified baseline: without one there is no approved
level, so the checks say NOT_APPLICABLE rather than inventing one.  Versions are
compared with the component's declared scheme (hex VBIOS fields, HMC rc numbers, ...);
a version that does not parse, or sits on another version line, is OOB-FW-090 and
never a pass.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..baseline.model import ComponentRule, evaluate_version, missing_required, rule_for
from ..facts import REDFISH_COMPONENT_INTEGRITY, REDFISH_FIRMWARE, Fact, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA, require
from .base import Emit, check

FW_CLASSES: dict[str, tuple[str, str, str]] = {
    # class: (check id, what, severity)
    "bmc": ("OOB-FW-001", "BMC / HMC firmware", "high"),
    "bios": ("OOB-FW-002", "host BIOS / UEFI firmware", "high"),
    "gpu-vbios": ("OOB-FW-003", "GPU VBIOS", "high"),
    "gsp": ("OOB-FW-004", "GPU GSP firmware (driver)", "high"),
    "erot": ("OOB-FW-005", "ERoT (external root of trust) firmware", "high"),
    "nvswitch": ("OOB-FW-006", "NVSwitch firmware", "medium"),
    "cpld": ("OOB-FW-007", "CPLD firmware", "medium"),
    "nic": ("OOB-FW-008", "NIC / DPU firmware", "medium"),
    "fpga": ("OOB-FW-009", "baseboard FPGA firmware", "medium"),
    "inforom": ("OOB-FW-010", "GPU InfoROM image", "low"),
    "pcie-switch": ("OOB-FW-011", "PCIe switch firmware", "medium"),
    "retimer": ("OOB-FW-012", "PCIe retimer firmware", "low"),
    "other": ("OOB-FW-013", "other component firmware", "low"),
}


def _firmware(tf: TargetFacts) -> list[Fact]:
    return require(tf, REDFISH_FIRMWARE, "UpdateService/FirmwareInventory")


def _judge_class(cls: str):
    def fn(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
        baseline = policy.baseline
        if baseline is None:
            emit.na("", policy.baseline_note)
            return
        rules = [r for r in baseline.components if r.class_ == cls]
        if not rules:
            emit.na("", f"baseline {baseline.name} has no {cls} rules")
            return
        fw = _firmware(tf)
        ids = [f.subject for f in fw]
        for f in fw:
            rule = rule_for(baseline, f.subject)
            if rule is None or rule.class_ != cls:
                continue
            verdict = evaluate_version(rule, f.data.get("Version"))
            ev = _evidence(f, rule)
            if verdict.status == "error":
                continue  # reported once, by OOB-FW-090
            advisories = [f"{h.denied.label} ({h.denied.source})" for h in verdict.denied]
            ev["advisories"] = advisories
            if verdict.status == "pass":
                emit.passed(f.subject, f"{f.subject} runs {f.data.get('Version')}, at or above the baseline "
                            f"({_required(rule)})", evidence=ev)
            else:
                emit.failed(f.subject, f"{f.subject} runs {f.data.get('Version')}; baseline {baseline.name} "
                            f"requires {_required(rule)}: " + "; ".join(verdict.reasons), evidence=ev)
        for rule in missing_required(baseline, ids):
            if rule.class_ == cls:
                emit.failed(f"missing:{rule.id}", f"no firmware component matching {rule.id} is reported, but "
                            f"baseline {baseline.name} requires one", evidence={"rule": rule.id})

    return fn


def _required(rule: ComponentRule) -> str:
    parts = []
    if rule.min:
        parts.append(f">= {rule.min}")
    if rule.allowed:
        parts.append("one of " + ", ".join(rule.allowed))
    if rule.denied:
        parts.append("none of the denied versions")
    return " and ".join(parts) or "a listed version"


def _evidence(f: Fact, rule: ComponentRule) -> dict:
    return {"url": f.evidence.get("url"), "component": f.subject, "installed": f.data.get("Version"),
            "required_min": rule.min, "allowed": rule.allowed, "scheme": rule.scheme, "rule": rule.id}


for _cls, (_id, _what, _sev) in FW_CLASSES.items():
    check(
        id=_id,
        title=f"{_what[0].upper()}{_what[1:]} is at or above the baseline",
        family="firmware",
        severity=_sev,
        rationale=(
            f"Outdated {_what} carries published vulnerabilities and runs below the OS, where a compromise "
            "survives reinstalls and is invisible to host security tools."
        ),
        remediation=(
            f"Update the {_what} to the version the baseline requires (vendor bundle, e.g. NVIDIA nvfwupd for HGX "
            "trays), then re-run the sweep; the finding names the component and both versions."
        ),
        references=(NSA_CISA + " #4 perform routine BMC update checks", NSA_CISA + " #7 firmware scanning"),
        compliance=("NSA-CISA-BMC-2023:4", "NIST-800-53:SI-2"),
        needs=(REDFISH_FIRMWARE,),
    )(_judge_class(_cls))


@check(
    id="OOB-FW-090",
    title="Firmware version is parseable and the component is known to the baseline",
    family="firmware",
    severity="medium",
    rationale=(
        "A version string the baseline cannot order, or a component nobody approved, is firmware whose "
        "currency nobody can vouch for; treating it as a pass is how stale firmware hides."
    ),
    remediation=(
        "Add a rule with the right version scheme for the component to the baseline (oobaudit baseline capture "
        "drafts one from a golden system), or investigate why the BMC reports an unexpected version."
    ),
    references=(NSA_CISA + " #4",),
    compliance=("NIST-800-53:CM-8",),
    needs=(REDFISH_FIRMWARE,),
)
def fw_090(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    baseline = policy.baseline
    if baseline is None:
        emit.na("", policy.baseline_note)
        return
    for f in _firmware(tf):
        rule = rule_for(baseline, f.subject)
        version = f.data.get("Version")
        if rule is None:
            if baseline.unknown_components == "report":
                emit.failed(f.subject, f"{f.subject} ({version}) is not covered by baseline {baseline.name}",
                            evidence={"component": f.subject, "installed": version})
            continue
        verdict = evaluate_version(rule, version)
        if verdict.status == "error":
            emit.error(f.subject, f"{f.subject}: cannot judge {version!r} with scheme {rule.scheme}: "
                       + "; ".join(verdict.reasons), evidence=_evidence(f, rule))
        else:
            emit.passed(f.subject, f"{version!r} parses as {rule.scheme}", evidence=_evidence(f, rule))
    for err in tf.errors(REDFISH_FIRMWARE):
        emit.error(err.subject, f"firmware inventory entry unreadable: {err.error}")


@check(
    id="OOB-ATT-001",
    title="SPDM component integrity is present and enabled where the baseline expects it",
    family="attestation",
    severity="medium",
    rationale=(
        "Without SPDM measurement of GPUs, ERoTs and switches, a modified firmware image is indistinguishable "
        "from an approved one until it misbehaves."
    ),
    remediation=(
        "Enable SPDM attestation on the platform (ComponentIntegrityEnabled) and update BMC/HMC firmware to a "
        "release that exposes ComponentIntegrity."
    ),
    references=(NSA_CISA + " #5 monitor BMC integrity", "DMTF DSP0274 SPDM", "DMTF ComponentIntegrity schema"),
    compliance=("NSA-CISA-BMC-2023:5", "NIST-800-53:SI-7"),
    needs=(REDFISH_COMPONENT_INTEGRITY,),
)
def att_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    expectations = policy.settings.attestation
    if not expectations:
        emit.na("", "the baseline expects no component integrity (" + policy.baseline_note + ")")
        return
    resources = tf.ok(REDFISH_COMPONENT_INTEGRITY)
    for exp in expectations:
        matching = [r for r in resources if fnmatchcase(r.subject, exp.id)]
        good = [r.subject for r in matching if r.data.get("ComponentIntegrityType") == exp.type
                and r.data.get("ComponentIntegrityEnabled") is True]
        ev = {"expected": exp.id, "type": exp.type, "min_count": exp.min_count, "enabled": good,
              "found": [r.subject for r in matching]}
        if len(good) >= exp.min_count:
            emit.passed(exp.id, f"{len(good)} enabled {exp.type} integrity resource(s) match {exp.id}", evidence=ev)
        elif tf.errors(REDFISH_COMPONENT_INTEGRITY) and not matching:
            emit.error(exp.id, "ComponentIntegrity could not be read: "
                       + str(tf.errors(REDFISH_COMPONENT_INTEGRITY)[0].error), evidence=ev)
        else:
            emit.failed(exp.id, f"expected at least {exp.min_count} enabled {exp.type} resource(s) matching "
                        f"{exp.id}, found {len(good)}", evidence=ev)
