"""Reports: one model built from the store, rendered as JSON, Markdown and HTML.

The HTML is self-contained (inline CSS, no CDN, no JavaScript needed): OOB
networks are often air-gapped and reports get mailed around.  Every renderer
reads the same model, so the counts in the HTML match the JSON.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..checks import REGISTRY
from ..checks.base import Severity
from ..store import Store

FORMATS = ("html", "md", "json", "csv", "sarif")
SEVERITIES = [s.value for s in sorted(Severity, key=lambda s: -s.rank)]
STATUSES = ["FAIL", "ERROR", "MUTED", "PASS", "NOT_APPLICABLE"]


@dataclass
class ReportModel:
    sweep: dict[str, Any]
    evaluation: dict[str, Any]
    targets: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    checks: dict[str, dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        by_status = Counter(f["status"] for f in self.findings)
        fails = [f for f in self.findings if f["status"] == "FAIL"]
        by_sev = Counter(f["severity"] for f in fails)
        targets = Counter(t["status"] for t in self.targets)
        per_site: dict[str, Counter] = defaultdict(Counter)
        site_of = {t["name"]: f"{t['site']}/{t['rack']}" for t in self.targets}
        for f in self.findings:
            per_site[site_of.get(f["target"], "(fleet)")][f["status"]] += 1
        return {
            "targets": len(self.targets),
            "targets_by_status": dict(targets),
            "findings_by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "fail_by_severity": {s: by_sev.get(s, 0) for s in SEVERITIES},
            "by_site_rack": {k: dict(v) for k, v in sorted(per_site.items())},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep,
            "evaluation": self.evaluation,
            "summary": self.summary(),
            "targets": self.targets,
            "findings": self.findings,
            "checks": self.checks,
        }


def check_meta(cid: str) -> dict[str, Any] | None:
    """Metadata of a check id: the registry's, or that of the findings drift (OOB-ID-001) and
    waivers (OOB-WAIVER-001) emit, which no single sweep can produce."""
    from ..waivers import WAIVER_CHECKS
    from .drift import DRIFT_CHECKS

    meta = REGISTRY[cid].meta if cid in REGISTRY else DRIFT_CHECKS.get(cid) or WAIVER_CHECKS.get(cid)
    return meta.model_dump(mode="json", exclude={"needs"}) if meta is not None else None


def _iso(dt: Any) -> str | None:
    return dt.isoformat() if dt is not None else None


def build_model(store: Store, sweep_id: str) -> ReportModel:
    """The report of one sweep, or with ``campaign:NAME`` of every sweep of a campaign
    (one collector per OOB segment or shard) merged as if it were one sweep."""
    if sweep_id.startswith("campaign:"):
        return _campaign_model(store, sweep_id.split(":", 1)[1])
    sweep = store.sweep(sweep_id)
    if sweep is None:
        raise KeyError(f"no sweep {sweep_id!r} in {store.url}")
    ev = store.latest_evaluation(sweep_id)
    targets = store.targets(sweep_id)
    findings = store.findings(sweep_id, ev.id if ev else None)
    order = {s: i for i, s in enumerate(STATUSES)}
    sev_order = {s: i for i, s in enumerate(SEVERITIES)}
    frows = sorted(
        ({"check_id": f.check_id, "target": f.target_name, "subject": f.subject, "status": f.status,
          "severity": f.severity, "title": f.title, "detail": f.detail, "evidence": f.evidence or {}}
         for f in findings),
        key=lambda f: (order.get(f["status"], 9), sev_order.get(f["severity"], 9), f["target"], f["check_id"],
                       f["subject"]),
    )
    used = sorted({f["check_id"] for f in frows})
    checks = {cid: meta for cid in used if (meta := check_meta(cid)) is not None}
    return ReportModel(
        sweep={"id": sweep.id, "started_at": _iso(sweep.started_at), "finished_at": _iso(sweep.finished_at),
               "status": sweep.status, "inventory": sweep.inventory_path, "tool_version": sweep.tool_version,
               "options": sweep.options or {}},
        evaluation={"id": ev.id if ev else None, "baseline_name": ev.baseline_name if ev else None,
                    "baseline_version": ev.baseline_version if ev else None,
                    "baseline_key_id": ev.baseline_key_id if ev else None,
                    "baselines": (ev.baselines or []) if ev else []},
        targets=[{"name": t.name, "address": t.address, "site": t.site, "rack": t.rack, "platform": t.platform,
                  "status": t.status, "error": t.error, "ports": (t.meta or {}).get("ports", {})}
                 for t in targets],
        findings=frows,
        checks=checks,
    )


def _campaign_model(store: Store, campaign: str) -> ReportModel:
    ids = store.campaign_sweeps(campaign)
    if not ids:
        raise KeyError(f"no sweep belongs to campaign {campaign!r} in {store.url}")
    parts = [build_model(store, i) for i in ids]
    statuses = [p.sweep["status"] for p in parts]
    # The campaign is only as finished as its least finished collector.
    status = next((s for s in ("running", "interrupted", "failed") if s in statuses), "complete")
    finished = [p.sweep["finished_at"] for p in parts]
    order = {s: i for i, s in enumerate(STATUSES)}
    sev_order = {s: i for i, s in enumerate(SEVERITIES)}
    findings = sorted((f for p in parts for f in p.findings),
                      key=lambda f: (order.get(f["status"], 9), sev_order.get(f["severity"], 9), f["target"],
                                     f["check_id"], f["subject"]))
    return ReportModel(
        sweep={"id": f"campaign:{campaign}", "started_at": min(p.sweep["started_at"] for p in parts),
               "finished_at": None if None in finished else max(finished), "status": status,
               "inventory": parts[0].sweep["inventory"], "tool_version": parts[0].sweep["tool_version"],
               "options": {"campaign": campaign, "sweeps": ids}},
        evaluation={**parts[-1].evaluation, "id": None},
        targets=sorted((t for p in parts for t in p.targets), key=lambda t: t["name"]),
        findings=findings,
        checks={k: v for p in parts for k, v in p.checks.items()},
    )


def _env() -> Environment:
    env = Environment(loader=PackageLoader("oobaudit.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["mdcell"] = lambda s: str(s if s is not None else "").replace("|", "\\|").replace("\n", " ")
    env.filters["compact"] = _compact
    return env


def _compact(value: Any) -> str:
    """A value for a table cell: scalars as text, lists and mappings as compact JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, dict | list | tuple | bool):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)


def render(model: ReportModel, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(model.to_json(), indent=2, sort_keys=False, default=str) + "\n"
    if fmt in ("csv", "sarif"):
        from .formats import to_csv, to_sarif

        return to_csv(model) if fmt == "csv" else to_sarif(model)
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    env = _env()
    if fmt == "md":
        env.autoescape = False
    tmpl = env.get_template(f"report.{fmt}.j2")
    by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in model.findings:
        by_target[f["target"]].append(f)
    return tmpl.render(m=model, s=model.summary(), by_target=by_target, severities=SEVERITIES,
                       statuses=STATUSES)


def write_reports(model: ReportModel, out_dir: Path, formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for fmt in formats:
        path = out_dir / f"report.{fmt}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render(model, fmt), encoding="utf-8")
        tmp.replace(path)  # readers never see a half-written report
        written[fmt] = path
    return written
