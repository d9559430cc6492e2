"""OOB-SVC-001: insecure and unused management services are off."""

from __future__ import annotations

from ..facts import REDFISH_NETWORK_PROTOCOL, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA, enabled, require
from .base import Emit, check


@check(
    id="OOB-SVC-001",
    title="Telnet, SSDP, SNMPv1/v2c and unused virtual media / KVM are disabled",
    family="services",
    severity="high",
    rationale=(
        "Telnet and SNMPv1/v2c carry credentials in clear text; SSDP advertises the BMC to anything on the "
        "segment; remote media and KVM are full console access. Every service left on is attack surface "
        "below the OS."
    ),
    remediation=(
        "Disable the listed protocols in the BMC's network settings (Redfish: PATCH "
        "Managers/{id}/NetworkProtocol with ProtocolEnabled=false; SNMP: EnableSNMPv1/EnableSNMPv2c=false, "
        "use SNMPv3)."
    ),
    references=(NSA_CISA + " #3 harden configurations", "CIS VMware ESXi 8.0: hardware management controllers"),
    compliance=("NSA-CISA-BMC-2023:3", "NIST-800-53:CM-7"),
    needs=(REDFISH_NETWORK_PROTOCOL,),
)
def svc_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    for fact in require(tf, REDFISH_NETWORK_PROTOCOL, "ManagerNetworkProtocol"):
        np = fact.data
        manager = fact.subject
        states: dict[str, bool | None] = {}
        for name in ("Telnet", "SSDP", "KVMIP", "VirtualMedia", "HTTP", "IPMI", "SSH", "RDP", "RFB", "FTP"):
            if name in np:
                states[name] = enabled(np.get(name))
        snmp = np.get("SNMP")
        snmp_on = enabled(snmp)
        if isinstance(snmp, dict):
            v1 = snmp.get("EnableSNMPv1")
            v2 = snmp.get("EnableSNMPv2c")
            # Older schemas have no per-version flags: an enabled SNMP service is assumed to speak v1/v2c.
            states["SNMPv1"] = bool(snmp_on and (v1 if isinstance(v1, bool) else True))
            states["SNMPv2c"] = bool(snmp_on and (v2 if isinstance(v2, bool) else True))
            for community in snmp.get("CommunityStrings") or []:
                if not isinstance(community, dict):
                    continue
                # The collector replaces the value with a verdict: community strings are secrets.
                if community.get("CommunityStringIsDefault") is True and snmp_on:
                    emit.failed(
                        f"{manager}:SNMP community {community.get('Name') or '?'}",
                        "a well-known default SNMP community string is configured",
                        evidence={"url": fact.evidence.get("url")},
                    )
        for name in settings.services_off:
            state = states.get(name)
            subject = f"{manager}:{name}" if manager else name
            ev = {"url": fact.evidence.get("url"), "ProtocolEnabled": state}
            if state is True:
                port = np.get(name, {}).get("Port") if isinstance(np.get(name), dict) else None
                where = f" on port {port}" if port else ""
                emit.failed(subject, f"{name} is enabled{where}", evidence=ev)
            elif state is False:
                emit.passed(subject, f"{name} is disabled", evidence=ev)
            elif name in np or (name.startswith("SNMP") and "SNMP" in np):
                emit.error(subject, f"{name} state is not reported (ProtocolEnabled missing)", evidence=ev)
            else:
                emit.passed(subject, f"{name} is not offered by this BMC", evidence=ev)
