"""Each Redfish-family check on fact fixtures: the verdict a reader would expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oobaudit import facts as F
from oobaudit.checks import REGISTRY, Status, run_target_checks
from oobaudit.collectors.credentials import CredentialOptions, attempt_budget
from oobaudit.collectors.redfish import sanitize
from oobaudit.facts import Fact, TargetFacts
from oobaudit.policy import DEFAULT_SETTINGS, AccountRule, Policy, Settings

MOCKUP = Path(__file__).parents[3] / "shared" / "redfish-mockups" / "public-rackmount1"


def fact(kind, subject="", data=None, error=None):
    return Fact(kind=kind, subject=subject, collector="test", data=data or {}, error=error,
                evidence={"url": f"/redfish/v1/{kind}/{subject}"})


CONNECTED = fact(F.REDFISH_CONNECTIVITY, data={"auth": "session"})


def run(check_id, *facts_, settings: Settings = DEFAULT_SETTINGS, meta=None):
    tf = TargetFacts("bmc1", [CONNECTED, *facts_], meta=meta or {})
    return run_target_checks(tf, Policy(settings), [REGISTRY[check_id]])


def statuses(findings):
    return {f.subject: f.status for f in findings}


def proto(**enabled):
    return {name: {"ProtocolEnabled": on, "Port": 1} for name, on in enabled.items()}


def test_svc_001_fails_each_insecure_service_and_passes_disabled_ones():
    np = {**proto(Telnet=True, SSDP=False, KVMIP=True, VirtualMedia=False, HTTPS=True),
          "SNMP": {"ProtocolEnabled": True, "EnableSNMPv1": True, "EnableSNMPv2c": False, "EnableSNMPv3": True}}
    st = statuses(run("OOB-SVC-001", fact(F.REDFISH_NETWORK_PROTOCOL, "BMC", np)))
    assert st == {"BMC:Telnet": Status.FAIL, "BMC:SSDP": Status.PASS, "BMC:SNMPv1": Status.FAIL,
                  "BMC:SNMPv2c": Status.PASS, "BMC:HTTP": Status.PASS}
    # KVM and virtual media are judged only when the baseline says the site does not use them.
    st = statuses(run("OOB-SVC-001", fact(F.REDFISH_NETWORK_PROTOCOL, "BMC", np),
                      settings=Settings(services_off=["KVMIP", "VirtualMedia"])))
    assert st == {"BMC:KVMIP": Status.FAIL, "BMC:VirtualMedia": Status.PASS}


def test_svc_001_respects_baseline_services_list_and_default_community():
    np = {**proto(Telnet=True), "SNMP": {"ProtocolEnabled": True, "EnableSNMPv1": False, "EnableSNMPv2c": True,
                                        "CommunityStrings": [{"Name": "c1", "CommunityString": "<redacted>",
                                                              "CommunityStringIsDefault": True}]}}
    st = statuses(run("OOB-SVC-001", fact(F.REDFISH_NETWORK_PROTOCOL, "BMC", np),
                      settings=Settings(services_off=["SNMPv2c"])))
    assert st == {"BMC:SNMP community c1": Status.FAIL, "BMC:SNMPv2c": Status.FAIL}


def test_redfish_checks_error_with_reason_when_target_unreachable():
    tf = TargetFacts("bmc1", [fact(F.REDFISH_CONNECTIVITY, error="service root unreadable: timed out")])
    ids = ["OOB-SVC-001", "OOB-ACCT-001", "OOB-ACCT-002", "OOB-ACCT-003", "OOB-BOOT-001", "OOB-IPMI-001"]
    out = run_target_checks(tf, Policy(), [REGISTRY[i] for i in ids])
    assert {f.check_id for f in out} == set(ids)
    assert all(f.status is Status.ERROR and "timed out" in f.detail for f in out)


@pytest.mark.parametrize("svc,expect", [
    ({"MinPasswordLength": 14, "AccountLockoutThreshold": 5, "AccountLockoutDuration": 300},
     {"MinPasswordLength": Status.PASS, "AccountLockoutThreshold": Status.PASS}),
    ({"MinPasswordLength": 1, "AccountLockoutThreshold": 0, "AccountLockoutDuration": 0},
     {"MinPasswordLength": Status.FAIL, "AccountLockoutThreshold": Status.FAIL}),
    ({"MinPasswordLength": 8, "AccountLockoutThreshold": 50},
     {"MinPasswordLength": Status.PASS, "AccountLockoutThreshold": Status.FAIL}),
    ({}, {"MinPasswordLength": Status.ERROR, "AccountLockoutThreshold": Status.ERROR}),
])
def test_acct_001(svc, expect):
    assert statuses(run("OOB-ACCT-001", fact(F.REDFISH_ACCOUNT_SERVICE, "AccountService", svc))) == expect


def test_acct_001_threshold_from_baseline():
    svc = {"MinPasswordLength": 10, "AccountLockoutThreshold": 5, "AccountLockoutDuration": 60}
    st = statuses(run("OOB-ACCT-001", fact(F.REDFISH_ACCOUNT_SERVICE, "AccountService", svc),
                      settings=Settings(password_min_length=14)))
    assert st["MinPasswordLength"] is Status.FAIL


def test_acct_002_allow_list_and_generic_names():
    accts = [fact(F.REDFISH_ACCOUNT, "1", {"UserName": "admin", "RoleId": "Administrator", "Enabled": True}),
             fact(F.REDFISH_ACCOUNT, "2", {"UserName": "test", "RoleId": "Administrator", "Enabled": True}),
             fact(F.REDFISH_ACCOUNT, "3", {"UserName": "ops", "RoleId": "Administrator", "Enabled": True}),
             fact(F.REDFISH_ACCOUNT, "4", {"UserName": "", "RoleId": "", "Enabled": False}),
             fact(F.REDFISH_ACCOUNT, "5", {"UserName": "auditor", "RoleId": "Operator", "Enabled": True})]
    st = statuses(run("OOB-ACCT-002", *accts, meta={"auditor_username": "auditor"}))
    assert st == {"account:admin": Status.PASS, "account:test": Status.FAIL, "account:ops": Status.PASS,
                  "account:auditor": Status.PASS}
    strict = Settings(allowed_accounts=[AccountRule(name="admin", max_role="Administrator"),
                                        AccountRule(name="ops", max_role="Operator")])
    st = statuses(run("OOB-ACCT-002", *accts, settings=strict, meta={"auditor_username": "auditor"}))
    assert st == {"account:admin": Status.PASS, "account:test": Status.FAIL, "account:ops": Status.FAIL,
                  "account:auditor": Status.PASS}


def test_acct_003_session_timeout():
    assert statuses(run("OOB-ACCT-003", fact(F.REDFISH_SESSION_SERVICE, "S", {"SessionTimeout": 86400}))) == \
        {"SessionTimeout": Status.FAIL}
    assert statuses(run("OOB-ACCT-003", fact(F.REDFISH_SESSION_SERVICE, "S", {"SessionTimeout": 600}))) == \
        {"SessionTimeout": Status.PASS}


def test_boot_001():
    sysf = fact(F.REDFISH_SYSTEM, "1", {"Id": "1"})
    on = fact(F.REDFISH_SECURE_BOOT, "1", {"SecureBootEnable": True, "SecureBootCurrentBoot": "Enabled"})
    off = fact(F.REDFISH_SECURE_BOOT, "1", {"SecureBootEnable": False, "SecureBootCurrentBoot": "Disabled"})
    assert statuses(run("OOB-BOOT-001", sysf, on)) == {"system:1": Status.PASS}
    assert statuses(run("OOB-BOOT-001", sysf, off)) == {"system:1": Status.FAIL}
    assert statuses(run("OOB-BOOT-001", sysf)) == {"system:1": Status.NOT_APPLICABLE}
    assert statuses(run("OOB-BOOT-001", sysf, fact(F.REDFISH_SECURE_BOOT, "1", error="HTTP 500"))) == \
        {"system:1": Status.ERROR}


def test_ipmi_001_redfish_side():
    on = fact(F.REDFISH_NETWORK_PROTOCOL, "BMC", proto(IPMI=True))
    off = fact(F.REDFISH_NETWORK_PROTOCOL, "BMC", proto(IPMI=False))
    assert statuses(run("OOB-IPMI-001", on)) == {"BMC:IPMI": Status.FAIL}
    assert statuses(run("OOB-IPMI-001", on, settings=Settings(ipmi_allowed=True))) == {"BMC:IPMI": Status.PASS}
    assert statuses(run("OOB-IPMI-001", off)) == {"BMC:IPMI": Status.PASS}


@pytest.mark.parametrize("data,expect", [
    ({"outcome": "served", "status": 200}, Status.FAIL),
    ({"outcome": "redirect", "location": "https://10.0.0.1/", "redirect_to_https": True}, Status.PASS),
    ({"outcome": "redirect", "location": "http://evil.example/", "redirect_to_https": False}, Status.FAIL),
    ({"outcome": "refused"}, Status.PASS),
])
def test_http_001(data, expect):
    assert statuses(run("OOB-HTTP-001", fact(F.HTTP_PLAIN, "http:80", data))) == {"http:80": expect}


def test_cred_001_names_account_and_protocol_never_password():
    pol = fact(F.CRED_POLICY, "redfish", {"enabled": True, "budget": 3})
    acc = fact(F.CRED_LOGIN, "redfish:ADMIN", {"protocol": "redfish", "username": "ADMIN", "outcome": "accepted",
                                              "attempts": 1, "budget": 3, "matched_vendor": "Supermicro"})
    rej = fact(F.CRED_LOGIN, "redfish:root", {"protocol": "redfish", "username": "root", "outcome": "rejected",
                                             "attempts": 3, "budget": 3})
    out = run("OOB-CRED-001", pol, acc, rej)
    by = {f.subject: f for f in out}
    assert by["redfish:ADMIN"].status is Status.FAIL and by["redfish:ADMIN"].severity.value == "critical"
    assert "ADMIN" in by["redfish:ADMIN"].detail and "redfish" in by["redfish:ADMIN"].detail
    assert "ADMIN'" in by["redfish:ADMIN"].detail and "password ADMIN" not in by["redfish:ADMIN"].detail
    assert by["redfish:root"].status is Status.PASS
    off = run("OOB-CRED-001", fact(F.CRED_POLICY, "redfish", {"enabled": False}))
    assert [f.status for f in off] == [Status.NOT_APPLICABLE]
    none = run("OOB-CRED-001")
    assert [f.status for f in none] == [Status.ERROR]


@pytest.mark.parametrize("threshold,assume,expect", [
    (5, False, 3), (4, False, 2), (3, False, 1), (2, False, 0), (1, False, 0), (10, False, 3),
    (0, False, 3), (None, False, 1), (None, True, 0), ("x", True, 0),
])
def test_lockout_budget_never_reaches_threshold(threshold, assume, expect):
    budget, why = attempt_budget(threshold, CredentialOptions(assume_lockout=assume))
    assert budget == expect and why
    if isinstance(threshold, int) and threshold > 0:
        assert budget <= threshold - 2 or budget == 0


def test_sanitize_drops_secrets_keeps_policy_numbers():
    doc = {"MinPasswordLength": 8, "Password": "x", "PasswordChangeRequired": True,
           "SNMP": {"AuthenticationKey": "k", "CommunityStrings": [{"CommunityString": "public"}]},
           "Links": [{"Token": "t"}]}
    s = sanitize(doc)
    blob = json.dumps(s)
    assert s["MinPasswordLength"] == 8 and s["PasswordChangeRequired"] is True
    assert '"x"' not in blob and '"k"' not in blob and "public" not in blob and '"t"' not in blob
    assert s["SNMP"]["CommunityStrings"][0]["CommunityStringIsDefault"] is True


def test_every_check_has_complete_metadata():
    for cid, chk in REGISTRY.items():
        m = chk.meta
        assert m.id == cid and m.title and not m.title.startswith("Ensure")
        assert len(m.rationale) > 40 and len(m.remediation) > 20 and m.references
        assert m.needs, f"{cid} declares no fact kinds"
