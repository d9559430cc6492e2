"""mock_bmc: a fleet of mock BMCs speaking real HTTPS/Redfish on loopback, for offline tests.

Postures are YAML profiles (``mock_bmc/profiles``); ``python -m mock_bmc`` serves a
fleet and can emit the matching oobaudit inventory; tests use
``mock_bmc.fleet.run_fleet_in_thread`` or ``async with Fleet(spec)``.  See
``mock_bmc/README.md``.
"""

from .bmc import MockBMC
from .fleet import Fleet, FleetSpec, GroupSpec, IdentityOverride, run_fleet_in_thread
from .net import NonLoopbackBindError
from .profiles import Profile, ProfileError, list_profiles, load_profile

__all__ = [
    "Fleet",
    "FleetSpec",
    "GroupSpec",
    "IdentityOverride",
    "MockBMC",
    "NonLoopbackBindError",
    "Profile",
    "ProfileError",
    "list_profiles",
    "load_profile",
    "run_fleet_in_thread",
]
