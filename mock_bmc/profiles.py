"""Mock BMC profiles: the security posture of one kind of BMC, kept as YAML data.

A profile says what a BMC *reports* (Redfish properties, emitted verbatim) and how
the mock *behaves* (plain-HTTP handling, faults, certificate).  Keeping postures as
data means a new scenario is a YAML file, not code, and the same handler serves a
hardened OpenBMC, a factory-default Supermicro and an NVIDIA HGX HMC.

Naming rule inside a profile: keys that are emitted as Redfish properties keep their
Redfish spelling (``AccountLockoutThreshold``, ``ProtocolEnabled``, ``Version``);
keys that steer the mock itself are snake_case (``plain_http``, ``password``,
``max_sessions``, ``faults``).

Loading rules:

* every file is validated with pydantic; unknown keys are refused and the error
  names the file, so a typo cannot silently turn a control off;
* ``extends: NAME`` (a built-in profile name, or a path relative to the extending
  file) deep-merges this file over that profile: mappings merge key by key, any
  other value replaces, and ``null`` deletes the inherited key (e.g. remove an
  account or a firmware component);
* ``firmware_defaults`` is merged under every ``firmware_inventory`` entry after
  ``extends`` was resolved, so a variant only states the component it changes;
* the sections ``ipmi`` and ``tls`` are free-form mappings reserved for the IPMI
  responder and TLS faults; they are accepted and carried along.  ``ssh`` is typed
  (:class:`SshSpec`, read by ``mock_bmc/ssh.py``), and so is ``host_gpu``
  (:class:`HostGpuSection`: what ``nvidia-smi -q -x`` on the GPU host answers, served by the
  same SSH responder; ``gpu_defaults`` is merged under each of its ``gpus``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

PROFILES_DIR = Path(__file__).with_name("profiles")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_MAX_EXTENDS_DEPTH = 16


class ProfileError(ValueError):
    """A profile could not be found, parsed or validated (the message names the file)."""


class _Model(BaseModel):
    """Strict, immutable base: unknown keys are errors and profiles are shared between BMCs."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- Redfish-facing sections


class ServiceRootSpec(_Model):
    Vendor: str
    Product: str | None = None
    RedfishVersion: str = "1.15.0"
    Name: str = "Root Service"


class AccountServiceSpec(_Model):
    """Password and lockout policy, emitted on ``/redfish/v1/AccountService`` and enforced by the mock."""

    ServiceEnabled: bool = True
    MinPasswordLength: int = Field(8, ge=0)
    MaxPasswordLength: int = Field(20, ge=1)
    AccountLockoutThreshold: int = Field(0, ge=0, description="0 = never lock (Redfish semantics)")
    AccountLockoutDuration: int = Field(0, ge=0, description="seconds; 0 = locked until unlocked")
    AccountLockoutCounterResetAfter: int = Field(0, ge=0, description="seconds; 0 = never reset by time")
    AccountLockoutCounterResetEnabled: bool = True
    AuthFailureLoggingThreshold: int = Field(3, ge=0)
    LocalAccountAuth: Literal["Enabled", "Disabled", "Fallback", "LocalFirst"] = "Enabled"
    PasswordExpirationDays: int | None = None

    @model_validator(mode="after")
    def _lengths(self) -> AccountServiceSpec:
        if self.MaxPasswordLength < self.MinPasswordLength:
            raise ValueError("MaxPasswordLength is smaller than MinPasswordLength")
        return self


RoleId = Literal["Administrator", "Operator", "ReadOnly"]


class AccountSpec(_Model):
    """One local account.  ``password: null`` means a strong random password per BMC."""

    UserName: str = Field(min_length=1)
    password: str | None = Field(None, repr=False)
    RoleId: RoleId = "ReadOnly"
    Enabled: bool = True
    AccountTypes: tuple[str, ...] = ("Redfish",)
    PasswordChangeRequired: bool = False


class SessionServiceSpec(_Model):
    ServiceEnabled: bool = True
    SessionTimeout: int = Field(1800, ge=30, le=86400, description="idle seconds before a session expires")
    max_sessions: int = Field(64, ge=1, description="new logins are refused (503) beyond this, like real BMCs")


class ProtocolSpec(_Model):
    ProtocolEnabled: bool = False
    Port: int | None = Field(None, ge=0, le=65535)


class SSDPSpec(ProtocolSpec):
    NotifyMulticastIntervalSeconds: int | None = None
    NotifyTTL: int | None = None
    NotifyIPv6Scope: Literal["Link", "Site", "Organization"] | None = None


class SNMPCommunitySpec(_Model):
    Name: str
    AccessMode: Literal["Full", "Limited"] = "Limited"
    community: str | None = Field(None, repr=False, description="emitted only if HideCommunityStrings is false")


class SNMPSpec(ProtocolSpec):
    EnableSNMPv1: bool = False
    EnableSNMPv2c: bool = False
    EnableSNMPv3: bool = False
    HideCommunityStrings: bool = True
    CommunityStrings: tuple[SNMPCommunitySpec, ...] = ()
    AuthenticationProtocol: str | None = None
    EncryptionProtocol: str | None = None


class NTPSpec(ProtocolSpec):
    NTPServers: tuple[str, ...] = ()


class NetworkProtocolSpec(_Model):
    """``Managers/{id}/NetworkProtocol``.  Ports of listeners the mock really runs are reported live."""

    HTTP: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=80)
    HTTPS: ProtocolSpec = ProtocolSpec(ProtocolEnabled=True, Port=443)
    IPMI: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=623)
    SSH: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=22)
    Telnet: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=23)
    SSDP: SSDPSpec = SSDPSpec(ProtocolEnabled=False, Port=1900)
    KVMIP: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=5900)
    VirtualMedia: ProtocolSpec = ProtocolSpec(ProtocolEnabled=False, Port=623)
    SNMP: SNMPSpec = SNMPSpec(ProtocolEnabled=False, Port=161)
    NTP: NTPSpec | None = None
    FQDN: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _merge_defaults(cls, data: Any) -> Any:
        """``SSH: {ProtocolEnabled: true}`` keeps the default port instead of silently dropping it."""
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        for key, value in data.items():
            field = cls.model_fields.get(key)
            default = field.default if field is not None else None
            if isinstance(value, Mapping) and isinstance(default, BaseModel):
                out[key] = deep_merge(default.model_dump(), value)
        return out


class ManagerSpec(_Model):
    Id: str = Field("bmc", pattern=r"^[A-Za-z0-9_.-]+$")
    Name: str = "Manager"
    ManagerType: Literal["BMC", "ManagementController", "EnclosureManager", "AuxiliaryController", "Service"] = "BMC"
    Model: str
    FirmwareVersion: str


class SystemSpec(_Model):
    Id: str = Field("system", pattern=r"^[A-Za-z0-9_.-]+$")
    Name: str = "System"
    SystemType: str = "Physical"
    Manufacturer: str
    Model: str
    BiosVersion: str | None = None


class SecureBootSpec(_Model):
    SecureBootEnable: bool = True
    SecureBootCurrentBoot: Literal["Enabled", "Disabled"] = "Enabled"
    SecureBootMode: Literal["SetupMode", "UserMode", "AuditMode", "DeployedMode"] = "DeployedMode"


class ChassisSpec(_Model):
    Name: str = "Chassis"
    ChassisType: str = "RackMount"
    Manufacturer: str
    Model: str
    PartNumber: str | None = None


class FirmwareSpec(_Model):
    """One ``UpdateService/FirmwareInventory`` member (SoftwareInventory)."""

    Name: str = "Software Inventory"
    Description: str | None = None
    Version: str
    Manufacturer: str | None = None
    SoftwareId: str = ""
    Updateable: bool = True
    WriteProtected: bool = False
    State: str = "Enabled"
    Health: Literal["OK", "Warning", "Critical"] = "OK"


class ComponentIntegritySpec(_Model):
    Name: str | None = None
    ComponentIntegrityType: Literal["SPDM", "TPM", "TCM", "TPCM", "OEM"] = "SPDM"
    ComponentIntegrityTypeVersion: str = "1.1.0"
    ComponentIntegrityEnabled: bool = True
    TargetComponentURI: str | None = None


class RedfishSpec(_Model):
    """Optional protocol features of the Redfish service (DSP0266 clause 7.3 query parameters).

    ``$expand`` is on by default, as on bmcweb with queries enabled, iLO and iDRAC: an auditor
    that uses it makes one request per collection instead of one per member.  ``expand: false``
    stops advertising it in ``ProtocolFeaturesSupported.ExpandQuery`` and answers the parameter
    with 501 ``QueryNotSupported``, as the specification asks of an unsupported ``$`` parameter.
    ``expand_ignored: true`` advertises it but answers as if no query were given, like services
    that silently discard query options (iLO's documented behaviour).  ``expand_advertised``
    decouples the advertisement from the behaviour: ``expand: false`` with
    ``expand_advertised: true`` is a root that promises ``$expand`` and a service that refuses
    it (501), which a client must survive without losing data.
    """

    expand: bool = True
    expand_max_levels: int = Field(3, ge=1, le=6, description="advertised MaxLevels; deeper $levels -> 400")
    expand_ignored: bool = Field(False, description="advertise $expand, then ignore every query parameter")
    expand_advertised: bool | None = Field(None, description="advertise ExpandQuery support; null: as expand says")

    @property
    def advertises_expand(self) -> bool:
        """Does the service root's ``ExpandQuery`` claim support?"""
        if self.expand_advertised is not None:
            return self.expand_advertised
        return self.expand or self.expand_ignored


# --------------------------------------------------------------------------- mock behaviour sections


class IdentitySpec(_Model):
    """How per-BMC serial numbers look; the digits are derived from (seed, profile, index)."""

    serial_prefix: str = "MOCK"
    serial_digits: int = Field(10, ge=4, le=24)


class CertificateSpec(_Model):
    """The self-signed HTTPS certificate each BMC serves.

    ``key_scope`` decides whether BMCs share a private key:

    * ``bmc`` - every BMC has its own key (and certificate);
    * ``fleet`` - one key per fleet and key type, reused by every BMC that asks for
      it (each BMC still gets its own certificate);
    * ``auto`` (default) - EC keys are per BMC (they are derived from the fleet seed
      in microseconds, so even 1,000 BMCs cost nothing); RSA keys are per BMC for up
      to ``mock_bmc.certs.AUTO_SHARE_RSA_ABOVE`` BMCs of that key type in a fleet
      and shared above it, because RSA key generation takes ~60 ms per key.

    Sharing a key is what OOB-TLS-004 flags, so only share when the scenario means it
    or when startup time matters more than that check.
    """

    #: rsa-1024 is a key OOB-TLS-003 must flag.  (SHA-1 signatures cannot be made: cryptography
    #: refuses to sign with SHA-1; tests/tls covers them with openssl-generated certificates.)
    key_type: Literal["ec-p256", "ec-p384", "rsa-1024", "rsa-2048", "rsa-3072", "rsa-4096"] = "ec-p256"
    key_scope: Literal["auto", "bmc", "fleet"] = "auto"
    not_before: dt.date = dt.date(2025, 1, 1)
    validity_days: int = Field(3650, ge=1)
    subject_organization: str | None = None
    subject_organizational_unit: str | None = None
    subject_country: str | None = Field(None, min_length=2, max_length=2)


class TlsSpec(_Model):
    """The HTTPS server's protocol versions and cipher string (OpenSSL syntax).

    Weak settings (TLS 1.0/1.1, ``@SECLEVEL=0`` ciphers, RSA-1024 or SHA-1 certificates) are what
    OOB-TLS-001..003 exist to find; the local OpenSSL decides how weak it can actually go
    (Debian's has no SSLv3, RC4 or 3DES at all)."""

    min_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.2"
    max_version: Literal["1.0", "1.1", "1.2", "1.3"] | None = None
    ciphers: str | None = None
    #: how a refused handshake ends: ``alert`` (then close, as OpenSSL-based BMCs do) or a bare
    #: ``hangup`` (old embedded stacks); see mock_bmc/tls_alerts.py
    refusal: Literal["alert", "hangup"] = "alert"


class SshHostKeySpec(_Model):
    """The SSH host key: ``ed25519``, ``ecdsa`` (bits 256/384/521) or ``rsa`` (bits >= 1024)."""

    type: Literal["ed25519", "ecdsa", "rsa"] = "ed25519"
    bits: int | None = Field(None, description="ecdsa: 256 (default), 384, 521; rsa: 3072 by default")

    @model_validator(mode="after")
    def _bits(self) -> SshHostKeySpec:
        if self.type == "ed25519" and self.bits not in (None, 256):
            raise ValueError("an ed25519 host key is always 256 bits")
        if self.type == "ecdsa" and self.bits not in (None, 256, 384, 521):
            raise ValueError("ecdsa host key bits must be 256, 384 or 521")
        if self.type == "rsa" and self.bits is not None and not 1024 <= self.bits <= 8192:
            raise ValueError("rsa host key bits must be 1024..8192")
        return self


class SshSpec(_Model):
    """The SSH responder (``mock_bmc/ssh.py``).  Algorithm names are checked against what the
    responder implements when the fleet starts; the defaults are a hardened server."""

    enabled: bool = False
    software: str = Field("OpenSSH_9.6", pattern=r"^[!-~]{1,200}$", description="banner: SSH-2.0-<software>")
    comments: str | None = Field(None, pattern=r"^[ -~]{1,50}$")
    kex: tuple[str, ...] = ("curve25519-sha256@libssh.org", "ecdh-sha2-nistp256")
    host_key: SshHostKeySpec = SshHostKeySpec()
    host_key_algorithms: tuple[str, ...] | None = Field(None, description="default: every one the key supports")
    ciphers: tuple[str, ...] = ("aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr")
    macs: tuple[str, ...] = ("hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com")
    compression: tuple[str, ...] = ("none",)
    auth_methods: tuple[Literal["password", "keyboard-interactive", "publickey"], ...] = ("password",)
    strict_kex: bool = Field(True, description="advertise kex-strict-s-v00@openssh.com (Terrapin countermeasure)")
    max_connections: int = Field(16, ge=1, le=1024, description="more concurrent connections are dropped")
    no_banner: bool = Field(False, description="fault: accept TCP, never send the identification string")

    @model_validator(mode="after")
    def _lists(self) -> SshSpec:
        for name in ("kex", "ciphers", "macs", "compression"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        return self


_PCI_BUS_ID = r"^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$"


class HostGpuSpec(_Model):
    """One GPU as ``nvidia-smi -q -x`` on the host OS reports it (``mock_bmc/ssh.py`` renders it).

    ``serial`` / ``uuid`` null: derived from the BMC's identity, so every mock host of a profile
    has its own boards.  nvidia-smi lists GPUs in PCI bus order; that order (the index the
    auditor sees) is *not* the baseboard slot order, as on real HGX systems.
    """

    name: str = Field("NVIDIA H100 80GB HBM3", pattern=r"^[ -~]{1,96}$")
    serial: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    uuid: str | None = Field(None, pattern=r"^GPU-[0-9a-f-]{36}$")
    vbios_version: str = Field(pattern=r"^[ -~]{1,32}$")
    inforom_image: str = Field("G520.0200.00.05", pattern=r"^[ -~]{1,16}$")
    pci_bus_id: str = Field(pattern=_PCI_BUS_ID)
    module_id: int | None = Field(None, ge=0, le=64, description="<gpu_module_id>: a hint, not the slot")
    cc_mode: Literal["on", "off", "devtools"] = "off"
    mig_mode: Literal["Enabled", "Disabled", "N/A"] = "Disabled"
    gsp_firmware_version: str | None = Field(
        None, pattern=r"^[ -~]{1,32}$", description="null: the driver version (GSP on), or N/A with gsp_enabled false")


class HostGpuSection(_Model):
    """What the GPU host's ``nvidia-smi -q -x`` answers (over this BMC's SSH port, which doubles
    as the host OS endpoint in the emitted inventory).  ``gpu_defaults`` is merged under every
    entry of ``gpus`` (keyed by baseboard slot, e.g. ``SXM_3``, so a variant profile changes one GPU)."""

    driver_version: str = Field(pattern=r"^[ -~]{1,32}$")
    cuda_version: str = Field("12.4", pattern=r"^[ -~]{1,16}$")
    gsp_enabled: bool = Field(True, description="false: nvidia-smi shows GSP Firmware Version N/A")
    gpus: dict[str, HostGpuSpec] = Field(min_length=1, max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "gpu_defaults" not in data:
            return data
        out = dict(data)
        defaults = out.pop("gpu_defaults") or {}
        gpus = out.get("gpus")
        if isinstance(defaults, Mapping) and isinstance(gpus, Mapping):
            out["gpus"] = {k: deep_merge(defaults, v) if isinstance(v, Mapping) else v for k, v in gpus.items()}
        elif not isinstance(defaults, Mapping):
            raise ValueError("gpu_defaults must be a mapping")
        return out

    @model_validator(mode="after")
    def _unique(self) -> HostGpuSection:
        for key in self.gpus:
            _check_id("host_gpu.gpus", key)
        for attr in ("pci_bus_id", "serial", "uuid"):
            values = [getattr(g, attr).lower() for g in self.gpus.values() if getattr(g, attr) is not None]
            if len(values) != len(set(values)):
                raise ValueError(f"two GPUs share a {attr}")
        return self


class FaultSpec(_Model):
    """Ways the BMC misbehaves; the auditor must turn each into a per-target ERROR."""

    hang: bool = Field(False, description="accept TCP/TLS, read the request, never answer")
    garbage: bool = Field(False, description="200 with a broken body for every resource after the root")
    garbage_kind: Literal["mixed", "truncated-json", "html", "binary"] = "mixed"
    http_500: bool = Field(False, description="500 + Retry-After for every Redfish request")
    retry_after_s: int = Field(30, ge=0)
    slow_ms: int = Field(0, ge=0, description="extra latency before every HTTP answer")
    hang_accept: bool = Field(False, description="accept TCP on the HTTPS port, never start TLS")
    tls_handshake_fail: bool = Field(False, description="speak only TLS 1.0: a modern client's handshake fails")
    http_503: bool = Field(False, description="503 + Retry-After for every resource after the root")
    drip_bps: int = Field(0, ge=0, description="send bodies after the root at this many bytes per second")
    reset_mid_body: bool = Field(False, description="send half a body after the root, then reset the connection")
    huge_body_mb: int = Field(0, ge=0, description="answer resources after the root with a body of this many MB")
    redirect: Literal["offhost", "loop"] | None = Field(
        None, description="redirect resources after the root to another host, or to themselves")


class Profile(_Model):
    """One BMC posture.  Immutable, so every BMC of a group shares one instance."""

    name: str
    description: str = ""
    platform: str = "generic"
    service_root: ServiceRootSpec
    account_service: AccountServiceSpec = AccountServiceSpec()
    accounts: dict[str, AccountSpec] = Field(default_factory=dict)
    session_service: SessionServiceSpec = SessionServiceSpec()
    network_protocol: NetworkProtocolSpec = NetworkProtocolSpec()
    redfish: RedfishSpec = RedfishSpec()
    plain_http: Literal["redirect", "serve", "off"] = Field(
        "redirect",
        description="plain-HTTP listener: 301 to https, serve the full Redfish tree, or no listener",
    )
    manager: ManagerSpec
    system: SystemSpec
    secure_boot: SecureBootSpec = SecureBootSpec()
    chassis: dict[str, ChassisSpec] = Field(min_length=1)
    firmware_inventory: dict[str, FirmwareSpec] = Field(default_factory=dict)
    component_integrity: dict[str, ComponentIntegritySpec] = Field(default_factory=dict)
    identity: IdentitySpec = IdentitySpec()
    certificate: CertificateSpec = CertificateSpec()
    faults: FaultSpec = FaultSpec()
    # Reserved for the IPMI responder and TLS faults; accepted, carried, not read here.
    ipmi: dict[str, Any] = Field(default_factory=dict)
    ssh: SshSpec = SshSpec()
    tls: TlsSpec = TlsSpec()
    #: The GPU host's OS as seen in-band (``nvidia-smi -q -x`` over SSH); None: not a GPU host.
    host_gpu: HostGpuSection | None = None

    _source: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistency(self) -> Profile:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"profile name {self.name!r} must match {_NAME_RE.pattern}")
        seen: dict[str, str] = {}
        for acc_id, acc in self.accounts.items():
            _check_id("accounts", acc_id)
            if acc.UserName in seen:
                raise ValueError(f"accounts {seen[acc.UserName]!r} and {acc_id!r} share UserName {acc.UserName!r}")
            seen[acc.UserName] = acc_id
        for section in ("chassis", "firmware_inventory", "component_integrity"):
            for key in getattr(self, section):
                _check_id(section, key)
        return self

    @property
    def source(self) -> str | None:
        """File the profile was loaded from (None for profiles built in code)."""
        return self._source

    @property
    def primary_chassis_id(self) -> str:
        return next(iter(self.chassis))

    def derive(self, name: str | None = None, **overrides: Any) -> Profile:
        """A variant of this profile: ``overrides`` are deep-merged like ``extends`` does.

        Tests use it for one-off scenarios, e.g.
        ``load_profile("hardened").derive("hang", faults={"hang": True})``.
        """
        raw = self.model_dump(mode="python")
        merged = deep_merge(raw, overrides)
        merged["name"] = name or self.name
        try:
            return Profile.model_validate(merged)
        except ValidationError as exc:
            raise ProfileError(f"variant {merged['name']!r} of profile {self.name!r}: {_fmt(exc)}") from None


def _check_id(section: str, key: str) -> None:
    """Ids end up in URLs, so keep them to the characters real BMCs use."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
        raise ValueError(f"{section}: id {key!r} may only contain letters, digits, '_', '.', '-'")


# --------------------------------------------------------------------------- loading


def deep_merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``overlay`` over ``base``: mappings recurse, ``None`` deletes, anything else replaces."""
    out: dict[str, Any] = dict(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def list_profiles() -> list[str]:
    """Names of the profiles shipped in ``mock_bmc/profiles``."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """Load a built-in profile by name, or a profile file by path.

    A string containing a path separator or ending in ``.yaml``/``.yml`` is a path;
    anything else is a built-in profile name.
    """
    path = _locate(str(name_or_path), relative_to=None)
    raw = _load_raw(path, chain=())
    defaults = raw.pop("firmware_defaults", None) or {}
    if not isinstance(defaults, Mapping):
        raise ProfileError(f"{path}: firmware_defaults must be a mapping")
    firmware = raw.get("firmware_inventory") or {}
    if isinstance(firmware, Mapping):
        raw["firmware_inventory"] = {
            k: deep_merge(defaults, v) if isinstance(v, Mapping) else v for k, v in firmware.items()
        }
    raw.setdefault("name", path.stem)
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        raise ProfileError(f"{path}: invalid profile: {_fmt(exc)}") from None
    profile._source = str(path)
    return profile


def _locate(ref: str, relative_to: Path | None) -> Path:
    is_path = "/" in ref or ref.endswith((".yaml", ".yml"))
    if is_path:
        candidate = Path(ref).expanduser()
        if not candidate.is_absolute() and relative_to is not None:
            candidate = relative_to / candidate
        if not candidate.is_file():
            raise ProfileError(f"profile file not found: {candidate}")
        return candidate.resolve()
    if not _NAME_RE.match(ref):
        raise ProfileError(f"not a profile name: {ref!r}")
    candidate = PROFILES_DIR / f"{ref}.yaml"
    if not candidate.is_file():
        raise ProfileError(f"unknown profile {ref!r}; built-in profiles: {', '.join(list_profiles())}")
    return candidate.resolve()


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Raw mapping of ``path`` with its ``extends`` chain merged in (the result has no ``extends``)."""
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ProfileError(f"{path}: 'extends' cycle: {cycle}")
    if len(chain) >= _MAX_EXTENDS_DEPTH:
        raise ProfileError(f"{path}: 'extends' chain deeper than {_MAX_EXTENDS_DEPTH}")
    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: a profile must be a YAML mapping, not {type(raw).__name__}")
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise ProfileError(f"{path}: 'extends' must be a profile name or a path")
    parent_path = _locate(parent_ref, relative_to=path.parent)
    parent = _load_raw(parent_path, (*chain, path))
    parent.pop("name", None)
    parent.pop("description", None)
    return deep_merge(parent, raw)


def _fmt(exc: ValidationError) -> str:
    """One line per problem, with the dotted location, and never the offending value (it may be a password)."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "<profile>"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
