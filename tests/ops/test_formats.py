"""CSV (Prowler-style, ';'-separated) and SARIF 2.1.0 reports: well-formed, complete, and
agreeing with the JSON report; waived findings carried as MUTED / SARIF suppressions."""

from __future__ import annotations

import csv
import io
import json

from oobaudit.checks import Severity
from oobaudit.cli import exit_code
from oobaudit.report import FORMATS, ReportModel, render
from oobaudit.report.formats import CSV_COLUMNS, LEVELS, finding_uid

STALE = "r-hgx-h100-stale-vbios-000"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_formats_are_registered():
    assert {"csv", "sarif"} <= set(FORMATS)


def test_waive_sweep_result_drives_the_exit_code(waived_sweep):
    r = waived_sweep.result
    muted = [f for f in r.findings if f.status.value == "MUTED"]
    assert [(f.target, f.check_id, f.subject) for f in muted] == [(STALE, "OOB-FW-003", "HGX_FW_GPU_SXM_3")]
    stale = next(t for t in r.targets if t.name == STALE)
    assert "MUTED" in {f.status.value for f in stale.findings}
    # the expired waiver is reported, naming its owner
    expired = [f for f in r.findings if f.check_id == "OOB-WAIVER-001"]
    assert len(expired) == 1 and "iam-team" in expired[0].detail and expired[0].target == "*fleet*"
    assert exit_code(r, Severity.HIGH) == 0  # the muted high FAIL does not count
    assert exit_code(r, Severity.LOW) == 1  # the expired waiver (low) does


def test_csv_is_well_formed_and_matches_the_json(waived_sweep):
    text = waived_sweep.reports["csv"].read_text()
    data = json.loads(waived_sweep.reports["json"].read_text())
    rows = _rows(text)
    assert tuple(csv.reader(io.StringIO(text), delimiter=";").__next__()) == CSV_COLUMNS
    assert len(rows) == len(data["findings"])
    assert all(len(r) == len(CSV_COLUMNS) and None not in r for r in rows)
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["STATUS"]] = by_status.get(r["STATUS"], 0) + 1
    assert {k: v for k, v in data["summary"]["findings_by_status"].items() if v} == by_status
    fw = next(r for r in rows if r["CHECK_ID"] == "OOB-FW-003" and r["TARGET"] == STALE)
    assert fw["STATUS"] == "MUTED" and fw["SEVERITY"] == "high"
    assert fw["REMEDIATION"].startswith("Update the GPU VBIOS") and "NSA/CISA" in fw["REFERENCES"]
    assert fw["WAIVER_REASON"] == "fixed VBIOS | due; next week"
    assert fw["WAIVER_OWNER"].startswith("'=")  # spreadsheet formula neutralised
    assert fw["FINDING_UID"] == finding_uid("OOB-FW-003", STALE, "HGX_FW_GPU_SXM_3")
    assert json.loads(fw["EVIDENCE"])["installed"] == "96.00.5C.00.03"
    assert {r["SITE"] for r in rows if r["TARGET"] != "*fleet*"} == {"dc1"}
    assert all(not r[c].startswith(("=", "+", "@")) for r in rows for c in CSV_COLUMNS)


def test_sarif_minimal_schema(waived_sweep):
    doc = json.loads(waived_sweep.reports["sarif"].read_text())
    data = json.loads(waived_sweep.reports["json"].read_text())
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    assert len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "oobaudit" and driver["version"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and set(rule_ids) == {f["check_id"] for f in data["findings"]}
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        float(rule["properties"]["security-severity"])
    results = run["results"]
    expected = [f for f in data["findings"] if f["status"] in ("FAIL", "ERROR", "MUTED")]
    assert len(results) == len(expected)
    for res in results:
        assert res["kind"] == "fail" and res["level"] in ("error", "warning", "note") and res["message"]["text"]
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["logicalLocations"][0]
        assert loc["kind"] == "resource" and loc["fullyQualifiedName"].startswith(res["properties"]["target"])
        assert res["level"] == LEVELS[res["properties"]["severity"]]
        assert set(res["partialFingerprints"]) == {"oobauditFindingKey/v1"}
    muted = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]) for r in muted] == [
        ("OOB-FW-003", f"{STALE}/HGX_FW_GPU_SXM_3")]
    sup = muted[0]["suppressions"][0]
    assert sup["kind"] == "external" and sup["status"] == "accepted" and "next week" in sup["justification"]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is True and inv["startTimeUtc"].endswith("Z")


def test_formats_on_an_empty_model():
    model = ReportModel(sweep={"id": "x", "status": "interrupted", "started_at": None, "finished_at": None,
                               "inventory": "i.yaml", "tool_version": "0"},
                        evaluation={"id": None, "baselines": []}, targets=[], findings=[], checks={})
    assert render(model, "csv").splitlines() == [";".join(CSV_COLUMNS)]
    doc = json.loads(render(model, "sarif"))
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_html_shows_remediation_and_waiver(waived_sweep):
    html = waived_sweep.reports["html"].read_text()
    assert "waived (FAIL) by" in html and "fixed VBIOS | due; next week" in html
    assert "Update the GPU VBIOS" in html  # remediation per finding, in the target's detail
    assert "<script" not in html
    md = waived_sweep.reports["md"].read_text()
    assert "## Waived (MUTED)" in md and "fixed VBIOS \\| due" in md
