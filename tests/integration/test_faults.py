"""A fleet in which every BMC misbehaves differently, plus healthy ones: the sweep finishes within
the per-target deadline x waves, every faulty target is an ERROR with the right reason, every
healthy target is fully audited, and a 100 MB body never lands in memory."""

from __future__ import annotations

import asyncio
import resource
import time

import pytest

from oobaudit.checks import Status
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")

# profile -> words the target's error must contain
FAULTS = {
    "fault-hang": "timed out",
    "fault-hang-accept": "timed out",
    "fault-tls-fail": "TLS handshake",
    "fault-garbage": "",
    "fault-http500": "HTTP 500",
    "fault-http503": "HTTP 503 (Retry-After",
    "fault-drip": "timed out|deadline",
    "fault-reset": "",
    "fault-huge": "cap",
    "fault-redirect-offhost": "redirect (not followed)",
    "fault-redirect-loop": "redirect (not followed)",
}
DEADLINE = 6.0


@pytest.fixture(scope="module")
def faulty_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    groups = [mock_fleet.GroupSpec("hardened", 3, name_prefix="ok")]
    groups += [mock_fleet.GroupSpec(p, 1, name_prefix="bad") for p in FAULTS]
    with mock_fleet.run_fleet_in_thread(mock_fleet.FleetSpec(groups=tuple(groups))) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        store = Store(f"sqlite:///{tmp / 'db.sqlite'}")
        opts = SweepOptions(concurrency=16, target_deadline=DEADLINE, request_timeout=2.0)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.monotonic()
        result = asyncio.run(Sweep(store, load_inventory(inv), opts).run())
        elapsed = time.monotonic() - t0
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return result, elapsed, (rss1 - rss0) / 1024


def test_sweep_completes_in_bounded_time(faulty_sweep):
    result, elapsed, _ = faulty_sweep
    assert result.status == "complete"
    waves = -(-len(result.targets) // 16)
    assert elapsed < DEADLINE * waves + 10


@pytest.mark.parametrize("profile,reason", list(FAULTS.items()))
def test_each_fault_is_an_error_with_its_reason(faulty_sweep, profile, reason):
    result, _, _ = faulty_sweep
    t = next(t for t in result.targets if t.name == f"bad-{profile}-000")
    assert t.status != "audited" and t.error, (t.status, t.error)
    assert any(r in t.error for r in reason.split("|")), t.error
    errors = [f for f in t.findings if f.status is Status.ERROR]
    assert errors, "no ERROR finding"
    # could not check is never a pass: no Redfish-derived check passes on a broken BMC
    redfish_checks = {"OOB-SVC-001", "OOB-ACCT-001", "OOB-ACCT-003", "OOB-BOOT-001", "OOB-IPMI-001"}
    # (the wire-side IPMI verdict on udp/623 is independent evidence and may pass)
    assert not [f for f in t.findings if f.check_id in redfish_checks and f.status is Status.PASS
                and not f.subject.startswith("udp/")], profile


def test_healthy_targets_are_fully_audited(faulty_sweep):
    result, _, _ = faulty_sweep
    healthy = [t for t in result.targets if t.name.startswith("ok-")]
    assert len(healthy) == 3 and all(t.status == "audited" for t in healthy)


def test_huge_body_is_capped_not_buffered(faulty_sweep):
    _, _, grew_mb = faulty_sweep
    assert grew_mb < 80  # a 100 MB body must not be held in memory
