"""Certificate description (tls_cert.py) and the vendor-default table (tls_defaults.py)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from oobaudit.collectors.tls_cert import (
    address_matches,
    der_to_pem,
    describe_certificate,
    hostname_matches,
    spki_der_from_tbs,
)
from oobaudit.collectors.tls_defaults import DEFAULT_CERTIFICATES, match_vendor_default
from tests.tls._certs import CertKey, make_cert, name


def _describe(ck: CertKey, chain: list[CertKey] | None = None, connected: str = "127.0.0.1") -> dict:
    ders = [c.der for c in (chain or [ck])]
    return describe_certificate(ck.der, chain=ders, chain_source="test", connected_name=connected)


def test_good_rsa(certs: dict[str, CertKey]) -> None:
    d = _describe(certs["good"], connected="LOCALHOST")
    assert d["key_type"] == "RSA" and d["key_bits"] == 2048 and d["curve"] is None
    assert d["signature_hash"] == "sha256" and d["signature_algorithm"] == "sha256WithRSAEncryption"
    assert d["self_signed"] is True and d["is_ca"] is False and d["chain_length"] == 1
    assert d["address_matches_san"] is True and d["san_dns"] == ["localhost"] and d["san_ip"] == []
    assert d["ext_key_usage"] == ["serverAuth"]
    assert d["vendor_default"] is None
    assert d["serial"] == format(certs["good"].cert.serial_number, "x")
    assert d["not_after"] == certs["good"].cert.not_valid_after_utc.isoformat()
    json.dumps(d)  # plain JSON


def test_weak_sha1_openbmc(certs: dict[str, CertKey]) -> None:
    d = _describe(certs["weak"])
    assert d["key_bits"] == 1024 and d["signature_hash"] == "sha1"
    # cryptography's verify_directly_issued_by refuses SHA-1; the fallback verifies by hand
    assert d["self_signed"] is True and "verifies" in d["self_signed_basis"]
    assert d["is_ca"] is True
    assert d["vendor_default"] == "OpenBMC self-signed (O=OpenBMC, CN=testhost)"


def test_spki_and_fingerprints(certs: dict[str, CertKey]) -> None:
    for ck in certs.values():
        d = _describe(ck)
        spki = ck.cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        assert spki_der_from_tbs(ck.cert.tbs_certificate_bytes) == spki
        assert d["spki_sha256"] == hashlib.sha256(spki).hexdigest()
        assert d["cert_sha256"] == hashlib.sha256(ck.der).hexdigest()


def test_same_key_two_certificates_share_spki(certs: dict[str, CertKey]) -> None:
    # OOB-TLS-004 relies on this: two BMCs with one key show one SPKI fingerprint.
    other = make_cert(name(CN="bmc2"), key=certs["good"].key)
    a, b = _describe(certs["good"]), _describe(other)
    assert a["spki_sha256"] == b["spki_sha256"] and a["cert_sha256"] != b["cert_sha256"]


def test_ca_signed_with_chain(certs: dict[str, CertKey]) -> None:
    d = _describe(certs["casigned"], chain=[certs["casigned"], certs["ca"]])
    assert d["self_signed"] is False and d["issuer_in_chain_verifies"] is True
    assert d["chain_length"] == 2 and d["chain"][0]["is_ca"] is True
    assert d["address_matches_san"] is True  # SAN IP 127.0.0.1
    wrong = _describe(certs["casigned"], chain=[certs["casigned"], certs["good"]])
    assert wrong["issuer_in_chain_verifies"] is False


def test_ec_and_ed25519_keys() -> None:
    ec = _describe(make_cert(name(CN="ec"), key_kind="p256"))
    assert (ec["key_type"], ec["key_bits"], ec["curve"], ec["signature_hash"]) == ("EC", 256, "secp256r1", "sha256")
    ed = _describe(make_cert(name(CN="ed"), key_kind="ed25519"))
    assert ed["key_type"] == "Ed25519" and ed["signature_hash"] is None and ed["self_signed"] is True


def test_unparseable_certificate_raises_value_error() -> None:
    with pytest.raises(ValueError):
        describe_certificate(b"\x30\x03\x02\x01\x00", chain_source="test", connected_name="x")


def test_der_to_pem_round_trip(certs: dict[str, CertKey]) -> None:
    assert der_to_pem(certs["good"].der) == certs["good"].cert.public_bytes(Encoding.PEM).decode()


@pytest.mark.parametrize(
    ("pattern", "host", "ok"),
    [
        ("bmc1.example", "BMC1.example.", True),
        ("*.example", "bmc1.example", False),  # wildcard needs two labels after it
        ("*.oob.example", "bmc1.oob.example", True),
        ("*.oob.example", "a.bmc1.oob.example", False),
        ("*.oob.example", "oob.example", False),
        ("bmc*.oob.example", "bmc1.oob.example", False),  # partial wildcards are not honoured
    ],
)
def test_hostname_matches(pattern: str, host: str, ok: bool) -> None:
    assert hostname_matches(pattern, host) is ok


def test_address_matches_ip_forms() -> None:
    assert address_matches("::1", [], ["::1"])
    assert address_matches("[::1]", [], ["0:0:0:0:0:0:0:1"])
    assert not address_matches("127.0.0.1", ["127.0.0.1"], [])  # an IP must be an IP SAN
    assert not address_matches("bmc", [], [])


# -- vendor defaults -------------------------------------------------------------------


def test_default_table_rows_are_sourced_and_valid() -> None:
    ids = [row.id for row in DEFAULT_CERTIFICATES]
    assert len(ids) == len(set(ids))
    for row in DEFAULT_CERTIFICATES:
        assert row.name and len(row.source) > 20, row.id
        assert row.subject or row.issuer or row.netscape_comment or row.spki_sha256, row.id
        for pattern in [*row.subject.values(), *row.issuer.values()]:
            re.compile(pattern)
        for fp in row.spki_sha256:
            assert re.fullmatch(r"[0-9a-f]{64}", fp)


def test_openbmc_default_by_netscape_comment_even_with_hostname_cn() -> None:
    # bmcweb regenerates its certificate with CN=<hostname> when the hostname changes.
    ck = make_cert(name(C="US", O="OpenBMC", CN="bmc-r12-u3"), key_kind="p256",
                   netscape_comment="Generated from OpenBMC service", ca=True)
    d = _describe(ck)
    assert d["netscape_comment"] == "Generated from OpenBMC service"
    assert d["vendor_default"] == "OpenBMC self-signed (O=OpenBMC, CN=bmc-r12-u3)"


def test_openbmc_org_in_a_ca_signed_cert_is_not_the_default(certs: dict[str, CertKey]) -> None:
    ck = make_cert(name(O="OpenBMC", CN="bmc.site"), issuer=certs["ca"])
    assert _describe(ck)["vendor_default"] is None


@pytest.mark.parametrize(
    ("issuer_attrs", "expected"),
    [
        ({"C": "US", "ST": "Houston", "L": "Americas", "O": "Hewlett Packard Enterprise", "OU": "ISS",
          "CN": "Default Issuer (Do not trust)"},
         "HPE iLO factory certificate (issuer CN=Default Issuer (Do not trust))"),
        ({"C": "US", "ST": "Texas", "L": "Houston", "O": "Hewlett-Packard Company", "OU": "ISS",
          "CN": "iLO Default Issuer (Do not trust)"},
         "HP iLO 4 factory certificate (issuer CN=iLO Default Issuer (Do not trust))"),
        ({"O": "Example Corp", "CN": "Example Issuing CA"}, None),
    ],
)
def test_ilo_default_issuer(issuer_attrs: dict[str, str], expected: str | None) -> None:
    issuer = make_cert(name(**issuer_attrs), ca=True)
    leaf = make_cert(name(O=issuer_attrs["O"], OU="ISS", CN="ILOCZ1234567"), issuer=issuer)
    assert _describe(leaf)["vendor_default"] == expected


def test_match_vendor_default_is_a_pure_function_of_fact_data() -> None:
    data = {"subject_attrs": {"O": "OpenBMC", "CN": "testhost"}, "issuer_attrs": {"O": "OpenBMC"},
            "self_signed": True}
    assert match_vendor_default(data) == "OpenBMC self-signed (O=OpenBMC, CN=testhost)"
    assert match_vendor_default({**data, "self_signed": False}) is None
    assert match_vendor_default({}) is None
