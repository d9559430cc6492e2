"""The baseline model: what a site expects of its BMCs and their firmware.

A baseline is authored as YAML (see ``baselines/README.md``), signed, and loaded only through
:func:`oobaudit.baseline.signing.verify_and_load`, which verifies the signature over the exact
file bytes *before* calling :func:`parse_baseline_yaml` here.

Validation is strict (pydantic v2, ``extra="forbid"``): an unknown or misspelt key, a version
string that does not parse under its component's ``scheme``, or a YAML number where a version
string is expected (``min: 2.50`` is read by YAML as the float 2.5) is an error naming the field,
e.g. ``components[3].min: '96.00.5G.00.01' is not a valid 'hex-dotted' version``.

Pure functions, no I/O: :func:`baseline_applies`, :func:`rules_for` / :func:`rule_for`,
:func:`effective_settings`, :func:`evaluate_version`, :func:`missing_required`,
:func:`unknown_components`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .versions import (
    Version,
    VersionError,
    VersionRange,
    canonical_scheme,
    compare,
    parse_range,
    parse_version,
)

__all__ = [
    "COMPONENT_CLASSES",
    "DEFAULT_SETTINGS",
    "MATCH_FACT_KEYS",
    "MAX_BASELINE_BYTES",
    "ROLE_RANK",
    "AccountRule",
    "AttestationExpectation",
    "Baseline",
    "BaselineSyntaxError",
    "ComponentRule",
    "DeniedVersion",
    "DenyHit",
    "MatchRules",
    "Settings",
    "SettingsOverride",
    "VersionVerdict",
    "baseline_applies",
    "effective_settings",
    "evaluate_version",
    "glob_specificity",
    "match_explain",
    "missing_required",
    "parse_baseline_yaml",
    "role_within",
    "rule_for",
    "rules_for",
    "unknown_components",
]

#: Largest baseline file accepted (before any parsing or crypto): bounds the "endless data" attack.
MAX_BASELINE_BYTES = 1024 * 1024

ComponentClass = Literal[
    "bmc",
    "bios",
    "gpu-vbios",
    "gsp",
    "erot",
    "nvswitch",
    "cpld",
    "nic",
    "fpga",
    "inforom",
    "pcie-switch",
    "retimer",
    "other",
]
COMPONENT_CLASSES: tuple[str, ...] = get_args(ComponentClass)

#: Standard Redfish roles, least to most privileged.  OEM roles are not ranked
#: (:func:`role_within` returns ``None`` for them: the check must report "could not decide").
ROLE_RANK: dict[str, int] = {"NoAccess": 0, "ReadOnly": 1, "Operator": 2, "Administrator": 3}
Role = Literal["NoAccess", "ReadOnly", "Operator", "Administrator"]

#: ManagerNetworkProtocol services a baseline may require to be off.  ``SNMPv1`` / ``SNMPv2c``
#: stand for ``SNMP.EnableSNMPv1`` / ``SNMP.EnableSNMPv2c``; ``SNMP`` means the whole service.
#: IPMI is governed by ``ipmi_allowed`` instead.
ServiceName = Literal[
    "HTTP",
    "Telnet",
    "SSDP",
    "SNMP",
    "SNMPv1",
    "SNMPv2c",
    "KVMIP",
    "VirtualMedia",
    "SSH",
    "RDP",
    "RFB",
    "NTP",
    "DHCP",
    "DHCPv6",
]
SERVICE_NAMES: tuple[str, ...] = get_args(ServiceName)

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class BaselineSyntaxError(ValueError):
    """The YAML text is not a valid baseline.  ``problems`` lists ``(field path, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{loc}: {msg}" if loc else msg for loc, msg in problems]
        super().__init__("invalid baseline:\n  " + "\n  ".join(lines))


# --------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------


def _version_text(v: Any) -> Any:
    if isinstance(v, (bool, int | float)):
        raise ValueError(
            f'version {v!r} must be a quoted string: YAML reads unquoted 2.50 as the number 2.5 (write min: "2.50")'
        )
    if isinstance(v, str):
        if not v.strip():
            raise ValueError("version must not be empty")
        return v.strip()
    return v


VersionText = Annotated[str, BeforeValidator(_version_text)]


def _glob_text(v: Any) -> Any:
    if isinstance(v, str) and not v.strip():
        raise ValueError("pattern must not be empty")
    return v


Glob = Annotated[str, BeforeValidator(_glob_text), Field(max_length=256)]


def _one_or_many(v: Any) -> Any:
    return [v] if isinstance(v, str) else v


Globs = Annotated[list[Glob], BeforeValidator(_one_or_many), Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------------------------


class DeniedVersion(_Strict):
    """A known-bad version or range, with the advisory that makes it bad."""

    version: VersionText | None = None
    range: str | None = Field(default=None, max_length=512)
    advisory: str | None = Field(default=None, max_length=200)
    cve: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("cve", mode="before")
    @classmethod
    def _cve_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("cve")
    @classmethod
    def _cve_format(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.fullmatch(r"CVE-\d{4}-\d{4,7}", c):
                raise ValueError(f"{c!r} is not a CVE id (CVE-YYYY-NNNN)")
        return v

    @model_validator(mode="after")
    def _shape(self) -> DeniedVersion:
        if (self.version is None) == (self.range is None):
            raise ValueError("give exactly one of 'version' or 'range'")
        if not self.advisory and not self.cve:
            raise ValueError("give an 'advisory' id or at least one 'cve'")
        return self

    @property
    def label(self) -> str:
        parts = [self.advisory or "", ", ".join(self.cve)]
        return " / ".join(p for p in parts if p)


class ComponentRule(_Strict):
    """Expectations for the firmware components whose Redfish FirmwareInventory ``Id`` matches ``id``."""

    id: Glob
    class_: ComponentClass = Field(alias="class")
    scheme: str
    min: VersionText | None = None
    allowed: list[VersionText] | None = None
    denied: list[DeniedVersion] = Field(default_factory=list)
    required: StrictBool = False
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, v: str) -> str:
        try:
            return canonical_scheme(v)
        except VersionError as e:
            raise ValueError(str(e)) from None

    @field_validator("allowed")
    @classmethod
    def _allowed_nonempty(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("an empty allowed list would refuse every version; omit it instead")
        return v

    @model_validator(mode="after")
    def _versions_parse(self) -> ComponentRule:
        # Errors are raised with the path inside the rule so the message names the field.
        problems: list[str] = []
        if self.min is not None:
            if self.scheme == "exact":
                problems.append("min: the exact scheme has no order; use 'allowed' instead")
            else:
                problems += _check_parse(self.scheme, self.min, "min")
        for i, a in enumerate(self.allowed or []):
            problems += _check_parse(self.scheme, a, f"allowed[{i}]")
        for i, d in enumerate(self.denied):
            if d.version is not None:
                problems += _check_parse(self.scheme, d.version, f"denied[{i}].version")
            else:
                try:
                    parse_range(self.scheme, d.range)
                except VersionError as e:
                    problems.append(f"denied[{i}].range: {e}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Parsed forms (cheap; recomputed on use so the model stays a plain frozen pydantic model).
    def min_version(self) -> Version | None:
        return None if self.min is None else parse_version(self.scheme, self.min)

    def allowed_versions(self) -> list[Version] | None:
        return None if self.allowed is None else [parse_version(self.scheme, a) for a in self.allowed]

    def matches(self, firmware_id: str) -> bool:
        return fnmatch.fnmatchcase(firmware_id, self.id)


def _check_parse(scheme: str, text: str, where: str) -> list[str]:
    try:
        parse_version(scheme, text)
    except VersionError as e:
        return [f"{where}: {e}"]
    return []


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


class AccountRule(_Strict):
    """An account the BMC may have: user-name glob and the most privileged role it may hold."""

    name: Glob
    max_role: Role = "ReadOnly"
    note: str | None = Field(default=None, max_length=1000)


class AttestationExpectation(_Strict):
    """At least ``min_count`` ComponentIntegrity resources whose Id matches ``id``, each of
    ``type`` and with ``ComponentIntegrityEnabled: true``."""

    id: Glob
    type: Literal["SPDM", "TPM", "TCM", "TPCM", "OEM"] = "SPDM"
    min_count: StrictInt = Field(default=1, ge=1)


def _no_cipher_zero(v: list[int]) -> list[int]:
    if 0 in v:
        raise ValueError("IPMI cipher suite 0 (no authentication) can never be allowed")
    return sorted(set(v))


class Settings(_Strict):
    """Required BMC settings.  Every field has a documented default (:data:`DEFAULT_SETTINGS`)
    that applies when a baseline is silent.

    * ``min_tls_version`` "1.2": SSLv3 / TLS 1.0 / TLS 1.1 must be refused (OOB-TLS-001).
    * ``services_off`` [HTTP, Telnet, SSDP, SNMPv1, SNMPv2c]: must be disabled (OOB-SVC-001,
      OOB-HTTP-001).  KVMIP and VirtualMedia are **not** in the default: they are the normal way
      to install and rescue hosts, and the NSA/CISA guidance asks to disable them *when unused*,
      which only the site knows; add them in the baseline where the fleet does not use them
      (the HGX H100 example does: an HMC serves no host console).
    * ``ipmi_allowed`` false: IPMI over LAN must be off (OOB-IPMI-001).
    * ``ipmi_cipher_suites_allowed`` [17]: if IPMI is allowed, only these suites may be offered
      (OOB-IPMI-006; 3 may be tolerated by a site).  Suite 0 can never be listed.
    * ``allowed_accounts`` None: None means "do not check accounts against a list"; a list of
      ``{name glob, max_role}`` means every enabled account must match one entry and hold no
      more than its role (OOB-ACCT-002).
    * ``session_timeout_max`` 1800 s (HPE: idle timeout 30 min; OOB-ACCT-003).
    * ``password_min_length`` 8 (HPE iLO guidance "Minimum Password Length ≥ 8"; sites commonly
      raise it to 14; OOB-ACCT-001).
    * ``lockout_threshold_max`` 10: the BMC must lock an account after at most this many failed
      logins; a BMC threshold of 0 (never lock) fails (OOB-ACCT-001).
    * ``secure_boot_required`` true: host UEFI Secure Boot enabled (OOB-BOOT-001).
    * ``attestation`` []: SPDM ComponentIntegrity expectations (OOB-ATT-001); empty by default
      because most platforms do not implement ComponentIntegrity.
    """

    min_tls_version: Literal["1.2", "1.3"] = "1.2"
    services_off: list[ServiceName] = Field(default_factory=lambda: ["HTTP", "Telnet", "SSDP", "SNMPv1", "SNMPv2c"])
    ipmi_allowed: StrictBool = False
    ipmi_cipher_suites_allowed: list[Annotated[StrictInt, Field(ge=0, le=255)]] = Field(default_factory=lambda: [17])
    allowed_accounts: list[AccountRule] | None = None
    session_timeout_max: StrictInt = Field(default=1800, ge=1, le=7 * 24 * 3600)
    password_min_length: StrictInt = Field(default=8, ge=1, le=128)
    lockout_threshold_max: StrictInt = Field(default=10, ge=1, le=1000)
    secure_boot_required: StrictBool = True
    attestation: list[AttestationExpectation] = Field(default_factory=list)

    @field_validator("ipmi_cipher_suites_allowed")
    @classmethod
    def _c0(cls, v: list[int]) -> list[int]:
        return _no_cipher_zero(v)

    @field_validator("services_off")
    @classmethod
    def _dedup(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))


#: The settings that apply when a baseline says nothing (see :class:`Settings`).
DEFAULT_SETTINGS = Settings()


class SettingsOverride(_Strict):
    """The ``settings:`` block of a baseline: every field optional; unset fields take the default."""

    min_tls_version: Literal["1.2", "1.3"] | None = None
    services_off: list[ServiceName] | None = None
    ipmi_allowed: StrictBool | None = None
    ipmi_cipher_suites_allowed: list[Annotated[StrictInt, Field(ge=0, le=255)]] | None = None
    allowed_accounts: list[AccountRule] | None = None
    session_timeout_max: StrictInt | None = Field(default=None, ge=1, le=7 * 24 * 3600)
    password_min_length: StrictInt | None = Field(default=None, ge=1, le=128)
    lockout_threshold_max: StrictInt | None = Field(default=None, ge=1, le=1000)
    secure_boot_required: StrictBool | None = None
    attestation: list[AttestationExpectation] | None = None

    @field_validator("ipmi_cipher_suites_allowed")
    @classmethod
    def _c0(cls, v: list[int] | None) -> list[int] | None:
        return None if v is None else _no_cipher_zero(v)


# --------------------------------------------------------------------------------------------
# Match rules and the baseline
# --------------------------------------------------------------------------------------------

#: Keys of the ``facts`` mapping given to :func:`baseline_applies`:
#: ``platform`` (inventory), ``vendor`` / ``product`` (Redfish ServiceRoot Vendor / Product),
#: ``manager_model`` (Managers/{id}.Model), ``model`` (Systems/{id}.Model).
MATCH_FACT_KEYS = ("platform", "vendor", "product", "manager_model", "model")


class MatchRules(_Strict):
    """Which targets a baseline is for.  Every field given must match (AND); a field is one
    glob or a list of globs (OR), matched case-insensitively.  A field the target's facts do
    not provide does not match.  An empty ``match`` applies to every target."""

    platform: Globs | None = None
    vendor: Globs | None = None
    product: Globs | None = None
    manager_model: Globs | None = None
    model: Globs | None = None


class Baseline(_Strict):
    name: str
    version: StrictInt = Field(ge=1)
    issued: date
    expires: date
    description: str = Field(default="", max_length=10_000)
    match: MatchRules = Field(default_factory=MatchRules)
    components: list[ComponentRule] = Field(default_factory=list)
    settings: SettingsOverride = Field(default_factory=SettingsOverride)
    #: What to do with a firmware component no rule matches: "report" (OOB-FW-090) or "ignore".
    unknown_components: Literal["report", "ignore"] = "report"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.fullmatch(v):
            raise ValueError("name must be 1-64 characters of a-z 0-9 . _ - starting with a letter or digit")
        return v

    @field_validator("issued", "expires", mode="before")
    @classmethod
    def _date_not_datetime(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            raise ValueError("expected a date YYYY-MM-DD")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Baseline:
        if self.expires <= self.issued:
            raise ValueError(f"expires ({self.expires}) must be after issued ({self.issued})")
        return self

    def effective_settings(self) -> Settings:
        return effective_settings(self)


def effective_settings(baseline: Baseline | SettingsOverride | None) -> Settings:
    """The baseline's settings merged over :data:`DEFAULT_SETTINGS` (unset fields → default)."""
    override = baseline.settings if isinstance(baseline, Baseline) else baseline
    if override is None:
        return DEFAULT_SETTINGS
    merged = DEFAULT_SETTINGS.model_dump()
    merged.update(override.model_dump(exclude_none=True))
    return Settings.model_validate(merged)


# --------------------------------------------------------------------------------------------
# YAML loading (only ever called on verified bytes, or under allow_unsigned)
# --------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (so what the reader sees is what was signed and
    reviewed) and aliases (no billion-laughs expansion)."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed in a baseline", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                dup = key in seen
                seen.add(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "unhashable mapping key", key_node.start_mark
                ) from None
            if dup:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_baseline_yaml(text: str | bytes) -> Baseline:
    """Parse and validate baseline YAML.  Raises :class:`BaselineSyntaxError` only.

    Do not call this on unverified bytes; use ``signing.verify_and_load``.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_BASELINE_BYTES:
            raise BaselineSyntaxError([("", f"file larger than {MAX_BASELINE_BYTES} bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BaselineSyntaxError([("", f"not UTF-8: {e}")]) from None
    if len(text) > MAX_BASELINE_BYTES:
        raise BaselineSyntaxError([("", f"file larger than {MAX_BASELINE_BYTES} bytes")])
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise BaselineSyntaxError([("", f"YAML error: {e}")]) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as e:
        # PyYAML's timestamp constructor raises ValueError for 2026-02-30 and friends.
        raise BaselineSyntaxError([("", f"YAML error: {type(e).__name__}: {e}")]) from None
    if not isinstance(data, dict):
        raise BaselineSyntaxError([("", f"a baseline is a YAML mapping, not {type(data).__name__}")])
    try:
        return Baseline.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_url=False):
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            problems.append((_loc(err["loc"]), msg))
        raise BaselineSyntaxError(problems) from None
    except RecursionError:
        raise BaselineSyntaxError([("", "structure nested too deeply")]) from None


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def _iglob(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


def match_explain(baseline: Baseline, facts: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether ``baseline`` applies to a target with these ``facts`` (see :data:`MATCH_FACT_KEYS`),
    and why: one reason per match field."""
    reasons: list[str] = []
    ok = True
    for key in MATCH_FACT_KEYS:
        patterns = getattr(baseline.match, key)
        if patterns is None:
            continue
        value = facts.get(key)
        if not isinstance(value, str) or not value:
            ok = False
            reasons.append(f"{key}: unknown for this target (baseline wants {' | '.join(patterns)})")
            continue
        hit = next((p for p in patterns if _iglob(value, p)), None)
        if hit is None:
            ok = False
            reasons.append(f"{key}: {value!r} matches none of {patterns}")
        else:
            reasons.append(f"{key}: {value!r} matches {hit!r}")
    if not reasons:
        reasons.append("empty match: applies to every target")
    return ok, reasons


def baseline_applies(baseline: Baseline, facts: Mapping[str, Any]) -> bool:
    """True when every ``match`` field of ``baseline`` matches the target's ``facts``."""
    return match_explain(baseline, facts)[0]


def glob_specificity(pattern: str) -> tuple[int, int, int, int]:
    """Sort key for "most specific glob" (higher is more specific): a pattern without wildcards
    beats any glob; then more literal characters; then fewer ``*``; then fewer ``?`` / ``[...]``.
    So ``HGX_FW_GPU_SXM_1`` > ``HGX_FW_GPU_SXM_?`` > ``HGX_FW_GPU_SXM_*`` > ``HGX_FW_*``."""
    classes = re.findall(r"\[[^\]]*\]", pattern)
    stars = pattern.count("*")
    singles = pattern.count("?") + len(classes)
    literal = len(re.sub(r"\[[^\]]*\]|[*?]", "", pattern))
    return (1 if stars + singles == 0 else 0, literal, -stars, -singles)


def rules_for(baseline: Baseline, firmware_id: str) -> list[ComponentRule]:
    """Every component rule whose ``id`` glob matches ``firmware_id`` (case-sensitive, like
    Redfish Ids), most specific first (:func:`glob_specificity`; ties keep file order)."""
    hits = [(i, r) for i, r in enumerate(baseline.components) if r.matches(firmware_id)]
    hits.sort(key=lambda ir: (tuple(-x for x in glob_specificity(ir[1].id)), ir[0]))
    return [r for _, r in hits]


def rule_for(baseline: Baseline, firmware_id: str) -> ComponentRule | None:
    """The rule that governs ``firmware_id``: the most specific match wins (``HGX_FW_GPU_SXM_1``
    over ``HGX_FW_GPU_SXM_*`` over ``HGX_FW_*``); ``None`` when no rule matches."""
    rules = rules_for(baseline, firmware_id)
    return rules[0] if rules else None


def missing_required(baseline: Baseline, firmware_ids: Iterable[str]) -> list[ComponentRule]:
    """Required rules that no reported firmware id matches."""
    ids = list(firmware_ids)
    return [r for r in baseline.components if r.required and not any(r.matches(i) for i in ids)]


def unknown_components(baseline: Baseline, firmware_ids: Iterable[str]) -> list[str]:
    """Firmware ids no rule matches (empty if the baseline says ``unknown_components: ignore``)."""
    if baseline.unknown_components == "ignore":
        return []
    return [i for i in firmware_ids if rule_for(baseline, i) is None]


def role_within(role: str, max_role: str) -> bool | None:
    """Whether ``role`` is no more privileged than ``max_role``; ``None`` for an unranked (OEM) role."""
    if role not in ROLE_RANK or max_role not in ROLE_RANK:
        return None
    return ROLE_RANK[role] <= ROLE_RANK[max_role]


# --------------------------------------------------------------------------------------------
# Judging one observed version against one rule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DenyHit:
    denied: DeniedVersion
    why: str


@dataclass(frozen=True)
class VersionVerdict:
    """The outcome of :func:`evaluate_version`.

    ``status``: ``"pass"``, ``"fail"`` or ``"error"`` (could not decide → OOB-FW-090, never a pass).
    ``reasons``: human-readable, one per decision; ``denied``: the advisories that matched.
    """

    status: Literal["pass", "fail", "error"]
    observed: str
    rule: ComponentRule
    version: Version | None = None
    reasons: list[str] = field(default_factory=list)
    denied: list[DenyHit] = field(default_factory=list)


def evaluate_version(rule: ComponentRule, observed: str | None) -> VersionVerdict:
    """Judge one observed version string against ``rule``.

    Order: parse (unparseable → error); ``denied`` rows (a hit → fail; a row on another version
    line does not apply and is noted); ``allowed`` (not listed → fail); ``min`` (older → fail;
    another line → error).  Every failing reason is collected, not just the first.
    """
    text = observed if isinstance(observed, str) else ""
    if not text.strip():
        return VersionVerdict("error", text, rule, reasons=["no version reported"])
    try:
        v = parse_version(rule.scheme, text)
    except VersionError as e:
        return VersionVerdict("error", text, rule, reasons=[str(e)])

    reasons: list[str] = []
    hits: list[DenyHit] = []
    errors = False
    failed = False

    for d in rule.denied:
        try:
            if d.version is not None:
                bad = parse_version(rule.scheme, d.version)
                if not v.comparable_with(bad):
                    if rule.scheme == "exact":
                        continue  # exact: a different string is simply not this denied version
                    reasons.append(f"denied {d.version} ({d.label}) is on another line; not applicable")
                    continue
                if compare(rule.scheme, v, bad) == 0:
                    hits.append(DenyHit(d, f"{v.raw} is denied: {d.label} ({d.source})"))
            else:
                rng: VersionRange = parse_range(rule.scheme, d.range)
                if not rng.same_line(v):
                    reasons.append(f"denied range {d.range} ({d.label}) is on another line; not applicable")
                    continue
                if rng.contains(v):
                    hits.append(DenyHit(d, f"{v.raw} is in denied range {d.range}: {d.label} ({d.source})"))
        except VersionError as e:  # pragma: no cover - the model validated these already
            errors = True
            reasons.append(f"denied row: {e}")
    if hits:
        failed = True
        reasons.extend(h.why for h in hits)

    if rule.allowed is not None:
        allowed = rule.allowed_versions() or []
        if any(v.comparable_with(a) and compare(rule.scheme, v, a) == 0 for a in allowed):
            reasons.append(f"{v.raw} is in the allowed list")
        else:
            failed = True
            reasons.append(f"{v.raw} is not in the allowed list {rule.allowed}")

    if rule.min is not None:
        try:
            c = compare(rule.scheme, v, rule.min)
        except VersionError as e:
            errors = True
            reasons.append(f"cannot compare with minimum {rule.min}: {e}")
        else:
            if c < 0:
                failed = True
                reasons.append(f"{v.raw} is older than the minimum {rule.min}")
            else:
                reasons.append(f"{v.raw} is at or above the minimum {rule.min}")

    status: Literal["pass", "fail", "error"] = "fail" if failed else "error" if errors else "pass"
    return VersionVerdict(status, v.raw, rule, v, reasons, hits)
