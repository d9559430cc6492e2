"""Describe a server certificate (and the chain it came with) as plain JSON data.

Uses ``cryptography`` only; no I/O.  The description holds public data only (the
certificate is public; no private key ever reaches this module).  Nothing here
judges: expiry, key size and signature hash are reported as facts, and the
checks decide.  ``vendor_default`` is a lookup in the table of known factory
certificates (tls_defaults.py), kept here so a stored fact says which default it
matched at collection time; checks may re-run the lookup with a newer table via
``tls_defaults.match_vendor_default(data)``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from oobaudit.collectors.tls_defaults import match_vendor_default

NETSCAPE_COMMENT_OID = x509.ObjectIdentifier("2.16.840.1.113730.1.13")

# Signature algorithm OID -> hash name, for OIDs cryptography cannot map to a hash
# object (md2 / md4) or that it refuses to load.
_SIG_OID_HASH = {
    "1.2.840.113549.1.1.2": "md2",
    "1.2.840.113549.1.1.3": "md4",
    "1.2.840.113549.1.1.4": "md5",
    "1.2.840.113549.1.1.5": "sha1",
    "1.3.14.3.2.29": "sha1",
    "1.2.840.10040.4.3": "sha1",
    "1.2.840.10045.4.1": "sha1",
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}

_NAME_ATTRS = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "C": NameOID.COUNTRY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def der_to_pem(der: bytes) -> str:
    """PEM armour without parsing (works for certificates cryptography refuses)."""
    b64 = base64.b64encode(der).decode("ascii")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _name_attrs(name: x509.Name) -> dict[str, str]:
    out: dict[str, str] = {}
    for short, oid in _NAME_ATTRS.items():
        vals = name.get_attributes_for_oid(oid)
        if vals:
            value = vals[0].value
            out[short] = value if isinstance(value, str) else value.decode("utf-8", "replace")
    return out


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:  # pragma: no cover - undecodable attribute
        return repr(name)


def _der_read(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content_start, content_end) of the DER TLV at ``pos``."""
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(buf[pos : pos + n], "big")
        pos += n
    end = pos + length
    if end > len(buf):
        raise ValueError("DER element overruns its buffer")
    return tag, pos, end


def spki_der_from_tbs(tbs: bytes) -> bytes:
    """The SubjectPublicKeyInfo DER of a TBSCertificate, for any key type (RFC 5280 §4.1)."""
    tag, start, _end = _der_read(tbs, 0)
    if tag != 0x30:
        raise ValueError("TBSCertificate is not a SEQUENCE")
    pos = start
    tag, _s, e = _der_read(tbs, pos)
    if tag == 0xA0:  # [0] version
        pos = e
    for _ in range(5):  # serial, signature, issuer, validity, subject
        _t, _s, e = _der_read(tbs, pos)
        pos = e
    tag, _s, e = _der_read(tbs, pos)
    if tag != 0x30:
        raise ValueError("SubjectPublicKeyInfo is not a SEQUENCE")
    return tbs[pos:e]


def _key_info(cert: x509.Certificate) -> dict[str, Any]:
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        return {"key_type": "unknown", "key_bits": None, "curve": None, "key_error": str(exc)}
    if isinstance(key, rsa.RSAPublicKey):
        return {"key_type": "RSA", "key_bits": key.key_size, "curve": None}
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"key_type": "EC", "key_bits": key.curve.key_size, "curve": key.curve.name}
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"key_type": "Ed25519", "key_bits": 256, "curve": "ed25519"}
    if isinstance(key, ed448.Ed448PublicKey):
        return {"key_type": "Ed448", "key_bits": 456, "curve": "ed448"}
    if isinstance(key, dsa.DSAPublicKey):
        return {"key_type": "DSA", "key_bits": key.key_size, "curve": None}
    return {"key_type": type(key).__name__, "key_bits": None, "curve": None}


def _signature_hash(cert: x509.Certificate) -> str | None:
    dotted = cert.signature_algorithm_oid.dotted_string
    try:
        algo = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return _SIG_OID_HASH.get(dotted, "unknown")
    if algo is None:  # Ed25519 / Ed448: the hash is intrinsic to the scheme
        return None
    return algo.name


def _signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", None)
    return name if name and name != "Unknown OID" else oid.dotted_string


def _verify_signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool | None:
    """True/False if ``issuer``'s key verifies ``cert``'s signature; None if it cannot be checked."""
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass  # e.g. SHA-1 / MD5 signatures, which cryptography's helper refuses; check by hand
    if cert.issuer != issuer.subject:
        return False
    try:
        key = issuer.public_key()
        algo = cert.signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError):
        return None
    try:
        if isinstance(key, rsa.RSAPublicKey) and algo is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algo)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algo is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algo))
        elif isinstance(key, dsa.DSAPublicKey) and algo is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, algo)
        else:
            return None
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return None
    return True


def _san(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [str(n) for n in ext.get_values_for_type(x509.DNSName)]
    ips = [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    return dns, ips


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value.ca)
    except x509.ExtensionNotFound:
        return False


def _ext_key_usage(cert: x509.Certificate) -> list[str]:
    try:
        eku = cert.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
    except x509.ExtensionNotFound:
        return []
    return [getattr(o, "_name", None) or o.dotted_string for o in eku]


def _netscape_comment(cert: x509.Certificate) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(NETSCAPE_COMMENT_OID).value
    except x509.ExtensionNotFound:
        return None
    raw = getattr(ext, "value", b"")
    if len(raw) >= 2 and raw[0] in (0x16, 0x0C, 0x13):  # IA5String / UTF8String / PrintableString
        try:
            _tag, start, end = _der_read(raw, 0)
            return raw[start:end].decode("utf-8", "replace")
        except (ValueError, IndexError):
            return None
    return None


def hostname_matches(pattern: str, name: str) -> bool:
    """RFC 6125 §6.4.3: exact, case-insensitive; ``*`` only as the whole left-most label."""
    p = pattern.rstrip(".").lower()
    n = name.rstrip(".").lower()
    if p == n:
        return True
    if p.startswith("*.") and "*" not in p[2:]:
        head, _, tail = n.partition(".")
        return bool(head) and tail == p[2:] and tail.count(".") >= 1
    return False


def address_matches(name: str, san_dns: list[str], san_ip: list[str]) -> bool:
    """Does the name (or IP literal) the auditor connected to appear in the SAN?"""
    bare = name.strip("[]")
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return any(hostname_matches(p, bare) for p in san_dns)
    for s in san_ip:
        try:
            if ipaddress.ip_address(s) == ip:
                return True
        except ValueError:
            continue
    return False


def _chain_entry(der: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"cert_sha256": sha256_hex(der)}
    try:
        c = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        entry["parse_error"] = str(exc)
        return entry
    entry.update(
        {
            "subject": _rfc4514(c.subject),
            "issuer": _rfc4514(c.issuer),
            "not_after": c.not_valid_after_utc.isoformat(),
            "signature_hash": _signature_hash(c),
            "is_ca": _is_ca(c),
            **{k: v for k, v in _key_info(c).items() if k in ("key_type", "key_bits", "curve")},
        }
    )
    return entry


def describe_certificate(
    leaf_der: bytes,
    *,
    chain: list[bytes] | None = None,
    chain_source: str,
    connected_name: str,
) -> dict[str, Any]:
    """The ``tls.certificate`` fact data for a leaf certificate.

    ``chain`` is every certificate the server sent, leaf first (may be just the
    leaf); ``connected_name`` is the SNI name if one was used, else the host or
    IP the auditor connected to.  Raises ValueError when the leaf cannot be
    parsed at all (the caller turns that into an error fact).
    """
    cert = x509.load_der_x509_certificate(leaf_der)
    chain = list(chain or [leaf_der])
    subject = _name_attrs(cert.subject)
    issuer = _name_attrs(cert.issuer)
    san_dns, san_ip = _san(cert)
    name_self_issued = cert.issuer == cert.subject
    signature_self = _verify_signed_by(cert, cert) if name_self_issued else False
    if name_self_issued and signature_self is None:
        self_signed: bool = True
        self_signed_basis = "issuer equals subject (signature not verifiable locally)"
    else:
        self_signed = bool(name_self_issued and signature_self)
        self_signed_basis = "issuer equals subject and the certificate's own key verifies its signature"
        if name_self_issued and not signature_self:
            self_signed_basis = "issuer equals subject but the signature does not verify with its own key"
    issuer_in_chain: bool | None = None
    if not self_signed and len(chain) > 1:
        try:
            issuer_in_chain = bool(_verify_signed_by(cert, x509.load_der_x509_certificate(chain[1])))
        except ValueError:
            issuer_in_chain = None
    try:
        spki = spki_der_from_tbs(cert.tbs_certificate_bytes)
        spki_sha256: str | None = sha256_hex(spki)
    except (ValueError, IndexError):
        spki_sha256 = None
    data: dict[str, Any] = {
        "subject": _rfc4514(cert.subject),
        "issuer": _rfc4514(cert.issuer),
        "subject_attrs": subject,
        "issuer_attrs": issuer,
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "self_signed": self_signed,
        "self_signed_basis": self_signed_basis,
        "issuer_in_chain_verifies": issuer_in_chain,
        "chain_length": len(chain),
        "chain_source": chain_source,
        **_key_info(cert),
        "signature_algorithm": _signature_algorithm(cert),
        "signature_hash": _signature_hash(cert),
        "san_dns": san_dns,
        "san_ip": san_ip,
        "connected_name": connected_name,
        "address_matches_san": address_matches(connected_name, san_dns, san_ip),
        "spki_sha256": spki_sha256,
        "cert_sha256": sha256_hex(leaf_der),
        "is_ca": _is_ca(cert),
        "ext_key_usage": _ext_key_usage(cert),
        "netscape_comment": _netscape_comment(cert),
        "version": cert.version.name,
        "chain": [_chain_entry(d) for d in chain[1:]],
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    }
    data["vendor_default"] = match_vendor_default(data)
    return data


__all__ = [
    "address_matches",
    "der_to_pem",
    "describe_certificate",
    "hostname_matches",
    "sha256_hex",
    "spki_der_from_tbs",
]
