"""Verdicts the local OpenSSL cannot serve: SSLv2, SSLv3, RC4, 3DES, EXPORT, single DES.

The peer is tests/tls/_scripted.py: ClientHellos parsed and first flights
serialised by scapy, negotiating like a legacy BMC stack configured with the
listed versions and suites.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from oobaudit.collectors import tls_wire as wire
from oobaudit.collectors.tls import collect_tls
from oobaudit.facts import Fact
from tests.tls._certs import CertKey
from tests.tls._scripted import ScriptedServer

# Old-BMC preference order: 3DES first, then RC4, then export RC4, then single DES.
LEGACY_SUITES = [0x000A, 0x0005, 0x0003, 0x0009]


def _collect_host(server: ScriptedServer, host: str, **kwargs) -> tuple[dict[str, Fact], ScriptedServer]:
    async def go() -> list[Fact]:
        await server.start()
        try:
            return await collect_tls(host, server.port, timeout=3.0, **kwargs)
        finally:
            await server.stop()

    facts = asyncio.run(go())
    return {f.kind: f for f in facts}, server


def _collect(server: ScriptedServer, **kwargs) -> tuple[dict[str, Fact], ScriptedServer]:
    return _collect_host(server, "127.0.0.1", **kwargs)


def test_sslv3_and_tls10_with_only_suites_local_openssl_lacks(certs: dict[str, CertKey]) -> None:
    srv = ScriptedServer(versions={wire.SSL3, wire.TLS10}, suites=LEGACY_SUITES, cert_der=certs["weak"].der)
    facts, srv = _collect(srv)
    versions = facts["tls.versions"].data
    assert {v: versions[v] for v in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")} == {
        "SSLv2": False, "SSLv3": True, "TLSv1.0": True, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": False,
    }
    # The raw ServerHello proves TLS 1.0 (with suites the local OpenSSL no longer has), and
    # every other answer was a ServerHello of a lower version: no full handshake was needed
    # (one pinned to TLS 1.0 could not even have agreed: no 3DES/RC4/EXPORT locally).
    assert versions["disagreements"] == []
    assert "proof of acceptance" in versions["method"]["TLSv1.0"]
    for v in ("TLSv1.1", "TLSv1.2"):
        assert versions["method"][v] == "raw ClientHello refused definitively (TLSv1.0 ServerHello)", v
    # the TLS 1.3 hello offers only TLS 1.3 suites: a TLS 1.0 stack finds none it shares
    assert versions["method"]["TLSv1.3"] == "raw ClientHello refused definitively (handshake_failure alert)"
    assert not any("ssl" in p for p in facts["tls.versions"].evidence["probes"].values())
    assert versions["negotiated"]["TLSv1.0"] == "TLS_RSA_WITH_3DES_EDE_CBC_SHA"

    classes = facts["tls.cipher_classes"].data
    assert {c: classes[c] for c in ("NULL", "ANON", "EXPORT", "DES", "RC4", "3DES", "NO_FS", "CBC_SHA1")} == {
        "NULL": False, "ANON": False, "EXPORT": True, "DES": True, "RC4": True, "3DES": True,
        "NO_FS": True, "CBC_SHA1": True,
    }
    assert classes["accepted_examples"]["RC4"] == [
        {"suite": "TLS_RSA_WITH_RC4_128_SHA", "code": "0x0005", "version": "TLSv1.0"}
    ]
    assert classes["accepted_examples"]["EXPORT"][0]["suite"] == "TLS_RSA_EXPORT_WITH_RC4_40_MD5"
    assert classes["versions_probed"] == ["TLSv1.0", "SSLv3"]

    cert = facts["tls.certificate"].data
    assert cert["vendor_default"] == "OpenBMC self-signed (O=OpenBMC, CN=testhost)"
    assert "raw TLSv1.0" in cert["chain_source"]
    # Bounded per-target concurrency (BMCs are fragile).
    assert srv.max_active <= 2


def test_sslv2_server_hello_counts_and_feeds_cipher_classes(certs: dict[str, CertKey]) -> None:
    srv = ScriptedServer(
        versions={wire.TLS10},
        suites=[0x002F],  # AES128-SHA only over TLS
        cert_der=certs["weak"].der,
        ssl2_kinds=[0x010080, 0x0700C0],  # SSL_CK_RC4_128_WITH_MD5, SSL_CK_DES_192_EDE3_CBC_WITH_MD5
    )
    facts, _ = _collect(srv)
    versions = facts["tls.versions"].data
    assert versions["SSLv2"] is True and versions["SSLv3"] is False and versions["TLSv1.0"] is True
    classes = facts["tls.cipher_classes"].data
    assert classes["RC4"] is True and classes["3DES"] is True and classes["NO_FS"] is True
    assert {"suite": "SSL_CK_RC4_128_WITH_MD5", "code": "0x010080", "version": "SSLv2"} in (
        classes["accepted_examples"]["RC4"]
    )
    assert classes["EXPORT"] is False and classes["NULL"] is False


def test_concurrency_cap_is_honoured(certs: dict[str, CertKey]) -> None:
    srv = ScriptedServer(versions={wire.SSL3, wire.TLS10}, suites=LEGACY_SUITES, cert_der=certs["weak"].der)
    facts, srv = _collect(srv, max_concurrency=1)
    assert srv.max_active == 1
    assert facts["tls.versions"].evidence["connections"] == srv.connections


def test_server_that_starts_hanging_up_mid_scan(certs: dict[str, CertKey]) -> None:
    """A rate-limiting BMC: hang-ups after the limit must not read as "refused"."""
    srv = ScriptedServer(
        versions={wire.TLS12}, suites=[0xC02F, 0x002F], cert_der=certs["good"].der, hang_up_after=3
    )
    facts, _ = _collect(srv, max_concurrency=1)
    conn = facts["tls.connectivity"]
    assert conn.ok and conn.data["healthy_after_scan"] is False
    versions = facts["tls.versions"].data
    assert versions["TLSv1.2"] is True  # seen accepted before the limit
    assert versions["notes"]
    # connections 2 and 3 (SSLv2, SSLv3) came before the limit: SSLv3 got a real
    # protocol_version alert, SSLv2 a hang-up, which is no evidence once the server wedged.
    assert versions["SSLv3"] is False
    probes = facts["tls.versions"].evidence["probes"]
    assert "protocol_version" in probes["SSLv3"]["raw"][0]
    # every later version was only ever answered by a hang-up: unknown, not refused
    assert [versions[v] for v in ("SSLv2", "TLSv1.0", "TLSv1.1", "TLSv1.3")] == [None] * 4
    classes = facts["tls.cipher_classes"].data
    assert all(classes[c] is None for c in ("NULL", "RC4", "3DES", "EXPORT"))


def test_server_that_never_negotiates_is_not_auditable(certs: dict[str, CertKey]) -> None:
    srv = ScriptedServer(versions={wire.TLS12}, suites=[0xC02F], cert_der=certs["good"].der, hang_up_after=0)
    facts, _ = _collect(srv)
    assert all(not f.ok for f in facts.values())
    assert "accepted no TLS/SSL version" in (facts["tls.connectivity"].error or "")
    assert facts["tls.versions"].error.startswith("not collected: ")
    assert "probes" in facts["tls.versions"].evidence


def _localhost_is_ipv4_loopback() -> bool:
    try:
        infos = socket.getaddrinfo("localhost", 443, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and infos[0][4][0] == "127.0.0.1"


@pytest.mark.skipif(not _localhost_is_ipv4_loopback(), reason="'localhost' does not resolve to 127.0.0.1 first here")
def test_host_name_is_resolved_once_and_sent_as_sni(certs: dict[str, CertKey]) -> None:
    srv = ScriptedServer(versions={wire.TLS12}, suites=[0xC02F], cert_der=certs["good"].der)
    facts, _ = _collect_host(srv, "localhost")
    conn = facts["tls.connectivity"]
    assert conn.subject == f"localhost:{srv.port}" and conn.evidence["address"] == "127.0.0.1"
    cert = facts["tls.certificate"].data
    assert cert["connected_name"] == "localhost" and cert["address_matches_san"] is True
    assert srv.sni_seen and set(srv.sni_seen) == {"localhost"}
