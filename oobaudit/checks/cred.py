"""OOB-CRED-001: no vendor default credentials are accepted, over any protocol (IPMI offline RAKP2
check, Redfish, SSH), within one lockout budget per account."""

from __future__ import annotations

from ..facts import CRED_LOGIN, CRED_POLICY, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA
from .base import CheckError, Emit, check


@check(
    id="OOB-CRED-001",
    title="No vendor default credentials are accepted",
    family="credentials",
    severity="critical",
    rationale=(
        "A BMC on factory credentials is a full, persistent, below-the-OS compromise of the server for "
        "anyone who can reach it; default pairs are published for every vendor."
    ),
    remediation=(
        "Change the password of the named account (or disable it), then re-run the sweep. Prefer per-person "
        "accounts backed by LDAP/AD over shared local ones."
    ),
    references=(NSA_CISA + " #1 protect BMC credentials", "CISA TA13-207A", "CVE-2013-4786 (offline IPMI check)"),
    compliance=("NSA-CISA-BMC-2023:1", "NIST-800-53:IA-5(1)"),
    needs=(CRED_POLICY, CRED_LOGIN),
)
def cred_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    policy = tf.one(CRED_POLICY)
    logins = tf.of(CRED_LOGIN)
    if policy is not None and not policy.data.get("enabled", True):
        emit.na("", "credential testing was turned off for this sweep (--no-credential-tests)")
        return
    if not logins:
        # Results from any protocol (IPMI offline, Redfish, SSH) count; with none, say why.
        if policy is None:
            raise CheckError("credential testing did not run")
        if policy.error:
            raise CheckError(f"credential testing could not run: {policy.error}")
        raise CheckError(policy.data.get("reason") or "no account could be tested")
    if policy is not None and policy.error:
        emit.error("redfish", f"Redfish credential testing could not run: {policy.error}")
    for fact in logins:
        d = fact.data
        proto = d.get("protocol", "?")
        user = d.get("username", "")
        ev = {k: d.get(k) for k in ("protocol", "username", "attempts", "budget", "lockout_threshold", "outcome",
                                    "matched_vendor")}
        if fact.error:
            emit.error(fact.subject, f"{proto} login test for {user!r} failed: {fact.error}", evidence=ev)
            continue
        outcome = d.get("outcome")
        if outcome == "accepted":
            vendor = d.get("matched_vendor")
            origin = f" ({vendor} factory default)" if vendor else ""
            emit.failed(fact.subject, f"{proto} accepted a published default password for account "
                        f"{user!r}{origin}", evidence=ev)
        elif outcome == "no_auth":
            emit.failed(fact.subject, f"{proto} serves protected resources without any credentials", evidence=ev)
        elif outcome == "rejected":
            emit.passed(fact.subject, f"{proto} rejected {d.get('attempts')} default password(s) for {user!r} "
                        f"(budget {d.get('budget')})", evidence=ev)
        elif outcome == "skipped":
            emit.error(fact.subject, f"not tested: {d.get('reason')}", evidence=ev)
        else:
            emit.error(fact.subject, f"unexpected outcome {outcome!r}", evidence=ev)
