"""Rack handover: one pass/fail verdict per host, for procurement and acceptance.

A host passes only if

1. its BMC was reachable and fully audited (target status ``audited``);
2. no finding is ERROR (could not decide is never a pass);
3. a baseline applies to it and every firmware component is at that baseline
   (no ``OOB-FW-*`` FAIL, whatever its severity);
4. no FAIL at or above the handover severity (default high).

MUTED findings (waived, with an owner and an expiry) do not fail a host; they are listed.
The rack passes when every host passes, the sweep completed, and no fleet-wide finding
(e.g. two BMCs sharing a TLS key) is ERROR or FAIL at or above the severity.

The report names the baselines (name, version, signing key id) and, per host, the
identity (UUID, serial) and firmware inventory that were accepted, so the document can
be filed with the purchase.  JUnit XML has one testcase per host.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import facts as F
from ..checks.base import Finding, Severity, Status
from ..facts import TargetFacts
from ..store import Store

__all__ = ["HandoverReport", "HostVerdict", "judge_handover", "render_handover", "write_handover_reports",
           "junit_xml", "HANDOVER_FORMATS"]

HANDOVER_FORMATS = ("html", "md", "json", "junit")
FLEET_TARGET = "*fleet*"


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt is not None else None


def _fdict(f: Finding) -> dict[str, Any]:
    return {"check_id": f.check_id, "subject": f.subject, "status": f.status.value, "severity": f.severity.value,
            "title": f.title, "detail": f.detail, "evidence": f.evidence}


@dataclass
class HostVerdict:
    name: str
    address: str
    site: str
    rack: str
    platform: str
    status: str
    error: str | None
    baseline: str | None
    passed: bool = True
    reasons: list[dict[str, Any]] = field(default_factory=list)
    muted: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    firmware: list[dict[str, Any]] = field(default_factory=list)
    seconds: float | None = None

    def reason(self, kind: str, text: str, finding: Finding | None = None) -> None:
        self.passed = False
        entry: dict[str, Any] = {"kind": kind, "text": text}
        if finding is not None:
            entry.update(_fdict(finding))
        self.reasons.append(entry)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "address": self.address, "site": self.site, "rack": self.rack,
                "platform": self.platform, "status": self.status, "error": self.error, "baseline": self.baseline,
                "passed": self.passed, "reasons": self.reasons, "muted": self.muted, "counts": self.counts,
                "identity": self.identity, "firmware": self.firmware, "seconds": self.seconds}


@dataclass
class HandoverReport:
    sweep: dict[str, Any]
    baselines: list[dict[str, Any]]
    severity: str
    hosts: list[HostVerdict]
    rack_reasons: list[dict[str, Any]] = field(default_factory=list)
    rack_findings: list[dict[str, Any]] = field(default_factory=list)
    waivers: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return (self.sweep.get("status") == "complete" and bool(self.hosts) and all(h.passed for h in self.hosts)
                and not self.rack_reasons)

    def summary(self) -> dict[str, Any]:
        return {"hosts": len(self.hosts), "passed": sum(1 for h in self.hosts if h.passed),
                "failed": sum(1 for h in self.hosts if not h.passed), "rack_reasons": len(self.rack_reasons),
                "verdict": "PASS" if self.passed else "FAIL"}

    def to_json(self) -> dict[str, Any]:
        return {"kind": "oobaudit.handover", "verdict": "PASS" if self.passed else "FAIL", "sweep": self.sweep,
                "baselines": self.baselines, "severity": self.severity, "summary": self.summary(),
                "rack_reasons": self.rack_reasons, "rack_findings": self.rack_findings, "waivers": self.waivers,
                "hosts": [h.to_json() for h in self.hosts]}


def _identity(tf: TargetFacts | None) -> dict[str, Any]:
    if tf is None:
        return {}
    out: dict[str, Any] = {}
    root = next(iter(tf.ok(F.REDFISH_SERVICE_ROOT)), None)
    if root:
        out["service_root_uuid"] = root.data.get("UUID")
        out["vendor"] = root.data.get("Vendor")
        out["product"] = root.data.get("Product")
    mgr = next(iter(tf.ok(F.REDFISH_MANAGER)), None)
    if mgr:
        out["manager"] = mgr.subject
        out["manager_uuid"] = mgr.data.get("UUID")
        out["manager_model"] = mgr.data.get("Model")
        out["manager_firmware"] = mgr.data.get("FirmwareVersion")
    system = next(iter(tf.ok(F.REDFISH_SYSTEM)), None)
    if system:
        out["system_uuid"] = system.data.get("UUID")
        out["serial"] = system.data.get("SerialNumber")
        out["model"] = system.data.get("Model")
    return {k: v for k, v in out.items() if v is not None}


def judge_handover(store: Store, sweep_id: str, baselines: Sequence[Any], severity: Severity,
                   findings: Sequence[Finding] | None = None, waivers: dict[str, Any] | None = None) -> HandoverReport:
    """Judge a stored sweep for handover.  ``findings`` default to the sweep's latest
    evaluation (with waivers already applied to it, see :func:`oobaudit.waivers.apply_to_evaluation`);
    ``baselines`` are the verified baselines the sweep was judged against."""
    from ..engine import baseline_info, policy_for
    from ..waivers import finding_from_row

    sweep = store.sweep(sweep_id)
    if sweep is None:
        raise KeyError(f"no sweep {sweep_id!r}")
    if findings is None:
        findings = [finding_from_row(r) for r in store.findings(sweep_id)]
    facts = {tf.target: tf for tf in store.target_facts(sweep_id)}
    vbs = tuple(baselines)
    per: dict[str, list[Finding]] = {}
    for f in findings:
        per.setdefault(f.target, []).append(f)
    hosts: list[HostVerdict] = []
    for t in store.targets(sweep_id):
        tf = facts.get(t.name)
        policy = policy_for(tf, vbs) if tf is not None else None
        bl = policy.baseline if policy is not None else None
        applied = next((f"{vb.name} v{vb.version}" for vb in vbs if bl is not None and vb.baseline is bl), None)
        h = HostVerdict(name=t.name, address=t.address, site=t.site, rack=t.rack, platform=t.platform,
                        status=t.status, error=t.error, baseline=applied, identity=_identity(tf))
        if t.started_at and t.finished_at:
            h.seconds = round((t.finished_at - t.started_at).total_seconds(), 3)
        mine = per.get(t.name, [])
        h.counts = {s.value: sum(1 for f in mine if f.status is s) for s in Status}
        if t.status != "audited":
            h.reason("unaudited", f"BMC not fully audited: {t.status}" + (f": {t.error}" if t.error else ""))
        if not vbs:
            h.reason("no-baseline", "no baseline given: firmware cannot be accepted")
        elif bl is None and tf is not None and t.status == "audited":
            h.reason("no-baseline", f"no baseline ({', '.join(vb.name for vb in vbs)}) matches this host "
                     f"(platform {t.platform or '?'}): its firmware cannot be accepted")
        for f in sorted(mine, key=lambda f: (-f.severity.rank, f.check_id, f.subject)):
            if f.status is Status.ERROR:
                h.reason("error", f"could not decide {f.check_id} {f.subject}: {f.detail}".replace("  ", " "), f)
            elif f.status is Status.FAIL and f.check_id.startswith("OOB-FW-"):
                h.reason("firmware", f"firmware not at the baseline: {f.detail or f.subject}", f)
            elif f.status is Status.FAIL and f.severity.rank >= severity.rank:
                h.reason("fail", f"{f.check_id} ({f.severity.value}) {f.subject}: {f.detail}", f)
            elif f.status is Status.MUTED:
                h.muted.append(_fdict(f))
        fw_verdicts = {f.subject: f for f in mine if f.check_id.startswith("OOB-FW-") and f.check_id != "OOB-FW-090"
                       and f.status is not Status.NOT_APPLICABLE}
        fw_090 = {f.subject: f for f in mine if f.check_id == "OOB-FW-090"}
        if tf is not None:
            for fact in sorted(tf.ok(F.REDFISH_FIRMWARE), key=lambda x: x.subject):
                v = fw_verdicts.get(fact.subject) or fw_090.get(fact.subject)
                h.firmware.append({"component": fact.subject, "version": fact.data.get("Version"),
                                   "status": v.status.value if v else None,
                                   "required_min": (v.evidence.get("required_min") if v else None)})
        hosts.append(h)
    rack_reasons: list[dict[str, Any]] = []
    rack_findings: list[dict[str, Any]] = []
    for f in per.get(FLEET_TARGET, []):
        if f.status in (Status.FAIL, Status.ERROR, Status.MUTED):
            rack_findings.append(_fdict(f))
        if f.status is Status.ERROR or (f.status is Status.FAIL and f.severity.rank >= severity.rank):
            rack_reasons.append({"kind": "fleet", "text": f"{f.check_id} ({f.severity.value}) {f.subject}: "
                                 f"{f.detail}", **_fdict(f)})
    if sweep.status != "complete":
        rack_reasons.append({"kind": "sweep", "text": f"the sweep is {sweep.status}, not complete"})
    ev = store.latest_evaluation(sweep_id)
    return HandoverReport(
        sweep={"id": sweep.id, "status": sweep.status, "started_at": _iso(sweep.started_at),
               "finished_at": _iso(sweep.finished_at), "inventory": sweep.inventory_path,
               "inventory_sha256": sweep.inventory_sha256, "tool_version": sweep.tool_version,
               "evaluation_id": ev.id if ev is not None else None},
        baselines=baseline_info(vbs) if vbs else ((ev.baselines or []) if ev is not None else []),
        severity=severity.value, hosts=hosts, rack_reasons=rack_reasons, rack_findings=rack_findings,
        waivers=waivers)


# --------------------------------------------------------------------------- output


def junit_xml(rep: HandoverReport) -> str:
    """JUnit XML: one testcase per host (classname handover.<site>.<rack>), a <failure> listing
    the reasons of a failed host, plus a "rack" testcase when fleet-wide findings fail the rack."""
    failures = sum(1 for h in rep.hosts if not h.passed) + (1 if rep.rack_reasons else 0)
    tests = len(rep.hosts) + (1 if rep.rack_reasons else 0)
    total = sum(h.seconds or 0.0 for h in rep.hosts)
    suites = ET.Element("testsuites", name="oobaudit handover", tests=str(tests), failures=str(failures),
                        errors="0", time=f"{total:.3f}")
    suite = ET.SubElement(suites, "testsuite", name=f"handover {rep.sweep.get('inventory', '')}",
                          tests=str(tests), failures=str(failures), errors="0", skipped="0", time=f"{total:.3f}",
                          timestamp=(rep.sweep.get("started_at") or "")[:19])
    props = ET.SubElement(suite, "properties")
    for k, v in (("sweep", rep.sweep.get("id")), ("verdict", "PASS" if rep.passed else "FAIL"),
                 ("severity", rep.severity),
                 *((f"baseline.{b['name']}", f"v{b['version']} key {b.get('key_id') or 'UNSIGNED'} "
                    f"sha256 {b.get('sha256', '')}") for b in rep.baselines)):
        ET.SubElement(props, "property", name=str(k), value=str(v))
    for h in rep.hosts:
        case = ET.SubElement(suite, "testcase", classname=f"handover.{h.site}.{h.rack}", name=h.name,
                             time=f"{h.seconds or 0.0:.3f}")
        if not h.passed:
            message = f"{len(h.reasons)} reason(s): " + "; ".join(r["text"] for r in h.reasons)
            fail = ET.SubElement(case, "failure", type="handover", message=message[:1000])
            fail.text = "\n".join(f"- [{r['kind']}] {r['text']}" for r in h.reasons)
        out = [f"address {h.address}, status {h.status}, baseline {h.baseline or '(none)'}",
               *(f"{k}: {v}" for k, v in h.identity.items()),
               *(f"MUTED {m['check_id']} {m['subject']} (waiver: {m['evidence'].get('waiver', {}).get('owner')})"
                 for m in h.muted)]
        ET.SubElement(case, "system-out").text = "\n".join(out)
    if rep.rack_reasons:
        case = ET.SubElement(suite, "testcase", classname="handover.rack", name="fleet-wide checks", time="0")
        fail = ET.SubElement(case, "failure", type="handover",
                             message=f"{len(rep.rack_reasons)} rack-level reason(s)")
        fail.text = "\n".join(f"- {r['text']}" for r in rep.rack_reasons)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render_handover(rep: HandoverReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rep.to_json(), indent=2, default=str) + "\n"
    if fmt == "junit":
        return junit_xml(rep)
    if fmt not in ("html", "md"):
        raise ValueError(f"unknown handover format {fmt!r}; use one of {', '.join(HANDOVER_FORMATS)}")
    from . import _env

    env = _env()
    if fmt == "md":
        env.autoescape = False
    return env.get_template(f"handover.{fmt}.j2").render(r=rep, s=rep.summary())


def write_handover_reports(rep: HandoverReport, out_dir: Path,
                           formats: Sequence[str] = HANDOVER_FORMATS) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out_dir / ("junit.xml" if fmt == "junit" else f"handover.{fmt}")
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render_handover(rep, fmt), encoding="utf-8")
        tmp.replace(path)
        written[fmt] = path
    return written
