"""Default-credential testing never locks an account: a fleet whose BMCs lock after 3 failures,
some still on vendor defaults, swept with credential tests over Redfish and SSH (and IPMI where
it answers): every default account is reported, no account is locked, and no account saw more
failures than threshold - 2."""

from __future__ import annotations

import asyncio

import pytest

from oobaudit.checks import Status
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")
profiles = pytest.importorskip("mock_bmc.profiles")

LOCK3 = {"AccountLockoutThreshold": 3, "AccountLockoutDuration": 600, "AccountLockoutCounterResetAfter": 600}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lockout")
    factory3 = profiles.load_profile("factory-default").derive("factory-lock3", account_service=LOCK3)
    hardened3 = profiles.load_profile("hardened").derive("hardened-lock3", account_service=LOCK3)
    spec = mock_fleet.FleetSpec(groups=(
        mock_fleet.GroupSpec(factory3, 3, name_prefix="f"),
        mock_fleet.GroupSpec(hardened3, 3, name_prefix="h"),
    ))
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        store = Store(f"sqlite:///{tmp / 'db.sqlite'}")
        result = asyncio.run(Sweep(store, load_inventory(inv), SweepOptions(concurrency=6)).run())
        state = {b.name: {u: (a.locked, a.failed_logins, a.lockouts) for u, a in b.accounts.items()}
                 for b in fleet.bmcs}
    result.stored = store.findings(result.sweep_id)  # evidence lives in the store
    return result, state


def test_every_default_account_is_reported(swept):
    result, _ = swept
    for i in range(3):
        fails = {f.subject for f in result.findings if f.target == f"f-factory-lock3-00{i}"
                 and f.check_id == "OOB-CRED-001" and f.status is Status.FAIL}
        assert "redfish:ADMIN" in fails, fails
    for i in range(3):
        assert not [f for f in result.findings if f.target == f"h-hardened-lock3-00{i}"
                    and f.check_id == "OOB-CRED-001" and f.status is Status.FAIL]


def test_no_account_is_locked_or_pushed_to_the_threshold(swept):
    _, state = swept
    for bmc, accounts in state.items():
        for user, (locked, failures, lockouts) in accounts.items():
            assert not locked and lockouts == 0, f"{bmc}:{user} locked"
            assert failures <= 1, f"{bmc}:{user} saw {failures} failures (threshold 3 allows at most 1)"


def test_budget_is_recorded_as_evidence(swept):
    result, _ = swept
    ev = next(f.evidence for f in result.stored if f.check_id == "OOB-CRED-001" and f.target_name.startswith("h-")
              and f.subject.startswith("redfish:") and f.status == "PASS")
    assert ev["budget"] == 1 and ev["lockout_threshold"] == 3
