"""Test certificates, generated with ``cryptography`` (no fixtures on disk)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# DER of the AlgorithmIdentifier OIDs sha256WithRSAEncryption / sha1WithRSAEncryption:
# same length, so a SHA-256 certificate can be re-signed as SHA-1 in place.
_SHA256_RSA_OID = bytes.fromhex("06092a864886f70d01010b")
_SHA1_RSA_OID = bytes.fromhex("06092a864886f70d010105")
NETSCAPE_COMMENT = x509.ObjectIdentifier("2.16.840.1.113730.1.13")


@dataclass
class CertKey:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def write(self, directory: Path, stem: str) -> tuple[Path, Path]:
        cp, kp = directory / f"{stem}.pem", directory / f"{stem}.key"
        cp.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(
            self.key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cp, kp


def name(**attrs: str) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "CN": NameOID.COMMON_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "L": NameOID.LOCALITY_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items()])


def make_cert(
    subject: x509.Name,
    *,
    key: object | None = None,
    issuer: CertKey | None = None,
    key_kind: str = "rsa2048",
    sha1: bool = False,
    expired: bool = False,
    san_dns: tuple[str, ...] = (),
    san_ip: tuple[str, ...] = (),
    ca: bool = False,
    netscape_comment: str | None = None,
) -> CertKey:
    if key is None:
        if key_kind.startswith("rsa"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=int(key_kind[3:]))
        elif key_kind == "p256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif key_kind == "ed25519":
            key = ed25519.Ed25519PrivateKey.generate()
        else:  # pragma: no cover - test bug
            raise ValueError(key_kind)
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    now = dt.datetime.now(dt.UTC)
    if expired:
        nb, na = now - dt.timedelta(days=800), now - dt.timedelta(days=30)
    else:
        nb, na = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in san_dns]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in san_ip]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if netscape_comment is not None:
        raw = netscape_comment.encode()
        b = b.add_extension(x509.UnrecognizedExtension(NETSCAPE_COMMENT, b"\x16" + bytes([len(raw)]) + raw),
                            critical=False)
    algo = None if isinstance(signer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = b.sign(signer_key, algo)  # type: ignore[arg-type]
    if sha1:
        cert = _resign_sha1(cert, signer_key)
    return CertKey(cert, key)


def _resign_sha1(cert: x509.Certificate, key: object) -> x509.Certificate:
    """cryptography >= 4x refuses to *create* SHA-1 signatures, so patch the OIDs and re-sign."""
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - test bug
        raise TypeError("SHA-1 re-signing is implemented for RSA only")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_RSA_OID) == 2
    der = der.replace(_SHA256_RSA_OID, _SHA1_RSA_OID)
    tbs = x509.load_der_x509_certificate(der).tbs_certificate_bytes
    sig = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    assert len(sig) == len(cert.signature)
    patched = x509.load_der_x509_certificate(der[: -len(sig)] + sig)
    key.public_key().verify(patched.signature, patched.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
    return patched
