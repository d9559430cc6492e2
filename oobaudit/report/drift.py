"""Drift: what changed between two stored sweeps of the same fleet.

Findings are joined on their stable key (check id, target, subject) using each sweep's
latest evaluation (or, with ``baselines``, both sweeps re-judged in memory against the
same baselines, so a baseline change cannot masquerade as drift).  Facts give the rest:
firmware versions per component, settings (AccountService, accounts, SessionService,
NetworkProtocol, Secure Boot, certificates, TLS versions) as changed leaf properties,
and the BMC's identity.

**OOB-ID-001** (BMC identity unchanged since the last sweep) lives here, not in the check
registry: a check is a pure function of *one* sweep's facts, and identity drift is only
visible by comparing two sweeps.  Its metadata is in :data:`DRIFT_CHECKS` so reports can
explain it; the findings it yields are FAIL, severity high, one per changed identity
property (manager / service root UUID, system UUID and serial number, chassis serial).
A swapped board, a BMC replaced under the same address or an inventory that now points
somewhere else all look alike from outside: each needs a human to confirm.

Nothing here writes to the store: drift is a read-only view.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .. import facts as F
from ..checks import REGISTRY
from ..checks.base import CheckMeta, Finding, Severity, Status
from ..facts import Fact, TargetFacts
from ..store import Store

__all__ = ["DRIFT_CHECKS", "IDENTITY_CHECK", "DriftReport", "DriftError", "compute_drift", "default_pair",
           "render_drift", "write_drift_reports", "DRIFT_FORMATS"]

IDENTITY_CHECK = "OOB-ID-001"
DRIFT_FORMATS = ("html", "md", "json")

DRIFT_CHECKS: dict[str, CheckMeta] = {
    IDENTITY_CHECK: CheckMeta(
        id=IDENTITY_CHECK,
        title="BMC identity (UUID / serial) unchanged since the last sweep",
        family="identity",
        severity=Severity.HIGH,
        rationale=(
            "The same inventory name and address now answers with another manager / service-root UUID or "
            "another system serial number: the board was swapped, the BMC replaced, or the address now "
            "reaches a different machine (re-cabling, DHCP, an impostor on the OOB network).  Every earlier "
            "verdict about this host described another machine.  This control compares two sweeps, so it is "
            "evaluated by `oobaudit drift`, not by a single sweep."
        ),
        remediation=(
            "Confirm the change against the change log (RMA, board swap); update the asset inventory, then "
            "re-run a full sweep and a handover of the host.  Investigate any change nobody can explain."
        ),
        references=(
            "NSA/CISA CSI 'Harden Baseboard Management Controllers' (June 2023) #6 monitor BMC integrity",
            "NIST SP 800-53 CM-8 system component inventory",
        ),
        compliance=("NIST-800-53:CM-8", "NIST-800-53:CM-3"),
        scope="fleet",
    ),
}

FAILING = ("FAIL", "ERROR")
_SEV_ORDER = {s.value: -s.rank for s in Severity}


class DriftError(ValueError):
    """The two sweeps cannot be compared (unknown id, nothing to compare with)."""


# --------------------------------------------------------------------------- helpers


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt is not None else None


def _fdict(f: Finding) -> dict[str, Any]:
    return {"check_id": f.check_id, "target": f.target, "subject": f.subject, "status": f.status.value,
            "severity": f.severity.value, "title": f.title, "detail": f.detail, "evidence": f.evidence}


def _finding_from_row(r: Any) -> Finding:
    return Finding(check_id=r.check_id, target=r.target_name, subject=r.subject or "", status=Status(r.status),
                   severity=Severity(r.severity), title=r.title, detail=r.detail or "", evidence=r.evidence or {})


#: Keys that are navigation, labels or health, not configuration.
_IGNORED = {"Description", "Status", "Links", "Actions", "Password", "Sessions", "Accounts", "Roles",
            "Certificates", "Members"}


def _flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf properties as dotted paths; lists are leaves (compared whole)."""
    out: dict[str, Any] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            if not isinstance(k, str) or k.startswith("@") or "@odata." in k or "@Redfish." in k or k in _IGNORED:
                continue
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else k))
    else:
        out[prefix] = doc
    return out


def _pick(keys: Sequence[str]):
    def fn(data: dict[str, Any]) -> dict[str, Any]:
        return {k: data.get(k) for k in keys if k in data}

    return fn


@dataclass(frozen=True)
class _SettingKind:
    kind: str
    resource: str  # what the report calls it
    collection: bool  # many facts (one per subject) vs one resource
    extract: Any = _flatten
    label: str | None = None  # data key naming a member (accounts: UserName)


SETTING_KINDS: tuple[_SettingKind, ...] = (
    _SettingKind(F.REDFISH_ACCOUNT_SERVICE, "AccountService", False),
    _SettingKind(F.REDFISH_ACCOUNT, "Accounts", True, label="UserName"),
    _SettingKind(F.REDFISH_SESSION_SERVICE, "SessionService", False),
    _SettingKind(F.REDFISH_NETWORK_PROTOCOL, "NetworkProtocol", True),
    _SettingKind(F.REDFISH_SECURE_BOOT, "SecureBoot", True),
    _SettingKind(F.REDFISH_CERTIFICATE, "Certificate", True,
                 _pick(("Fingerprint", "Subject", "Issuer", "ValidNotAfter", "KeyUsage", "SerialNumber"))),
    _SettingKind("tls.certificate", "TLS certificate", False,
                 _pick(("cert_sha256", "spki_sha256", "subject", "issuer", "not_after", "key_type", "key_bits",
                        "signature_algorithm"))),
    _SettingKind("tls.versions", "TLS protocol versions", False,
                 _pick(("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"))),
)


def _summary_of(kind: _SettingKind, data: dict[str, Any]) -> dict[str, Any]:
    if kind.kind == F.REDFISH_ACCOUNT:
        return {k: data.get(k) for k in ("UserName", "RoleId", "Enabled", "AccountTypes") if k in data}
    flat = kind.extract(data)
    return dict(list(flat.items())[:8])


# Identity: (fact kind, property, label used in the subject)
IDENTITY_PROPS: tuple[tuple[str, str, str], ...] = (
    (F.REDFISH_SERVICE_ROOT, "UUID", "ServiceRoot"),
    (F.REDFISH_MANAGER, "UUID", "Manager"),
    (F.REDFISH_SYSTEM, "UUID", "System"),
    (F.REDFISH_SYSTEM, "SerialNumber", "System"),
    (F.REDFISH_CHASSIS, "SerialNumber", "Chassis"),
)


def _usable(tf: TargetFacts | None) -> bool:
    if tf is None:
        return False
    conn = tf.one(F.REDFISH_CONNECTIVITY)
    return conn is not None and conn.ok


def _pair_resources(old: list[Fact], new: list[Fact]) -> list[tuple[str, Fact, Fact]]:
    """Pair facts of one kind by subject; a lone unpaired resource on each side is paired too
    (a replaced board may name its manager differently)."""
    o = {f.subject: f for f in old}
    n = {f.subject: f for f in new}
    pairs = [(s, o[s], n[s]) for s in sorted(set(o) & set(n))]
    lo, ln = sorted(set(o) - set(n)), sorted(set(n) - set(o))
    if len(lo) == 1 and len(ln) == 1:
        pairs.append((ln[0], o[lo[0]], n[ln[0]]))
    return pairs


# --------------------------------------------------------------------------- the model


@dataclass
class DriftReport:
    old: dict[str, Any]
    new: dict[str, Any]
    targets_added: list[dict[str, Any]] = field(default_factory=list)
    targets_removed: list[dict[str, Any]] = field(default_factory=list)
    target_changes: list[dict[str, Any]] = field(default_factory=list)
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    firmware: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    identity: list[dict[str, Any]] = field(default_factory=list)
    not_compared: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    posture: dict[str, Any] = field(default_factory=dict)
    waivers: dict[str, Any] | None = None
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejudged: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "targets_added": len(self.targets_added),
            "targets_removed": len(self.targets_removed),
            "target_changes": len(self.target_changes),
            "new": len(self.new_findings),
            "new_fail": sum(1 for f in self.new_findings if f["status"] == "FAIL"),
            "new_error": sum(1 for f in self.new_findings if f["status"] == "ERROR"),
            "resolved": len(self.resolved),
            "changed": len(self.changed),
            "firmware": len(self.firmware),
            "settings": len(self.settings),
            "identity": len(self.identity),
            "not_compared": len(self.not_compared),
        }

    @property
    def has_drift(self) -> bool:
        s = self.summary()
        return any(s[k] for k in ("targets_added", "targets_removed", "target_changes", "new", "resolved", "changed",
                                  "firmware", "settings", "identity"))

    def gating(self, fail_on: Severity) -> list[dict[str, Any]]:
        """What makes ``drift`` exit 1: FAILs that are new (including ERROR -> FAIL) and identity
        changes, at or above ``fail_on``.  MUTED never counts."""
        rank = {s.value: s.rank for s in Severity}
        hits = [f for f in self.new_findings + self.changed
                if f["status"] == "FAIL" and f.get("old_status") != "FAIL" and rank[f["severity"]] >= fail_on.rank]
        hits += [f for f in self.identity if f["status"] == "FAIL" and rank[f["severity"]] >= fail_on.rank]
        return hits

    def exit_code(self, fail_on: Severity) -> int:
        return 1 if self.gating(fail_on) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "oobaudit.drift",
            "old": self.old,
            "new": self.new,
            "rejudged_with_baselines": self.rejudged,
            "summary": self.summary(),
            "posture": self.posture,
            "targets_added": self.targets_added,
            "targets_removed": self.targets_removed,
            "target_changes": self.target_changes,
            "new_findings": self.new_findings,
            "resolved": self.resolved,
            "changed": self.changed,
            "firmware": self.firmware,
            "settings": self.settings,
            "identity": self.identity,
            "not_compared": self.not_compared,
            "notes": self.notes,
            "waivers": self.waivers,
            "checks": self.checks,
        }


@dataclass
class _Side:
    row: Any
    evaluation: Any
    targets: dict[str, Any]
    findings: list[Finding]
    facts: dict[str, TargetFacts]

    def info(self) -> dict[str, Any]:
        ev = self.evaluation
        return {"id": self.row.id, "status": self.row.status, "started_at": _iso(self.row.started_at),
                "finished_at": _iso(self.row.finished_at), "inventory": self.row.inventory_path,
                "evaluation_id": ev.id if ev is not None else None,
                "baselines": (ev.baselines or []) if ev is not None else [],
                "targets": len(self.targets)}


def _load_side(store: Store, sweep_id: str, baselines: tuple[Any, ...] | None) -> _Side:
    row = store.sweep(sweep_id)
    if row is None:
        raise DriftError(f"no sweep {sweep_id!r} in {store.url}")
    targets = {t.name: t for t in store.targets(sweep_id)}
    facts = {tf.target: tf for tf in store.target_facts(sweep_id)}
    ev = store.latest_evaluation(sweep_id)
    if baselines is None:
        findings = [_finding_from_row(r) for r in store.findings(sweep_id, ev.id)] if ev is not None else []
    else:
        findings = _rejudge(list(facts.values()), baselines)
    return _Side(row, ev, targets, findings, facts)


def _rejudge(fleet: list[TargetFacts], baselines: tuple[Any, ...]) -> list[Finding]:
    """Every check on stored facts against ``baselines``, in memory (nothing is stored)."""
    from ..checks import run_fleet_checks, run_target_checks, select_checks
    from ..engine import policy_for

    checks = select_checks()
    out: list[Finding] = []
    for tf in fleet:
        out.extend(run_target_checks(tf, policy_for(tf, baselines), checks))
    out.extend(run_fleet_checks(fleet, policy_for(None, baselines), checks))
    return out


def default_pair(store: Store, old: str | None = None, new: str | None = None,
                 inventory: str | None = None) -> tuple[str, str]:
    """Resolve the two sweeps to compare.

    * OLD and NEW given: those (ids, unique prefixes or ``latest``);
    * only OLD: OLD against the newest complete sweep of OLD's inventory;
    * neither: the last two complete sweeps of the inventory of the newest complete sweep
      (or of ``inventory`` when given).
    """
    def resolve(ref: str) -> str:
        sid = store.resolve_sweep_id(ref)
        if sid is None:
            raise DriftError(f"no single sweep matches {ref!r} in {store.url}")
        return sid

    if old and new:
        return resolve(old), resolve(new)
    if old:
        o = resolve(old)
        row = store.sweep(o)
        assert row is not None
        latest = store.sweeps_for_inventory(row.inventory_path, limit=1, like=row)
        if not latest or latest[0].id == o:
            raise DriftError(f"no complete sweep of {row.inventory_path} newer than {o} to compare with")
        return o, latest[0].id
    path = inventory
    like = None
    if path is None:
        complete = [s for s in store.sweeps(limit=1000) if s.status == "complete"]
        if not complete:
            raise DriftError(f"no complete sweep in {store.url}")
        path = complete[0].inventory_path
        like = complete[0]
    rows = store.sweeps_for_inventory(path, limit=2, like=like)
    if len(rows) < 2 and inventory is not None:
        resolved = str(Path(inventory).resolve())
        for s in store.sweeps(limit=1000):
            if s.status == "complete" and str(Path(s.inventory_path).resolve()) == resolved:
                rows = store.sweeps_for_inventory(s.inventory_path, limit=2)
                break
    if len(rows) < 2:
        raise DriftError(f"drift needs two complete sweeps of {path}; found {len(rows)}")
    return rows[1].id, rows[0].id


def compute_drift(store: Store, old_id: str, new_id: str, *, baselines: tuple[Any, ...] | None = None,
                  waivers: Any = None, today: date | None = None) -> DriftReport:
    """Compare sweep ``old_id`` with sweep ``new_id``.

    ``baselines``: re-judge both sweeps in memory against these verified baselines instead of
    using their stored evaluations.  ``waivers``: a WaiverSet applied to both sides (as of
    ``today``), so a waived finding is MUTED on both and is not drift.
    """
    old = _load_side(store, old_id, baselines)
    new = _load_side(store, new_id, baselines)
    rep = DriftReport(old=old.info(), new=new.info(), rejudged=baselines is not None)
    if waivers is not None:
        from ..waivers import apply_waivers

        old.findings, _ = apply_waivers(old.findings, waivers, today)
        new.findings, expired = apply_waivers(new.findings, waivers, today)
        rep.waivers = {"file": getattr(waivers, "path", None), "count": len(tuple(waivers)),
                       "expired": [w.info() for w in expired]}
    if old.row.inventory_path != new.row.inventory_path:
        rep.notes.append(f"the sweeps are of different inventories ({old.row.inventory_path} and "
                         f"{new.row.inventory_path})")
    if old.row.started_at and new.row.started_at and old.row.started_at > new.row.started_at:
        rep.notes.append("OLD started after NEW: the comparison is reversed")
    for side, name in ((old, "old"), (new, "new")):
        if side.row.status != "complete":
            rep.notes.append(f"the {name} sweep {side.row.id} is {side.row.status}: targets it did not finish "
                             "are not compared")
    if baselines is None:
        ob = [(b.get("name"), b.get("version")) for b in rep.old["baselines"]]
        nb = [(b.get("name"), b.get("version")) for b in rep.new["baselines"]]
        if ob != nb:
            rep.notes.append(f"the sweeps were judged against different baselines ({_bl(ob)} vs {_bl(nb)}): "
                             "finding changes may come from the baseline, not the BMCs; use --baseline to "
                             "re-judge both against the same one")

    _targets(rep, old, new)
    _findings(rep, old, new)
    common = sorted(set(old.targets) & set(new.targets))
    for name in common:
        otf, ntf = old.facts.get(name), new.facts.get(name)
        if not (_usable(otf) and _usable(ntf)):
            which = " and ".join(s for s, tf in (("old", otf), ("new", ntf)) if not _usable(tf))
            rep.not_compared.append({"target": name, "what": "facts",
                                     "reason": f"Redfish not collected in the {which} sweep"})
            continue
        assert otf is not None and ntf is not None
        _firmware(rep, name, otf, ntf, old.findings + new.findings)
        _settings(rep, name, otf, ntf)
        _identity(rep, name, otf, ntf, old.facts)
    _posture(rep, new)
    used = {f["check_id"] for f in rep.new_findings + rep.resolved + rep.changed + rep.identity}
    rep.checks = {cid: _meta(cid) for cid in sorted(used) if _meta(cid)}
    return rep


def _bl(pairs: list[tuple[Any, Any]]) -> str:
    return ", ".join(f"{n} v{v}" for n, v in pairs) or "none"


def _meta(cid: str) -> dict[str, Any] | None:
    from ..waivers import WAIVER_CHECKS

    m = REGISTRY[cid].meta if cid in REGISTRY else DRIFT_CHECKS.get(cid) or WAIVER_CHECKS.get(cid)
    return m.model_dump(mode="json", exclude={"needs"}) if m else None


def _tdict(t: Any) -> dict[str, Any]:
    return {"name": t.name, "address": t.address, "site": t.site, "rack": t.rack, "platform": t.platform,
            "status": t.status, "error": t.error}


def _targets(rep: DriftReport, old: _Side, new: _Side) -> None:
    fails = Counter(f.target for f in old.findings if f.status.value in FAILING)
    for name in sorted(set(new.targets) - set(old.targets)):
        rep.targets_added.append(_tdict(new.targets[name]))
    for name in sorted(set(old.targets) - set(new.targets)):
        rep.targets_removed.append({**_tdict(old.targets[name]), "open_findings": fails.get(name, 0)})
    for name in sorted(set(old.targets) & set(new.targets)):
        o, n = old.targets[name], new.targets[name]
        for attr in ("address", "site", "rack", "platform", "status"):
            if getattr(o, attr) != getattr(n, attr):
                rep.target_changes.append({"target": name, "property": attr, "old": getattr(o, attr),
                                           "new": getattr(n, attr),
                                           "reason": n.error if attr == "status" else None})
        op, np_ = (o.meta or {}).get("ports", {}), (n.meta or {}).get("ports", {})
        if op != np_:
            rep.target_changes.append({"target": name, "property": "ports", "old": op, "new": np_, "reason": None})


def _findings(rep: DriftReport, old: _Side, new: _Side) -> None:
    o = {f.key: f for f in old.findings}
    n = {f.key: f for f in new.findings}
    removed_targets = set(old.targets) - set(new.targets)
    for key, f in n.items():
        prev = o.get(key)
        if f.status.value in FAILING:
            if prev is None or prev.status.value not in FAILING:
                rep.new_findings.append({**_fdict(f), "old_status": prev.status.value if prev else None})
            elif (prev.status, prev.severity, prev.detail) != (f.status, f.severity, f.detail):
                rep.changed.append({**_fdict(f), "old_status": prev.status.value, "old_severity": prev.severity.value,
                                    "old_detail": prev.detail})
    for key, f in o.items():
        if f.status.value not in FAILING or f.target in removed_targets:
            continue
        cur = n.get(key)
        if cur is None or cur.status.value not in FAILING:
            rep.resolved.append({**_fdict(f), "new_status": cur.status.value if cur else None,
                                 "new_detail": cur.detail if cur else None})
    order = {"FAIL": 0, "ERROR": 1}
    key = lambda d: (_SEV_ORDER.get(d["severity"], 9), order.get(d["status"], 2), d["target"], d["check_id"],  # noqa: E731
                     d["subject"])
    rep.new_findings.sort(key=key)
    rep.changed.sort(key=key)
    rep.resolved.sort(key=key)


def _schemes(findings: Iterable[Finding]) -> dict[tuple[str, str], str]:
    out = {}
    for f in findings:
        scheme = f.evidence.get("scheme") if f.check_id.startswith("OOB-FW-") else None
        if isinstance(scheme, str):
            out[(f.target, f.subject)] = scheme
    return out


def _firmware(rep: DriftReport, target: str, otf: TargetFacts, ntf: TargetFacts,
              findings: list[Finding]) -> None:
    if otf.errors(F.REDFISH_FIRMWARE) or ntf.errors(F.REDFISH_FIRMWARE) or not otf.ok(F.REDFISH_FIRMWARE) \
            or not ntf.ok(F.REDFISH_FIRMWARE):
        if otf.ok(F.REDFISH_FIRMWARE) or ntf.ok(F.REDFISH_FIRMWARE) or otf.errors(F.REDFISH_FIRMWARE) \
                or ntf.errors(F.REDFISH_FIRMWARE):
            rep.not_compared.append({"target": target, "what": "firmware",
                                     "reason": "firmware inventory incomplete in one of the sweeps"})
        return
    schemes = _schemes(findings)
    o = {f.subject: f.data.get("Version") for f in otf.ok(F.REDFISH_FIRMWARE)}
    n = {f.subject: f.data.get("Version") for f in ntf.ok(F.REDFISH_FIRMWARE)}
    for comp in sorted(set(o) | set(n)):
        ov, nv = o.get(comp), n.get(comp)
        if ov == nv:
            continue
        if comp not in o:
            change = "added"
        elif comp not in n:
            change = "removed"
        else:
            change = _direction(schemes.get((target, comp)), ov, nv)
        rep.firmware.append({"target": target, "component": comp, "old": ov, "new": nv, "change": change,
                             "scheme": schemes.get((target, comp))})


def _direction(scheme: str | None, old: Any, new: Any) -> str:
    if scheme is None or not isinstance(old, str) or not isinstance(new, str):
        return "changed"
    from ..baseline.versions import VersionError, compare

    try:
        c = compare(scheme, old, new)
    except VersionError:
        return "changed"
    return "upgraded" if c < 0 else "downgraded" if c > 0 else "changed"


def _settings(rep: DriftReport, target: str, otf: TargetFacts, ntf: TargetFacts) -> None:
    for sk in SETTING_KINDS:
        ook, nok = otf.ok(sk.kind), ntf.ok(sk.kind)
        if not ook and not ntf.of(sk.kind) and not otf.of(sk.kind):
            continue  # collected by neither sweep
        if otf.errors(sk.kind) or ntf.errors(sk.kind) or not ook or not nok:
            rep.not_compared.append({"target": target, "what": sk.resource,
                                     "reason": "not read in " + ("both sweeps" if not ook and not nok else
                                                                 "the old sweep" if not ook else "the new sweep")})
            continue
        if not sk.collection:
            _diff_props(rep, target, sk.resource, "", sk.extract(ook[0].data), sk.extract(nok[0].data))
            continue
        o = {f.subject: f for f in ook}
        n = {f.subject: f for f in nok}
        for subj in sorted(set(o) | set(n)):
            label = (n.get(subj) or o[subj]).data.get(sk.label) if sk.label else None
            member = str(label or subj)
            if subj not in o:
                rep.settings.append({"target": target, "resource": sk.resource, "member": member, "property": "",
                                     "change": "added", "old": None, "new": _summary_of(sk, n[subj].data)})
            elif subj not in n:
                rep.settings.append({"target": target, "resource": sk.resource, "member": member, "property": "",
                                     "change": "removed", "old": _summary_of(sk, o[subj].data), "new": None})
            else:
                _diff_props(rep, target, sk.resource, member, sk.extract(o[subj].data), sk.extract(n[subj].data))


def _diff_props(rep: DriftReport, target: str, resource: str, member: str, old: dict[str, Any],
                new: dict[str, Any]) -> None:
    for prop in sorted(set(old) | set(new)):
        ov, nv = old.get(prop), new.get(prop)
        if ov != nv:
            rep.settings.append({"target": target, "resource": resource, "member": member, "property": prop,
                                 "change": "changed" if prop in old and prop in new else
                                 "added" if prop in new else "removed", "old": ov, "new": nv})


def _identity(rep: DriftReport, target: str, otf: TargetFacts, ntf: TargetFacts,
              old_facts: dict[str, TargetFacts]) -> None:
    meta = DRIFT_CHECKS[IDENTITY_CHECK]
    for kind, prop, label in IDENTITY_PROPS:
        for member, of, nf in _pair_resources(otf.ok(kind), ntf.ok(kind)):
            ov, nv = of.data.get(prop), nf.data.get(prop)
            if not ov or not nv or ov == nv:
                continue  # unknown on one side is not a change
            subject = f"{label}.{prop}" if kind == F.REDFISH_SERVICE_ROOT else f"{label}/{member}.{prop}"
            seen_on = sorted(name for name, tf in old_facts.items() if name != target
                             and any(f.data.get(prop) == nv for f in tf.ok(kind)))
            detail = f"{label} {prop} changed from {ov} to {nv}"
            if seen_on:
                detail += f"; the new value belonged to {', '.join(seen_on)} in the old sweep"
            rep.identity.append(_fdict(Finding(
                check_id=IDENTITY_CHECK, target=target, subject=subject, status=Status.FAIL,
                severity=meta.severity, title=meta.title, detail=detail,
                evidence={"property": prop, "resource": nf.evidence.get("url") or of.evidence.get("url"),
                          "old": ov, "new": nv, "old_sweep": rep.old["id"], "new_sweep": rep.new["id"],
                          "previously_seen_on": seen_on})))


def _posture(rep: DriftReport, new: _Side) -> None:
    """Is the new sweep within its baseline?  (FAIL/ERROR left after waivers, unaudited targets.)"""
    by_status = Counter(f.status.value for f in new.findings)
    fail_sev = Counter(f.severity.value for f in new.findings if f.status is Status.FAIL)
    unaudited = sorted(n for n, t in new.targets.items() if t.status != "audited")
    rep.posture = {
        "baselines": rep.new["baselines"],
        "findings_by_status": {s: by_status.get(s, 0) for s in ("FAIL", "ERROR", "MUTED", "PASS", "NOT_APPLICABLE")},
        "fail_by_severity": {s.value: fail_sev.get(s.value, 0) for s in sorted(Severity, key=lambda s: -s.rank)},
        "unaudited_targets": unaudited,
        "within_baseline": not by_status.get("FAIL") and not by_status.get("ERROR") and not unaudited,
    }


# --------------------------------------------------------------------------- rendering


def render_drift(rep: DriftReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rep.to_json(), indent=2, default=str) + "\n"
    if fmt not in ("html", "md"):
        raise ValueError(f"unknown drift format {fmt!r}; use one of {', '.join(DRIFT_FORMATS)}")
    from . import _env

    env = _env()
    if fmt == "md":
        env.autoescape = False
    return env.get_template(f"drift.{fmt}.j2").render(r=rep, s=rep.summary(), p=rep.posture)


def write_drift_reports(rep: DriftReport, out_dir: Path, formats: Sequence[str] = DRIFT_FORMATS) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out_dir / f"drift.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render_drift(rep, fmt), encoding="utf-8")
        tmp.replace(path)
        written[fmt] = path
    return written
