"""TLS checks against mock BMCs with planted TLS faults: a legacy stack (TLS 1.0/1.1, expired
RSA-1024 certificate) and two BMCs sharing one key (OOB-TLS-004 names both)."""

from __future__ import annotations

import asyncio

import pytest

from oobaudit.checks import Status
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")
profiles = pytest.importorskip("mock_bmc.profiles")

TLS = ["OOB-TLS-001", "OOB-TLS-002", "OOB-TLS-003", "OOB-TLS-004"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tlsmock")
    shared = profiles.load_profile("hardened").derive("shared-key", certificate={"key_scope": "fleet"})
    spec = mock_fleet.FleetSpec(groups=(
        mock_fleet.GroupSpec("weak-tls", 1, name_prefix="t"),
        mock_fleet.GroupSpec(shared, 2, name_prefix="t"),
        mock_fleet.GroupSpec("hardened", 1, name_prefix="t"),
    ))
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        store = Store(f"sqlite:///{tmp / 'db.sqlite'}")
        return asyncio.run(Sweep(store, load_inventory(inv), SweepOptions(check_ids=TLS)).run())


def st(result, target, check_id):
    return {f.subject: (f.status, f.severity.value) for f in result.findings
            if f.target == target and f.check_id == check_id}


def test_legacy_stack_is_flagged(result):
    v = st(result, "t-weak-tls-000", "OOB-TLS-001")
    assert v["TLSv1.0"][0] is Status.FAIL and v["TLSv1.1"][0] is Status.FAIL
    c = st(result, "t-weak-tls-000", "OOB-TLS-003")
    assert c["validity"][0] is Status.FAIL and c["key"][0] is Status.FAIL


def test_hardened_tls_passes(result):
    assert all(s is Status.PASS for s, _ in st(result, "t-hardened-000", "OOB-TLS-001").values())
    assert all(s is Status.PASS for s, _ in st(result, "t-hardened-000", "OOB-TLS-002").values())


def test_shared_key_fails_naming_both(result):
    fails = [f for f in result.findings if f.check_id == "OOB-TLS-004" and f.status is Status.FAIL]
    assert sorted(f.target for f in fails) == ["t-shared-key-000", "t-shared-key-001"]
    assert all("t-shared-key-000" in f.detail + f.target and "t-shared-key-001" in f.detail + f.target
               for f in fails)
    assert st(result, "t-hardened-000", "OOB-TLS-004") and all(
        s is Status.PASS for s, _ in st(result, "t-hardened-000", "OOB-TLS-004").values())
