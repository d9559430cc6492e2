"""OOB-SSH-001 on fact fixtures, and a lint of the shipped SSH policy (ssh-audit style)."""

from __future__ import annotations

import fnmatch
from importlib import resources

import pytest
import yaml

from oobaudit.checks.base import REGISTRY, Severity, Status, run_target_checks
from oobaudit.checks.ssh import SSH_ALGORITHMS, SSH_CONNECTIVITY, default_policy, judge, parse_policy
from oobaudit.collectors import ssh as collector
from oobaudit.facts import REDFISH_NETWORK_PROTOCOL, Fact, TargetFacts
from oobaudit.policy import DEFAULT_POLICY

STRONG = {
    "kex": ["curve25519-sha256", "curve25519-sha256@libssh.org", "sntrup761x25519-sha512@openssh.com",
            "mlkem768x25519-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group14-sha256",
            "diffie-hellman-group-exchange-sha256", "ecdh-sha2-nistp256", "ext-info-s", "kex-strict-s-v00@openssh.com"],
    "host_key_types": ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp384",
                       "ssh-ed25519-cert-v01@openssh.com"],
    "ciphers": ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr"],
    "macs": ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512", "umac-128-etm@openssh.com"],
    "compression": ["none", "zlib@openssh.com", "zlib"],
}


def _data(**over) -> dict:
    base = {"banner": "SSH-2.0-Test", "protocol": "2.0", "software": "Test", "strict_kex": True,
            "host_key": {"type": "ssh-ed25519", "bits": 256, "sha256": "SHA256:x"},
            "host_keys": [{"type": "ssh-ed25519", "bits": 256, "sha256": "SHA256:x", "algorithms": ["ssh-ed25519"]},
                          {"type": "ssh-rsa", "bits": 3072, "sha256": "SHA256:y",
                           "algorithms": ["rsa-sha2-512", "rsa-sha2-256"]},
                          {"type": "ecdsa-sha2-nistp384", "bits": 384, "sha256": "SHA256:z",
                           "algorithms": ["ecdsa-sha2-nistp384"]}],
            "host_key_errors": {}, **STRONG}
    base.update(over)
    return base


def _facts(data: dict | None, conn_error: str | None = None, reason: str = "timeout") -> list[Fact]:
    if conn_error:
        return [Fact(kind=SSH_CONNECTIVITY, subject="h:22", collector="ssh", error=conn_error,
                     evidence={"reason": reason})]
    return [Fact(kind=SSH_CONNECTIVITY, subject="h:22", collector="ssh", data={"port": 22, "banner": "SSH-2.0-T"}),
            Fact(kind=SSH_ALGORITHMS, subject="h:22", collector="ssh", data=data or {})]


def _run(facts: list[Fact], meta: dict | None = None):
    tf = TargetFacts("bmc-1", facts, meta={"ports": {"ssh": 22}} if meta is None else meta)
    return run_target_checks(tf, DEFAULT_POLICY, [REGISTRY["OOB-SSH-001"]])


# --------------------------------------------------------------------------- policy lint


def test_policy_file_is_consistent() -> None:
    text = resources.files("oobaudit.data").joinpath("ssh_policy.yaml").read_text()
    doc = yaml.safe_load(text)
    pol = parse_policy(text)
    assert "ssh-audit" in pol.source
    for cls, rules in doc["rules"].items():
        assert rules, cls
        for rule in rules:
            assert rule["level"] in ("fail", "warn", "ok", "ignore") and rule["reason"].strip()
            if "ssh_audit" in rule:  # a documented difference always relaxes ssh-audit's verdict
                assert rule["level"] == "ok" and rule["ssh_audit"] == "fail", rule
            fnmatch.translate(rule["match"])
    assert pol.unknown.level == "warn" and pol.terrapin.severity is Severity.MEDIUM
    assert pol.key_sizes["ssh-rsa"][0] == 2048


@pytest.mark.parametrize(("cls", "alg", "level"), [
    ("kex", "diffie-hellman-group1-sha1", "fail"),
    ("kex", "diffie-hellman-group14-sha1", "fail"),
    ("kex", "diffie-hellman-group-exchange-sha1", "fail"),
    ("kex", "gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==", "fail"),
    ("kex", "curve25519-sha256", "ok"),
    ("kex", "diffie-hellman-group18-sha512", "ok"),
    ("kex", "ecdh-sha2-nistp521", "ok"),
    ("kex", "kex-strict-s-v00@openssh.com", "ignore"),
    ("cipher", "aes128-cbc", "warn"),
    ("cipher", "aes256-cbc", "warn"),
    ("cipher", "3des-cbc", "fail"),
    ("cipher", "blowfish-cbc", "fail"),
    ("cipher", "cast128-cbc", "fail"),
    ("cipher", "arcfour", "fail"),
    ("cipher", "arcfour256", "fail"),
    ("cipher", "rijndael-cbc@lysator.liu.se", "fail"),
    ("cipher", "none", "fail"),
    ("cipher", "aes256-gcm@openssh.com", "ok"),
    ("cipher", "chacha20-poly1305@openssh.com", "ok"),
    ("mac", "hmac-md5", "fail"),
    ("mac", "hmac-md5-96", "fail"),
    ("mac", "hmac-sha1", "fail"),
    ("mac", "hmac-sha1-96", "fail"),
    ("mac", "hmac-sha1-etm@openssh.com", "fail"),
    ("mac", "umac-64@openssh.com", "warn"),
    ("mac", "umac-64-etm@openssh.com", "warn"),
    ("mac", "hmac-sha2-256-96", "warn"),
    ("mac", "hmac-sha2-512-etm@openssh.com", "ok"),
    ("mac", "umac-128@openssh.com", "ok"),
    ("host_key", "ssh-dss", "fail"),
    ("host_key", "ssh-rsa", "fail"),
    ("host_key", "ssh-rsa-cert-v01@openssh.com", "fail"),
    ("host_key", "rsa-sha2-256", "ok"),
    ("host_key", "ssh-ed25519", "ok"),
    ("host_key", "ecdsa-sha2-nistp256", "ok"),
    ("compression", "zlib@openssh.com", "ok"),
    ("cipher", "made-up-cipher@example.com", "warn"),
])
def test_policy_levels(cls: str, alg: str, level: str) -> None:
    assert default_policy().rule(cls, alg).level == level


@pytest.mark.parametrize(("doc", "error"), [
    ("version: 2\nrules: {}", "version"),
    ("version: 1\nrules: {kex: [{match: a, level: bad, reason: r}]}", "level"),
    ("version: 1\nrules: {kex: [{match: a, level: fail}]}", "reason"),
    ("version: 1\nrules: {kex: [{match: a, level: fail, reason: r}, {match: a, level: ok, reason: r}]}", "twice"),
    ("version: 1\nrules: {kexx: []}", "unknown class"),
    ("version: 1\nrules: {kex: [{match: a, level: fail, reason: r, colour: red}]}", "unknown key"),
    ("version: 1\nhost_key_sizes: {ssh-rsa: {fail_below: big}}", "fail_below"),
])
def test_policy_parser_refuses_bad_documents(doc: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_policy(doc)


def test_collector_fact_kinds_match_the_check() -> None:
    assert (collector.SSH_CONNECTIVITY, collector.SSH_ALGORITHMS) == (SSH_CONNECTIVITY, SSH_ALGORITHMS)
    meta = REGISTRY["OOB-SSH-001"].meta
    assert set(meta.needs) == {SSH_CONNECTIVITY, SSH_ALGORITHMS}
    assert any("ssh-audit" in r for r in meta.references) and any("800-131A" in r for r in meta.references)
    assert any("NSA/CISA" in r for r in meta.references)


# --------------------------------------------------------------------------- the check


def test_strong_server_passes_once() -> None:
    findings = _run(_facts(_data()))
    assert [(f.subject, f.status) for f in findings] == [("", Status.PASS)]
    assert "ssh-ed25519 256-bit" in findings[0].detail


def test_one_finding_per_weak_algorithm_with_severity_by_level() -> None:
    data = _data(kex=[*STRONG["kex"], "diffie-hellman-group1-sha1"], ciphers=["aes128-cbc", "aes128-ctr"],
                 macs=["hmac-md5", "umac-64@openssh.com", "hmac-sha2-256"])
    findings = {f.subject: f for f in _run(_facts(data))}
    assert set(findings) == {"kex:diffie-hellman-group1-sha1", "cipher:aes128-cbc", "mac:hmac-md5",
                             "mac:umac-64@openssh.com"}
    assert all(f.status is Status.FAIL for f in findings.values())
    assert findings["kex:diffie-hellman-group1-sha1"].severity == Severity.HIGH
    assert findings["mac:hmac-md5"].severity == Severity.HIGH
    assert findings["cipher:aes128-cbc"].severity == Severity.LOW
    assert findings["kex:diffie-hellman-group1-sha1"].evidence["level"] == "fail"
    assert "Logjam" in findings["kex:diffie-hellman-group1-sha1"].detail


def test_small_rsa_key_fails_every_rsa_algorithm() -> None:
    keys = [{"type": "ssh-rsa", "bits": 1024, "sha256": "SHA256:y", "algorithms": ["rsa-sha2-512", "ssh-rsa"]}]
    data = _data(host_key_types=["rsa-sha2-512", "ssh-rsa"], host_keys=keys)
    findings = {f.subject: f for f in _run(_facts(data))}
    assert set(findings) == {"host_key:rsa-sha2-512", "host_key:ssh-rsa"}
    assert "1024-bit" in findings["host_key:rsa-sha2-512"].detail
    assert "SHA-1" in findings["host_key:ssh-rsa"].detail and "1024-bit" in findings["host_key:ssh-rsa"].detail


def test_rsa_2048_is_enough() -> None:
    keys = [{"type": "ssh-rsa", "bits": 2048, "sha256": "SHA256:y", "algorithms": ["rsa-sha2-512"]}]
    assert judge(_data(host_key_types=["rsa-sha2-512"], host_keys=keys)).weaknesses == []


def test_unknown_rsa_key_size_is_an_error_not_a_pass() -> None:
    data = _data(host_key_types=["rsa-sha2-512"], host_keys=[], host_key_errors={"ssh-rsa": "timed out"})
    findings = _run(_facts(data))
    assert [(f.subject, f.status) for f in findings] == [("host_key:ssh-rsa", Status.ERROR)]
    assert "timed out" in findings[0].detail


def test_terrapin_needs_strict_kex() -> None:
    data = _data(strict_kex=False, kex=["curve25519-sha256"])
    findings = {f.subject: f for f in _run(_facts(data))}
    assert findings["cve:CVE-2023-48795"].severity == Severity.MEDIUM  # chacha20-poly1305 without strict kex
    cbc_etm = _data(strict_kex=False, ciphers=["aes128-ctr", "aes256-cbc"], macs=["hmac-sha2-256-etm@openssh.com"])
    assert "cve:CVE-2023-48795" in {w.subject for w in judge(cbc_etm).weaknesses}
    safe = _data(strict_kex=False, ciphers=["aes128-ctr"], macs=["hmac-sha2-256-etm@openssh.com"])
    assert judge(safe).weaknesses == []


def test_ssh_1_99_is_a_failure() -> None:
    findings = _run(_facts(_data(protocol="1.99")))
    assert [(f.subject, f.status) for f in findings] == [("protocol:ssh-1", Status.FAIL)]


def test_unknown_algorithm_is_a_low_warning() -> None:
    result = judge(_data(ciphers=["aes128-ctr", "foo-cipher@vendor.example"]))
    assert result.unknown == ["cipher:foo-cipher@vendor.example"]
    (weak,) = result.weaknesses
    assert weak.level == "warn" and "knowledge base" in weak.reasons[0]


def test_no_ssh_port_is_not_applicable() -> None:
    findings = _run([], meta={"ports": {"https": 443}})
    assert [f.status for f in findings] == [Status.NOT_APPLICABLE]


def test_not_collected_is_an_error() -> None:
    findings = _run([])
    assert [f.status for f in findings] == [Status.ERROR] and "not collected" in findings[0].detail


def test_unreachable_is_an_error() -> None:
    findings = _run(_facts(None, conn_error="timed out connecting to h:22 after 5 s"))
    assert [f.status for f in findings] == [Status.ERROR] and "timed out" in findings[0].detail


def test_refused_and_disabled_in_redfish_is_not_applicable() -> None:
    np = Fact(kind=REDFISH_NETWORK_PROTOCOL, subject="bmc", collector="redfish",
              data={"SSH": {"ProtocolEnabled": False, "Port": 22}})
    facts = [np, *_facts(None, conn_error="connection refused (h:22)", reason="refused")]
    assert [f.status for f in _run(facts)] == [Status.NOT_APPLICABLE]
    np_on = Fact(kind=REDFISH_NETWORK_PROTOCOL, subject="bmc", collector="redfish",
                 data={"SSH": {"ProtocolEnabled": True, "Port": 22}})
    facts = [np_on, *_facts(None, conn_error="connection refused (h:22)", reason="refused")]
    assert [f.status for f in _run(facts)] == [Status.ERROR]
