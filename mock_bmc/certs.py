"""Self-signed HTTPS certificates for mock BMCs, and the Redfish view of them.

Why it is built this way:

* The auditor's TLS collector and the Redfish ``Certificate`` resource must describe
  the *same* certificate, so the Redfish properties are read back from the issued
  ``x509.Certificate`` rather than restated from the profile.
* Drift tests start the same fleet twice and expect no change, so EC keys are
  derived from the fleet seed (``ec.derive_private_key``) and EC signatures are
  deterministic (RFC 6979): the same seed gives byte-identical certificates.
  These keys protect nothing but loopback test traffic.
* RSA keys cannot be derived from a seed and take ~60 ms each, so with
  ``key_scope: auto`` a fleet shares one RSA key per key type once more than
  ``AUTO_SHARE_RSA_ABOVE`` BMCs use it.  EC keys cost ~30 us and stay per BMC, so a
  1,000-BMC hardened fleet still has 1,000 distinct keys (OOB-TLS-004 stays quiet).
  ``key_scope: fleet`` (profile) or ``FleetSpec.key_scope`` forces sharing.
* ``ssl`` can only load a certificate chain from a file; the PEM is written to a
  private temporary directory and removed straight after loading.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from .identity import derive_bytes
from .profiles import CertificateSpec

KeyScope = Literal["auto", "bmc", "fleet"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

#: With ``key_scope: auto``, RSA keys are shared fleet-wide above this many BMCs per key type.
AUTO_SHARE_RSA_ABOVE = 8

_EC_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "ec-p256": (ec.SECP256R1(), 256),
    "ec-p384": (ec.SECP384R1(), 384),
}
_RSA_BITS = {"rsa-1024": 1024, "rsa-2048": 2048, "rsa-3072": 3072, "rsa-4096": 4096}

_SIGNATURE_NAMES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "md5WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "sha512WithRSAEncryption",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
    SignatureAlgorithmOID.ED25519: "ED25519",
}
_NAME_FIELDS = (
    (NameOID.COMMON_NAME, "CommonName"),
    (NameOID.ORGANIZATION_NAME, "Organization"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "OrganizationalUnit"),
    (NameOID.LOCALITY_NAME, "City"),
    (NameOID.STATE_OR_PROVINCE_NAME, "State"),
    (NameOID.COUNTRY_NAME, "Country"),
    (NameOID.EMAIL_ADDRESS, "Email"),
)
_KEY_USAGE_NAMES = (
    ("digital_signature", "DigitalSignature"),
    ("content_commitment", "NonRepudiation"),
    ("key_encipherment", "KeyEncipherment"),
    ("data_encipherment", "DataEncipherment"),
    ("key_agreement", "KeyAgreement"),
    ("key_cert_sign", "KeyCertSign"),
    ("crl_sign", "CRLSigning"),
)
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "ServerAuthentication",
    ExtendedKeyUsageOID.CLIENT_AUTH: "ClientAuthentication",
    ExtendedKeyUsageOID.CODE_SIGNING: "CodeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EmailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "Timestamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


def _colon_hex(data: bytes) -> str:
    return ":".join(f"{b:02X}" for b in data)


def _redfish_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _redfish_name(name: x509.Name) -> dict[str, str]:
    out: dict[str, str] = {}
    for oid, prop in _NAME_FIELDS:
        attrs = name.get_attributes_for_oid(oid)
        if attrs:
            out[prop] = str(attrs[0].value)
    return out


@dataclass(frozen=True)
class ServedCertificate:
    """The certificate (and key) one BMC serves on its HTTPS listener."""

    certificate: x509.Certificate
    key_type: str
    _key: PrivateKey = field(repr=False)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def fingerprint_sha256(self) -> str:
        return _colon_hex(self.certificate.fingerprint(hashes.SHA256()))

    @property
    def spki_sha256(self) -> str:
        """SHA-256 of the SubjectPublicKeyInfo: equal for two BMCs exactly when they share a key."""
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(spki).hexdigest()

    def ssl_context(self) -> ssl.SSLContext:
        """A server context for this certificate (TLS 1.2+; TLS faults will tune this later)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        weak_key = isinstance(self._key, rsa.RSAPrivateKey) and self._key.key_size < 2048
        weak_sig = self.certificate.signature_hash_algorithm is not None and \
            self.certificate.signature_hash_algorithm.name in ("sha1", "md5")
        if weak_key or weak_sig:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # else OpenSSL refuses to load the weak certificate
        key_pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with tempfile.TemporaryDirectory(prefix="mock_bmc-tls-") as tmp:
            path = Path(tmp) / "server.pem"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.pem + key_pem)
            ctx.load_cert_chain(path)
        return ctx

    def redfish_properties(self) -> dict[str, Any]:
        """Certificate.v1_x properties describing exactly this certificate."""
        cert = self.certificate
        usages: list[str] = []
        try:
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
            usages += [prop for attr, prop in _KEY_USAGE_NAMES if getattr(ku, attr)]
        except x509.ExtensionNotFound:
            pass
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            usages += [_EKU_NAMES[oid] for oid in eku if oid in _EKU_NAMES]
        except x509.ExtensionNotFound:
            pass
        oid = cert.signature_algorithm_oid
        return {
            "CertificateString": self.pem.decode("ascii"),
            "CertificateType": "PEM",
            "CertificateUsageTypes": ["Web"],
            "Subject": _redfish_name(cert.subject),
            "Issuer": _redfish_name(cert.issuer),
            "ValidNotBefore": _redfish_time(cert.not_valid_before_utc),
            "ValidNotAfter": _redfish_time(cert.not_valid_after_utc),
            "KeyUsage": usages,
            "SerialNumber": _colon_hex(cert.serial_number.to_bytes((cert.serial_number.bit_length() + 7) // 8, "big")),
            "SignatureAlgorithm": _SIGNATURE_NAMES.get(oid, oid.dotted_string),
            "Fingerprint": self.fingerprint_sha256,
            "FingerprintHashAlgorithm": "TPM_ALG_SHA256",
        }


class KeyStore:
    """Hands out private keys for one fleet, honouring each profile's ``key_scope``.

    ``rsa_counts`` tells ``auto`` how many BMCs of the fleet want each RSA key type,
    which decides whether they share one key.  ``scope_override`` (from the fleet)
    replaces every profile's scope.
    """

    def __init__(
        self, seed: str, *, rsa_counts: dict[str, int] | None = None, scope_override: KeyScope | None = None
    ) -> None:
        self._seed = seed
        self._rsa_counts = dict(rsa_counts or {})
        self._override = scope_override
        self._shared: dict[str, PrivateKey] = {}

    def effective_scope(self, spec: CertificateSpec) -> Literal["bmc", "fleet"]:
        scope = self._override or spec.key_scope
        if scope != "auto":
            return scope
        if spec.key_type in _RSA_BITS and self._rsa_counts.get(spec.key_type, 0) > AUTO_SHARE_RSA_ABOVE:
            return "fleet"
        return "bmc"

    def key_for(self, spec: CertificateSpec, label: str) -> PrivateKey:
        """The key BMC ``label`` (``profile/index``) serves with."""
        if self.effective_scope(spec) == "fleet":
            key = self._shared.get(spec.key_type)
            if key is None:
                key = self._make_key(spec.key_type, f"fleet/{spec.key_type}")
                self._shared[spec.key_type] = key
            return key
        return self._make_key(spec.key_type, f"bmc/{label}")

    def _make_key(self, key_type: str, label: str) -> PrivateKey:
        if key_type in _EC_CURVES:
            curve, bits = _EC_CURVES[key_type]
            raw = int.from_bytes(derive_bytes(self._seed, "tls-key", label, length=bits // 8 + 8), "big")
            # Every such curve's order exceeds 2**(bits-1), so this scalar is always valid.
            return ec.derive_private_key(raw % (2 ** (bits - 1) - 1) + 1, curve)
        return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[key_type])


def issue_certificate(
    key: PrivateKey, spec: CertificateSpec, *, common_name: str, address: str | None, seed: str, label: str
) -> ServedCertificate:
    """Self-sign a server certificate for one BMC (CN = its name, SAN = name and address)."""
    attrs = []
    if spec.subject_country:
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, spec.subject_country))
    if spec.subject_organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.subject_organization))
    if spec.subject_organizational_unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, spec.subject_organizational_unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    name = x509.Name(attrs)

    sans: list[x509.GeneralName] = [x509.DNSName(common_name)]
    if address:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            sans.append(x509.DNSName(address))

    is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
    not_before = dt.datetime.combine(spec.not_before, dt.time(), tzinfo=dt.UTC)
    serial = int.from_bytes(derive_bytes(seed, "cert-serial", label, length=16), "big") >> 1 or 1
    digest = hashes.SHA384() if spec.key_type == "ec-p384" else hashes.SHA256()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=spec.validity_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=not is_ec,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    # RFC 6979 deterministic ECDSA: same seed, same certificate bytes (RSA PKCS#1 v1.5 is deterministic anyway).
    cert = builder.sign(key, digest, ecdsa_deterministic=True) if is_ec else builder.sign(key, digest)
    return ServedCertificate(certificate=cert, key_type=spec.key_type, _key=key)
