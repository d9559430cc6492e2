"""OOB-BOOT-001: host UEFI Secure Boot is enabled."""

from __future__ import annotations

from ..facts import REDFISH_SECURE_BOOT, REDFISH_SYSTEM, TargetFacts
from ..policy import Policy
from ._common import redfish_unavailable_reason
from .base import CheckError, Emit, check


@check(
    id="OOB-BOOT-001",
    title="Host UEFI Secure Boot is enabled",
    family="boot",
    severity="medium",
    rationale="Without Secure Boot a tampered boot loader or option ROM runs before the OS can see it.",
    remediation="Enable Secure Boot (Redfish: PATCH Systems/{id}/SecureBoot SecureBootEnable=true) and reboot.",
    references=("NSA 'UEFI Secure Boot Customization' (2020)", "NIST SP 800-147"),
    compliance=("NIST-800-53:SI-7",),
    needs=(REDFISH_SYSTEM, REDFISH_SECURE_BOOT),
)
def boot_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    settings = policy.settings
    reason = redfish_unavailable_reason(tf)
    if reason:
        raise CheckError(reason)
    systems = tf.ok(REDFISH_SYSTEM)
    boots = {f.subject: f for f in tf.of(REDFISH_SECURE_BOOT)}
    if not systems:
        errs = tf.errors(REDFISH_SYSTEM)
        if errs:
            raise CheckError(f"Systems could not be read: {errs[0].error}")
        emit.na("", "this BMC exposes no computer system (e.g. a baseboard-only controller)")
        return
    for sysfact in systems:
        sid = sysfact.subject
        subject = f"system:{sid}"
        sb = boots.get(sid)
        if sb is None:
            emit.na(subject, "Secure Boot is not exposed through Redfish for this system; verify in-band")
            continue
        if sb.error:
            emit.error(subject, f"SecureBoot could not be read: {sb.error}")
            continue
        enable = sb.data.get("SecureBootEnable")
        current = sb.data.get("SecureBootCurrentBoot")
        ev = {"url": sb.evidence.get("url"), "SecureBootEnable": enable, "SecureBootCurrentBoot": current,
              "SecureBootMode": sb.data.get("SecureBootMode")}
        if not settings.secure_boot_required:
            emit.na(subject, "the baseline does not require Secure Boot", evidence=ev)
        elif enable is True and current in ("Enabled", None):
            emit.passed(subject, "Secure Boot is enabled", evidence=ev)
        elif enable is True:
            emit.failed(subject, f"Secure Boot is configured but the current boot reports {current}", evidence=ev)
        elif enable is False:
            emit.failed(subject, "Secure Boot is disabled", evidence=ev)
        else:
            emit.error(subject, "SecureBootEnable is not reported", evidence=ev)
