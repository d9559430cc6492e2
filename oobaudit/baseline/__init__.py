"""Baselines: the signed policy oobaudit judges BMCs and firmware against.

* :mod:`.versions` -- per-component version schemes (parse, compare, ranges).
* :mod:`.model` -- the baseline YAML model, default settings, matching and version verdicts.
* :mod:`.signing` -- Ed25519 detached signatures, trusted keys, verify-then-parse loading.
* :mod:`.capture` -- draft a baseline from a golden system's firmware inventory.
"""

from .capture import draft_baseline_from_firmware
from .model import (
    DEFAULT_SETTINGS,
    Baseline,
    ComponentRule,
    Settings,
    VersionVerdict,
    baseline_applies,
    effective_settings,
    evaluate_version,
    missing_required,
    parse_baseline_yaml,
    rule_for,
    rules_for,
    unknown_components,
)
from .signing import (
    BaselineRejected,
    TrustedKeys,
    VerifiedBaseline,
    describe,
    keygen,
    sign,
    verify_and_load,
    verify_bytes,
)
from .versions import (
    UnparseableVersion,
    Version,
    VersionError,
    VersionLineMismatch,
    compare,
    parse_version,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "Baseline",
    "BaselineRejected",
    "ComponentRule",
    "Settings",
    "TrustedKeys",
    "UnparseableVersion",
    "VerifiedBaseline",
    "Version",
    "VersionError",
    "VersionLineMismatch",
    "VersionVerdict",
    "baseline_applies",
    "compare",
    "describe",
    "draft_baseline_from_firmware",
    "effective_settings",
    "evaluate_version",
    "keygen",
    "missing_required",
    "parse_baseline_yaml",
    "parse_version",
    "rule_for",
    "rules_for",
    "sign",
    "unknown_components",
    "verify_and_load",
    "verify_bytes",
]
