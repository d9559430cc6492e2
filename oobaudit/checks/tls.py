"""OOB-TLS-001..004: protocol versions, weak cipher classes, the certificate, and keys
shared across the fleet.  Facts come from collectors/tls.py (raw ClientHellos plus
full handshakes); its documented limits are carried into the evidence."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from ..facts import TLS_CERTIFICATE, TLS_CIPHER_CLASSES, TLS_CONNECTIVITY, TLS_VERSIONS, Fact, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA
from .base import CheckError, Emit, Severity, check

_ORDER = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
_MIN = {"1.2": "TLSv1.2", "1.3": "TLSv1.3"}
_WEAK = {  # class: (severity, why)
    "NULL": (Severity.CRITICAL, "no encryption at all"),
    "ANON": (Severity.CRITICAL, "no server authentication (anonymous key exchange)"),
    "EXPORT": (Severity.HIGH, "40/56-bit export-grade keys (FREAK/Logjam)"),
    "DES": (Severity.HIGH, "56-bit DES"),
    "RC4": (Severity.HIGH, "RC4 keystream biases (RFC 7465 prohibits it)"),
    "3DES": (Severity.MEDIUM, "64-bit block cipher (Sweet32)"),
    "NO_FS": (Severity.MEDIUM, "static RSA key exchange: no forward secrecy"),
    "CBC_SHA1": (Severity.LOW, "CBC with HMAC-SHA1 (Lucky13-class padding oracles)"),
}


def _one(tf: TargetFacts, kind: str, what: str) -> Fact:
    conn = tf.one(TLS_CONNECTIVITY)
    fact = tf.one(kind)
    if conn is None and fact is None:
        raise CheckError("TLS was not probed (no https port in the inventory)")
    if conn is not None and conn.error:
        raise CheckError(f"TLS not auditable: {conn.error}", conn.subject)
    if fact is None:
        raise CheckError(f"{what} was not collected")
    if fact.error:
        raise CheckError(f"{what} could not be determined: {fact.error}", fact.subject)
    return fact


@check(
    id="OOB-TLS-001",
    title="HTTPS refuses SSLv3, TLS 1.0 and TLS 1.1",
    family="tls",
    severity="high",
    rationale=(
        "SSL 3.0 and TLS 1.0/1.1 are deprecated (RFC 8996) and open to downgrade and padding-oracle attacks "
        "(POODLE, BEAST); a BMC that still accepts them exposes its Redfish credentials and session tokens."
    ),
    remediation="Restrict the BMC web server to TLS 1.2 and 1.3 (vendor security settings, e.g. iLO/iDRAC "
                "'TLS minimum version', OpenBMC tls-profile 'intermediate' or 'modern').",
    references=("RFC 8996", "NIST SP 800-52r2", NSA_CISA + " #3"),
    compliance=("NIST-800-53:SC-8", "NIST-800-53:SC-13"),
    needs=(TLS_CONNECTIVITY, TLS_VERSIONS),
)
def tls_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    fact = _one(tf, TLS_VERSIONS, "the accepted TLS versions")
    floor = _ORDER.index(_MIN.get(policy.settings.min_tls_version, "TLSv1.2"))
    for i, name in enumerate(_ORDER):
        if i >= floor:
            continue
        state = fact.data.get(name)
        ev = {"endpoint": fact.subject, "method": (fact.data.get("method") or {}).get(name),
              "min_tls_version": policy.settings.min_tls_version}
        if state is True:
            emit.failed(name, f"{fact.subject} accepts {name}; baseline minimum is TLS "
                        f"{policy.settings.min_tls_version}", evidence=ev)
        elif state is False:
            emit.passed(name, f"{name} refused", evidence=ev)
        else:
            emit.error(name, f"{name} could not be tested ({ev['method'] or 'no method'})", evidence=ev)


@check(
    id="OOB-TLS-002",
    title="HTTPS offers no weak cipher suites",
    family="tls",
    severity="high",
    rationale=(
        "NULL, anonymous, export, DES, RC4 and 3DES suites, and static-RSA key exchange, let a network attacker "
        "read or forge BMC management traffic, or decrypt recorded sessions once the key leaks."
    ),
    remediation="Disable the listed cipher classes in the BMC's TLS configuration; prefer ECDHE with AES-GCM or "
                "ChaCha20-Poly1305 (Mozilla 'intermediate').",
    references=("RFC 7465 (RC4)", "NIST SP 800-52r2", "Mozilla Server Side TLS"),
    compliance=("NIST-800-53:SC-13",),
    needs=(TLS_CONNECTIVITY, TLS_CIPHER_CLASSES),
)
def tls_002(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    fact = _one(tf, TLS_CIPHER_CLASSES, "the accepted cipher classes")
    examples = fact.data.get("accepted_examples") or {}
    for cls, (sev, why) in _WEAK.items():
        state = fact.data.get(cls)
        ev = {"endpoint": fact.subject, "examples": examples.get(cls, [])[:5], "limits": fact.data.get("limits")}
        if state is True:
            emit.failed(cls, f"{fact.subject} accepts {cls} suites: {why}", evidence=ev, severity=sev)
        elif state is False:
            emit.passed(cls, f"no {cls} suite accepted", evidence=ev)
        else:
            emit.error(cls, f"{cls} suites could not be tested by this stack", evidence=ev)


@check(
    id="OOB-TLS-003",
    title="Certificate is valid, strong and not a vendor default",
    family="tls",
    severity="high",
    rationale=(
        "An expired or weak certificate trains operators to click through warnings; a vendor default "
        "certificate has a private key shared by every unit of that product, so anyone can impersonate the BMC."
    ),
    remediation="Install a CA-signed certificate with an RSA >= 2048-bit or P-256+ key and a SHA-256+ signature "
                "(Redfish CertificateService.ReplaceCertificate), with the BMC's address in its SAN.",
    references=("HPE iLO 5 security guidelines: replace the default certificate", "NIST SP 800-52r2",
                "CA/B Forum Baseline Requirements (SHA-1 deprecated)"),
    compliance=("NIST-800-53:SC-17", "NIST-800-53:SC-12"),
    needs=(TLS_CONNECTIVITY, TLS_CERTIFICATE),
)
def tls_003(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    fact = _one(tf, TLS_CERTIFICATE, "the server certificate")
    d = fact.data
    ev = {k: d.get(k) for k in ("subject", "issuer", "not_before", "not_after", "key_type", "key_bits", "curve",
                                "signature_hash", "spki_sha256", "self_signed", "vendor_default", "san_dns",
                                "san_ip", "address_matches_san")}
    now = datetime.now(UTC)
    after, before = _when(d.get("not_after")), _when(d.get("not_before"))
    if after is None:
        emit.error("validity", "certificate validity dates unreadable", evidence=ev)
    elif after < now:
        emit.failed("validity", f"certificate expired on {after.date()}", evidence=ev)
    elif before is not None and before > now:
        emit.failed("validity", f"certificate is not valid before {before.date()}", evidence=ev)
    else:
        emit.passed("validity", f"valid until {after.date()}", evidence=ev)
    kt, bits = (d.get("key_type") or "").upper(), d.get("key_bits")
    if kt == "RSA" and isinstance(bits, int) and bits < 2048:
        emit.failed("key", f"RSA key of {bits} bits (< 2048)", evidence=ev)
    elif kt == "EC" and isinstance(bits, int) and bits < 256:
        emit.failed("key", f"EC key of {bits} bits (< P-256)", evidence=ev)
    elif kt == "DSA":
        emit.failed("key", "DSA key", evidence=ev)
    elif kt in ("RSA", "EC", "ED25519", "ED448"):
        emit.passed("key", f"{kt} {bits or ''} key".replace("  ", " "), evidence=ev)
    else:
        emit.error("key", f"key type {kt or 'unknown'} not judged", evidence=ev)
    sig = (d.get("signature_hash") or "").lower()
    if sig in ("md5", "sha1", "md2", "md4"):
        emit.failed("signature", f"certificate signed with {sig.upper()}", evidence=ev)
    else:
        emit.passed("signature", f"signature hash {sig or 'n/a'}", evidence=ev)
    if d.get("vendor_default"):
        emit.failed("vendor-default", f"vendor default certificate: {d['vendor_default']}", evidence=ev,
                    severity=Severity.CRITICAL)
    else:
        emit.passed("vendor-default", "not a known vendor default certificate", evidence=ev)
    if d.get("self_signed"):
        emit.failed("self-signed", "self-signed certificate: clients cannot authenticate the BMC", evidence=ev,
                    severity=Severity.INFO)
    if d.get("address_matches_san") is False:
        emit.failed("san", "the BMC's address is not in the certificate's subjectAltName", evidence=ev,
                    severity=Severity.INFO)


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


#: How many other BMCs an OOB-TLS-004 finding names (the evidence keeps the total count).
SHARED_KEY_NAMES = 20


@check(
    id="OOB-TLS-004",
    title="No certificate key is shared by two BMCs",
    family="tls",
    severity="high",
    rationale=(
        "BMCs sharing one key (a vendor image default, or a cloned configuration) fall together: extracting "
        "the key from one unit lets an attacker impersonate, or decrypt traffic to, every other."
    ),
    remediation="Generate a fresh key and certificate on each BMC (Redfish CertificateService.GenerateCSR), "
                "then install the CA-signed certificate.",
    references=("CWE-321: use of hard-coded cryptographic key", "NIST SP 800-57 Part 1"),
    compliance=("NIST-800-53:SC-12",),
    needs=(TLS_CERTIFICATE,),
    scope="fleet",
)
def tls_004(fleet: list[TargetFacts], policy: Policy, emit: Emit) -> None:
    by_spki: dict[str, list[str]] = defaultdict(list)
    for tf in fleet:
        fact = tf.one(TLS_CERTIFICATE)
        if fact is not None and fact.ok and fact.data.get("spki_sha256"):
            by_spki[fact.data["spki_sha256"]].append(tf.target)
    for spki, targets in sorted(by_spki.items()):
        targets.sort()
        # Name at most SHARED_KEY_NAMES others: a fleet that shares one key (a vendor default) would
        # otherwise write N findings of N names each - quadratic in the size of the fleet.
        named = targets[: SHARED_KEY_NAMES + 1]
        for t in targets:
            subject = f"spki:{spki[:16]}"
            if len(targets) > 1:
                others = [o for o in named if o != t][:SHARED_KEY_NAMES]
                more = len(targets) - 1 - len(others)
                listed = ", ".join(others) + (f" and {more:,} more" if more else "")
                emit.failed(subject, f"the same public key (SPKI SHA-256 {spki[:16]}…) is served by {t} and "
                            f"{listed}", evidence={"spki_sha256": spki, "targets": named, "count": len(targets)},
                            target=t)
            else:
                emit.passed(subject, "public key not seen on any other BMC of this sweep",
                            evidence={"spki_sha256": spki}, target=t)
