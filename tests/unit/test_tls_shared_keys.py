"""OOB-TLS-004 on a large fleet that shares one key: every BMC fails, each finding names a bounded
number of the others (not the whole fleet: N findings of N names would be quadratic)."""

from __future__ import annotations

from oobaudit import facts as F
from oobaudit.checks import Status, run_fleet_checks, select_checks
from oobaudit.checks.tls import SHARED_KEY_NAMES
from oobaudit.facts import Fact, TargetFacts
from oobaudit.policy import DEFAULT_POLICY


def _tf(name: str, spki: str) -> TargetFacts:
    return TargetFacts(name, [Fact(kind=F.TLS_CERTIFICATE, subject="127.0.0.1:443", collector="tls",
                                   data={"spki_sha256": spki})])


def test_shared_key_findings_stay_bounded_on_a_big_fleet() -> None:
    fleet = [_tf(f"bmc-{i:05d}", "a" * 64) for i in range(3000)] + [_tf("own-key", "b" * 64)]
    findings = run_fleet_checks(fleet, DEFAULT_POLICY, select_checks(["OOB-TLS-004"]))
    fails = [f for f in findings if f.status is Status.FAIL]
    assert len(fails) == 3000
    assert {f.target for f in findings if f.status is Status.PASS} == {"own-key"}
    first = next(f for f in fails if f.target == "bmc-00000")
    assert "bmc-00001" in first.detail and f"and {3000 - 1 - SHARED_KEY_NAMES:,} more" in first.detail
    assert first.evidence["count"] == 3000 and len(first.evidence["targets"]) == SHARED_KEY_NAMES + 1
    assert max(len(f.detail) for f in fails) < 1000


def test_two_bmcs_sharing_a_key_name_each_other() -> None:
    findings = run_fleet_checks([_tf("x", "c" * 64), _tf("y", "c" * 64)], DEFAULT_POLICY,
                                select_checks(["OOB-TLS-004"]))
    by_target = {f.target: f for f in findings}
    assert by_target["x"].status is Status.FAIL and by_target["x"].detail.endswith("served by x and y")
    assert by_target["y"].detail.endswith("served by y and x")
