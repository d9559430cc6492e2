"""The SSH collector and OOB-SSH-001's judgements against a real OpenSSH server and ssh-audit.

One sshd per module: its defaults plus the weak algorithms the installed OpenSSH still
implements (SHA-1 key exchanges, CBC / 3DES, SHA-1 / MD5 MACs, ssh-rsa) and a 1024-bit RSA
host key.  ssh-audit (PyPI) audits the same server: everything it marks *fail* must be a
weakness for us too, except the documented differences in oobaudit/data/ssh_policy.yaml
(rules with ``ssh_audit: fail``).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from oobaudit.checks.ssh import CLASSES, default_policy, judge
from oobaudit.collectors.credentials import CredentialOptions
from oobaudit.collectors.ssh import SSH_ALGORITHMS, SSH_CONNECTIVITY, collect_ssh
from oobaudit.facts import CRED_LOGIN, Fact
from oobaudit.inventory import Target

from ._sshd import SSH_AUDIT, WEAK, Sshd, SshdUnavailable, run_sshd, supported

pytestmark = pytest.mark.timeout(60)

#: ssh-audit JSON section -> our policy class
AUDIT_CLASSES = {"kex": "kex", "key": "host_key", "enc": "cipher", "mac": "mac"}


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    try:
        with run_sshd(tmp_path_factory.mktemp("sshd")) as server:
            yield server
    except SshdUnavailable as exc:
        pytest.skip(str(exc))


def _target(port: int) -> Target:
    return Target(name="openssh", address="127.0.0.1", ports={"ssh": port}, platform="generic", site="t",
                  rack="r")


def _collect(port: int, **kw) -> list[Fact]:
    out: list[Fact] = []
    args = {"timeout": 5.0, "cred_opts": None, "lockout_threshold": None, "existing_users": None, **kw}
    asyncio.run(collect_ssh(_target(port), out, **args))
    return out


@pytest.fixture(scope="module")
def collected(sshd: Sshd) -> list[Fact]:
    return _collect(sshd.port)


@pytest.fixture(scope="module")
def audit(sshd: Sshd) -> dict:
    if SSH_AUDIT is None:
        pytest.skip("ssh-audit is not installed (pip install ssh-audit; listed in the 'test' extra)")
    proc = subprocess.run([SSH_AUDIT, "-j", "--skip-rate-test", "-p", str(sshd.port), "127.0.0.1"],
                          capture_output=True, text=True, timeout=45)
    assert proc.stdout.strip(), f"ssh-audit printed nothing (rc {proc.returncode}): {proc.stderr[-300:]}"
    return json.loads(proc.stdout)


def _algos(facts: list[Fact]) -> dict:
    fact = next(f for f in facts if f.kind == SSH_ALGORITHMS)
    assert fact.ok
    return fact.data


def test_facts_describe_the_server(sshd: Sshd, collected: list[Fact]) -> None:
    conn = next(f for f in collected if f.kind == SSH_CONNECTIVITY)
    assert conn.ok and conn.data["port"] == sshd.port and conn.data["banner"].startswith("SSH-2.0-OpenSSH_")
    data = _algos(collected)
    assert data["protocol"] == "2.0" and data["software"].startswith("OpenSSH_")
    for kw, (kind, names) in WEAK.items():
        have = supported(kind)
        key = {"KexAlgorithms": "kex", "Ciphers": "ciphers", "MACs": "macs", "HostKeyAlgorithms": "host_key_types"}[kw]
        for name in names:
            if have is None or name in have:
                assert name in data[key], (name, data[key])
    types = {k["type"]: k for k in data["host_keys"]}
    assert types["ssh-ed25519"]["bits"] == 256
    assert types["ssh-rsa"]["bits"] == 1024
    assert set(types["ssh-rsa"]["algorithms"]) == {a for a in data["host_key_types"] if "rsa" in a}
    assert data["host_key_errors"] == {}
    assert data["host_key"]["type"] in types
    assert data["auth_methods"] == ["publickey", "password"] and data["password_auth"] is True
    assert data["strict_kex"] is ("kex-strict-s-v00@openssh.com" in data["kex"])
    assert not any(f.kind == CRED_LOGIN for f in collected)  # credential testing was off


def test_lists_banner_and_fingerprints_match_ssh_audit(collected: list[Fact], audit: dict) -> None:
    data = _algos(collected)
    assert data["banner"] == audit["banner"]["raw"]
    assert (data["protocol"], data["software"], data["comments"]) == (
        audit["banner"]["protocol"], audit["banner"]["software"], audit["banner"]["comments"])
    assert data["kex"] == [e["algorithm"] for e in audit["kex"]]
    assert data["host_key_types"] == [e["algorithm"] for e in audit["key"]]
    assert data["ciphers"] == [e["algorithm"] for e in audit["enc"]]
    assert data["macs"] == [e["algorithm"] for e in audit["mac"]]
    assert data["compression"] == audit["compression"]
    theirs = {(f["hostkey"], f["hash"]) for f in audit["fingerprints"] if f["hash_alg"] == "SHA256"}
    ours = {(k["type"], k["sha256"].removeprefix("SHA256:")) for k in data["host_keys"]}
    assert ours == theirs
    sizes = {e["algorithm"]: e["keysize"] for e in audit["key"] if "keysize" in e}
    for key in data["host_keys"]:
        for alg in key["algorithms"]:
            if alg in sizes:
                assert sizes[alg] == key["bits"], alg


def test_every_ssh_audit_failure_is_ours_or_a_documented_difference(collected: list[Fact], audit: dict) -> None:
    result = judge(_algos(collected))
    ours = {(w.cls, w.alg): w.level for w in result.weaknesses}
    policy = default_policy()
    missing, documented = [], []
    for section, cls in AUDIT_CLASSES.items():
        for entry in audit[section]:
            alg = entry["algorithm"]
            notes = entry.get("notes", {})
            if notes.get("fail"):
                if (cls, alg) in ours:
                    continue
                rule = policy.rule(cls, alg)
                if rule.level == "ok" and rule.ssh_audit == "fail":
                    documented.append(alg)
                else:
                    missing.append((cls, alg, notes["fail"]))
            level = ours.get((cls, alg))
            # The other direction: we fail nothing ssh-audit passes, and warn nothing it passes.
            if level == "fail":
                assert notes.get("fail"), (cls, alg, notes)
            elif level == "warn":
                assert notes.get("fail") or notes.get("warn"), (cls, alg, notes)
    assert not missing, f"ssh-audit fails these but our policy does not: {missing}"
    # The only documented difference on a stock OpenSSH is the NIST-curve key exchange.
    assert all(a.startswith(("ecdh-sha2-nistp", "ecdsa-sha2-nistp")) for a in documented), documented
    assert not result.undecided and not result.unknown
    if audit.get("cves"):  # Terrapin is the only CVE ssh-audit infers from algorithms
        assert any(w.cls == "cve" for w in result.weaknesses)


def test_weak_algorithms_are_found(collected: list[Fact]) -> None:
    subjects = {w.subject: w for w in judge(_algos(collected)).weaknesses}
    expect = {"mac:hmac-sha1", "mac:hmac-md5", "host_key:ssh-rsa", "host_key:rsa-sha2-512",
              "host_key:rsa-sha2-256"}
    have_kex, have_enc = supported("kex"), supported("cipher")
    expect |= {f"kex:{k}" for k in WEAK["KexAlgorithms"][1] if have_kex is None or k in have_kex}
    expect |= {f"cipher:{c}" for c in WEAK["Ciphers"][1] if have_enc is None or c in have_enc}
    assert expect <= set(subjects), expect - set(subjects)
    rsa512 = subjects["host_key:rsa-sha2-512"]
    assert rsa512.level == "fail" and "1024-bit" in rsa512.reasons[0]
    assert subjects.get("cipher:aes128-cbc") is None or subjects["cipher:aes128-cbc"].level == "warn"
    assert not any(k.startswith(("cipher:aes256-gcm", "cipher:chacha20", "kex:curve25519")) for k in subjects)


def test_default_passwords_rejected_within_budget_and_never_stored(sshd: Sshd) -> None:
    facts = _collect(sshd.port, cred_opts=CredentialOptions(), lockout_threshold=0, existing_users={"root"})
    logins = [f for f in facts if f.kind == CRED_LOGIN]
    assert [f.subject for f in logins] == ["ssh:root"]
    d = logins[0].data
    assert logins[0].ok, logins[0].error
    assert (d["protocol"], d["outcome"], d["attempts"], d["budget"]) == ("ssh", "rejected", 3, 3)
    dump = json.dumps([f.model_dump(mode="json") for f in facts])
    for secret in ("calvin", "0penBmc", "changeme"):
        assert secret not in dump
    assert sshd.log_text().count("Failed password for root") == 3


def test_only_sha1_kex_and_ssh_rsa_are_still_negotiated(tmp_path: Path) -> None:
    """paramiko >= 4 dropped these; the collector's AuditTransport must still complete a kex."""
    have = supported("kex")
    kex = [k for k in ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1",
                       "diffie-hellman-group-exchange-sha1") if have is None or k in have]
    if not kex:
        pytest.skip("the installed OpenSSH implements no SHA-1 key exchange any more")
    for name in kex:
        try:
            with run_sshd(tmp_path / name, only={"KexAlgorithms": [name], "HostKeyAlgorithms": ["ssh-rsa"]}) as srv:
                data = _algos(_collect(srv.port))
        except SshdUnavailable as exc:
            pytest.skip(str(exc))
        assert data["kex"][0] == name
        assert data["host_keys"] and data["host_keys"][0]["type"] == "ssh-rsa", data["host_key_errors"]
        assert data["negotiated"] == {**data["negotiated"], "kex": name, "host_key": "ssh-rsa"}
        assert data["auth_methods"] == ["publickey", "password"]
        assert {f"kex:{name}", "host_key:ssh-rsa"} <= {w.subject for w in judge(data).weaknesses}


def test_policy_classes_cover_the_fact() -> None:
    assert set(CLASSES.values()) == {"kex", "host_key", "cipher", "mac", "compression"}
