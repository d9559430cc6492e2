"""Drift between two sweeps of a mock fleet with four planted changes (see conftest.py):
the drift lists exactly those, and nothing else."""

from __future__ import annotations

import json
import re
from datetime import date

from typer.testing import CliRunner

from oobaudit.checks import REGISTRY, Severity
from oobaudit.report.drift import DRIFT_CHECKS, IDENTITY_CHECK, compute_drift, default_pair, render_drift
from oobaudit.waivers import load_waivers

from .conftest import OLD_HMC, SWAPPED, baselines


def _drift(env, **kw):
    return compute_drift(env.store, env.old.sweep_id, env.new.sweep_id, **kw)


def test_default_pair_is_the_last_two_complete_sweeps_of_the_inventory(drift_env):
    store = drift_env.store
    pair = (drift_env.old.sweep_id, drift_env.new.sweep_id)
    assert default_pair(store) == pair
    assert default_pair(store, inventory=str(drift_env.inventory)) == pair
    assert default_pair(store, old=drift_env.old.sweep_id) == pair  # OLD alone: against the newest
    assert default_pair(store, drift_env.old.sweep_id[:-2], "latest") == pair


def test_drift_lists_exactly_the_planted_changes(drift_env):
    rep = _drift(drift_env)
    # a removed host, nothing added, no target attribute changed
    assert [t["name"] for t in rep.targets_removed] == ["d-factory-default-000"]
    assert rep.targets_removed[0]["open_findings"] > 0  # its FAILs are not "resolved"
    assert rep.targets_added == [] and rep.target_changes == []
    # new findings: the default account (over Redfish, and over every other protocol that
    # tests it, e.g. ssh:root once SSH is collected) and the downgraded HMC, nothing else
    new = {(f["target"], f["check_id"], f["subject"], f["status"]) for f in rep.new_findings}
    account = {x for x in new if x[:2] == ("d-hardened-001", "OOB-CRED-001")}
    assert ("d-hardened-001", "OOB-CRED-001", "redfish:root", "FAIL") in account
    assert all(subject.endswith(":root") and status == "FAIL" for _, _, subject, status in account)
    assert new - account == {("d-hgx-h100-001", "OOB-FW-001", "HGX_FW_BMC_0", "FAIL")}
    assert rep.resolved == [] and rep.changed == []
    # firmware: exactly one component, recognised as a downgrade by the baseline's scheme
    assert [(c["target"], c["component"], c["old"], c["new"], c["change"]) for c in rep.firmware] == [
        ("d-hgx-h100-001", "HGX_FW_BMC_0", "HGX-22.10-1-rc77", OLD_HMC, "downgraded")]
    # settings: exactly the new account
    assert [(c["target"], c["resource"], c["member"], c["change"]) for c in rep.settings] == [
        ("d-hardened-001", "Accounts", "root", "added")]
    assert rep.settings[0]["new"]["RoleId"] == "Administrator"
    # identity: only the swapped board, with old and new values
    assert {f["target"] for f in rep.identity} == {"d-hardened-002"}
    assert {f["subject"]: f["evidence"]["new"] for f in rep.identity} == {
        "ServiceRoot.UUID": SWAPPED.uuid, "Manager/bmc.UUID": SWAPPED.uuid,
        "System/system.UUID": SWAPPED.system_uuid, "System/system.SerialNumber": SWAPPED.serial}
    assert all(f["check_id"] == IDENTITY_CHECK and f["status"] == "FAIL" and f["severity"] == "high"
               for f in rep.identity)
    assert rep.not_compared == [] and rep.notes == []
    assert rep.summary() == {"targets_added": 0, "targets_removed": 1, "target_changes": 0, "new": len(new),
                             "new_fail": len(new), "new_error": 0, "resolved": 0, "changed": 0, "firmware": 1,
                             "settings": 1, "identity": 4, "not_compared": 0}


def test_oob_id_001_is_explained_but_not_a_per_sweep_check(drift_env):
    assert IDENTITY_CHECK not in REGISTRY  # a sweep cannot evaluate it: it compares two sweeps
    meta = DRIFT_CHECKS[IDENTITY_CHECK]
    assert meta.severity.value == "high" and "two sweeps" in meta.rationale
    rep = _drift(drift_env)
    assert rep.checks[IDENTITY_CHECK]["remediation"] == meta.remediation
    assert {"OOB-CRED-001", "OOB-FW-001"} <= set(rep.checks)


def test_reversed_drift_is_the_mirror_image(drift_env):
    rep = compute_drift(drift_env.store, drift_env.new.sweep_id, drift_env.old.sweep_id)
    resolved = {(f["target"], f["check_id"], f["subject"], f["new_status"]) for f in rep.resolved}
    # the account is gone: no verdict about it any more
    assert ("d-hardened-001", "OOB-CRED-001", "redfish:root", None) in resolved
    assert {x for x in resolved if x[1] != "OOB-CRED-001"} == {("d-hgx-h100-001", "OOB-FW-001", "HGX_FW_BMC_0",
                                                                 "PASS")}
    assert [t["name"] for t in rep.targets_added] == ["d-factory-default-000"]
    # the re-appearing host's failures are new findings
    assert rep.new_findings and {f["target"] for f in rep.new_findings} == {"d-factory-default-000"}
    assert [c["change"] for c in rep.firmware] == ["upgraded"]
    assert [c["change"] for c in rep.settings] == ["removed"]
    assert "OLD started after NEW: the comparison is reversed" in rep.notes


def test_same_sweep_has_no_drift(drift_env):
    rep = compute_drift(drift_env.store, drift_env.new.sweep_id, drift_env.new.sweep_id)
    assert not rep.has_drift and rep.exit_code(Severity.INFO) == 0


def test_rejudging_both_sweeps_with_the_same_baselines_gives_the_same_drift(drift_env):
    stored = _drift(drift_env)
    rejudged = _drift(drift_env, baselines=baselines())
    assert rejudged.rejudged and not stored.rejudged
    strip = lambda r: {k: v for k, v in r.to_json().items() if k != "rejudged_with_baselines"}  # noqa: E731
    assert strip(rejudged)["summary"] == strip(stored)["summary"]
    assert [f["subject"] for f in rejudged.new_findings] == [f["subject"] for f in stored.new_findings]


def test_renderings_agree(drift_env):
    rep = _drift(drift_env)
    data = json.loads(render_drift(rep, "json"))
    html = render_drift(rep, "html")
    md = render_drift(rep, "md")
    shown = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert {k: int(v) for k, v in shown.items()} == {k: data["summary"][k] for k in shown}
    assert len(shown) == 8
    for text in (html, md):
        assert "HGX_FW_BMC_0" in text and OLD_HMC in text and SWAPPED.serial in text
        assert "d-factory-default-000" in text and "root" in text
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained


def test_cli_exit_codes_and_muted_findings_do_not_gate(drift_env, ops_app, tmp_path):
    runner = CliRunner()
    args = ["drift", "--db", drift_env.db_url, "--out", str(tmp_path / "d1"), "--quiet"]
    res = runner.invoke(ops_app, args)
    assert res.exit_code == 1, res.output
    line = json.loads(res.stdout.strip().splitlines()[-1])
    assert line["new"] >= 2 and line["identity"] == 4 and line["targets_removed"] == 1
    assert {p.name for p in (tmp_path / "d1").iterdir()} == {"drift.html", "drift.md", "drift.json"}
    assert json.loads((tmp_path / "d1" / "drift.json").read_text())["summary"] == {
        k: v for k, v in line.items() if k in json.loads((tmp_path / "d1" / "drift.json").read_text())["summary"]}
    # critical: only the default account gates (identity changes and the HMC are high)
    res = runner.invoke(ops_app, [*args[:-1], "--fail-on", "critical"])
    assert res.exit_code == 1, res.output
    waivers = tmp_path / "w.yaml"
    waivers.write_text(f"""waivers:
  - check: OOB-CRED-001
    target: d-hardened-001
    subject: "*:root"
    owner: ops-oncall
    reason: root account pending removal in CHG-1234
    expires: {date.today().year + 1}-01-31
""")
    res = runner.invoke(ops_app, [*args[:-1], "--fail-on", "critical", "--waivers", str(waivers), "--format", "json"])
    assert res.exit_code == 0, res.output  # MUTED never counts toward --fail-on
    data = json.loads((tmp_path / "d1" / "drift.json").read_text())
    assert [f["check_id"] for f in data["new_findings"]] == ["OOB-FW-001"]
    assert data["waivers"]["count"] == 1 and data["waivers"]["expired"] == []
    assert load_waivers(waivers).waivers[0].owner == "ops-oncall"


def test_cli_bad_sweep_reference_is_bad_input(drift_env, ops_app):
    res = CliRunner().invoke(ops_app, ["drift", "nosuchsweep", "latest", "--db", drift_env.db_url])
    assert res.exit_code == 4
