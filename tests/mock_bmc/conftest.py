"""One mixed fleet for the whole mock_bmc test session (ephemeral ports, loopback only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mock_bmc.fleet import Fleet, FleetSpec, GroupSpec, run_fleet_in_thread
from mock_bmc.profiles import load_profile

SEED = "tests-mock-bmc"


def _groups() -> list[GroupSpec]:
    hardened = load_profile("hardened")
    return [
        GroupSpec("hardened", 2),
        GroupSpec("factory-default", 1),
        GroupSpec("hgx-h100", 1),
        # Lockout tests get their own BMC, so locking it cannot disturb other tests.
        GroupSpec(hardened.derive("lockout-victim"), 1),
        GroupSpec(hardened.derive("few-sessions", session_service={"max_sessions": 2}), 1),
        GroupSpec("fault-hang", 1),
        GroupSpec("fault-garbage", 1),
        GroupSpec("fault-http500", 1),
        GroupSpec(hardened.derive("slow-300", faults={"slow_ms": 300}), 1),
    ]


@pytest.fixture(scope="session")
def fleet() -> Iterator[Fleet]:
    spec = FleetSpec(groups=_groups(), base_port=0, seed=SEED)
    with run_fleet_in_thread(spec) as running:
        yield running
