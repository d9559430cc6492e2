"""OOB-SSH-001: the BMC's SSH server offers no weak key exchange, host key, cipher or MAC.

The judgements live in ``oobaudit/data/ssh_policy.yaml`` (modelled on ssh-audit's
knowledge base, with the deliberate differences listed there); :func:`judge` applies
them to one ``ssh.algorithms`` fact and is shared with the tests that compare us
with ssh-audit.  One finding per weak algorithm (subject ``<class>:<algorithm>``,
classes ``kex``, ``host_key``, ``cipher``, ``mac``, ``compression``, plus
``protocol:ssh-1`` and ``cve:CVE-2023-48795``); a single PASS when there is none.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from ..facts import REDFISH_NETWORK_PROTOCOL, SSH_ALGORITHMS, SSH_CONNECTIVITY, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA
from .base import CheckError, Emit, Severity, check

#: fact data key -> policy class (and finding subject prefix)
CLASSES: dict[str, str] = {"kex": "kex", "host_key_types": "host_key", "ciphers": "cipher", "macs": "mac",
                           "compression": "compression"}
LEVELS = ("fail", "warn", "ok", "ignore")
_LEVEL_RANK = {"ignore": 0, "ok": 1, "warn": 2, "fail": 3}
#: Severity of a ``warn`` finding unless the rule says otherwise (``fail`` uses the check's).
WARN_SEVERITY = Severity.LOW


@dataclass(frozen=True)
class Rule:
    match: str
    level: str
    reason: str
    severity: Severity | None = None
    ssh_audit: str | None = None
    """What ssh-audit decides where this rule deliberately differs."""


@dataclass(frozen=True)
class SshPolicy:
    source: str
    exact: Mapping[str, Mapping[str, Rule]]
    globs: Mapping[str, tuple[Rule, ...]]
    unknown: Rule
    protocol_1: Rule
    terrapin: Rule
    key_sizes: Mapping[str, tuple[int, str]]
    """host key type -> (fail below this many bits, reason)"""

    def rule(self, cls: str, alg: str) -> Rule:
        hit = self.exact.get(cls, {}).get(alg)
        if hit is not None:
            return hit
        for rule in self.globs.get(cls, ()):
            if fnmatch.fnmatchcase(alg, rule.match):
                return rule
        return self.unknown


def _rule(raw: Mapping[str, Any], where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: a rule is a mapping")
    extra = set(raw) - {"match", "level", "reason", "severity", "ssh_audit"}
    if extra:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
    level = raw.get("level")
    if level not in LEVELS:
        raise ValueError(f"{where}: level must be one of {', '.join(LEVELS)}")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"{where}: every rule needs a reason")
    sev = raw.get("severity")
    return Rule(match=str(raw.get("match", "")), level=level, reason=reason.strip(),
                severity=Severity.parse(sev) if sev else None, ssh_audit=raw.get("ssh_audit"))


def parse_policy(text: str) -> SshPolicy:
    """Validate and index a policy document (the shipped one, or a test's)."""
    doc = yaml.safe_load(text)
    if not isinstance(doc, Mapping) or doc.get("version") != 1:
        raise ValueError("ssh policy: a mapping with version: 1")
    exact: dict[str, dict[str, Rule]] = {}
    globs: dict[str, list[Rule]] = {}
    rules = doc.get("rules") or {}
    unknown_cls = set(rules) - set(CLASSES.values())
    if unknown_cls:
        raise ValueError(f"ssh policy: unknown class(es) {', '.join(sorted(unknown_cls))}")
    for cls, items in rules.items():
        for i, raw in enumerate(items or []):
            rule = _rule(raw, f"rules.{cls}[{i}]")
            if not rule.match:
                raise ValueError(f"rules.{cls}[{i}]: match is empty")
            if any(c in rule.match for c in "*?["):
                globs.setdefault(cls, []).append(rule)
            elif rule.match in exact.setdefault(cls, {}):
                raise ValueError(f"rules.{cls}[{i}]: {rule.match!r} listed twice")
            else:
                exact[cls][rule.match] = rule
    sizes: dict[str, tuple[int, str]] = {}
    for key_type, spec in (doc.get("host_key_sizes") or {}).items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("fail_below"), int):
            raise ValueError(f"host_key_sizes.{key_type}: needs an integer fail_below")
        sizes[str(key_type)] = (spec["fail_below"], str(spec.get("reason") or f"{key_type} key too small"))
    return SshPolicy(
        source=str(doc.get("source", "")),
        exact=exact,
        globs={k: tuple(v) for k, v in globs.items()},
        unknown=_rule({"match": "*", **(doc.get("unknown") or {})}, "unknown"),
        protocol_1=_rule({"match": "ssh-1", **(doc.get("protocol_1") or {})}, "protocol_1"),
        terrapin=_rule({"match": "CVE-2023-48795", **(doc.get("terrapin") or {})}, "terrapin"),
        key_sizes=sizes,
    )


@functools.cache
def default_policy() -> SshPolicy:
    text = resources.files("oobaudit.data").joinpath("ssh_policy.yaml").read_text(encoding="utf-8")
    return parse_policy(text)


@dataclass(frozen=True)
class Weakness:
    cls: str
    alg: str
    level: str  # fail | warn
    reasons: tuple[str, ...]
    severity: Severity | None = None

    @property
    def subject(self) -> str:
        return f"{self.cls}:{self.alg}"


@dataclass
class Judgement:
    weaknesses: list[Weakness]
    unknown: list[str]
    """``class:algorithm`` names no rule knows (also reported as warn weaknesses)."""
    undecided: dict[str, str]
    """subject -> why it could not be judged (e.g. the RSA host key size could not be read)."""


def _terrapin_exposed(data: Mapping[str, Any]) -> bool:
    """ssh-audit's Terrapin rule: chacha20-poly1305, or CBC + EtM, without strict kex."""
    if data.get("strict_kex"):
        return False
    ciphers = [c for c in data.get("ciphers") or [] if isinstance(c, str)]
    macs = [m for m in data.get("macs") or [] if isinstance(m, str)]
    chacha = any(c.startswith("chacha20-poly1305") for c in ciphers)
    cbc_etm = any(c.endswith("-cbc") or "-cbc@" in c for c in ciphers) and any(m.endswith("-etm@openssh.com")
                                                                               for m in macs)
    return chacha or cbc_etm


def judge(data: Mapping[str, Any], policy: SshPolicy | None = None) -> Judgement:
    """Every weak algorithm offered according to ``policy`` (pure; no I/O besides the cached policy)."""
    pol = policy or default_policy()
    found: dict[str, Weakness] = {}
    unknown: list[str] = []
    undecided: dict[str, str] = {}

    def add(cls: str, alg: str, level: str, reason: str, severity: Severity | None) -> None:
        key = f"{cls}:{alg}"
        prev = found.get(key)
        if prev is None:
            found[key] = Weakness(cls, alg, level, (reason,), severity)
            return
        top = prev.level if _LEVEL_RANK[prev.level] >= _LEVEL_RANK[level] else level
        sev = prev.severity if top == prev.level else severity
        found[key] = Weakness(cls, alg, top, (*prev.reasons, reason), sev)

    proto = str(data.get("protocol") or "")
    if proto.startswith("1."):
        r = pol.protocol_1
        add("protocol", "ssh-1", r.level, f"{r.reason} (banner protocol {proto})", r.severity)
    for key, cls in CLASSES.items():
        for alg in data.get(key) or []:
            if not isinstance(alg, str):
                continue
            rule = pol.rule(cls, alg)
            if rule is pol.unknown:
                unknown.append(f"{cls}:{alg}")
            if rule.level in ("fail", "warn"):
                add(cls, alg, rule.level, rule.reason, rule.severity)
    offered_keys = set(data.get("host_key_types") or [])
    for hk in data.get("host_keys") or []:
        if not isinstance(hk, Mapping):
            continue
        size_rule = pol.key_sizes.get(str(hk.get("type")))
        bits = hk.get("bits")
        if size_rule and isinstance(bits, int) and bits < size_rule[0]:
            for alg in hk.get("algorithms") or [hk.get("type")]:
                add("host_key", str(alg), "fail", f"{size_rule[1]}: {bits}-bit key", None)
    probed = {str(hk.get("type")) for hk in data.get("host_keys") or [] if isinstance(hk, Mapping)}
    errors = data.get("host_key_errors") or {}
    for key_type, (_limit, _reason) in pol.key_sizes.items():
        if key_type in probed:
            continue
        algs = sorted(a for a in offered_keys if _key_type_of(a) == key_type)
        if algs:
            why = errors.get(key_type) or "the host key was not retrieved"
            undecided[f"host_key:{key_type}"] = (f"{key_type} host key offered ({', '.join(algs)}) but its size "
                                                 f"could not be read: {why}")
    if _terrapin_exposed(data):
        r = pol.terrapin
        add("cve", "CVE-2023-48795", r.level, r.reason, r.severity)
    return Judgement(list(found.values()), unknown, undecided)


def _key_type_of(alg: str) -> str | None:
    if alg in ("ssh-rsa", "rsa-sha2-256", "rsa-sha2-512"):
        return "ssh-rsa"
    if alg in ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"):
        return alg
    return None


def _ssh_disabled_by_redfish(tf: TargetFacts) -> bool:
    for fact in tf.ok(REDFISH_NETWORK_PROTOCOL):
        proto = fact.data.get("SSH")
        if isinstance(proto, Mapping) and proto.get("ProtocolEnabled") is False:
            return True
    return False


@check(
    id="OOB-SSH-001",
    title="SSH offers no weak key exchange, host key, cipher or MAC",
    family="ssh",
    severity="high",
    rationale=(
        "SHA-1 and 1024-bit key exchanges, ssh-rsa (SHA-1) and DSA host keys, 3DES/RC4/Blowfish and CBC "
        "ciphers and MD5/SHA-1 MACs let an attacker on the management network downgrade, impersonate or "
        "decrypt the BMC's SSH sessions - which carry administrator passwords and full console access."
    ),
    remediation=(
        "Restrict the BMC's SSH server to curve25519 / ECDH / DH group 16+ key exchange, ed25519, ECDSA or "
        "RSA >= 2048-bit host keys with rsa-sha2-* signatures, AES-GCM / ChaCha20-Poly1305 / AES-CTR ciphers "
        "and hmac-sha2-*-etm MACs (vendor security setting or firmware update); regenerate small host keys; "
        "disable SSH if it is not needed."
    ),
    references=(
        "ssh-audit (jtesta/ssh-audit) algorithm knowledge base",
        "NIST SP 800-131A Rev. 2",
        "RFC 9142 (SSH key exchange method updates)",
        "RFC 8332 (rsa-sha2 signatures)",
        "CVE-2023-48795 (Terrapin)",
        NSA_CISA + " #3 harden configurations",
    ),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:SC-8", "NIST-800-53:SC-13"),
    needs=(SSH_CONNECTIVITY, SSH_ALGORITHMS),
)
def ssh_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    ports = tf.meta.get("ports")
    if isinstance(ports, Mapping) and not ports.get("ssh"):
        emit.na("", "the inventory lists no SSH port for this BMC")
        return
    conn = tf.one(SSH_CONNECTIVITY)
    if conn is None:
        raise CheckError("SSH was not collected")
    if conn.error:
        if conn.evidence.get("reason") == "refused" and _ssh_disabled_by_redfish(tf):
            emit.na("", f"SSH is disabled (Redfish NetworkProtocol) and the port refuses connections: {conn.error}")
            return
        raise CheckError(f"SSH could not be probed: {conn.error}")
    algos = tf.one(SSH_ALGORITHMS)
    if algos is None:
        raise CheckError("SSH answered but its algorithms were not collected")
    if algos.error:
        raise CheckError(f"SSH algorithms could not be read: {algos.error}")
    data = algos.data
    result = judge(data)
    base_ev = {"banner": data.get("banner"), "port": conn.data.get("port"), "source": default_policy().source}
    for weak in sorted(result.weaknesses, key=lambda w: (-_LEVEL_RANK[w.level], w.cls, w.alg)):
        severity = weak.severity or (WARN_SEVERITY if weak.level == "warn" else None)
        where = "offers" if weak.cls not in ("protocol", "cve") else "is exposed to"
        emit.failed(weak.subject, f"SSH {where} {weak.alg} ({weak.cls}): {'; '.join(weak.reasons)}",
                    evidence={**base_ev, "class": weak.cls, "algorithm": weak.alg, "level": weak.level,
                              "reasons": list(weak.reasons)}, severity=severity)
    for subject, why in sorted(result.undecided.items()):
        emit.error(subject, why, evidence=base_ev)
    if not result.weaknesses and not result.undecided:
        hk = data.get("host_key") or {}
        key = f"; host key {hk.get('type')} {hk.get('bits')}-bit" if hk else ""
        emit.passed("", f"no weak algorithm offered ({len(data.get('kex') or [])} kex, "
                    f"{len(data.get('ciphers') or [])} ciphers, {len(data.get('macs') or [])} MACs{key})",
                    evidence={**base_ev, "kex": data.get("kex"), "host_key_types": data.get("host_key_types"),
                              "ciphers": data.get("ciphers"), "macs": data.get("macs")})
