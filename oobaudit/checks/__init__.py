"""Checks, one module per control family.  Importing this package registers them all."""

from . import accounts, boot, cred, firmware, http, ipmi, net, services, ssh, tls  # noqa: F401
from .base import REGISTRY, Check, CheckError, CheckMeta, Finding, Severity, Status, run_fleet_checks, run_target_checks

__all__ = [
    "REGISTRY",
    "Check",
    "CheckError",
    "CheckMeta",
    "Finding",
    "Severity",
    "Status",
    "run_fleet_checks",
    "run_target_checks",
    "select_checks",
]


def select_checks(ids: list[str] | None = None, min_severity: Severity | None = None) -> list[Check]:
    """The checks to run, filtered like Prowler's --check / --severity.  Unknown ids are an error."""
    chosen = list(REGISTRY.values())
    if ids:
        unknown = [i for i in ids if i not in REGISTRY]
        if unknown:
            raise ValueError(f"unknown check id(s): {', '.join(unknown)}")
        chosen = [REGISTRY[i] for i in ids]
    if min_severity is not None:
        chosen = [c for c in chosen if c.meta.severity.rank >= min_severity.rank]
    return sorted(chosen, key=lambda c: c.meta.id)
