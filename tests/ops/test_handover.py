"""Rack handover against the demo baselines: a clean rack passes, a rack with one stale
GPU VBIOS fails with that reason, and waivers mute (live) or stop muting (expired)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .conftest import BASELINE_FILES, run_handover

STALE = "r-hgx-h100-stale-vbios-000"


def why(res, out: Path) -> str:
    """The CLI output plus every failing host's reasons, for assertion messages."""
    try:
        data = json.loads((out / "handover.json").read_text())
        reasons = {h["name"]: [r["text"] for r in h["reasons"]] for h in data["hosts"] if h["reasons"]}
    except (OSError, ValueError):
        reasons = {}
    return f"{res.output}\nreasons: {json.dumps(reasons, indent=1)}"


def junit(out: Path) -> ET.Element:
    return ET.parse(out / "junit.xml").getroot()


def waiver_file(path: Path, expires: date) -> Path:
    path.write_text(f"""# accepted risks for rack-7
waivers:
  - check: OOB-FW-003
    target: "r-hgx-h100-stale-*"
    subject: HGX_FW_GPU_SXM_3
    owner: procurement@example.com
    reason: vendor ships the fixed VBIOS next week (PO 4711)
    expires: {expires.isoformat()}
""")
    return path


@pytest.fixture(scope="module")
def clean(rack_env, ops_app):
    out = rack_env.tmp / "clean"
    rack_env.rest()
    return run_handover(ops_app, rack_env.clean, out), out


@pytest.fixture(scope="module")
def stale(rack_env, ops_app):
    out = rack_env.tmp / "stale"
    rack_env.rest()
    return run_handover(ops_app, rack_env.stale, out), out


def test_clean_rack_passes(clean):
    res, out = clean
    assert res.exit_code == 0, why(res, out)
    line = json.loads(res.stdout.strip().splitlines()[-1])
    assert line["verdict"] == "PASS" and line["hosts"] == 2 and line["failed"] == 0
    data = json.loads((out / "handover.json").read_text())
    assert data["verdict"] == "PASS" and all(h["passed"] and not h["reasons"] for h in data["hosts"])
    assert {h["baseline"] for h in data["hosts"]} == {f"hgx-h100 v{_version('hgx-h100')}",
                                                      f"generic-bmc v{_version('generic-bmc')}"}
    assert {(b["name"], b["key_id"]) for b in data["baselines"]} == {("hgx-h100", "a43016a65f38c7cc"),
                                                                     ("generic-bmc", "a43016a65f38c7cc")}
    host = next(h for h in data["hosts"] if h["name"] == "r-hgx-h100-000")
    assert host["identity"]["serial"] and host["identity"]["manager_uuid"]
    assert len(host["firmware"]) > 30 and all(c["status"] in ("PASS", None) for c in host["firmware"])
    root = junit(out)
    cases = root.findall(".//testcase")
    assert len(cases) == 2 and not root.findall(".//failure")
    assert root.get("tests") == "2" and root.get("failures") == "0"
    md = (out / "handover.md").read_text()
    assert "# Rack handover: PASS" in md and "a43016a65f38c7cc" in md and f"hgx-h100 v{_version('hgx-h100')}" in md
    # the sweep's own reports sit beside the handover
    assert {"report.html", "report.json", "report.csv", "report.sarif", "handover.html", "junit.xml"} <= {
        p.name for p in out.iterdir()}


def test_rack_with_one_outdated_component_fails_with_that_reason(stale):
    res, out = stale
    assert res.exit_code == 1, why(res, out)
    data = json.loads((out / "handover.json").read_text())
    assert data["verdict"] == "FAIL"
    verdicts = {h["name"]: h for h in data["hosts"]}
    assert [n for n, h in verdicts.items() if not h["passed"]] == [STALE]
    reasons = verdicts[STALE]["reasons"]
    assert [(r["kind"], r["check_id"], r["subject"]) for r in reasons] == [
        ("firmware", "OOB-FW-003", "HGX_FW_GPU_SXM_3")]
    assert "96.00.5C.00.03" in reasons[0]["text"] and reasons[0]["evidence"]["required_min"]
    root = junit(out)
    assert root.get("tests") == "3" and root.get("failures") == "1"
    failed = [c for c in root.findall(".//testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [STALE]
    text = failed[0].find("failure").text + failed[0].find("failure").get("message")
    assert "HGX_FW_GPU_SXM_3" in text and "firmware not at the baseline" in text
    html = (out / "handover.html").read_text()
    assert 'data-verdict="FAIL"' in html and "HGX_FW_GPU_SXM_3" in html


def test_live_waiver_mutes_the_outdated_component(rack_env, ops_app):
    out = rack_env.tmp / "waived"
    rack_env.rest()
    wf = waiver_file(rack_env.tmp / "live.yaml", date.today() + timedelta(days=30))
    res = run_handover(ops_app, rack_env.stale, out, "--waivers", str(wf))
    assert res.exit_code == 0, why(res, out)
    data = json.loads((out / "handover.json").read_text())
    host = next(h for h in data["hosts"] if h["name"] == STALE)
    assert host["passed"] and [m["check_id"] for m in host["muted"]] == ["OOB-FW-003"]
    waiver = host["muted"][0]["evidence"]["waiver"]
    assert waiver["owner"] == "procurement@example.com" and waiver["original_status"] == "FAIL"
    assert data["waivers"]["muted"] == 1 and data["waivers"]["expired"] == []
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["findings_by_status"]["MUTED"] == 1
    assert "procurement@example.com" in (out / "report.html").read_text()


def test_expired_waiver_no_longer_mutes_and_is_reported(rack_env, ops_app):
    out = rack_env.tmp / "expired"
    rack_env.rest()
    wf = waiver_file(rack_env.tmp / "expired.yaml", date.today() - timedelta(days=1))
    res = run_handover(ops_app, rack_env.stale, out, "--waivers", str(wf))
    assert res.exit_code == 1, why(res, out)
    assert "expired on" in res.stderr
    data = json.loads((out / "handover.json").read_text())
    host = next(h for h in data["hosts"] if h["name"] == STALE)
    assert not host["passed"] and not host["muted"]
    assert [r["check_id"] for r in host["reasons"]] == ["OOB-FW-003"]
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["findings_by_status"]["MUTED"] == 0
    expired = [f for f in report["findings"] if f["check_id"] == "OOB-WAIVER-001"]
    assert len(expired) == 1 and expired[0]["status"] == "FAIL" and expired[0]["severity"] == "low"
    assert "procurement@example.com" in expired[0]["detail"]
    assert (date.today() - timedelta(days=1)).isoformat() in expired[0]["detail"]
    assert "OOB-WAIVER-001" in report["checks"]  # explained in the report
    assert data["waivers"]["expired"][0]["owner"] == "procurement@example.com"


def test_untrusted_baseline_is_bad_input(rack_env, ops_app, tmp_path):
    empty = tmp_path / "keys"
    empty.mkdir()
    args = ["handover", "--inventory", str(rack_env.clean), "--db", f"sqlite:///{tmp_path / 'x.db'}",
            "--out", str(tmp_path / "o"), "--trusted-keys", str(empty), "--baseline", str(BASELINE_FILES[0])]
    res = CliRunner().invoke(ops_app, args)
    assert res.exit_code == 4
    assert not (tmp_path / "o").exists()  # nothing was swept



def _version(name: str) -> int:
    """The shipped example baseline's current version (it is bumped whenever it is re-signed)."""
    import yaml

    root = Path(__file__).resolve().parents[2]
    return int(yaml.safe_load((root / "baselines" / f"{name}.yaml").read_text())["version"])
