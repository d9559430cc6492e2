"""Known vendor factory ("default") HTTPS certificates of BMCs.

A BMC still serving the certificate it generated for itself at first boot has
never been enrolled in the site PKI: clients cannot authenticate it, so OOB-TLS-003
flags it.  Each row says how to recognise one family of factory certificates and
where that knowledge comes from.  Rows match on certificate *attributes*
(subject / issuer fields, the Netscape comment extension, self-signed-ness),
never on one device's fingerprint, because these certificates are generated per
device.  ``spki_sha256`` lists keys known to be *shared* across devices (a
firmware-baked key); it is empty until one is sourced.

Matching is a pure function over the ``tls.certificate`` fact data, so a stored
sweep can be re-matched against a newer table without touching a BMC.
Unsourced guesses do not belong here: a row needs a ``source``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DefaultCertificate:
    id: str
    # Human name; ``{CN}`` / ``{issuer_CN}`` are filled from the certificate.
    name: str
    source: str
    # Attribute -> regular expression that must fully match (case-sensitive), for
    # the subject and the issuer.  Every listed attribute must be present.
    subject: Mapping[str, str] = field(default_factory=dict)
    issuer: Mapping[str, str] = field(default_factory=dict)
    # None: either; True/False: the certificate's self_signed must equal it.
    self_signed: bool | None = None
    # Alternative signature: a Netscape comment that alone identifies the default.
    netscape_comment: str | None = None
    spki_sha256: frozenset[str] = frozenset()


DEFAULT_CERTIFICATES: tuple[DefaultCertificate, ...] = (
    DefaultCertificate(
        id="openbmc-bmcweb",
        name="OpenBMC self-signed (O=OpenBMC, CN={CN})",
        # bmcweb constructX509(): C=US, O=OpenBMC, CN=<hostname, or "testhost" when the
        # stored certificate fails verification at start-up>, issuer = subject,
        # basicConstraints critical CA:TRUE, SAN DNS:<CN>, 10-year validity, and the
        # nsComment "Generated from OpenBMC service" (ensuressl::x509Comment).
        source=(
            "openbmc/bmcweb src/ssl_key_handler.cpp (constructX509, generateSslCertificate, "
            "ensureOpensslKeyPresentAndValid -> generateSslCertificate(\"testhost\")); "
            "include/ssl_key_handler.hpp x509Comment; oobaudit reference redfish-surface.md §1.10"
        ),
        subject={"O": "OpenBMC"},
        issuer={"O": "OpenBMC"},
        self_signed=True,
        netscape_comment="Generated from OpenBMC service",
    ),
    DefaultCertificate(
        id="hpe-ilo-default-issuer",
        name="HPE iLO factory certificate (issuer CN={issuer_CN})",
        # iLO 5/6: issuer "CN = Default Issuer (Do not trust), O = Hewlett Packard Enterprise,
        # OU = ISS, L = Americas, ST = Houston, C = US", subject CN = ILO<serial>.
        source=(
            "HPE iLO Redfish /redfish/v1/Managers/1/SecurityService/HttpsCert "
            "(HpeHttpsCert.X509CertificateInformation.Issuer) as published in HPE iLO Redfish "
            "examples; HPE iLO security guidance: replace the default self-signed certificate "
            "(hardening-controls.md §1)"
        ),
        issuer={"CN": r"Default Issuer \(Do not trust\)", "O": "Hewlett Packard Enterprise"},
    ),
    DefaultCertificate(
        id="hp-ilo4-default-issuer",
        name="HP iLO 4 factory certificate (issuer CN={issuer_CN})",
        # iLO 4: issuer "CN = iLO Default Issuer (Do not trust), O = Hewlett-Packard Company,
        # OU = ISS, L = Houston, ST = Texas, C = US", subject CN = ILO<serial>.
        source=(
            "HPE iLO PowerShell cmdlets Get-HPEiLOSSLCertificateInfo output on iLO 4 "
            "(Issuer 'CN = iLO Default Issuer (Do not trust), O = Hewlett-Packard Company')"
        ),
        issuer={"CN": r"iLO Default Issuer \(Do not trust\)", "O": "Hewlett-Packard Company"},
    ),
)


def _attrs_match(want: Mapping[str, str], have: Mapping[str, Any] | None) -> bool:
    if not want:
        return True
    if not have:
        return False
    for attr, pattern in want.items():
        value = have.get(attr)
        if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
            return False
    return True


def _render(row: DefaultCertificate, data: Mapping[str, Any]) -> str:
    subject = data.get("subject_attrs") or {}
    issuer = data.get("issuer_attrs") or {}
    return row.name.replace("{CN}", str(subject.get("CN", "?"))).replace(
        "{issuer_CN}", str(issuer.get("CN", "?"))
    )


def match_vendor_default(
    data: Mapping[str, Any], table: tuple[DefaultCertificate, ...] = DEFAULT_CERTIFICATES
) -> str | None:
    """Name of the known default certificate ``data`` (a tls.certificate fact's data) is, or None."""
    for row in table:
        if row.spki_sha256 and data.get("spki_sha256") in row.spki_sha256:
            return _render(row, data)
        if row.netscape_comment and data.get("netscape_comment") == row.netscape_comment:
            return _render(row, data)
        if not row.subject and not row.issuer:
            continue
        if row.self_signed is not None and bool(data.get("self_signed")) != row.self_signed:
            continue
        if _attrs_match(row.subject, data.get("subject_attrs")) and _attrs_match(
            row.issuer, data.get("issuer_attrs")
        ):
            return _render(row, data)
    return None
