"""Deterministic identity and TLS material: no network."""

from __future__ import annotations

import uuid

from mock_bmc.certs import AUTO_SHARE_RSA_ABOVE, KeyStore, issue_certificate
from mock_bmc.identity import derive_identity
from mock_bmc.profiles import CertificateSpec, IdentitySpec


def test_identity_is_a_pure_function_of_seed_profile_index() -> None:
    spec = IdentitySpec(serial_prefix="S", serial_digits=9)
    a = derive_identity("seed", "hardened", 3, spec)
    assert a == derive_identity("seed", "hardened", 3, spec)
    assert a != derive_identity("seed", "hardened", 4, spec)
    assert a != derive_identity("other", "hardened", 3, spec)
    assert a != derive_identity("seed", "factory-default", 3, spec)
    assert a.serial.startswith("S") and len(a.serial) == 10 and a.serial[1:].isdigit()
    assert uuid.UUID(a.uuid).version == 4
    assert a.uuid != a.system_uuid


def _cert(store: KeyStore, spec: CertificateSpec, label: str, seed: str = "s"):
    key = store.key_for(spec, label)
    return issue_certificate(
        key, spec, common_name=label.replace("/", "-"), address="127.0.0.1", seed=seed, label=label
    )


def test_ec_certificates_are_reproducible_and_per_bmc() -> None:
    spec = CertificateSpec()
    first = _cert(KeyStore("s"), spec, "hardened/0")
    again = _cert(KeyStore("s"), spec, "hardened/0")
    other = _cert(KeyStore("s"), spec, "hardened/1")
    assert first.pem == again.pem
    assert first.spki_sha256 != other.spki_sha256
    props = first.redfish_properties()
    assert props["Subject"]["CommonName"] == "hardened-0"
    assert props["SignatureAlgorithm"] == "ecdsa-with-SHA256"
    assert props["Fingerprint"] == first.fingerprint_sha256
    assert "ServerAuthentication" in props["KeyUsage"]
    first.ssl_context()  # loads


def test_key_scope_fleet_shares_one_key() -> None:
    spec = CertificateSpec(key_scope="fleet")
    store = KeyStore("s")
    assert _cert(store, spec, "x/0").spki_sha256 == _cert(store, spec, "x/1").spki_sha256


def test_auto_shares_rsa_only_for_big_groups() -> None:
    rsa = CertificateSpec(key_type="rsa-2048")
    assert KeyStore("s", rsa_counts={"rsa-2048": AUTO_SHARE_RSA_ABOVE}).effective_scope(rsa) == "bmc"
    assert KeyStore("s", rsa_counts={"rsa-2048": AUTO_SHARE_RSA_ABOVE + 1}).effective_scope(rsa) == "fleet"
    ec = CertificateSpec()
    assert KeyStore("s", rsa_counts={"rsa-2048": 1000}).effective_scope(ec) == "bmc"
    assert KeyStore("s", scope_override="fleet").effective_scope(ec) == "fleet"
    assert _cert(KeyStore("s"), rsa, "r/0").redfish_properties()["SignatureAlgorithm"] == "sha256WithRSAEncryption"
