"""Plug-in point for per-BMC responders other than Redfish (IPMI over UDP, SSH).

The fleet gives BMC ``i`` the ports ``base + 4*i + offset``: 0 = HTTPS, 1 = plain
HTTP (both served by ``redfish_app``), 2 = IPMI (UDP), 3 = SSH.  A responder
module registers itself at import time::

    # mock_bmc/ipmi.py
    from mock_bmc.listeners import register_listener

    def _factory(bmc):                       # -> Listener | None
        cfg = bmc.profile.ipmi               # free-form profile section
        return IpmiResponder(bmc, cfg) if cfg.get("enabled") else None

    register_listener("ipmi", port_offset=2, factory=_factory)

and the fleet then starts it for every BMC whose profile enables it, records the
bound port in ``bmc.ports["ipmi"]`` and lists it in the emitted inventory.  The
fleet imports the optional modules named in ``OPTIONAL_RESPONDER_MODULES`` so no
other wiring is needed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .bmc import MockBMC

log = logging.getLogger(__name__)

#: Modules imported (if present) before a fleet starts, so they can register listeners.
OPTIONAL_RESPONDER_MODULES = ("mock_bmc.ipmi", "mock_bmc.ssh")

#: Port offsets reserved within each BMC's block of four ports.
PORT_OFFSETS = {"https": 0, "http": 1, "ipmi": 2, "ssh": 3}
PORTS_PER_BMC = 4


class Listener(Protocol):
    """A responder bound for one BMC."""

    async def start(self, host: str, port: int) -> int:
        """Bind ``(host, port)`` (0 = ephemeral), start serving, return the bound port."""
        ...

    async def stop(self) -> None: ...


ListenerFactory = Callable[["MockBMC"], Listener | None]


@dataclass(frozen=True)
class ListenerKind:
    kind: str
    """Key in ``MockBMC.ports`` and in the inventory's ``ports`` mapping."""
    port_offset: int
    factory: ListenerFactory
    """Returns a listener for the BMC, or ``None`` when its profile disables the service."""


_REGISTRY: dict[str, ListenerKind] = {}


def register_listener(kind: str, *, port_offset: int, factory: ListenerFactory) -> None:
    if kind in ("https", "http"):
        raise ValueError(f"{kind!r} is served by the Redfish front end")
    if not 0 <= port_offset < PORTS_PER_BMC:
        raise ValueError(f"port_offset must be in 0..{PORTS_PER_BMC - 1}")
    _REGISTRY[kind] = ListenerKind(kind, port_offset, factory)


def registered_listeners() -> list[ListenerKind]:
    """Every registered extra listener, after importing the optional responder modules.

    A responder module that is absent is simply not used; one that fails to import is
    reported (warning) and skipped, so a broken IPMI/SSH responder cannot take the
    Redfish side of every fleet down with it.  Its port is then absent from
    ``bmc.ports`` and from the inventory, which the auditor reports as unreachable.
    """
    for module in OPTIONAL_RESPONDER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                log.warning("mock_bmc: responder module %s not loaded: %s", module, exc)
        except Exception as exc:  # any import-time failure of an optional plug-in
            log.warning("mock_bmc: responder module %s not loaded: %s: %s", module, type(exc).__name__, exc)
    return sorted(_REGISTRY.values(), key=lambda k: k.port_offset)
