"""The TLS collector against independent servers (``openssl s_server``), checked against ``sslscan``.

Four servers are started once for the module, each on a kernel-chosen loopback port:

* ``modern``       TLS 1.2 + 1.3, Mozilla-intermediate suites only, RSA-2048 / SHA-256 certificate
* ``legacy``       TLS 1.0 .. 1.3 with ``ALL:COMPLEMENTOFALL:@SECLEVEL=0`` (NULL, anonymous, static
                   RSA, CBC-SHA1 suites) and an expired RSA-1024 / SHA-1 OpenBMC-style certificate
* ``tls10_static`` TLS 1.0 only, static-RSA ``AES128-SHA`` only, CA-signed leaf + CA chain
* ``tls13_ec``     TLS 1.3 only, ECDSA P-256 certificate

The local OpenSSL (Debian 12, 3.0) has no RC4 / 3DES / EXPORT / single-DES
suites, so neither s_server nor sslscan can exercise those classes here: their
positive verdicts are covered by test_scripted_legacy.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oobaudit.collectors import tls_suites
from oobaudit.collectors.tls import PROTOCOLS, collect_tls
from oobaudit.facts import Fact
from tests.tls._certs import CertKey
from tests.tls._peers import OPENSSL, SSLSCAN, OpenSSLServer, SslscanResult, run_sslscan

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed (Debian package openssl)")

MOZILLA_INTERMEDIATE = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
)

SERVERS: dict[str, dict] = {
    "modern": {"cert": "good", "args": ["-no_ssl3", "-no_tls1", "-no_tls1_1", "-cipher", MOZILLA_INTERMEDIATE]},
    "legacy": {"cert": "weak", "args": ["-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]},
    "tls10_static": {"cert": "casigned", "chain": "ca", "args": ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]},
    "tls13_ec": {"cert": "ec", "args": ["-tls1_3"]},
}

EXPECTED_VERSIONS = {
    "modern": {"SSLv2": False, "SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True},
    "legacy": {"SSLv2": False, "SSLv3": False, "TLSv1.0": True, "TLSv1.1": True, "TLSv1.2": True, "TLSv1.3": True},
    "tls10_static": {
        "SSLv2": False, "SSLv3": False, "TLSv1.0": True, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": False,
    },
    "tls13_ec": {"SSLv2": False, "SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": False, "TLSv1.3": True},
}
# OpenSSL short curve names (as sslscan prints them) -> cryptography's names.
OPENSSL_CURVE_NAMES = {"prime256v1": "secp256r1", "secp384r1": "secp384r1", "secp521r1": "secp521r1"}
_NONE = dict.fromkeys(tls_suites.WEAK_CLASSES, False)
EXPECTED_CLASSES = {
    "modern": _NONE,
    "legacy": {**_NONE, "NULL": True, "ANON": True, "NO_FS": True, "CBC_SHA1": True},
    "tls10_static": {**_NONE, "NO_FS": True, "CBC_SHA1": True},
    "tls13_ec": _NONE,
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls-peers")


@pytest.fixture(scope="module")
def servers(workdir: Path, certs: dict[str, CertKey]) -> Iterator[dict[str, OpenSSLServer]]:
    started: dict[str, OpenSSLServer] = {}
    try:
        for srv_name, spec in SERVERS.items():
            cert_path, key_path = certs[spec["cert"]].write(workdir, spec["cert"])
            args = ["-cert", str(cert_path), "-key", str(key_path), *spec["args"]]
            if "chain" in spec:
                chain_path, _ = certs[spec["chain"]].write(workdir, spec["chain"])
                args += ["-cert_chain", str(chain_path)]
            started[srv_name] = OpenSSLServer(srv_name, args, workdir).start()
        yield started
    finally:
        for srv in started.values():
            srv.stop()


def _by_kind(facts: list[Fact]) -> dict[str, Fact]:
    out = {f.kind: f for f in facts}
    assert len(out) == len(facts), "one fact per kind per port"
    return out


@pytest.fixture(scope="module")
def collected(servers: dict[str, OpenSSLServer]) -> dict[str, dict[str, Fact]]:
    async def all_servers() -> dict[str, dict[str, Fact]]:
        results = await asyncio.gather(
            *(collect_tls(s.host, s.port, timeout=5.0, max_concurrency=2) for s in servers.values())
        )
        return {n: _by_kind(r) for n, r in zip(servers, results, strict=True)}

    return asyncio.run(all_servers())


@pytest.fixture(scope="module")
def sslscan(servers: dict[str, OpenSSLServer], workdir: Path) -> dict[str, SslscanResult]:
    if SSLSCAN is None:
        pytest.skip("sslscan not installed (Debian package sslscan; CI installs it)")
    return {n: run_sslscan(s.host, s.port, workdir) for n, s in servers.items()}


@pytest.mark.parametrize("srv", list(SERVERS))
def test_facts_shape(collected: dict[str, dict[str, Fact]], servers: dict[str, OpenSSLServer], srv: str) -> None:
    facts = collected[srv]
    assert set(facts) == {"tls.connectivity", "tls.versions", "tls.cipher_classes", "tls.certificate"}
    for f in facts.values():
        assert f.ok, f.error
        assert f.collector == "tls"
        assert f.subject == f"127.0.0.1:{servers[srv].port}"
        f.model_dump_json()  # JSON-serialisable, so a sweep can be stored and re-judged
    assert facts["tls.connectivity"].data["speaks_tls"] is True
    versions = facts["tls.versions"].data
    assert set(versions["method"]) == set(PROTOCOLS)
    assert versions["disagreements"] == []
    assert facts["tls.certificate"].data["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE" not in facts["tls.certificate"].model_dump_json()


@pytest.mark.parametrize("srv", list(SERVERS))
def test_versions_expected(collected: dict[str, dict[str, Fact]], srv: str) -> None:
    data = collected[srv]["tls.versions"].data
    assert {v: data[v] for v in PROTOCOLS} == EXPECTED_VERSIONS[srv]


@pytest.mark.parametrize("srv", list(SERVERS))
def test_cipher_classes_expected(collected: dict[str, dict[str, Fact]], srv: str) -> None:
    data = collected[srv]["tls.cipher_classes"].data
    assert {c: data[c] for c in tls_suites.WEAK_CLASSES} == EXPECTED_CLASSES[srv]
    for cls, examples in data["accepted_examples"].items():
        assert bool(examples) == data[cls]
        for ex in examples:
            assert cls in tls_suites.suite_classes(int(ex["code"], 16))
            assert ex["version"] in data["versions_probed"]
    assert data["limits"]


@pytest.mark.parametrize("srv", list(SERVERS))
def test_versions_agree_with_sslscan(
    collected: dict[str, dict[str, Fact]], sslscan: dict[str, SslscanResult], srv: str
) -> None:
    ours = collected[srv]["tls.versions"].data
    theirs = sslscan[srv].protocols
    assert set(theirs) == set(PROTOCOLS)
    assert {v: ours[v] for v in PROTOCOLS} == theirs


@pytest.mark.parametrize("srv", list(SERVERS))
def test_cipher_classes_agree_with_sslscan(
    collected: dict[str, dict[str, Fact]], sslscan: dict[str, SslscanResult], srv: str
) -> None:
    ours = collected[srv]["tls.cipher_classes"].data
    assert {c: ours[c] for c in tls_suites.WEAK_CLASSES} == sslscan[srv].classes()
    # Every example suite we report, sslscan saw accepted too (same IANA id).
    seen_ids = {code for _v, code, _n in sslscan[srv].ciphers}
    for examples in ours["accepted_examples"].values():
        for ex in examples:
            assert int(ex["code"], 16) in seen_ids


@pytest.mark.parametrize("srv", list(SERVERS))
def test_certificate_agrees_with_sslscan(
    collected: dict[str, dict[str, Fact]], sslscan: dict[str, SslscanResult], srv: str
) -> None:
    ours = collected[srv]["tls.certificate"].data
    theirs = sslscan[srv]
    assert ours["signature_algorithm"] == theirs.signature_algorithm
    assert (theirs.key_type or "").upper() == ours["key_type"].upper()
    if ours["key_type"] == "EC":
        assert OPENSSL_CURVE_NAMES.get(theirs.curve_name or "", theirs.curve_name) == ours["curve"]
    else:
        assert ours["key_bits"] == theirs.key_bits
    if theirs.self_signed is not None:
        assert ours["self_signed"] == theirs.self_signed
    now = dt.datetime.now(dt.UTC)
    if theirs.expired is not None:
        assert (dt.datetime.fromisoformat(ours["not_after"]) < now) == theirs.expired
    if theirs.not_after is not None:
        assert dt.datetime.fromisoformat(ours["not_after"]) == theirs.not_after


def test_modern_certificate(collected: dict[str, dict[str, Fact]], certs: dict[str, CertKey]) -> None:
    d = collected["modern"]["tls.certificate"].data
    assert d["key_type"] == "RSA" and d["key_bits"] == 2048 and d["signature_hash"] == "sha256"
    assert d["self_signed"] is True and d["vendor_default"] is None
    assert d["cert_sha256"] == hashlib.sha256(certs["good"].der).hexdigest()
    spki = certs["good"].cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert d["spki_sha256"] == hashlib.sha256(spki).hexdigest()
    assert d["san_dns"] == ["localhost"] and d["address_matches_san"] is False  # connected to 127.0.0.1
    assert d["chain_length"] == 1 and "raw TLSv1.2" in d["chain_source"]


def test_legacy_certificate_is_the_openbmc_default(collected: dict[str, dict[str, Fact]]) -> None:
    d = collected["legacy"]["tls.certificate"].data
    assert d["vendor_default"] == "OpenBMC self-signed (O=OpenBMC, CN=testhost)"
    assert d["key_type"] == "RSA" and d["key_bits"] == 1024
    assert d["signature_hash"] == "sha1" and d["signature_algorithm"] == "sha1WithRSAEncryption"
    assert dt.datetime.fromisoformat(d["not_after"]) < dt.datetime.now(dt.UTC)
    assert d["is_ca"] is True and d["self_signed"] is True


def test_ca_signed_chain(collected: dict[str, dict[str, Fact]], certs: dict[str, CertKey]) -> None:
    fact = collected["tls10_static"]["tls.certificate"]
    d = fact.data
    assert d["chain_length"] == 2 and "raw TLSv1.0" in d["chain_source"]
    assert d["self_signed"] is False and d["issuer_in_chain_verifies"] is True
    assert d["chain"][0]["is_ca"] is True and d["chain"][0]["subject"] == certs["ca"].cert.subject.rfc4514_string()
    assert d["address_matches_san"] is True and d["san_ip"] == ["127.0.0.1", "::1"]
    assert len(fact.evidence["chain_pem"]) == 2


def test_tls13_only_certificate_and_classes(collected: dict[str, dict[str, Fact]]) -> None:
    d = collected["tls13_ec"]["tls.certificate"].data
    assert d["key_type"] == "EC" and d["curve"] == "secp256r1" and d["key_bits"] == 256
    assert "TLSv1.3 handshake" in d["chain_source"]
    classes = collected["tls13_ec"]["tls.cipher_classes"].data
    assert classes["versions_probed"] == []
    assert "no protocol version <= TLS 1.2" in classes["method"]


def test_sni_name_is_matched_against_san(servers: dict[str, OpenSSLServer]) -> None:
    srv = servers["modern"]
    facts = _by_kind(asyncio.run(collect_tls(srv.host, srv.port, timeout=5.0, sni="localhost")))
    d = facts["tls.certificate"].data
    assert d["connected_name"] == "localhost" and d["address_matches_san"] is True


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
def test_ipv6_loopback_server(workdir: Path, certs: dict[str, CertKey]) -> None:
    cert_path, key_path = certs["casigned"].write(workdir, "casigned6")
    srv = OpenSSLServer("v6", ["-cert", str(cert_path), "-key", str(key_path), "-no_tls1", "-no_tls1_1"],
                        workdir, host="::1").start()
    try:
        facts = _by_kind(asyncio.run(collect_tls("::1", srv.port, timeout=5.0)))
    finally:
        srv.stop()
    assert facts["tls.connectivity"].subject == f"[::1]:{srv.port}"
    v = facts["tls.versions"].data
    assert (v["TLSv1.1"], v["TLSv1.2"], v["TLSv1.3"]) == (False, True, True)
    assert facts["tls.certificate"].data["address_matches_san"] is True  # SAN IP ::1


# Connections per scan, measured against OpenSSL 3.0's s_server, which refuses with clean
# alerts: every version is settled by raw hellos alone, the weak classes by elimination
# (2 hellos per accepted version when none is accepted).  One probe per class and a full
# handshake per version cost 11-27 here.
CONNECTION_BUDGET = {"modern": 9, "legacy": 12, "tls10_static": 9, "tls13_ec": 8}


@pytest.mark.parametrize("srv", list(SERVERS))
def test_connection_budget_and_no_needless_full_handshake(collected: dict[str, dict[str, Fact]], srv: str) -> None:
    facts = collected[srv]
    assert facts["tls.versions"].evidence["connections"] <= CONNECTION_BUDGET[srv]
    probes = facts["tls.versions"].evidence["probes"]
    assert [v for v in PROTOCOLS if "ssl" in probes[v]] == []
    for v in ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"):
        assert facts["tls.versions"].data["method"][v].startswith(
            ("raw ClientHello answered by a ServerHello", "raw ClientHello refused definitively")
        )
    # the only full handshake: the TLS 1.3-only server's (encrypted) certificate
    assert ("version not pinned" in facts["tls.certificate"].data["chain_source"]) == (srv == "tls13_ec")
