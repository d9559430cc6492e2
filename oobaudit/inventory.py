"""Inventory files: which BMCs to audit, where they sit, and how to log in.

Hosts are grouped by site and rack because that is how operators and procurement
teams think (a rack is handed over as a unit).  Every error names the file and
the line; secrets are references, never values.
"""

from __future__ import annotations

import ipaddress
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .secrets import SecretError, SecretRef, parse_ref
from .yamlsrc import LocatedDocument, SourceError, SourceIssue, dotted, load_located, pydantic_issues

DEFAULT_PORTS: dict[str, int] = {"https": 443, "http": 80, "ipmi": 623, "ssh": 22}
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")

Port = Annotated[int, Field(ge=1, le=65535)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PortsSpec(_Strict):
    """Service ports; a key set to null removes the default (the BMC has no such service)."""

    https: Port | None = None
    http: Port | None = None
    ipmi: Port | None = None
    ssh: Port | None = None


class CredentialsSpec(_Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, description="env:NAME or file:PATH")


class InBandSpec(_Strict):
    """The server's own OS (in-band), reached over SSH for host-side facts such as
    ``nvidia-smi`` (GPU VBIOS, driver = GSP firmware).  Credentials are separate from the BMC's."""

    address: str
    port: Port = 22
    credentials: CredentialsSpec

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return HostSpec._address(v)


class HostSpec(_Strict):
    name: str
    address: str
    ports: PortsSpec | None = None
    platform: str | None = None
    tags: list[str] = Field(default_factory=list)
    credentials: CredentialsSpec | None = None
    host: InBandSpec | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("names use letters, digits and . _ : - (at most 128)")
        return v

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        try:
            return str(ipaddress.ip_address(v))
        except ValueError:
            pass
        if _HOSTNAME.match(v) and not v.replace(".", "").isdigit():
            return v.lower()
        raise ValueError("not an IP address or a host name")


class RackSpec(_Strict):
    name: str = Field(min_length=1, max_length=128)
    hosts: list[HostSpec] = Field(default_factory=list)


class SiteSpec(_Strict):
    name: str = Field(min_length=1, max_length=128)
    racks: list[RackSpec] = Field(default_factory=list)


class DefaultsSpec(_Strict):
    credentials: CredentialsSpec | None = None
    ports: PortsSpec | None = None
    platform: str | None = None
    tags: list[str] = Field(default_factory=list)


class VantageSpec(_Strict):
    """A place probes are run from (``oobaudit reach --vantage NAME``)."""

    name: str = Field(min_length=1, max_length=128)
    zone: str = Field(min_length=1, max_length=128, description="e.g. management, tenant, production")
    #: True: every BMC must answer from here (OOB-NET-002); False: every BMC port must be dark (OOB-NET-001).
    bmc_reachable: bool
    description: str = ""


class InventorySpec(_Strict):
    version: int = 1
    allow_literal_secrets: bool = False
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    #: The OOB management ranges (CIDRs): discovery sweeps them for unknown BMCs (OOB-NET-003).
    management_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = Field(default_factory=list)
    vantage_points: list[VantageSpec] = Field(default_factory=list)
    sites: list[SiteSpec] = Field(min_length=1)

    @field_validator("vantage_points")
    @classmethod
    def _unique_vantage(cls, v: list[VantageSpec]) -> list[VantageSpec]:
        names = [x.name for x in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate vantage point name(s): {', '.join(sorted(dup))}")
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != 1:
            raise ValueError("only inventory format version 1 is supported")
        return v


@dataclass(frozen=True)
class Credentials:
    username: str
    password: SecretRef

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password={self.password.describe()})"


@dataclass(frozen=True)
class InBand:
    address: str
    port: int
    credentials: Credentials


@dataclass(frozen=True)
class Target:
    """One BMC to audit, with everything the collectors need and nothing secret."""

    name: str
    address: str
    ports: dict[str, int]
    platform: str
    site: str
    rack: str
    tags: tuple[str, ...] = ()
    credentials: Credentials | None = None
    source: str = ""  # file:line, for error messages
    host: InBand | None = None  # the server OS, for in-band facts (nvidia-smi)

    def port(self, service: str) -> int | None:
        return self.ports.get(service)

    def url(self, scheme: str = "https") -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        port = self.ports.get(scheme)
        return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"

    def inventory_meta(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "ports": dict(self.ports),
            "platform": self.platform,
            "site": self.site,
            "rack": self.rack,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class VantagePoint:
    name: str
    zone: str
    bmc_reachable: bool
    description: str = ""


@dataclass
class Inventory:
    path: str
    targets: list[Target] = field(default_factory=list)
    management_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=list)
    vantage_points: list[VantagePoint] = field(default_factory=list)

    def vantage(self, name: str) -> VantagePoint | None:
        return next((v for v in self.vantage_points if v.name == name), None)

    def __iter__(self) -> Iterable[Target]:  # type: ignore[override]
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def by_name(self, name: str) -> Target | None:
        return next((t for t in self.targets if t.name == name), None)


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1-based) -> (I, N); ValueError with a clear message otherwise."""
    try:
        i_s, n_s = text.split("/", 1)
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise ValueError(f"shard must look like I/N (e.g. 2/3), not {text!r}") from None
    if not (n >= 1 and 1 <= i <= n):
        raise ValueError(f"shard {text!r}: need 1 <= I <= N")
    return i, n


def shard(targets: list[Target], i: int, n: int) -> list[Target]:
    """A deterministic split by host name: every collector computes the same partition
    from the same inventory, so N collectors cover every target exactly once."""
    return [t for t in targets if zlib.crc32(t.name.encode("utf-8")) % n == i - 1]


def load_inventory(path: str | Path, text: str | None = None) -> Inventory:
    """Load and validate an inventory; raise SourceError listing every problem."""
    p = Path(path)
    doc = load_located(p, text)
    if not isinstance(doc.data, dict):
        raise SourceError([SourceIssue(doc.path, doc.line_of(()), "an inventory is a mapping with a 'sites' list")])
    try:
        spec = InventorySpec.model_validate(doc.data)
    except ValidationError as exc:
        raise SourceError(pydantic_issues(doc, exc)) from None
    return _targets(doc, spec, p.resolve().parent)


def _targets(doc: LocatedDocument, spec: InventorySpec, base_dir: Path) -> Inventory:
    issues: list[SourceIssue] = []
    inv = Inventory(path=doc.path, management_networks=list(spec.management_networks),
                    vantage_points=[VantagePoint(v.name, v.zone, v.bmc_reachable, v.description)
                                    for v in spec.vantage_points])
    seen_names: dict[str, int | None] = {}
    seen_endpoints: dict[tuple[str, int | None], str] = {}
    overrides = spec.defaults.ports.model_dump(exclude_none=True) if spec.defaults.ports else {}
    default_ports = {**DEFAULT_PORTS, **overrides}

    def ref(text: str, loc: tuple) -> SecretRef | None:
        try:
            return parse_ref(text, base_dir=base_dir, allow_literal=spec.allow_literal_secrets)
        except SecretError as exc:
            issues.append(SourceIssue(doc.path, doc.line_of(loc), f"{dotted(loc)}: {exc}"))
            return None

    default_creds = None
    if spec.defaults.credentials:
        r = ref(spec.defaults.credentials.password, ("defaults", "credentials", "password"))
        if r:
            default_creds = Credentials(spec.defaults.credentials.username, r)

    for si, site in enumerate(spec.sites):
        for ri, rack in enumerate(site.racks):
            for hi, host in enumerate(rack.hosts):
                loc = ("sites", si, "racks", ri, "hosts", hi)
                line = doc.line_of(loc)
                if host.name in seen_names:
                    issues.append(
                        SourceIssue(doc.path, doc.line_of((*loc, "name")),
                                    f"duplicate host name {host.name!r} (first at line {seen_names[host.name]})")
                    )
                    continue
                seen_names[host.name] = line
                ports = dict(default_ports)
                if host.ports:
                    # `ssh: null` says "this BMC has no such service": drop the default port.
                    for key, value in host.ports.model_dump(exclude_unset=True).items():
                        if value is None:
                            ports.pop(key, None)
                        else:
                            ports[key] = value
                endpoint = (host.address, ports.get("https"))
                if endpoint in seen_endpoints:
                    issues.append(
                        SourceIssue(doc.path, doc.line_of((*loc, "address")),
                                    f"duplicate address {host.address} (port {ports.get('https')}) "
                                    f"already used by host {seen_endpoints[endpoint]!r}")
                    )
                    continue
                seen_endpoints[endpoint] = host.name
                creds = default_creds
                if host.credentials:
                    r = ref(host.credentials.password, (*loc, "credentials", "password"))
                    creds = Credentials(host.credentials.username, r) if r else None
                inband = None
                if host.host:
                    r = ref(host.host.credentials.password, (*loc, "host", "credentials", "password"))
                    if r:
                        inband = InBand(host.host.address, host.host.port,
                                        Credentials(host.host.credentials.username, r))
                inv.targets.append(
                    Target(
                        name=host.name,
                        address=host.address,
                        ports=ports,
                        platform=host.platform or spec.defaults.platform or "generic",
                        site=site.name,
                        rack=rack.name,
                        tags=tuple(dict.fromkeys([*spec.defaults.tags, *host.tags])),
                        credentials=creds,
                        source=f"{doc.path}:{line}",
                        host=inband,
                    )
                )
    if issues:
        raise SourceError(issues)
    return inv

