"""OOB-HTTP-001: plain HTTP does not serve Redfish (a redirect to HTTPS at most)."""

from __future__ import annotations

from ..facts import HTTP_PLAIN, TargetFacts
from ..policy import Policy
from .base import CheckError, Emit, check


@check(
    id="OOB-HTTP-001",
    title="Plain HTTP does not serve Redfish (redirect to HTTPS at most)",
    family="http",
    severity="high",
    rationale=(
        "Redfish over plain HTTP sends Basic credentials and session tokens in clear text to anyone on the "
        "path; some HMC builds even serve it unauthenticated."
    ),
    remediation="Disable HTTP in ManagerNetworkProtocol or configure it to redirect to HTTPS only.",
    references=("DMTF DSP0266 Redfish Specification: security (HTTPS required)", "HPE/IBM BMC hardening guides"),
    compliance=("NIST-800-53:SC-8",),
    needs=(HTTP_PLAIN,),
)
def http_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    facts = tf.of(HTTP_PLAIN)
    if not facts:
        raise CheckError("plain HTTP was not probed (no http port in the inventory)")
    for fact in facts:
        d = fact.data
        ev = {k: d.get(k) for k in ("url", "outcome", "status", "location")}
        if fact.error:
            emit.error(fact.subject, f"plain HTTP probe failed: {fact.error}", evidence=ev)
            continue
        outcome = d.get("outcome")
        if outcome == "served":
            emit.failed(fact.subject, f"Redfish is served over plain HTTP (status {d.get('status')})", evidence=ev)
        elif outcome == "redirect":
            if d.get("redirect_to_https"):
                emit.passed(fact.subject, "plain HTTP redirects to HTTPS on the same host", evidence=ev)
            else:
                emit.failed(fact.subject, f"plain HTTP redirects elsewhere: {d.get('location')}", evidence=ev)
        elif outcome in ("refused", "timeout", "closed"):
            emit.passed(fact.subject, f"plain HTTP port does not serve ({outcome})", evidence=ev)
        elif outcome == "other":
            emit.passed(fact.subject, f"plain HTTP answers {d.get('status')} without a Redfish document",
                        evidence=ev)
        else:
            emit.error(fact.subject, f"unexpected probe outcome {outcome!r}", evidence=ev)
