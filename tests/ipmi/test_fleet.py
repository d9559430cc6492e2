"""The IPMI collector and checks against the mock fleet's profiles, with the Redfish
side collected for real (the no-answer rule needs the BMC's own report).

factory-default: every IPMI weakness; ipmi-strict (IPMI on, suite 17 only): clean when
the baseline allows IPMI; hardened / hgx-h100 (IPMI off): IPMI-001 passes and the
other IPMI checks pass as "not reachable".  No probe costs a failed login.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oobaudit.checks import REGISTRY, Status, run_target_checks
from oobaudit.collectors.credentials import CredentialOptions
from oobaudit.collectors.http import make_session
from oobaudit.collectors.ipmi import IPMI_CIPHER_ZERO, IPMI_PRESENCE, collect_ipmi
from oobaudit.collectors.redfish import RedfishOptions, collect_redfish
from oobaudit.facts import CRED_LOGIN, Fact, TargetFacts
from oobaudit.inventory import Target, load_inventory
from oobaudit.policy import Policy, Settings
from tests.ipmi.conftest import FAST, IPMI_CHECKS, STRICT, closed_udp_port

mock_fleet = pytest.importorskip("mock_bmc.fleet")

PROFILES = ("factory-default", "ipmi-strict", "hardened", "hgx-h100")


def _port_623_free() -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", 623))
        except OSError:
            return False
    return True


async def _collect(targets: list[Target]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {t.name: [] for t in targets}
    opts = RedfishOptions(timeout=5, credentials=CredentialOptions(enabled=False))
    async with make_session(limit=16) as http:
        await asyncio.gather(*(job for t in targets for job in (
            collect_redfish(t, http, out[t.name], opts), collect_ipmi(t, out[t.name], **FAST))))
    return out


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("ipmi-fleet")
    spec = mock_fleet.FleetSpec(groups=[mock_fleet.GroupSpec(p, 1) for p in PROFILES], seed="tests-ipmi")
    with mock_fleet.run_fleet_in_thread(spec, timeout=120) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        targets = load_inventory(inv).targets
        free = _port_623_free()
        fixed = []
        for t in targets:
            if t.port("ipmi") == 623 and not free:  # something else owns 623 here: use a closed port
                t = dataclasses.replace(t, ports={**t.ports, "ipmi": closed_udp_port()})
            fixed.append(t)
        facts = asyncio.run(_collect(fixed))
        accounts = {b.profile.name: {u: (a.failed_logins, a.locked) for u, a in b.accounts.items()}
                    for b in fleet.bmcs}
        bmc_ports = {b.profile.name: dict(b.ports) for b in fleet.bmcs}
    by_profile = {next(p for p in PROFILES if f"-{p}-" in t.name): t for t in fixed}
    yield {"facts": {p: facts[t.name] for p, t in by_profile.items()}, "targets": by_profile,
           "accounts": accounts, "ports": bmc_ports}


def _judge(facts: list[Fact], settings: Settings = Settings()) -> dict[tuple[str, str], Any]:
    tf = TargetFacts("t", facts)
    return {(f.check_id, f.subject): f for f in run_target_checks(tf, Policy(settings),
                                                                    [REGISTRY[c] for c in IPMI_CHECKS])}


def test_inventory_ports_follow_the_profiles(swept: dict[str, Any]) -> None:
    assert "ipmi" in swept["ports"]["factory-default"] and "ipmi" in swept["ports"]["ipmi-strict"]
    assert "ipmi" not in swept["ports"]["hardened"] and "ipmi" not in swept["ports"]["hgx-h100"]


def test_factory_default_fails_every_ipmi_control(swept: dict[str, Any]) -> None:
    facts = swept["facts"]["factory-default"]
    st = _judge(facts)
    port = swept["targets"]["factory-default"].port("ipmi")
    fails = {k for k, v in st.items() if v.status is Status.FAIL}
    assert {("OOB-IPMI-001", f"udp/{port}"), ("OOB-IPMI-002", "cipher-0"), ("OOB-IPMI-003", "anonymous"),
            ("OOB-IPMI-004", "ipmi-user:ADMIN"), ("OOB-IPMI-004", "ipmi-user:(null)"),
            ("OOB-IPMI-004", "rakp2-disclosure"), ("OOB-IPMI-005", "auth-types"),
            ("OOB-IPMI-006", "cipher-suites")} <= fails
    assert any(k[0] == "OOB-IPMI-001" and k[1].endswith(":IPMI") for k in fails)  # the Redfish side too
    assert not [k for k, v in st.items() if v.status is Status.ERROR]
    cz = next(f for f in facts if f.kind == IPMI_CIPHER_ZERO).data
    assert cz["command_with_wrong_password"] is True
    assert "confirmed" in st[("OOB-IPMI-002", "cipher-0")].detail
    ipmi_logins = {f.subject: f.data["outcome"] for f in facts if f.kind == CRED_LOGIN
                   and f.data.get("protocol") == "ipmi"}
    assert ipmi_logins["ipmi:ADMIN"] == "accepted"
    # the CRED-001 check reports the IPMI default next to the Redfish ones
    # (the Redfish side ran with credential tests off: stand in an "on" policy for the check)
    tf = TargetFacts("t", [Fact(kind="cred.policy", subject="redfish", collector="test", data={"enabled": True}),
                           *(f for f in facts if f.kind != "cred.policy")])
    cred = run_target_checks(tf, Policy(), [REGISTRY["OOB-CRED-001"]])
    assert any(f.subject == "ipmi:ADMIN" and f.status is Status.FAIL and "ipmi" in f.detail for f in cred)


def test_ipmi_strict_is_clean_when_the_baseline_allows_ipmi(swept: dict[str, Any]) -> None:
    facts = swept["facts"]["ipmi-strict"]
    st = _judge(facts, STRICT)
    assert {k: v.detail for k, v in st.items() if v.status is not Status.PASS} == {}
    assert ("OOB-IPMI-004", "ipmi-user:admin") in st  # the admin hash was disclosed and did not crack
    # with the default settings (IPMI not allowed) only the exposure itself is flagged
    st = _judge(facts)
    fails = {k for k, v in st.items() if v.status is Status.FAIL}
    assert {k[0] for k in fails} == {"OOB-IPMI-001", "OOB-IPMI-004"}
    assert ("OOB-IPMI-004", "rakp2-disclosure") in fails and ("OOB-IPMI-004", "ipmi-user:admin") not in fails


@pytest.mark.parametrize("profile", ["hardened", "hgx-h100"])
def test_ipmi_off_profiles_pass(swept: dict[str, Any], profile: str) -> None:
    facts = swept["facts"][profile]
    pres = next(f for f in facts if f.kind == IPMI_PRESENCE)
    assert not pres.ok and pres.evidence["reason"] == "icmp_unreachable"
    st = _judge(facts)
    assert {k: v.status for k, v in st.items() if v.status is not Status.PASS} == {}
    assert {k[0] for k in st} == set(IPMI_CHECKS)
    assert all("not reachable" in v.detail for k, v in st.items() if k[0] != "OOB-IPMI-001")


def test_ipmi_probing_costs_no_failed_login(swept: dict[str, Any]) -> None:
    for profile, accts in swept["accounts"].items():
        for user, (failed, locked) in accts.items():
            assert failed == 0 and not locked, (profile, user)
