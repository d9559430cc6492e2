"""End to end: the real collectors against a mock fleet over HTTPS on loopback.

One fleet and one sweep per module (peers start once), then many assertions about what
an operator would see: verdicts per profile, faulty BMCs as per-target ERRORs, no
account locked by credential testing, and a sentinel password that appears nowhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest

from oobaudit.baseline.signing import TrustedKeys, verify_and_load
from oobaudit.checks import Status
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.report import build_model, write_reports
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "Sentinel-Pa55word-7f3c9e"


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    spec = mock_fleet.FleetSpec(groups=(
        mock_fleet.GroupSpec("hardened", 2, site="s1", rack="r1", name_prefix="a"),
        mock_fleet.GroupSpec("factory-default", 2, site="s1", rack="r1", name_prefix="a"),
        mock_fleet.GroupSpec("hgx-h100", 1, site="s1", rack="r2", name_prefix="b"),
        mock_fleet.GroupSpec("hgx-h100-stale-vbios", 1, site="s1", rack="r2", name_prefix="b"),
        mock_fleet.GroupSpec("fault-hang", 1, site="s1", rack="r3", name_prefix="c"),
        mock_fleet.GroupSpec("fault-garbage", 1, site="s1", rack="r3", name_prefix="c"),
        mock_fleet.GroupSpec("fault-http500", 1, site="s1", rack="r3", name_prefix="c"),
    ), auditor_password=SENTINEL)
    keys = TrustedKeys.from_dirs([ROOT / "oobaudit" / "data" / "trusted-keys-demo"])
    baselines = tuple(verify_and_load(ROOT / "baselines" / n, keys, expired="warn")
                      for n in ("hgx-h100.yaml", "generic-bmc.yaml"))
    handler = _Capture()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        with mock_fleet.run_fleet_in_thread(spec) as fleet:
            inv = tmp / "inv.yaml"
            fleet.write_inventory(inv)
            store = Store(f"sqlite:///{tmp / 'sweep.db'}")
            opts = SweepOptions(concurrency=8, target_deadline=8, request_timeout=2, baselines=baselines)
            started = time.monotonic()
            result = asyncio.run(Sweep(store, load_inventory(inv), opts).run())
            elapsed = time.monotonic() - started
            accounts = {b.name: {u: (a.locked, a.failed_logins) for u, a in b.accounts.items()} for b in fleet.bmcs}
        reports = write_reports(build_model(store, result.sweep_id), tmp / "reports")
    finally:
        logging.getLogger().removeHandler(handler)
    return {"result": result, "store": store, "tmp": tmp, "elapsed": elapsed, "accounts": accounts,
            "reports": reports, "logs": handler.lines}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def verdict(result, target, check_id):
    sts = [f.status for f in result.findings if f.target == target and f.check_id == check_id]
    assert sts, f"no {check_id} finding for {target}"
    for s in (Status.FAIL, Status.ERROR, Status.PASS):
        if s in sts:
            return s
    return sts[0]


def test_factory_default_fails_and_hardened_passes_core_controls(swept):
    r = swept["result"]
    for t in ("a-factory-default-000", "a-factory-default-001"):
        for cid in ("OOB-CRED-001", "OOB-SVC-001", "OOB-ACCT-001", "OOB-HTTP-001", "OOB-IPMI-001", "OOB-BOOT-001"):
            assert verdict(r, t, cid) is Status.FAIL, (t, cid)
    for t in ("a-hardened-000", "a-hardened-001"):
        for cid in ("OOB-CRED-001", "OOB-SVC-001", "OOB-ACCT-001", "OOB-ACCT-003", "OOB-HTTP-001",
                    "OOB-IPMI-001", "OOB-BOOT-001"):
            assert verdict(r, t, cid) is Status.PASS, (t, cid)
        # self-signed mock certificates are an INFO-level observation, nothing more
        assert not [f for f in r.findings if f.target == t and f.status is Status.FAIL and f.severity.rank > 0]


def test_default_login_finding_names_account_and_protocol_not_password(swept):
    fails = {f.subject: f for f in swept["result"].findings
             if f.target == "a-factory-default-000" and f.check_id == "OOB-CRED-001" and f.status is Status.FAIL}
    # the same default account, found offline over IPMI (RAKP2), then over Redfish and SSH
    assert {"ipmi:ADMIN", "redfish:ADMIN", "ssh:ADMIN"} <= set(fails), sorted(fails)
    f = fails["redfish:ADMIN"]
    assert f.severity.value == "critical"
    assert "redfish" in f.detail and "ADMIN" in f.detail
    assert "password ADMIN" not in f.detail and "ADMIN/ADMIN" not in json.dumps(f.evidence)


def test_credential_testing_never_locks_an_account(swept):
    for bmc, accts in swept["accounts"].items():
        for user, (locked, _failures) in accts.items():
            assert not locked, f"{bmc}:{user} was locked by the sweep"
    # hardened: threshold 5 -> at most 3 failed attempts on any account
    for bmc in ("a-hardened-000", "a-hardened-001"):
        assert max(f for _, f in swept["accounts"][bmc].values()) <= 3


def test_faulty_bmcs_are_errors_and_the_sweep_finishes_in_bounded_time(swept):
    r = swept["result"]
    assert r.status == "complete"
    by = {t.name: t for t in r.targets}
    for name in ("c-fault-hang-000", "c-fault-garbage-000", "c-fault-http500-000"):
        assert by[name].status != "audited" and by[name].error, name
        errs = [f for f in r.findings if f.target == name and f.status is Status.ERROR]
        assert errs and all(f.detail for f in errs)
    assert "timed out" in by["c-fault-hang-000"].error
    assert "malformed" in by["c-fault-garbage-000"].error or "JSON" in by["c-fault-garbage-000"].error
    assert "500" in by["c-fault-http500-000"].error
    # healthy targets are fully audited despite their faulty neighbours
    for name in ("a-hardened-000", "b-hgx-h100-000", "a-factory-default-000"):
        assert by[name].status == "audited"
    assert swept["elapsed"] < 8 * 2 + 10  # deadline x waves, plus slack


def test_stale_vbios_gives_exactly_one_firmware_fail_naming_that_gpu(swept):
    r = swept["result"]
    fw_fails = [f for f in r.findings if f.target == "b-hgx-h100-stale-vbios-000" and f.check_id.startswith("OOB-FW")
                and f.status is Status.FAIL]
    # the same GPU seen twice: by the BMC (Redfish FirmwareInventory) and by the host OS (nvidia-smi)
    assert sorted((f.check_id, f.subject.split(":")[0]) for f in fw_fails) == [
        ("OOB-FW-003", "HGX_FW_GPU_SXM_3"), ("OOB-FW-003", "host-gpu")]
    assert all("96.00.5C.00.03" in f.detail for f in fw_fails)
    assert not [f for f in r.findings if f.target == "b-hgx-h100-000" and f.status is Status.FAIL
                and f.severity.rank > 0]


def test_tls_verdicts_per_profile_and_no_shared_keys(swept):
    r = swept["result"]
    assert verdict(r, "a-hardened-000", "OOB-TLS-001") is Status.PASS
    assert verdict(r, "a-hardened-000", "OOB-TLS-002") is Status.PASS
    # every mock BMC has its own key: OOB-TLS-004 passes for each audited target
    assert verdict(r, "a-hardened-000", "OOB-TLS-004") is Status.PASS
    tls3 = {f.subject: f.status for f in r.findings if f.target == "a-hardened-000" and f.check_id == "OOB-TLS-003"}
    assert tls3["validity"] is Status.PASS and tls3["key"] is Status.PASS and tls3["vendor-default"] is Status.PASS


def test_store_is_consistent_and_reports_match(swept):
    r, store = swept["result"], swept["store"]
    targets = store.targets(r.sweep_id)
    assert len(targets) == 9 and all(t.status != "pending" for t in targets)
    data = json.loads(swept["reports"]["json"].read_text())
    assert set(data) >= {"sweep", "targets", "findings"}
    assert {"id", "started_at", "finished_at", "status"} <= set(data["sweep"])
    assert data["sweep"]["status"] == "complete"
    assert {t["name"] for t in data["targets"]} == {t.name for t in r.targets}
    assert len(data["findings"]) == len(r.findings)
    assert {"check_id", "target", "subject", "status", "severity", "title", "detail"} <= set(data["findings"][0])
    html = swept["reports"]["html"].read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") or "<script src" not in html
    assert "<link" not in html and "cdn" not in html.lower()  # self-contained


def test_sentinel_password_appears_in_no_row_report_or_log(swept):
    tmp = swept["tmp"]
    db_bytes = (tmp / "sweep.db").read_bytes()
    wal = tmp / "sweep.db-wal"
    blobs = [db_bytes, wal.read_bytes() if wal.exists() else b""]
    for p in swept["reports"].values():
        blobs.append(p.read_bytes())
    blobs.append("\n".join(swept["logs"]).encode())
    for blob in blobs:
        assert SENTINEL.encode() not in blob
    # and the sentinel really was used: the auditor logged in everywhere healthy
    assert any(t.status == "audited" for t in swept["result"].targets)


def test_evaluate_rejudges_stored_facts_without_touching_a_bmc(swept):
    from oobaudit.engine import evaluate_stored

    store, sid = swept["store"], swept["result"].sweep_id
    facts_before = store.fact_count(sid)
    _, plain = evaluate_stored(store, sid, ())  # no baseline: firmware has no approved level
    fw = [f for f in plain if f.target == "b-hgx-h100-stale-vbios-000" and f.check_id == "OOB-FW-003"]
    assert [f.status for f in fw] == [Status.NOT_APPLICABLE]
    keys = TrustedKeys.from_dirs([ROOT / "oobaudit" / "data" / "trusted-keys-demo"])
    vb = verify_and_load(ROOT / "baselines" / "hgx-h100.yaml", keys, expired="warn")
    ev_id, again = evaluate_stored(store, sid, (vb,))
    fails = [(f.check_id, f.subject) for f in again if f.target == "b-hgx-h100-stale-vbios-000"
             and f.status is Status.FAIL and f.severity.rank > 0]
    assert sorted((c, s.split(":")[0]) for c, s in fails) == [("OOB-FW-003", "HGX_FW_GPU_SXM_3"),
                                                              ("OOB-FW-003", "host-gpu")]
    assert store.fact_count(sid) == facts_before  # facts untouched, a new evaluation stored
    assert store.latest_evaluation(sid).id == ev_id


def test_demo_command_runs_on_loopback_and_writes_reports(tmp_path):
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "oobaudit", "demo", "--out", str(tmp_path / "rep"), "--db",
                        f"sqlite:///{tmp_path / 'demo.db'}"], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "a-factory-default-000" in p.stdout and "a-hardened-000" in p.stdout
    row = next(line for line in p.stdout.splitlines() if "a-factory-default-000" in line)
    assert row.count("FAIL") >= 5
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert (tmp_path / "rep" / "report.html").is_file()
    st = {(f["target"], f["check_id"], f["status"]) for f in data["findings"]}
    for cid in ("OOB-CRED-001", "OOB-SVC-001", "OOB-ACCT-001"):
        assert ("a-factory-default-000", cid, "FAIL") in st
        assert ("a-hardened-000", cid, "PASS") in st and ("a-hardened-000", cid, "FAIL") not in st
