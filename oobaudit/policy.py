"""Policy settings the checks judge against.

The single definition lives in the baseline model (:class:`oobaudit.baseline.model.Settings`,
with the documented defaults that apply when no baseline does); this module re-exports it and
adds the few knobs that are auditor behaviour rather than BMC policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .baseline.model import DEFAULT_SETTINGS, AccountRule, Baseline, Settings

#: Generic or shared account names flagged by OOB-ACCT-002 when the baseline has no allow-list.
GENERIC_ACCOUNT_NAMES: tuple[str, ...] = ("test*", "guest", "temp*", "demo*", "user", "anonymous", "default")

#: Default-credential attempts per account per sweep, before the lockout budget lowers it.
CREDENTIAL_ATTEMPTS_MAX = 3

__all__ = [
    "DEFAULT_POLICY", "DEFAULT_SETTINGS", "AccountRule", "Policy", "Settings", "GENERIC_ACCOUNT_NAMES",
    "CREDENTIAL_ATTEMPTS_MAX",
]


@dataclass(frozen=True)
class Policy:
    """What one target is judged against: the effective settings and, when one applies,
    the verified baseline (for firmware components and attestation)."""

    settings: Settings = DEFAULT_SETTINGS
    baseline: Baseline | None = None
    #: Why no baseline applies (no --baseline given, or its match rules exclude this target).
    baseline_note: str = "no baseline given: built-in default settings"


DEFAULT_POLICY = Policy()
