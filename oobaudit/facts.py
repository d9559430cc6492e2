"""Typed facts: what a collector learned about one target, with the evidence for it.

Collectors only ever produce facts; checks only ever read them. A fact is either a
value (``data``) or an error (``error`` with a reason), never both, so "could not
read" survives all the way to the report as an ERROR instead of silently passing.
Facts are JSON-serialisable so a stored sweep can be re-judged later without
touching a BMC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Fact kinds written by the collectors.  Checks declare which kinds they need,
# so the engine (and the Redfish crawler) can collect only what is needed.
REDFISH_CONNECTIVITY = "redfish.connectivity"
REDFISH_SERVICE_ROOT = "redfish.service_root"
REDFISH_ACCOUNT_SERVICE = "redfish.account_service"
REDFISH_ACCOUNT = "redfish.account"
REDFISH_SESSION_SERVICE = "redfish.session_service"
REDFISH_MANAGER = "redfish.manager"
REDFISH_NETWORK_PROTOCOL = "redfish.network_protocol"
REDFISH_SYSTEM = "redfish.system"
REDFISH_SECURE_BOOT = "redfish.secure_boot"
REDFISH_CHASSIS = "redfish.chassis"
REDFISH_FIRMWARE = "redfish.firmware"
REDFISH_CERTIFICATE = "redfish.certificate"
REDFISH_COMPONENT_INTEGRITY = "redfish.component_integrity"
REDFISH_CERTIFICATE_SERVICE = "redfish.certificate_service"
REDFISH_UPDATE_SERVICE = "redfish.update_service"
HTTP_PLAIN = "http.plain"
CRED_LOGIN = "cred.login"
CRED_POLICY = "cred.policy"
SSH_CONNECTIVITY = "ssh.connectivity"
SSH_ALGORITHMS = "ssh.algorithms"
SSH_KINDS = frozenset({SSH_CONNECTIVITY, SSH_ALGORITHMS})
TLS_CONNECTIVITY = "tls.connectivity"
TLS_VERSIONS = "tls.versions"
TLS_CIPHER_CLASSES = "tls.cipher_classes"
TLS_CERTIFICATE = "tls.certificate"
TLS_KINDS = frozenset({TLS_CONNECTIVITY, TLS_VERSIONS, TLS_CIPHER_CLASSES, TLS_CERTIFICATE})
IPMI_PRESENCE = "ipmi.presence"
IPMI_AUTH_CAPS = "ipmi.auth_caps"
IPMI_CIPHER_ZERO = "ipmi.cipher_zero"
IPMI_CIPHER_SUITES = "ipmi.cipher_suites"
IPMI_USER = "ipmi.user"
IPMI_V15_USERS = "ipmi.v15_users"
IPMI_DEVICE = "ipmi.device"
IPMI_KINDS = frozenset({IPMI_PRESENCE, IPMI_AUTH_CAPS, IPMI_CIPHER_ZERO, IPMI_CIPHER_SUITES, IPMI_USER,
                        IPMI_V15_USERS, IPMI_DEVICE})
HOST_NVIDIA_SMI = "host.nvidia_smi"
HOST_DRIVER = "host.driver"
HOST_GPU = "host.gpu"
HOST_KINDS = frozenset({HOST_NVIDIA_SMI, HOST_DRIVER, HOST_GPU})
#: reach.port: one per probe (subject tcp/443, udp/623, udp/161, icmp) of one BMC from one vantage;
#: reach.vantage: one per target of a reach sweep; reach.responder: one per address that answered a
#: discovery probe like a BMC; reach.scope: one per discovery sweep (ranges, inventory addresses).
REACH_PORT = "reach.port"
REACH_VANTAGE = "reach.vantage"
REACH_RESPONDER = "reach.responder"
REACH_SCOPE = "reach.scope"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Fact(BaseModel):
    """One observation about one target.

    ``subject`` names what the fact is about inside the target (an account id, a
    manager id, a firmware component id, a URL); together with ``kind`` it is
    unique within one target's facts in one sweep.
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    subject: str = ""
    collector: str
    data: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    collected_at: datetime = Field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        return self.error is None


class TargetFacts:
    """All facts of one target, indexed by kind for the checks (about 30 checks ask for a kind
    each, several times, of ~30-100 facts: a scan per question was a visible share of judging)."""

    def __init__(self, target: str, facts: Iterable[Fact], meta: dict[str, Any] | None = None) -> None:
        self.target = target
        self.meta = meta or {}
        self.facts: tuple[Fact, ...] = tuple(facts)
        self._by_kind: dict[str, list[Fact]] = {}
        for f in self.facts:
            self._by_kind.setdefault(f.kind, []).append(f)

    def of(self, kind: str) -> list[Fact]:
        return list(self._by_kind.get(kind, ()))

    def ok(self, kind: str) -> list[Fact]:
        return [f for f in self._by_kind.get(kind, ()) if f.ok]

    def one(self, kind: str) -> Fact | None:
        found = self._by_kind.get(kind)
        return found[0] if found else None

    def errors(self, kind: str) -> list[Fact]:
        return [f for f in self._by_kind.get(kind, ()) if not f.ok]
