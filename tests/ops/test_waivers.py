"""Waiver files: validation with file:line errors, live vs expired, muting rules."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oobaudit.checks.base import Finding, Severity, Status
from oobaudit.store import Store
from oobaudit.waivers import WAIVER_EXPIRED, apply_to_evaluation, apply_waivers, load_waivers
from oobaudit.yamlsrc import SourceError

from ..helpers import FakeTarget

TODAY = date(2026, 6, 15)


def f(check="OOB-IPMI-001", target="rack-b-01", subject="", status=Status.FAIL, sev=Severity.HIGH) -> Finding:
    return Finding(check_id=check, target=target, subject=subject, status=status, severity=sev, title="t",
                   detail="d", evidence={"k": 1})


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "waivers.yaml"
    p.write_text(text)
    return p


VALID = """waivers:
  - check: OOB-IPMI-001
    target: "rack-b-*"
    owner: alice@example.com
    reason: legacy provisioning needs IPMI until Q3
    expires: 2026-06-15
  - check: "oob-fw-*"
    target: "*"
    subject: HGX_FW_GPU_SXM_?
    owner: bob
    reason: VBIOS roll-out in progress
    expires: 2026-06-14
"""


def test_valid_file_mapping_and_list_forms(tmp_path):
    ws = load_waivers(write(tmp_path, VALID))
    assert len(ws) == 2
    a, b = ws.waivers
    assert (a.check, a.subject, a.expires) == ("OOB-IPMI-001", "*", date(2026, 6, 15))
    assert b.check == "OOB-FW-*"  # ids are case-insensitive
    assert a.source.endswith("waivers.yaml:2") and b.source.endswith("waivers.yaml:7")
    bare = write(tmp_path, "\n".join(line[2:] for line in VALID.splitlines()[1:]) + "\n")
    assert [w.check for w in load_waivers(bare)] == ["OOB-IPMI-001", "OOB-FW-*"]
    assert len(load_waivers(write(tmp_path, "# nothing waived\n"))) == 0


@pytest.mark.parametrize(("text", "line", "needle"), [
    ("waivers:\n  - check: OOB-IPMI-001\n    target: x\n    owner: a\n    reason: r\n    expires: 2026-01-01\n"
     "    extra: 1\n", 7, "unknown key"),
    ("waivers:\n  - check: OOB-IPMI-001\n    target: x\n    reason: r\n    expires: 2026-01-01\n", 2,
     "owner: required key is missing"),
    ("waivers:\n  - check: OOB-IPMI-001\n    target: x\n    owner: a\n    reason: r\n    expires: soon\n", 6,
     "YYYY-MM-DD"),
    ("waivers:\n  - check: OOB-NOPE-001\n    target: x\n    owner: a\n    reason: r\n    expires: 2026-01-01\n", 2,
     "unknown check id"),
    ("waivers:\n  - check: OOB-ZZZ-*\n    target: x\n    owner: a\n    reason: r\n    expires: 2026-01-01\n", 2,
     "matches no known check"),
    ("waivers:\n  - check: OOB-WAIVER-001\n    target: x\n    owner: a\n    reason: r\n    expires: 2026-01-01\n",
     2, "cannot be waived"),
    ("waivers:\n  - check: OOB-IPMI-001\n    target: x\n    owner: ''\n    reason: r\n    expires: 2026-01-01\n",
     4, "owner"),
    ("waivers: [\n", 2, "YAML syntax error"),
    ("waivers: 3\n", 1, "valid list"),
])
def test_invalid_files_name_file_and_line(tmp_path, text, line, needle):
    p = write(tmp_path, text)
    with pytest.raises(SourceError) as exc:
        load_waivers(p)
    msgs = [str(i) for i in exc.value.issues]
    assert any(m.startswith(f"{p}:{line}:") and needle in m for m in msgs), msgs


def test_live_waiver_mutes_fail_and_error_only(tmp_path):
    ws = load_waivers(write(tmp_path, VALID))
    findings = [f(), f(status=Status.ERROR), f(status=Status.PASS), f(status=Status.NOT_APPLICABLE),
                f(target="rack-a-01")]
    out, expired = apply_waivers(findings, ws, TODAY)  # the IPMI waiver's last day
    assert [x.status for x in out[:5]] == [Status.MUTED, Status.MUTED, Status.PASS, Status.NOT_APPLICABLE,
                                           Status.FAIL]
    w = out[0].evidence["waiver"]
    assert (w["owner"], w["expires"], w["original_status"]) == ("alice@example.com", "2026-06-15", "FAIL")
    assert out[1].evidence["waiver"]["original_status"] == "ERROR" and out[0].evidence["k"] == 1
    assert [x.subject for x in expired] == ["HGX_FW_GPU_SXM_?"]
    assert out[0].detail == "d"  # the finding keeps what it said


def test_expired_waiver_stops_muting_and_is_reported(tmp_path):
    ws = load_waivers(write(tmp_path, VALID))
    fw = f(check="OOB-FW-003", subject="HGX_FW_GPU_SXM_3")
    out, expired = apply_waivers([fw], ws, TODAY)
    assert out[0].status is Status.FAIL
    assert [x.owner for x in expired] == ["bob"]
    rep = out[-1]
    assert rep.check_id == WAIVER_EXPIRED and rep.status is Status.FAIL and rep.severity is Severity.LOW
    assert "bob" in rep.detail and "2026-06-14" in rep.detail and "1 day(s) ago" in rep.detail
    # a day earlier the same waiver still applied
    out, expired = apply_waivers([fw], ws, TODAY - timedelta(days=1))
    assert out[0].status is Status.MUTED and expired == [] and len(out) == 1


def test_applying_twice_is_stable(tmp_path):
    ws = load_waivers(write(tmp_path, VALID))
    once, _ = apply_waivers([f(), f(check="OOB-FW-001", subject="HGX_FW_GPU_SXM_1")], ws, TODAY)
    twice, _ = apply_waivers(once, ws, TODAY)
    assert [(x.check_id, x.status) for x in once] == [(x.check_id, x.status) for x in twice]
    assert sum(x.check_id == WAIVER_EXPIRED for x in twice) == 1


def test_first_matching_waiver_wins(tmp_path):
    text = VALID.replace("expires: 2026-06-14", "expires: 2026-12-31") + """  - check: OOB-FW-003
    target: "*"
    owner: carol
    reason: later, more specific
    expires: 2026-12-31
"""
    out, _ = apply_waivers([f(check="OOB-FW-003", subject="HGX_FW_GPU_SXM_3")], load_waivers(write(tmp_path, text)),
                           TODAY)
    assert out[0].evidence["waiver"]["owner"] == "bob"


def test_apply_to_evaluation_updates_the_store_in_one_go(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    sid, ids = store.begin_sweep(inventory_path="i.yaml", inventory_sha256="", targets=[FakeTarget("rack-b-01")],
                                 options={}, tool_version="t")
    ev = store.begin_evaluation(sid)
    store.write_findings(sid, ev, [f(), f(check="OOB-SVC-001")], ids)
    ws = load_waivers(write(tmp_path, VALID))
    out = apply_to_evaluation(store, sid, ws, TODAY)
    assert out.muted == 1 and [w.owner for w in out.expired] == ["bob"]
    rows = {(r.check_id, r.status) for r in store.findings(sid)}
    assert rows == {("OOB-IPMI-001", "MUTED"), ("OOB-SVC-001", "FAIL"), (WAIVER_EXPIRED, "FAIL")}
    again = apply_to_evaluation(store, sid, ws, TODAY)  # idempotent: no second expired-waiver row
    assert again.muted == 0 and len(store.findings(sid)) == 3


def test_waivers_check_command(tmp_path, ops_app):
    runner = CliRunner()
    res = runner.invoke(ops_app, ["waivers", "check", str(write(tmp_path, VALID))])
    assert res.exit_code == 1 and "2 waiver(s)" in res.stdout  # both are past TODAY's real-world date
    live = VALID.replace("2026-06-15", "2999-01-01").replace("2026-06-14", "2999-01-01")
    res = runner.invoke(ops_app, ["waivers", "check", str(write(tmp_path, live))])
    assert res.exit_code == 0 and "0 expired" in res.stdout
    res = runner.invoke(ops_app, ["waivers", "check", str(write(tmp_path, "- check: nope\n"))])
    assert res.exit_code == 4 and "waivers.yaml:1" in res.stderr
