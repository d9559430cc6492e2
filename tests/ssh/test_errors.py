"""The SSH collector on ports that misbehave: every failure is an error fact, within the timeout."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from oobaudit.checks.base import REGISTRY, Status, run_target_checks
from oobaudit.collectors.credentials import CredentialOptions
from oobaudit.collectors.ssh import (
    SSH_ALGORITHMS,
    SSH_CONNECTIVITY,
    ProbeError,
    _client_kexinit,
    collect_ssh,
    parse_banner,
    parse_kexinit,
    probe_kexinit,
)
from oobaudit.facts import CRED_LOGIN, Fact, TargetFacts
from oobaudit.inventory import Target
from oobaudit.policy import DEFAULT_POLICY

pytestmark = pytest.mark.timeout(60)


@contextmanager
def tcp_server(handler: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback TCP server running ``handler`` per connection (in a thread); yields its port."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=_run, args=(handler, conn), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        lsock.close()
        for c in conns:
            c.close()


def _run(handler: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with suppress(OSError):
        handler(conn)


def _collect(port: int, timeout: float = 1.0) -> list[Fact]:
    out: list[Fact] = []
    target = Target(name="t", address="127.0.0.1", ports={"ssh": port}, platform="generic", site="s", rack="r")
    asyncio.run(collect_ssh(target, out, timeout=timeout, cred_opts=CredentialOptions(), lockout_threshold=0,
                            existing_users=None))
    return out


def _error(facts: list[Fact]) -> Fact:
    assert [f.kind for f in facts] == [SSH_CONNECTIVITY], [(f.kind, f.error) for f in facts]
    assert not facts[0].ok and not facts[0].data
    return facts[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_closed_port_is_refused() -> None:
    conn = _error(_collect(_free_port()))
    assert conn.evidence["reason"] == "refused" and "connection refused" in conn.error
    tf = TargetFacts("t", [conn], meta={"ports": {"ssh": 22}})
    (finding,) = run_target_checks(tf, DEFAULT_POLICY, [REGISTRY["OOB-SSH-001"]])
    assert finding.status is Status.ERROR and "connection refused" in finding.detail


def test_server_that_never_sends_a_banner_times_out() -> None:
    def silent(conn: socket.socket) -> None:
        time.sleep(5)

    with tcp_server(silent) as port:
        start = time.monotonic()
        conn = _error(_collect(port, timeout=0.8))
        assert time.monotonic() - start < 2.5
    assert conn.evidence["reason"] == "no_banner" and "no SSH banner within 0.8 s" in conn.error


def test_http_server_is_not_ssh() -> None:
    def http(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        conn.close()

    with tcp_server(http) as port:
        conn = _error(_collect(port))
    assert conn.evidence["reason"] == "not_ssh" and "HTTP/1.1 400" in conn.error


def test_binary_noise_is_not_ssh() -> None:
    def noise(conn: socket.socket) -> None:
        conn.sendall(b"\x16\x03\x01" + b"\x00" * 2000)
        time.sleep(3)

    with tcp_server(noise) as port:
        conn = _error(_collect(port, timeout=0.8))
    assert conn.evidence["reason"] == "not_ssh"


def test_banner_then_hang_up_is_an_error() -> None:
    def hangup(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-Broken_1.0\r\n")
        conn.close()

    with tcp_server(hangup) as port:
        conn = _error(_collect(port))
    assert conn.evidence["reason"] == "closed" and "KEXINIT" in conn.error


def test_malformed_packet_is_a_protocol_error() -> None:
    def bad(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-Broken_1.0\r\n" + b"\xff\xff\xff\xff" + b"x" * 64)
        time.sleep(1)

    with tcp_server(bad) as port:
        conn = _error(_collect(port))
    assert conn.evidence["reason"] == "protocol"


def test_kexinit_only_server_gives_lists_and_undecided_key_size() -> None:
    """A server that sends its KEXINIT and nothing more: the lists are known, the rest is an error."""
    def kexinit_only(conn: socket.socket) -> None:
        conn.sendall(b"Welcome to the BMC\r\nSSH-2.0-Fake_1.0 vendor build\r\n" + _client_kexinit())
        conn.recv(65536)
        time.sleep(0.2)
        conn.close()

    with tcp_server(kexinit_only) as port:
        facts = _collect(port)
    conn = next(f for f in facts if f.kind == SSH_CONNECTIVITY)
    algos = next(f for f in facts if f.kind == SSH_ALGORITHMS)
    assert conn.ok and algos.ok
    data = algos.data
    assert (data["software"], data["comments"]) == ("Fake_1.0", "vendor build")
    assert algos.evidence["pre_banner_lines"] == 1
    assert "diffie-hellman-group1-sha1" in data["kex"] and "ssh-dss" in data["host_key_types"]
    assert data["host_keys"] == [] and set(data["host_key_errors"]) >= {"ssh-rsa", "ssh-ed25519"}
    assert data["auth_methods"] is None and data["auth_methods_error"]
    logins = [f for f in facts if f.kind == CRED_LOGIN]
    assert logins and all(f.data["outcome"] == "skipped" and f.data["attempts"] == 0 for f in logins)
    tf = TargetFacts("t", facts, meta={"ports": {"ssh": port}})
    findings = {f.subject: f for f in run_target_checks(tf, DEFAULT_POLICY, [REGISTRY["OOB-SSH-001"]])}
    assert findings["host_key:ssh-rsa"].status is Status.ERROR and "size could not be read" in \
        findings["host_key:ssh-rsa"].detail
    assert findings["kex:diffie-hellman-group1-sha1"].status is Status.FAIL
    assert findings["host_key:ssh-dss"].status is Status.FAIL
    assert "" not in findings  # never a PASS while something is undecided


def test_ssh1_only_server() -> None:
    def ssh1(conn: socket.socket) -> None:
        conn.sendall(b"SSH-1.5-OldBMC_1.0\r\n")
        time.sleep(0.5)

    with tcp_server(ssh1) as port:
        facts = _collect(port)
    data = next(f for f in facts if f.kind == SSH_ALGORITHMS).data
    assert data["protocol"] == "1.5" and data["kex"] == [] and data["auth_methods"] is None
    tf = TargetFacts("t", facts, meta={"ports": {"ssh": port}})
    findings = run_target_checks(tf, DEFAULT_POLICY, [REGISTRY["OOB-SSH-001"]])
    assert [(f.subject, f.status) for f in findings] == [("protocol:ssh-1", Status.FAIL)]


def test_parsers() -> None:
    assert parse_banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3") == ("2.0", "OpenSSH_9.2p1", "Debian-2+deb12u3")
    assert parse_banner("SSH-1.99-Cisco-1.25") == ("1.99", "Cisco-1.25", None)
    assert parse_banner("SSH-2.0-") == ("2.0", None, None)
    packet = _client_kexinit()
    length, padlen = int.from_bytes(packet[:4], "big"), packet[4]
    payload = packet[5:5 + length - padlen - 1]
    lists = parse_kexinit(payload)
    assert lists["kex"][0] == "curve25519-sha256" and lists["compression_s2c"] == ["none", "zlib@openssh.com", "zlib"]
    assert lists["languages_c2s"] == [] and lists["first_kex_follows"] is False
    with pytest.raises(ProbeError, match="exceeds the packet"):
        parse_kexinit(payload[:40])
    with pytest.raises(ProbeError):
        parse_kexinit(b"\x15" + payload[1:])


def test_probe_kexinit_directly_bounds_the_time() -> None:
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-Slow_1.0\r\n\x00\x00\x01\x00")  # a 256-byte packet follows ...
        for _ in range(20):  # a byte every 0.2 s never completes a packet within the deadline
            time.sleep(0.2)
            conn.sendall(b"\x00")

    with tcp_server(trickle) as port:
        start = time.monotonic()
        with pytest.raises(ProbeError) as err:
            probe_kexinit("127.0.0.1", port, 1.0)
        assert time.monotonic() - start < 2.0
    assert err.value.kind == "timeout"


def test_stalled_key_exchange_is_bounded() -> None:
    """KEXINIT arrives, the key exchange never completes: one timeout, then no further connections."""
    def stall(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-Stall_1.0\r\n" + _client_kexinit())
        time.sleep(4)

    with tcp_server(stall) as port:
        start = time.monotonic()
        facts = _collect(port, timeout=0.8)
        elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed
    data = next(f for f in facts if f.kind == SSH_ALGORITHMS).data
    errors = data["host_key_errors"]
    first, *rest = errors.values()
    assert "did not complete within 0.8 s" in first
    assert rest and all(r.startswith("not probed") for r in rest)
    assert data["auth_methods"] is None
