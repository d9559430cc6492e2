"""The SSH collector against the mock BMC's SSH server (mock_bmc/ssh.py), and the mock itself.

One fleet per module (ephemeral loopback ports).  The mock checks SSH passwords with the
same Authenticator as Redfish, so lockout counters seen here are the BMC's real ones.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import paramiko
import pytest

from mock_bmc.fleet import Fleet, FleetSpec, GroupSpec, run_fleet_in_thread
from mock_bmc.profiles import ProfileError, load_profile
from oobaudit.checks.base import REGISTRY, Status, run_target_checks
from oobaudit.checks.ssh import judge
from oobaudit.collectors.credentials import CredentialOptions
from oobaudit.collectors.http import make_session
from oobaudit.collectors.redfish import RedfishOptions, collect_redfish
from oobaudit.collectors.ssh import SSH_ALGORITHMS, SSH_CONNECTIVITY, AuditTransport, collect_ssh
from oobaudit.facts import CRED_LOGIN, CRED_POLICY, REDFISH_ACCOUNT, REDFISH_ACCOUNT_SERVICE, Fact, TargetFacts
from oobaudit.inventory import Credentials, Target, load_inventory
from oobaudit.policy import DEFAULT_POLICY
from oobaudit.secrets import SecretRef

pytestmark = pytest.mark.timeout(60)

PW_ENV = "OOBAUDIT_TEST_SSH_AUDITOR_PW"
FACTORY_WEAK = {"kex:diffie-hellman-group14-sha1", "kex:diffie-hellman-group1-sha1", "host_key:ssh-rsa",
                "cipher:aes128-cbc", "cipher:3des-cbc", "mac:hmac-sha1", "mac:hmac-md5"}


def _groups() -> list[GroupSpec]:
    hardened = load_profile("hardened")
    factory = load_profile("factory-default")
    return [
        GroupSpec("factory-default", 3),
        GroupSpec("hardened", 3),
        GroupSpec("hgx-h100", 1),
        GroupSpec(factory.derive("kbd", ssh={"auth_methods": ["keyboard-interactive"]}), 1),
        GroupSpec(hardened.derive("pubkey-only", ssh={"auth_methods": ["publickey"]}), 1),
        GroupSpec(hardened.derive("ssh-victim", account_service={"AccountLockoutThreshold": 3}), 1),
        GroupSpec(hardened.derive("ssh-silent", ssh={"no_banner": True}), 1),
        GroupSpec(hardened.derive("ssh-off", ssh={"enabled": False}), 1),
    ]


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    with run_fleet_in_thread(FleetSpec(groups=_groups(), base_port=0, seed="tests-ssh")) as running:
        yield running


@pytest.fixture(autouse=True)
def _auditor_password(fleet: Fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PW_ENV, fleet.auditor_password)


def _bmc(fleet: Fleet, name: str):
    return fleet.bmc(f"mock-{name}")


def _target(fleet: Fleet, bmc) -> Target:
    return Target(name=bmc.name, address="127.0.0.1", ports=dict(bmc.ports), platform=bmc.platform, site="mock",
                  rack="rack-1", credentials=Credentials(fleet.auditor_user, SecretRef("env", PW_ENV)))


def _collect(fleet: Fleet, bmc, *, threshold: int | None = None, users: set[str] | None = None,
             cred: bool = True, timeout: float = 5.0, **kw) -> list[Fact]:
    out: list[Fact] = list(kw.pop("out", []))
    if threshold is None:
        threshold = bmc.profile.account_service.AccountLockoutThreshold
    asyncio.run(collect_ssh(_target(fleet, bmc), out, timeout=timeout,
                            cred_opts=CredentialOptions() if cred else None, lockout_threshold=threshold,
                            existing_users=set(bmc.accounts) if users is None else users, **kw))
    return out


def _one(facts: list[Fact], kind: str, subject: str | None = None) -> Fact:
    found = [f for f in facts if f.kind == kind and (subject is None or f.subject == subject)]
    assert len(found) == 1, (kind, subject, [f.subject for f in facts])
    return found[0]


def _findings(facts: list[Fact], meta: dict | None = None, check_id: str = "OOB-SSH-001"):
    tf = TargetFacts("t", facts, meta=meta or {})
    return run_target_checks(tf, DEFAULT_POLICY, [REGISTRY[check_id]])


def test_inventory_lists_the_ssh_port(fleet: Fleet, tmp_path) -> None:
    path = tmp_path / "lab.yaml"
    fleet.write_inventory(path)
    inv = load_inventory(path)
    for bmc in fleet.bmcs:
        target = inv.by_name(bmc.name)
        if bmc.profile.ssh.enabled:
            assert target.port("ssh") == bmc.ports["ssh"]
            assert bmc.ports["ssh"] not in (bmc.ports["https"], bmc.ports.get("http"))
        else:
            assert "ssh" not in bmc.ports


def test_factory_default_weak_algorithms_and_default_password(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "factory-default-000")
    facts = _collect(fleet, bmc)
    data = _one(facts, SSH_ALGORITHMS).data
    assert data["banner"] == "SSH-2.0-dropbear_2017.75"
    assert data["host_key"]["type"] == "ssh-rsa" and data["host_key"]["bits"] == 1024
    assert data["host_key_types"] == ["ssh-rsa"] and data["strict_kex"] is False
    assert {w.subject for w in judge(data).weaknesses} == FACTORY_WEAK
    login = _one(facts, CRED_LOGIN, "ssh:ADMIN")
    assert login.ok
    assert login.data["outcome"] == "accepted" and login.data["matched_vendor"] == "Supermicro"
    assert 1 <= login.data["attempts"] <= login.data["budget"] == 3
    assert bmc.login_attempts["ADMIN"].successes == 1
    assert [f.subject for f in facts if f.kind == CRED_LOGIN] == ["ssh:ADMIN"]  # test/auditor: no default row

    findings = _findings(facts, {"ports": dict(bmc.ports)})
    by_subject = {f.subject: f for f in findings}
    assert set(by_subject) == FACTORY_WEAK and all(f.status is Status.FAIL for f in findings)
    assert by_subject["cipher:3des-cbc"].severity == "high" and by_subject["cipher:aes128-cbc"].severity == "low"
    assert "SHA-1" in by_subject["host_key:ssh-rsa"].detail and "1024-bit" in by_subject["host_key:ssh-rsa"].detail

    policy = Fact(kind=CRED_POLICY, subject="redfish", collector="credentials", data={"enabled": True})
    cred = _findings([policy, *facts], check_id="OOB-CRED-001")
    assert [(f.subject, f.status) for f in cred] == [("ssh:ADMIN", Status.FAIL)]
    assert "Supermicro" in cred[0].detail


def test_hardened_has_no_weakness_and_no_account_is_locked(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "hardened-000")
    facts = _collect(fleet, bmc)
    data = _one(facts, SSH_ALGORITHMS).data
    assert data["host_key"]["type"] == "ssh-ed25519" and data["strict_kex"] is True
    assert judge(data).weaknesses == []
    findings = _findings(facts, {"ports": dict(bmc.ports)})
    assert [(f.subject, f.status) for f in findings] == [("", Status.PASS)]
    login = _one(facts, CRED_LOGIN, "ssh:admin")
    assert login.data["outcome"] == "rejected"
    assert login.data["attempts"] <= login.data["budget"] == 3
    admin = bmc.accounts["admin"]
    assert admin.failed_logins == login.data["attempts"] and not admin.locked
    assert not any(a.locked for a in bmc.accounts.values())


def test_redfish_then_ssh_share_one_budget_per_account(fleet: Fleet) -> None:
    """The wiring the engine uses: Redfish first, then SSH with what Redfish learned."""
    bmc = _bmc(fleet, "hardened-001")
    target = _target(fleet, bmc)
    out: list[Fact] = []

    async def run() -> None:
        async with make_session() as http:
            await collect_redfish(target, http, out, RedfishOptions(timeout=5))
        svc = _one(out, REDFISH_ACCOUNT_SERVICE)
        users = {f.data["UserName"] for f in out if f.kind == REDFISH_ACCOUNT and f.ok
                 and f.data.get("Enabled") is not False and f.data.get("Locked") is not True}
        await collect_ssh(target, out, timeout=5, cred_opts=CredentialOptions(),
                          lockout_threshold=svc.data["AccountLockoutThreshold"], existing_users=users)

    asyncio.run(run())
    redfish = _one(out, CRED_LOGIN, "redfish:admin").data
    ssh = _one(out, CRED_LOGIN, "ssh:admin").data
    assert ssh["prior_attempts"] == redfish["attempts"]
    assert redfish["attempts"] + ssh["attempts"] <= ssh["budget"] == 3
    assert bmc.login_attempts["admin"].failures == redfish["attempts"] + ssh["attempts"]
    assert not bmc.accounts["admin"].locked


def test_budget_used_elsewhere_means_no_ssh_attempt(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "factory-default-001")
    facts = _collect(fleet, bmc, attempts_used={"ADMIN": 3})
    login = _one(facts, CRED_LOGIN, "ssh:ADMIN").data
    assert (login["outcome"], login["attempts"], login["prior_attempts"]) == ("skipped", 0, 3)
    assert "ADMIN" not in bmc.login_attempts
    findings = _findings([Fact(kind=CRED_POLICY, subject="redfish", collector="c", data={}), *facts],
                         check_id="OOB-CRED-001")
    assert [f.status for f in findings] == [Status.ERROR]  # not tested is never a pass


def test_prior_attempts_are_read_from_the_redfish_facts(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "hardened-002")
    prior = Fact(kind=CRED_LOGIN, subject="redfish:admin", collector="credentials",
                 data={"protocol": "redfish", "username": "admin", "outcome": "rejected", "attempts": 2})
    facts = _collect(fleet, bmc, out=[prior])
    login = _one(facts, CRED_LOGIN, "ssh:admin").data
    assert (login["prior_attempts"], login["attempts"]) == (2, 1)
    assert bmc.accounts["admin"].failed_logins == 1


def test_unknown_lockout_threshold_means_one_attempt(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "factory-default-002")
    facts: list[Fact] = []
    asyncio.run(collect_ssh(_target(fleet, bmc), facts, timeout=5, cred_opts=CredentialOptions(),
                            lockout_threshold=None, existing_users={"ADMIN"}))
    login = _one(facts, CRED_LOGIN, "ssh:ADMIN").data
    assert login["budget"] == 1 and login["attempts"] == 1 and login["outcome"] == "accepted"
    facts = []
    asyncio.run(collect_ssh(_target(fleet, bmc), facts, timeout=5,
                            cred_opts=CredentialOptions(assume_lockout=True), lockout_threshold=None,
                            existing_users={"ADMIN"}))
    assert _one(facts, CRED_LOGIN, "ssh:ADMIN").data["outcome"] == "skipped"


def test_hgx_ecdsa_host_key_is_accepted(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "hgx-h100-000")
    facts = _collect(fleet, bmc, cred=False)
    data = _one(facts, SSH_ALGORITHMS).data
    assert data["host_key"]["type"] == "ecdsa-sha2-nistp256" and data["host_key"]["bits"] == 256
    assert judge(data).weaknesses == []
    assert not any(f.kind == CRED_LOGIN for f in facts)
    assert not bmc.login_attempts


def test_keyboard_interactive_login(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "kbd-000")
    facts = _collect(fleet, bmc, users={"ADMIN"})
    assert _one(facts, SSH_ALGORITHMS).data["auth_methods"] == ["keyboard-interactive"]
    login = _one(facts, CRED_LOGIN, "ssh:ADMIN").data
    assert login["outcome"] == "accepted" and login["method"] == "SSH keyboard-interactive authentication"


def test_publickey_only_server_takes_no_password(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "pubkey-only-000")
    facts = _collect(fleet, bmc)
    data = _one(facts, SSH_ALGORITHMS).data
    assert data["auth_methods"] == ["publickey"] and data["password_auth"] is False
    login = _one(facts, CRED_LOGIN, "ssh:admin").data
    assert (login["outcome"], login["attempts"]) == ("rejected", 0)
    assert not bmc.login_attempts


def test_ssh_failures_count_toward_the_redfish_lockout(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "ssh-victim-000")
    real = bmc.reveal_password("admin")
    port = bmc.ports["ssh"]

    def login(password: str) -> bool:
        t = AuditTransport(socket.create_connection(("127.0.0.1", port), timeout=5))
        try:
            t.start_client(timeout=5)
            t.auth_password("admin", password, fallback=False)
            return t.is_authenticated()
        except paramiko.AuthenticationException:
            return False
        finally:
            t.close()

    assert login(real)
    for n in range(3):
        assert not login(f"wrong-{n}")
    assert bmc.accounts["admin"].locked and bmc.accounts["admin"].lockouts == 1
    assert not login(real)  # locked: even the right password is refused over SSH ...
    req = urllib.request.Request(f"{bmc.https_url}/redfish/v1/Systems", headers={
        "Authorization": "Basic " + base64.b64encode(f"admin:{real}".encode()).decode()})
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, context=ctx, timeout=5)
    assert err.value.code == 401  # ... and over Redfish
    stats = bmc.login_attempts["admin"]
    assert (stats.successes, stats.failures) == (1, 5)  # 3 wrong + refused while locked (SSH, Redfish)


def test_silent_server_is_an_error_within_the_timeout(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "ssh-silent-000")
    start = time.monotonic()
    facts = _collect(fleet, bmc, timeout=1.0)
    assert time.monotonic() - start < 3.0
    conn = _one(facts, SSH_CONNECTIVITY)
    assert not conn.ok and "no SSH banner" in conn.error and conn.evidence["reason"] == "no_banner"
    assert [f.kind for f in facts] == [SSH_CONNECTIVITY]
    findings = _findings(facts, {"ports": {"ssh": bmc.ports["ssh"]}})
    assert [f.status for f in findings] == [Status.ERROR] and "no SSH banner" in findings[0].detail


def test_disabled_ssh_has_no_listener_and_the_check_says_so(fleet: Fleet) -> None:
    bmc = _bmc(fleet, "ssh-off-000")
    assert "ssh" not in bmc.ports
    assert _findings([], {"ports": dict(bmc.ports)})[0].status is Status.NOT_APPLICABLE


def test_auditor_account_is_compared_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OOBAUDIT_TEST_USERID_PW", "PASSW0RD")
    spec = FleetSpec.single("hardened", 1, auditor_user="USERID", auditor_password="PASSW0RD", seed="ssh-offline")
    with run_fleet_in_thread(spec) as fl:
        bmc = fl.bmcs[0]
        target = Target(name=bmc.name, address="127.0.0.1", ports=dict(bmc.ports), platform="generic", site="s",
                        rack="r", credentials=Credentials("USERID", SecretRef("env", "OOBAUDIT_TEST_USERID_PW")))
        facts: list[Fact] = []
        asyncio.run(collect_ssh(target, facts, timeout=5, cred_opts=CredentialOptions(), lockout_threshold=5,
                                existing_users={"USERID"}))
        login = _one(facts, CRED_LOGIN, "ssh:USERID").data
        assert (login["outcome"], login["attempts"], login["matched_vendor"]) == ("accepted", 0, "IBM")
        assert "USERID" not in bmc.login_attempts
        assert "PASSW0RD" not in json.dumps([f.model_dump(mode="json") for f in facts])


def test_unsupported_algorithm_refuses_to_start() -> None:
    bad = load_profile("hardened").derive("bad-ssh", ssh={"ciphers": ["arcfour256"]})
    spec = FleetSpec.single(bad, 1, seed="bad")
    with pytest.raises(ValueError, match="arcfour256"), run_fleet_in_thread(spec):
        pass


def test_ssh_section_is_typed() -> None:
    with pytest.raises(ProfileError, match="ssh"):
        load_profile("hardened").derive("typo", ssh={"kexx": ["curve25519-sha256@libssh.org"]})
    with pytest.raises(ProfileError, match="ed25519"):
        load_profile("hardened").derive("bits", ssh={"host_key": {"type": "ed25519", "bits": 1024}})
    profile = load_profile("factory-default")
    assert profile.ssh.enabled and profile.ssh.host_key.bits == 1024 and profile.ssh.strict_kex is False
