"""A fleet of mock BMCs in one process and one event loop.

Used three ways: ``python -m mock_bmc`` (CLI), ``async with Fleet(spec)`` from
async code, and ``run_fleet_in_thread(spec)`` from synchronous tests and from the
auditor's ``demo`` command (the fleet gets its own loop in a daemon thread).

Port layout: with ``base_port = P`` BMC number ``i`` (in fleet order) gets
``P+4i`` (HTTPS), ``P+4i+1`` (plain HTTP), ``P+4i+2`` (IPMI, UDP) and ``P+4i+3``
(SSH); ``base_port = 0`` gives every listener an ephemeral port instead.

BMC names are ``<prefix>-<profile>-<NNN>`` where NNN counts BMCs of that profile
across the fleet; identity (UUIDs, serial, EC TLS key) derives from (seed,
profile, that count), so adding a group of another profile changes nothing for
the BMCs already there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import secrets
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .bmc import MockBMC
from .certs import KeyScope, KeyStore, issue_certificate
from .identity import derive_identity
from .inventory import build_inventory, secret_path_for, write_inventory_files
from .listeners import PORT_OFFSETS, PORTS_PER_BMC, registered_listeners
from .net import check_bind_host, raise_nofile_limit
from .profiles import Profile, RoleId, load_profile

#: Environment variable named by ``Fleet.inventory_dict()``'s default password reference.
AUDITOR_PASSWORD_ENV = "MOCK_BMC_AUDITOR_PASSWORD"
#: File descriptors kept free for client connections, logging, the event loop itself.
FD_HEADROOM = 256


@dataclass(frozen=True)
class GroupSpec:
    """``count`` BMCs of one profile, placed in one site and rack of the inventory."""

    profile: str | Profile
    count: int = 1
    site: str = "mock"
    rack: str = "rack-1"
    name_prefix: str = "mock"

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must be >= 0")


@dataclass(frozen=True)
class IdentityOverride:
    """Replace parts of one BMC's derived identity (e.g. to simulate a swapped board)."""

    uuid: str | None = None
    system_uuid: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class FleetSpec:
    """Everything needed to start a fleet.  The auditor password never appears in ``repr``."""

    groups: Sequence[GroupSpec]
    host: str = "127.0.0.1"
    base_port: int = 0
    latency_ms: int = 0
    #: Uniform extra delay in [0, jitter_ms) per response, on top of latency_ms.
    jitter_ms: int = 0
    seed: str = "oobaudit-mock"
    auditor_user: str = "auditor"
    auditor_password: str | None = field(default=None, repr=False)
    """``None``: a random secret is generated when the fleet is created."""
    auditor_role: RoleId = "Operator"
    allow_non_loopback: bool = False
    key_scope: KeyScope | None = None
    """Overrides every profile's ``certificate.key_scope`` (e.g. ``"fleet"`` for fast RSA fleets)."""
    identity_overrides: Mapping[str, IdentityOverride] = field(default_factory=dict)
    """By BMC name."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        if not self.groups:
            raise ValueError("a fleet needs at least one group")
        if self.base_port < 0 or self.base_port > 65535:
            raise ValueError("base_port must be 0 (ephemeral) or a TCP port")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not self.auditor_user or ":" in self.auditor_user:
            raise ValueError("auditor_user must be non-empty and contain no ':'")

    @classmethod
    def single(cls, profile: str | Profile, count: int = 1, **kwargs: Any) -> FleetSpec:
        """A fleet of one profile: ``FleetSpec.single("hardened", 3, latency_ms=5)``."""
        group_keys = {"site", "rack", "name_prefix"}
        group = GroupSpec(profile, count, **{k: kwargs.pop(k) for k in list(kwargs) if k in group_keys})
        return cls(groups=(group,), **kwargs)

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


class Fleet:
    """N mock BMCs served by the current event loop."""

    def __init__(self, spec: FleetSpec) -> None:
        self.spec = spec
        self._auditor_password = spec.auditor_password or secrets.token_urlsafe(24)
        self.bmcs: list[MockBMC] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"<Fleet {len(self.bmcs)} BMCs started={self._started}>"

    @property
    def auditor_user(self) -> str:
        return self.spec.auditor_user

    @property
    def auditor_password(self) -> str:
        """The auditor's password on every BMC.  Hand it to clients; never print or log it."""
        return self._auditor_password

    def bmc(self, name: str) -> MockBMC:
        for bmc in self.bmcs:
            if bmc.name == name:
                return bmc
        raise KeyError(name)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Build every BMC (certificates, accounts) and bind its listeners; all or nothing."""
        if self._started:
            raise RuntimeError("fleet already started")
        spec = self.spec
        check_bind_host(spec.host, spec.allow_non_loopback)
        total = spec.total
        if spec.base_port and spec.base_port + PORTS_PER_BMC * total - 1 > 65535:
            raise ValueError(f"base port {spec.base_port} leaves no room for {total} BMCs x {PORTS_PER_BMC} ports")
        raise_nofile_limit(needed=2 * total + FD_HEADROOM)
        self.loop = asyncio.get_running_loop()
        self.bmcs = self._build()
        extra_kinds = registered_listeners()
        self._started = True
        try:
            for position, bmc in enumerate(self.bmcs):
                await bmc.start(
                    https_port=self._port(position, "https"),
                    http_port=self._port(position, "http"),
                )
                for kind in extra_kinds:
                    listener = kind.factory(bmc)
                    if listener is not None:
                        port = spec.base_port + PORTS_PER_BMC * position + kind.port_offset if spec.base_port else 0
                        await bmc.start_extra(kind.kind, listener, port)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every BMC (concurrently; a hung request delays this by at most ~0.25 s)."""
        if not self._started:
            return
        self._started = False
        results = await asyncio.gather(*(bmc.stop() for bmc in self.bmcs), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._started

    def _port(self, position: int, kind: str) -> int:
        base = self.spec.base_port
        return base + PORTS_PER_BMC * position + PORT_OFFSETS[kind] if base else 0

    def _build(self) -> list[MockBMC]:
        spec = self.spec
        resolved: list[tuple[GroupSpec, Profile]] = []
        for group in spec.groups:
            profile = group.profile if isinstance(group.profile, Profile) else load_profile(group.profile)
            resolved.append((group, profile))

        rsa_counts: Counter[str] = Counter()
        for group, profile in resolved:
            if profile.certificate.key_type.startswith("rsa"):
                rsa_counts[profile.certificate.key_type] += group.count
        keys = KeyStore(spec.seed, rsa_counts=dict(rsa_counts), scope_override=spec.key_scope)

        per_profile: Counter[str] = Counter()
        names: set[str] = set()
        bmcs: list[MockBMC] = []
        for group, profile in resolved:
            for _ in range(group.count):
                index = per_profile[profile.name]
                per_profile[profile.name] += 1
                name = f"{group.name_prefix}-{profile.name}-{index:03d}"
                if name in names:
                    raise ValueError(f"duplicate BMC name {name!r}")
                names.add(name)
                identity = derive_identity(spec.seed, profile.name, index, profile.identity)
                override = spec.identity_overrides.get(name)
                if override is not None:
                    identity = replace(
                        identity,
                        **{k: v for k, v in vars(override).items() if v is not None},
                    )
                label = f"{profile.name}/{index}"
                key = keys.key_for(profile.certificate, label)
                cert = issue_certificate(
                    key, profile.certificate, common_name=name, address=spec.host, seed=spec.seed, label=label
                )
                bmcs.append(
                    MockBMC(
                        name=name,
                        index=index,
                        profile=profile,
                        host=spec.host,
                        identity=identity,
                        certificate=cert,
                        auditor_user=spec.auditor_user,
                        auditor_password=self._auditor_password,
                        auditor_role=spec.auditor_role,
                        latency_ms=spec.latency_ms,
                        jitter_ms=spec.jitter_ms,
                        site=group.site,
                        rack=group.rack,
                    )
                )
        unknown = set(spec.identity_overrides) - names
        if unknown:
            raise ValueError(f"identity_overrides name unknown BMCs: {', '.join(sorted(unknown))}")
        return bmcs

    # ------------------------------------------------------------------ inventory

    def inventory_dict(self, password_ref: str = f"env:{AUDITOR_PASSWORD_ENV}") -> dict[str, Any]:
        """The oobaudit inventory of the running fleet; the password is only referenced.

        The default reference suits in-process use (``os.environ[AUDITOR_PASSWORD_ENV] =
        fleet.auditor_password`` in the auditor's own process); ``write_inventory`` uses a
        ``file:`` reference to a 0600 secret file instead.
        """
        return build_inventory(self.bmcs, username=self.auditor_user, password_ref=password_ref)

    def write_inventory(self, path: str | Path) -> Path:
        """Write the inventory to ``path`` and the password to ``path.secret`` (0600); returns the secret path."""
        if not self._started:
            raise RuntimeError("start the fleet first: the inventory lists the bound ports")
        _, secret = write_inventory_files(path, self.bmcs, username=self.auditor_user, password=self._auditor_password)
        return secret

    @staticmethod
    def secret_path_for(path: str | Path) -> Path:
        return secret_path_for(path)


@contextlib.contextmanager
def run_fleet_in_thread(spec: FleetSpec, *, timeout: float = 300.0) -> Iterator[Fleet]:
    """Run a fleet on its own event loop in a background thread; yield it started, stop it on exit.

    State such as ``fleet.bmcs[0].accounts["admin"].failed_logins`` may be read from
    the calling thread.  To run a coroutine on the fleet's loop use
    ``asyncio.run_coroutine_threadsafe(coro, fleet.loop)``.
    """
    fleet = Fleet(spec)
    loop = asyncio.new_event_loop()
    started: concurrent.futures.Future[None] = concurrent.futures.Future()

    def _serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(fleet.start())
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            loop.run_forever()
        finally:
            _drain(loop)
            loop.close()

    thread = threading.Thread(target=_serve, name="mock_bmc-fleet", daemon=True)
    thread.start()
    try:
        started.result(timeout=timeout)
    except BaseException:
        with contextlib.suppress(RuntimeError):  # the loop may already be closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        raise
    try:
        yield fleet
    finally:
        try:
            asyncio.run_coroutine_threadsafe(fleet.stop(), loop).result(timeout=timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=timeout)


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel whatever is still scheduled so the loop closes without 'task was destroyed' noise."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
