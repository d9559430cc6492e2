"""OOB-ACCT-001..003: password / lockout policy, account allow-list, session timeout."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ..baseline.model import role_within
from ..facts import REDFISH_ACCOUNT, REDFISH_ACCOUNT_SERVICE, REDFISH_SESSION_SERVICE, TargetFacts
from ..policy import GENERIC_ACCOUNT_NAMES, Policy
from ._common import NSA_CISA, require
from .base import Emit, check


@check(
    id="OOB-ACCT-001",
    title="Password policy enforces a minimum length and account lockout",
    family="accounts",
    severity="high",
    rationale=(
        "Without a lockout threshold an attacker can guess BMC passwords at line rate; short passwords fall to "
        "offline cracking of IPMI RAKP hashes within minutes."
    ),
    remediation=(
        "Set AccountService MinPasswordLength to at least the baseline value and AccountLockoutThreshold to a "
        "value between 1 and the baseline maximum, with a non-zero AccountLockoutDuration."
    ),
    references=(NSA_CISA + " #1 protect BMC credentials", "HPE iLO 5 security guidelines: minimum password length"),
    compliance=("NSA-CISA-BMC-2023:1", "NIST-800-53:AC-7", "NIST-800-53:IA-5"),
    needs=(REDFISH_ACCOUNT_SERVICE,),
)
def acct_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    fact = require(tf, REDFISH_ACCOUNT_SERVICE, "AccountService")[0]
    svc = fact.data
    url = fact.evidence.get("url")
    minlen = svc.get("MinPasswordLength")
    if not isinstance(minlen, int):
        emit.error("MinPasswordLength", "AccountService does not report MinPasswordLength", evidence={"url": url})
    elif minlen < settings.password_min_length:
        emit.failed("MinPasswordLength", f"minimum password length is {minlen}, baseline requires "
                    f">= {settings.password_min_length}", evidence={"url": url, "MinPasswordLength": minlen})
    else:
        emit.passed("MinPasswordLength", f"minimum password length is {minlen}",
                    evidence={"url": url, "MinPasswordLength": minlen})
    thr = svc.get("AccountLockoutThreshold")
    dur = svc.get("AccountLockoutDuration")
    ev = {"url": url, "AccountLockoutThreshold": thr, "AccountLockoutDuration": dur}
    if not isinstance(thr, int):
        emit.error("AccountLockoutThreshold", "AccountService does not report AccountLockoutThreshold", evidence=ev)
    elif thr == 0:
        emit.failed("AccountLockoutThreshold", "account lockout is disabled (threshold 0 = never lock)", evidence=ev)
    elif thr > settings.lockout_threshold_max:
        emit.failed("AccountLockoutThreshold", f"lockout after {thr} failures; baseline allows at most "
                    f"{settings.lockout_threshold_max}", evidence=ev)
    elif isinstance(dur, int) and dur == 0:
        emit.failed("AccountLockoutThreshold", f"lockout threshold {thr} but AccountLockoutDuration is 0",
                    evidence=ev)
    else:
        emit.passed("AccountLockoutThreshold", f"accounts lock after {thr} failures", evidence=ev)


@check(
    id="OOB-ACCT-002",
    title="Only accounts listed in the baseline exist, with least privilege",
    family="accounts",
    severity="medium",
    rationale=(
        "Shared, test and leftover administrator accounts are how BMC access outlives the people who should "
        "have it; every enabled account is a root-equivalent door into the server."
    ),
    remediation=(
        "Disable or delete accounts not in the baseline's allow-list and lower roles to the minimum needed "
        "(Redfish: PATCH or DELETE AccountService/Accounts/{id})."
    ),
    references=(NSA_CISA + " #1 protect BMC credentials", "Dell iDRAC9 Security Configuration Guide: RBAC"),
    compliance=("NSA-CISA-BMC-2023:1", "NIST-800-53:AC-6", "NIST-800-53:AC-2"),
    needs=(REDFISH_ACCOUNT,),
)
def acct_002(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    accounts = require(tf, REDFISH_ACCOUNT, "AccountService/Accounts")
    auditor = (tf.meta.get("auditor_username") or "").lower()
    for fact in accounts:
        acct = fact.data
        name = acct.get("UserName")
        enabled = acct.get("Enabled")
        if not name and enabled is not True:
            continue  # an empty slot (Dell-style pre-created account), not an account
        role = acct.get("RoleId") or ""
        subject = f"account:{name}"
        ev = {"url": fact.evidence.get("url"), "RoleId": role, "Enabled": enabled}
        if enabled is False:
            emit.passed(subject, "account is disabled", evidence=ev)
            continue
        if settings.allowed_accounts is not None:
            rule = next((r for r in settings.allowed_accounts if fnmatchcase(name, r.name)), None)
            if rule is None and name.lower() == auditor:
                emit.passed(subject, "the auditor's own account", evidence=ev)
            elif rule is None:
                emit.failed(subject, f"enabled account {name!r} ({role}) is not in the baseline allow-list",
                            evidence=ev)
            elif role_within(role, rule.max_role) is not True:
                emit.failed(subject, f"account {name!r} has role {role or '(none)'}; baseline allows at most "
                            f"{rule.max_role}", evidence=ev)
            else:
                emit.passed(subject, f"allowed by the baseline (role {role})", evidence=ev)
        else:
            generic = next((g for g in GENERIC_ACCOUNT_NAMES if fnmatchcase(name.lower(), g)), None)
            if generic:
                emit.failed(subject, f"enabled generic/shared account {name!r} ({role}); no allow-list in "
                            "the baseline, so only generic names are flagged", evidence=ev)
            else:
                emit.passed(subject, f"enabled ({role}); no allow-list in the baseline", evidence=ev)


@check(
    id="OOB-ACCT-003",
    title="Idle session timeout is within the baseline",
    family="accounts",
    severity="low",
    rationale="Long-lived idle sessions turn a stolen token or an unlocked console into persistent BMC access.",
    remediation="Set SessionService SessionTimeout to at most the baseline value (HPE recommends 30 minutes).",
    references=("HPE iLO 5 security guidelines: idle connection timeout", NSA_CISA + " #3"),
    compliance=("NIST-800-53:AC-12",),
    needs=(REDFISH_SESSION_SERVICE,),
)
def acct_003(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    fact = require(tf, REDFISH_SESSION_SERVICE, "SessionService")[0]
    timeout = fact.data.get("SessionTimeout")
    ev = {"url": fact.evidence.get("url"), "SessionTimeout": timeout}
    if not isinstance(timeout, int | float):
        emit.error("SessionTimeout", "SessionService does not report SessionTimeout", evidence=ev)
    elif timeout > settings.session_timeout_max:
        emit.failed("SessionTimeout", f"idle session timeout is {int(timeout)} s; baseline allows at most "
                    f"{settings.session_timeout_max} s", evidence=ev)
    else:
        emit.passed("SessionTimeout", f"idle session timeout is {int(timeout)} s", evidence=ev)
