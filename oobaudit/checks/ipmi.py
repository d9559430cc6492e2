"""OOB-IPMI-001 (as Redfish reports it): IPMI over LAN is disabled unless the baseline allows it."""

from __future__ import annotations

from ..facts import REDFISH_NETWORK_PROTOCOL, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA, enabled, require
from .base import Emit, check


@check(
    id="OOB-IPMI-001",
    title="IPMI over LAN is disabled (or justified by the baseline)",
    family="ipmi",
    severity="high",
    rationale=(
        "IPMI 2.0 over LAN discloses salted password hashes to anyone who asks (RAKP, CVE-2013-4786) and is "
        "often left with cipher suite 0 or anonymous users; it cannot be made safe, only fenced."
    ),
    remediation=(
        "Disable IPMI over LAN (Redfish: PATCH Managers/{id}/NetworkProtocol IPMI.ProtocolEnabled=false); if "
        "it must stay, allow only cipher suite 17 and restrict it to the management VLAN."
    ),
    references=("CVE-2013-4786", "CISA TA13-207A 'Risks of Using the IPMI'", NSA_CISA + " #3",
                "IBM Power10 eBMC security guidelines: keep IPMI disabled"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:CM-7"),
    needs=(REDFISH_NETWORK_PROTOCOL,),
)
def ipmi_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    for fact in require(tf, REDFISH_NETWORK_PROTOCOL, "ManagerNetworkProtocol"):
        state = enabled(fact.data.get("IPMI"))
        subject = f"{fact.subject}:IPMI" if fact.subject else "IPMI"
        ev = {"url": fact.evidence.get("url"), "source": "redfish", "ProtocolEnabled": state}
        if state is True and not settings.ipmi_allowed:
            emit.failed(subject, "IPMI over LAN is enabled (ManagerNetworkProtocol)", evidence=ev)
        elif state is True:
            emit.passed(subject, "IPMI over LAN is enabled and allowed by the baseline", evidence=ev)
        elif state is False:
            emit.passed(subject, "IPMI over LAN is disabled (ManagerNetworkProtocol)", evidence=ev)
        elif "IPMI" in fact.data:
            emit.error(subject, "IPMI ProtocolEnabled is not reported", evidence=ev)
        else:
            emit.passed(subject, "IPMI is not offered by this BMC (not in ManagerNetworkProtocol)", evidence=ev)
