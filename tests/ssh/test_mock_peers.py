"""The mock's SSH server checked by independent peers: the OpenSSH client, ssh-keyscan and ssh-audit.

The collector and the mock share ``AuditTransport`` (the SHA-1 key exchanges and ssh-rsa
that paramiko dropped); a bug mirrored on both sides would hide from the collector tests,
so here real OpenSSH code negotiates those algorithms with the mock.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_bmc.fleet import Fleet, FleetSpec, GroupSpec, run_fleet_in_thread
from oobaudit.checks.ssh import default_policy, judge
from oobaudit.collectors.ssh import SSH_ALGORITHMS, collect_ssh
from oobaudit.facts import Fact
from oobaudit.inventory import Target

from ._sshd import SSH, SSH_AUDIT, supported

pytestmark = pytest.mark.timeout(60)
SSH_KEYSCAN = shutil.which("ssh-keyscan")


@pytest.fixture(scope="module")
def fleet() -> Iterator[Fleet]:
    spec = FleetSpec(groups=[GroupSpec("factory-default", 1), GroupSpec("hardened", 1)], seed="ssh-peers")
    with run_fleet_in_thread(spec) as running:
        yield running


def _algos(port: int) -> dict:
    out: list[Fact] = []
    target = Target(name="m", address="127.0.0.1", ports={"ssh": port}, platform="generic", site="s", rack="r")
    asyncio.run(collect_ssh(target, out, timeout=5, cred_opts=None, lockout_threshold=None, existing_users=None))
    return next(f for f in out if f.kind == SSH_ALGORITHMS).data


def _ssh(port: int, user: str, *opts: str, askpass: Path | None = None, command: str | None = None,
         tmp: Path) -> subprocess.CompletedProcess[str]:
    if SSH is None:
        pytest.skip("OpenSSH client not installed (Debian package openssh-client)")
    env = {k: v for k, v in os.environ.items() if k not in ("SSH_AUTH_SOCK", "DISPLAY")}
    args = [SSH, "-F", "none", "-v", "-p", str(port), "-o", "StrictHostKeyChecking=no",
            "-o", f"UserKnownHostsFile={tmp / 'known_hosts'}", "-o", "ConnectTimeout=5",
            "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", *opts]
    if askpass is None:
        args += ["-o", "BatchMode=yes"]
    else:
        env.update(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
    args += [f"{user}@127.0.0.1"]
    if command:
        args.append(command)
    return subprocess.run(args, capture_output=True, text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)


def test_openssh_client_negotiates_the_legacy_algorithms(fleet: Fleet, tmp_path: Path) -> None:
    bmc = fleet.bmcs[0]
    assert bmc.profile.name == "factory-default"
    have = supported("kex") or set()
    for kex in ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"):
        if kex not in have:
            continue
        proc = _ssh(bmc.ports["ssh"], "nobody", "-o", f"KexAlgorithms={kex}", "-o", "HostKeyAlgorithms=ssh-rsa",
                    "-o", "Ciphers=3des-cbc", "-o", "MACs=hmac-md5", tmp=tmp_path)
        log = proc.stderr
        assert f"kex: algorithm: {kex}" in log, log[-800:]
        assert "kex: host key algorithm: ssh-rsa" in log
        assert "Server host key: ssh-rsa" in log
        assert "Permission denied (password)" in log  # key exchange and host key signature verified


def test_openssh_client_logs_in_with_the_default_password(fleet: Fleet, tmp_path: Path) -> None:
    bmc = fleet.bmcs[0]
    askpass = tmp_path / "askpass.sh"
    askpass.write_text("#!/bin/sh\necho ADMIN\n")
    askpass.chmod(stat.S_IRWXU)
    before = bmc.login_attempts.get("ADMIN")
    proc = _ssh(bmc.ports["ssh"], "ADMIN", "-o", "HostKeyAlgorithms=+ssh-rsa", askpass=askpass, tmp=tmp_path)
    assert "Authenticated to 127.0.0.1" in proc.stderr, proc.stderr[-800:]
    assert "mock BMC" in proc.stdout
    assert bmc.login_attempts["ADMIN"].successes == (before.successes if before else 0) + 1


def test_ssh_keyscan_sees_the_fingerprint_we_report(fleet: Fleet, tmp_path: Path) -> None:
    if SSH_KEYSCAN is None:
        pytest.skip("ssh-keyscan not installed (Debian package openssh-client)")
    for bmc in fleet.bmcs:
        port = bmc.ports["ssh"]
        data = _algos(port)
        ours = {k["sha256"] for k in data["host_keys"]}
        scan = subprocess.run([SSH_KEYSCAN, "-p", str(port), "127.0.0.1"], capture_output=True, text=True,
                              timeout=30)
        keys = tmp_path / f"{bmc.name}.pub"
        keys.write_text(scan.stdout)
        fp = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(keys)], capture_output=True,
                            text=True, timeout=30)
        theirs = {line.split()[1] for line in fp.stdout.splitlines() if line.strip()}
        assert theirs and theirs == ours, (scan.stderr, fp.stdout)


def test_ssh_audit_agrees_on_the_mock(fleet: Fleet) -> None:
    if SSH_AUDIT is None:
        pytest.skip("ssh-audit is not installed (pip install ssh-audit)")
    classes = {"kex": "kex", "key": "host_key", "enc": "cipher", "mac": "mac"}
    for bmc in fleet.bmcs:
        port = bmc.ports["ssh"]
        proc = subprocess.run([SSH_AUDIT, "-j", "--skip-rate-test", "-p", str(port), "127.0.0.1"],
                              capture_output=True, text=True, timeout=45)
        audit = json.loads(proc.stdout)
        data = _algos(port)
        assert data["kex"] == [e["algorithm"] for e in audit["kex"]]
        assert data["ciphers"] == [e["algorithm"] for e in audit["enc"]]
        ours = {w.subject for w in judge(data).weaknesses}
        for section, cls in classes.items():
            for entry in audit[section]:
                if entry.get("notes", {}).get("fail") and f"{cls}:{entry['algorithm']}" not in ours:
                    rule = default_policy().rule(cls, entry["algorithm"])
                    assert rule.ssh_audit == "fail", (bmc.name, entry)
