"""Machine formats of the sweep report: CSV (Prowler-style) and SARIF 2.1.0.

Both read the same :class:`~oobaudit.report.ReportModel` as the HTML / Markdown / JSON
renderers, so every format counts the same findings.

* **CSV**: ``;``-separated like Prowler's, one row per finding (every status), with the
  check's metadata (title, family, rationale, remediation, references, compliance) and
  the waiver of a MUTED finding.  Cells that a spreadsheet would run as a formula
  (starting with ``= + - @`` or a tab / carriage return) are prefixed with ``'``: finding
  details quote what a BMC reported, and a BMC is not a trusted source.
* **SARIF 2.1.0**: one run; ``tool.driver.rules`` = the checks that produced a finding;
  ``results`` = FAIL and ERROR findings (``kind: fail``, ``level`` by severity: critical /
  high -> error, medium -> warning, low / info -> note) plus MUTED ones carrying a SARIF
  ``suppressions`` entry with the waiver's owner and reason.  A BMC has no source file, so
  the location is logical: ``target/subject`` (kind ``resource``).  ``partialFingerprints``
  holds a hash of the stable key (check id, target, subject) so code-scanning UIs can
  track a finding across sweeps.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import ReportModel

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://github.com/oobaudit/oobaudit"

CSV_COLUMNS = (
    "SWEEP_ID", "ASSESSMENT_START_TIME", "EVALUATION_ID", "BASELINES", "TARGET", "ADDRESS", "SITE", "RACK",
    "PLATFORM", "TARGET_STATUS", "CHECK_ID", "CHECK_TITLE", "FAMILY", "STATUS", "SEVERITY", "SUBJECT",
    "STATUS_EXTENDED", "EVIDENCE", "RISK", "REMEDIATION", "REFERENCES", "COMPLIANCE", "WAIVER_OWNER",
    "WAIVER_REASON", "WAIVER_EXPIRES", "FINDING_UID",
)

#: SARIF level per severity, and GitHub code scanning's numeric ``security-severity``.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def finding_uid(check_id: str, target: str, subject: str) -> str:
    """A stable id for the key (check id, target, subject): the same in every sweep."""
    return hashlib.sha256(f"{check_id}\x1f{target}\x1f{subject}".encode()).hexdigest()[:32]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text.replace("\r\n", " ").replace("\n", " ")
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def _baselines(model: ReportModel) -> str:
    return ", ".join(f"{b.get('name')} v{b.get('version')}" for b in model.evaluation.get("baselines") or [])


def to_csv(model: ReportModel) -> str:
    targets = {t["name"]: t for t in model.targets}
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for f in model.findings:
        t = targets.get(f["target"], {})
        c = model.checks.get(f["check_id"], {})
        waiver = (f.get("evidence") or {}).get("waiver") or {} if f["status"] == "MUTED" else {}
        evidence = {k: v for k, v in (f.get("evidence") or {}).items() if k != "waiver"}
        w.writerow([_cell(v) for v in (
            model.sweep.get("id"), model.sweep.get("started_at"), model.evaluation.get("id"), _baselines(model),
            f["target"], t.get("address"), t.get("site"), t.get("rack"), t.get("platform"), t.get("status"),
            f["check_id"], c.get("title") or f.get("title"), c.get("family"), f["status"], f["severity"],
            f["subject"], f["detail"], evidence or None, c.get("rationale"), c.get("remediation"),
            " | ".join(c.get("references") or ()), " | ".join(c.get("compliance") or ()),
            waiver.get("owner"), waiver.get("reason"), waiver.get("expires"),
            finding_uid(f["check_id"], f["target"], f["subject"]),
        )])
    return buf.getvalue()


def _rule(cid: str, c: dict[str, Any]) -> dict[str, Any]:
    sev = c.get("severity", "medium")
    refs = list(c.get("references") or ())
    rule: dict[str, Any] = {
        "id": cid,
        "name": "".join(p.capitalize() for p in cid.lower().split("-")),
        "shortDescription": {"text": c.get("title", cid)},
        "fullDescription": {"text": c.get("rationale") or c.get("title", cid)},
        "help": {"text": f"{c.get('remediation', '')}\nReferences: {'; '.join(refs)}".strip(),
                 "markdown": f"**Remediation:** {c.get('remediation', '')}\n\n"
                             + "".join(f"- {r}\n" for r in refs)},
        "defaultConfiguration": {"level": LEVELS.get(sev, "warning")},
        "properties": {
            "security-severity": SECURITY_SEVERITY.get(sev, "5.5"),
            "severity": sev,
            "tags": ["security", "bmc", c.get("family", "")] + list(c.get("compliance") or ()),
        },
    }
    return rule


def to_sarif(model: ReportModel) -> str:
    rule_ids = sorted(model.checks)
    index = {cid: i for i, cid in enumerate(rule_ids)}
    rules = [_rule(cid, model.checks[cid]) for cid in rule_ids]
    results: list[dict[str, Any]] = []
    for f in model.findings:
        if f["status"] not in ("FAIL", "ERROR", "MUTED"):
            continue
        evidence = dict(f.get("evidence") or {})
        waiver = evidence.pop("waiver", None) if f["status"] == "MUTED" else None
        text = f["detail"] or f["title"]
        if f["status"] == "ERROR" or (waiver and waiver.get("original_status") == "ERROR"):
            text = f"could not decide: {text}"
        fq = f"{f['target']}/{f['subject']}" if f["subject"] else f["target"]
        res: dict[str, Any] = {
            "ruleId": f["check_id"],
            "kind": "fail",
            "level": LEVELS.get(f["severity"], "warning"),
            "message": {"text": f"{f['target']}: {text}"},
            "locations": [{"logicalLocations": [{"name": f["subject"] or f["target"], "fullyQualifiedName": fq,
                                                 "kind": "resource"}]}],
            "partialFingerprints": {"oobauditFindingKey/v1": finding_uid(f["check_id"], f["target"],
                                                                          f["subject"])},
            "properties": {"status": f["status"], "severity": f["severity"], "target": f["target"],
                           "subject": f["subject"], "evidence": evidence},
        }
        if f["check_id"] in index:
            res["ruleIndex"] = index[f["check_id"]]
        if waiver:
            res["suppressions"] = [{
                "kind": "external", "status": "accepted",
                "justification": f"{waiver.get('reason', '')} (owner {waiver.get('owner', '?')}, "
                                 f"expires {waiver.get('expires', '?')})",
                "properties": {"owner": waiver.get("owner"), "expires": waiver.get("expires"),
                               "source": waiver.get("source")},
            }]
        results.append(res)
    unaudited = [t["name"] for t in model.targets if t.get("status") != "audited"]
    invocation: dict[str, Any] = {
        "executionSuccessful": model.sweep.get("status") == "complete" and not unaudited,
        "properties": {"sweep": model.sweep.get("id"), "sweepStatus": model.sweep.get("status"),
                       "unauditedTargets": unaudited, "baselines": model.evaluation.get("baselines") or []},
    }
    if model.sweep.get("started_at"):
        invocation["startTimeUtc"] = _utc(model.sweep["started_at"])
    if model.sweep.get("finished_at"):
        invocation["endTimeUtc"] = _utc(model.sweep["finished_at"])
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "oobaudit", "version": model.sweep.get("tool_version") or "0",
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "automationDetails": {"id": f"oobaudit/{model.sweep.get('inventory', '')}/{model.sweep.get('id')}"},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, default=str) + "\n"


def _utc(iso: str) -> str:
    """SARIF wants UTC date-times ending in Z (the store writes UTC; SQLite drops the zone)."""
    if iso.endswith("+00:00"):
        return iso[:-6] + "Z"
    if iso.endswith("Z") or "+" in iso[10:] or "-" in iso[10:]:
        return iso
    return iso + "Z"
