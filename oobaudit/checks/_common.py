"""Helpers shared by the checks: reading facts and refusing to guess."""

from __future__ import annotations

from typing import Any

from ..facts import REDFISH_CONNECTIVITY, Fact, TargetFacts
from .base import CheckError

NSA_CISA = "NSA/CISA CSI 'Harden Baseboard Management Controllers' (June 2023)"


def redfish_unavailable_reason(tf: TargetFacts) -> str | None:
    conn = tf.one(REDFISH_CONNECTIVITY)
    if conn is None:
        return "Redfish was not collected"
    if conn.error:
        return f"Redfish not auditable: {conn.error}"
    return None


def require(tf: TargetFacts, kind: str, what: str) -> list[Fact]:
    """The successful facts of ``kind``; CheckError if none could be read.

    Errors of that kind are reported with their reason, so an ERROR finding says
    *why* the check could not decide.
    """
    ok = tf.ok(kind)
    if ok:
        return ok
    reason = redfish_unavailable_reason(tf)
    errs = tf.errors(kind)
    if errs:
        raise CheckError(f"{what} could not be read: {errs[0].error}")
    if reason and kind.startswith("redfish."):
        raise CheckError(reason)
    raise CheckError(f"{what} is not exposed by this BMC")


def enabled(proto: Any) -> bool | None:
    if not isinstance(proto, dict):
        return None
    v = proto.get("ProtocolEnabled")
    return v if isinstance(v, bool) else None
