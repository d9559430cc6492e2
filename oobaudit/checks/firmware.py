"""OOB-FW-001..012 (one per component class), OOB-FW-090 and OOB-ATT-001.

Firmware is judged only against a verified baseline: without one there is no approved
level, so the checks say NOT_APPLICABLE rather than inventing one.  Versions are
compared with the component's declared scheme (hex VBIOS fields, HMC rc numbers, ...);
a version that does not parse, or sits on another version line, is OOB-FW-090 and
never a pass.

Host-side (in-band) facts from ``nvidia-smi -q -x`` (``collectors/host.py``) are judged too:

* OOB-FW-003 (gpu-vbios): every ``host.gpu``'s VBIOS, subject ``host-gpu:<serial>`` (or
  ``host-gpu:GPU_<index>`` when nvidia-smi gives no usable serial).
* OOB-FW-004 (gsp): the driver version (= GSP firmware; and any per-GPU GSP version that
  differs from it), subject ``host-gsp``.

Rule convention: host components get synthetic component ids that Redfish never reports,
``HOST_GPU_<subject>`` for a GPU (``HOST_GPU_*`` for all of them; ``HOST_GPU_<serial>`` pins
one board) and ``HOST_GSP`` for the driver, looked up with ``rule_for`` like any id (most
specific wins) and used only if the rule's class fits.  Without a ``HOST_GPU_*`` rule a host GPU
falls back to the baseline's gpu-vbios rule when there is exactly one with a wildcard (e.g.
``HGX_FW_GPU_SXM_*``: nvidia-smi's order does not tell which SXM slot a GPU sits in, so only a
rule covering every slot can apply); two or more → ERROR (ambiguous).  Without ``HOST_GSP`` the
driver falls back to the baseline's only gsp rule, if there is exactly one.  ``HOST_*`` rules are
never "required" on the Redfish side.  A target with no host facts (no ``host:`` block in the
inventory) gets NOT_APPLICABLE for the host side; a failed host collection gets ERROR; an
unparseable host version is an ERROR of OOB-FW-003/004 itself (OOB-FW-090 covers Redfish).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..baseline.model import Baseline, ComponentRule, VersionVerdict, evaluate_version, missing_required, rule_for
from ..facts import (
    HOST_DRIVER,
    HOST_GPU,
    HOST_NVIDIA_SMI,
    REDFISH_COMPONENT_INTEGRITY,
    REDFISH_FIRMWARE,
    Fact,
    TargetFacts,
)
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
        if cls in HOST_JUDGES:
            # Host side first: the Redfish side below may raise (Redfish unreadable), and the
            # findings emitted so far are kept when it does.
            HOST_JUDGES[cls](tf, baseline, emit)
            if not [r for r in rules if not is_host_rule(r)]:
                return  # e.g. gsp: not in Redfish at all
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
            if rule.class_ == cls and not is_host_rule(rule):
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


# --------------------------------------------------------------------------- host side (nvidia-smi over SSH)

HOST_RULE_PREFIX = "HOST_"
HOST_GSP_ID = "HOST_GSP"
HOST_FACTS = (HOST_NVIDIA_SMI, HOST_DRIVER, HOST_GPU)


def is_host_rule(rule: ComponentRule) -> bool:
    """Rules for in-band components (``HOST_GPU_*``, ``HOST_GSP``): Redfish never reports them."""
    return rule.id.startswith(HOST_RULE_PREFIX)


def host_gpu_component_id(subject: str) -> str:
    return f"HOST_GPU_{subject}"


def host_gpu_rule(baseline: Baseline, subject: str) -> tuple[ComponentRule | None, str]:
    """(rule, how it was chosen) for the host GPU with fact subject ``subject``; rule None with the reason."""
    cid = host_gpu_component_id(subject)
    rule = rule_for(baseline, cid)
    if rule is not None and rule.class_ == "gpu-vbios":
        return rule, f"{rule.id} matches {cid}"
    wild = [r for r in baseline.components
            if r.class_ == "gpu-vbios" and not is_host_rule(r) and any(c in r.id for c in "*?[")]
    if len(wild) == 1:
        return wild[0], (f"no HOST_GPU_* rule: the baseline's only wildcard gpu-vbios rule {wild[0].id} applies "
                         "(it covers every slot, and nvidia-smi does not say which slot a GPU is in)")
    if not wild:
        return None, f"baseline {baseline.name} has no rule for host GPUs (HOST_GPU_*) nor a wildcard gpu-vbios rule"
    return None, (f"ambiguous: baseline {baseline.name} has no HOST_GPU_* rule and {len(wild)} wildcard gpu-vbios "
                  f"rules ({', '.join(r.id for r in wild)}); add a HOST_GPU_* rule")


def host_gsp_rule(baseline: Baseline) -> tuple[ComponentRule | None, str]:
    rule = rule_for(baseline, HOST_GSP_ID)
    if rule is not None and rule.class_ == "gsp":
        return rule, f"{rule.id} matches {HOST_GSP_ID}"
    gsp = [r for r in baseline.components if r.class_ == "gsp"]
    if len(gsp) == 1:
        return gsp[0], f"no {HOST_GSP_ID} rule: the baseline's only gsp rule {gsp[0].id} applies"
    return None, (f"baseline {baseline.name} has no {HOST_GSP_ID} rule and "
                  f"{'no' if not gsp else len(gsp)} gsp rules to fall back on")


def _host_state(tf: TargetFacts, what: str, subject: str, emit: Emit) -> bool:
    """True when host facts are there to judge; otherwise emits NOT_APPLICABLE or ERROR."""
    if not any(tf.of(k) for k in HOST_FACTS):
        emit.na(subject, f"no in-band host facts: the inventory gives this target no host: block (or host "
                f"collection did not run), so {what} is not checked on the host")
        return False
    errs = [f for k in HOST_FACTS for f in tf.errors(k)]
    if errs:
        e = errs[0]
        emit.error(subject, f"{what} could not be read on the host: {e.error}",
                   evidence={"reason": e.evidence.get("reason"), "address": e.evidence.get("address"),
                             "port": e.evidence.get("port"), "source": "nvidia-smi -q -x over SSH"})
        return False
    return True


def _redfish_by_serial(tf: TargetFacts, serial: object) -> str | None:
    """The Redfish resource (chassis, processor, ...) whose SerialNumber is this GPU's serial, if any."""
    if not isinstance(serial, str) or not serial:
        return None
    for f in tf.facts:
        if f.ok and f.kind.startswith("redfish.") and f.data.get("SerialNumber") == serial:
            return f.subject or f.evidence.get("url")
    return None


def _host_evidence(rule: ComponentRule, how: str, installed: object, verdict: VersionVerdict | None) -> dict:
    ev = {"installed": installed, "required_min": rule.min, "allowed": rule.allowed, "scheme": rule.scheme,
          "rule": rule.id, "rule_source": how, "source": "nvidia-smi -q -x over SSH (in-band)"}
    if verdict is not None:
        ev["advisories"] = [f"{h.denied.label} ({h.denied.source})" for h in verdict.denied]
    return ev


def _judge_host_vbios(tf: TargetFacts, baseline: Baseline, emit: Emit) -> None:
    if not _host_state(tf, "GPU VBIOS", "host-gpu", emit):
        return
    gpus = tf.ok(HOST_GPU)
    if not gpus:
        emit.error("host-gpu", "nvidia-smi on the host reported no GPU: the VBIOS cannot be checked",
                   evidence={"source": "nvidia-smi -q -x over SSH (in-band)"})
        return
    for f in gpus:
        subject = f"host-gpu:{f.subject}"
        rule, how = host_gpu_rule(baseline, f.subject)
        ident = {k: f.data.get(k) for k in ("index", "serial", "uuid", "pci_bus_id", "module_id", "product_name")}
        ident["redfish_resource"] = _redfish_by_serial(tf, f.data.get("serial"))
        if rule is None:
            (emit.error if how.startswith("ambiguous") else emit.na)(subject, how, evidence=ident)
            continue
        installed = f.data.get("vbios_version")
        verdict = evaluate_version(rule, installed)
        ev = {**_host_evidence(rule, how, installed, verdict), **ident}
        where = f"host GPU {f.subject} (nvidia-smi index {f.data.get('index')}, bus {f.data.get('pci_bus_id')})"
        if verdict.status == "error":
            emit.error(subject, f"{where}: cannot judge VBIOS {installed!r} with scheme {rule.scheme}: "
                       + "; ".join(verdict.reasons), evidence=ev)
        elif verdict.status == "pass":
            emit.passed(subject, f"{where} runs VBIOS {installed}, at or above the baseline ({_required(rule)})",
                        evidence=ev)
        else:
            emit.failed(subject, f"{where} runs VBIOS {installed}; baseline {baseline.name} requires "
                        f"{_required(rule)}: " + "; ".join(verdict.reasons), evidence=ev)


def _judge_host_gsp(tf: TargetFacts, baseline: Baseline, emit: Emit) -> None:
    subject = "host-gsp"
    if not _host_state(tf, "the driver (GSP firmware) version", subject, emit):
        return
    rule, how = host_gsp_rule(baseline)
    if rule is None:
        emit.na(subject, how)
        return
    driver = tf.ok(HOST_DRIVER)
    data = driver[0].data if driver else {}
    version = data.get("driver_version")
    per_gpu = [g for g in data.get("gsp_firmware_versions") or [] if isinstance(g, dict)]
    gsp = {g.get("gsp_firmware_version") for g in per_gpu} - {None}
    ev = _host_evidence(rule, how, version, None)
    ev.update({"driver_version": version, "cuda_version": data.get("cuda_version"), "gsp_firmware_versions": per_gpu})
    if not isinstance(version, str) or not version:
        emit.error(subject, "nvidia-smi reported no driver version: the GSP firmware cannot be checked", evidence=ev)
        return
    versions = [version, *sorted(v for v in gsp if v != version)]
    verdicts = [evaluate_version(rule, v) for v in versions]
    ev["advisories"] = sorted({f"{h.denied.label} ({h.denied.source})" for v in verdicts for h in v.denied})
    note = ""
    if per_gpu and not gsp:
        note = " (GSP firmware is disabled on every GPU: nvidia-smi says N/A; the driver branch is judged)"
    elif len(versions) > 1:
        note = f" (GPUs report other GSP firmware versions: {', '.join(versions[1:])})"
    reasons = "; ".join(r for v in verdicts for r in v.reasons)
    if any(v.status == "fail" for v in verdicts):
        worst = ", ".join(v.observed for v in verdicts if v.status == "fail")
        emit.failed(subject, f"driver / GSP firmware {worst} is below baseline {baseline.name}, which requires "
                    f"{_required(rule)}{note}: {reasons}", evidence=ev)
    elif any(v.status == "error" for v in verdicts):
        emit.error(subject, f"cannot judge driver / GSP firmware {', '.join(versions)} with scheme {rule.scheme}"
                   f"{note}: {reasons}", evidence=ev)
    else:
        emit.passed(subject, f"driver / GSP firmware {version} is at or above the baseline ({_required(rule)})"
                    f"{note}", evidence=ev)


HOST_JUDGES = {"gpu-vbios": _judge_host_vbios, "gsp": _judge_host_gsp}


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
        needs=(REDFISH_FIRMWARE, *HOST_FACTS) if _cls in HOST_JUDGES else (REDFISH_FIRMWARE,),
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
