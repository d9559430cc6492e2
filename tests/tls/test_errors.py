"""Ports that cannot be audited become error facts (never exceptions, never silent passes)."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from oobaudit.collectors.tls import FACT_KINDS, collect_tls, collect_tls_sync


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_all_errors(facts, fragment: str) -> None:
    assert [f.kind for f in facts] == list(FACT_KINDS)
    for f in facts:
        assert not f.ok and f.data == {}
        assert fragment in (f.error or ""), f.error
    assert facts[0].error and not facts[0].error.startswith("not collected")
    assert all(f.error.startswith("not collected: ") for f in facts[1:])


def test_closed_port_is_a_connectivity_error() -> None:
    port = _free_port()  # bound then released: nothing listens there
    t0 = time.monotonic()
    facts = collect_tls_sync("127.0.0.1", port, timeout=2.0)
    assert time.monotonic() - t0 < 2.0
    _assert_all_errors(facts, "unreachable")
    assert "refused" in (facts[0].error or "")
    assert facts[0].subject == f"127.0.0.1:{port}"


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """Accepts TCP (the kernel completes the handshake from the backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


def test_silent_server_errors_within_the_timeout(silent_listener: int) -> None:
    timeout = 1.0
    t0 = time.monotonic()
    facts = collect_tls_sync("127.0.0.1", silent_listener, timeout=timeout)
    elapsed = time.monotonic() - t0
    assert elapsed < timeout + 1.0, elapsed
    _assert_all_errors(facts, "no TLS reply within 1s")


@pytest.fixture
def plain_http() -> Iterator[int]:
    """Python's http.server: an independent peer that speaks HTTP, not TLS."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"port (\d+)", line)
        assert m, line
        yield int(m.group(1))
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_plain_http_port_is_not_tls(plain_http: int) -> None:
    facts = collect_tls_sync("127.0.0.1", plain_http, timeout=3.0)
    _assert_all_errors(facts, "does not speak TLS")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_subject_and_refusal() -> None:
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    facts = collect_tls_sync("::1", port, timeout=2.0)
    assert facts[0].subject == f"[::1]:{port}"
    assert not facts[0].ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"port": 0}, "invalid port"),
        ({"port": 70000}, "invalid port"),
        ({"timeout": 0}, "timeout"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_arguments_are_programming_errors(kwargs: dict, message: str) -> None:
    args = {"port": 443, **kwargs}
    port = args.pop("port")
    with pytest.raises(ValueError, match=message):
        asyncio.run(collect_tls("127.0.0.1", port, **args))


def test_silence_is_unknown_not_refused(silent_listener: int) -> None:
    """A probe the server never answers proves nothing: null, never False."""
    from oobaudit.collectors import tls_wire as wire
    from oobaudit.collectors.tls import TlsProber, classify_version_reply

    async def go():
        prober = TlsProber("127.0.0.1", silent_listener, timeout=0.5)
        hs = await prober.ssl_handshake("TLSv1.0")
        ex = await prober.raw_exchange(wire.build_client_hello(wire.SSL3, [0x000A]))
        return hs, ex

    hs, ex = asyncio.run(go())
    assert hs.verdict is None and "timed out" in hs.detail
    assert ex.status == "read_timeout" and classify_version_reply(ex, wire.SSL3) is None
