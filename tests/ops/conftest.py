"""Fleets for the operations tests (drift, handover, waivers, report formats, browser).

Two session fixtures, each starting its mock fleet(s) once:

* ``drift_env``: a fleet swept, then a second fleet *on the same ports* with four planted
  changes, swept again under the same inventory path: a firmware downgrade
  (d-hgx-h100-001: HGX_FW_BMC_0 rc77 -> rc70), a new vendor-default account
  (d-hardened-001: root / 0penBmc), a swapped board (d-hardened-002: new UUIDs and serial)
  and a removed host (d-factory-default-000 dropped from the inventory).  Same ports
  matter: NetworkProtocol reports the real HTTPS port, so ephemeral ports would be drift.
* ``rack_env``: a running fleet for handover: two clean hosts and one with a stale GPU VBIOS.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from oobaudit.baseline.signing import TrustedKeys, verify_and_load
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

fleet_mod = pytest.importorskip("mock_bmc.fleet")
from mock_bmc.profiles import load_profile  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO_KEYS = ROOT / "oobaudit" / "data" / "trusted-keys-demo"
BASELINE_FILES = (ROOT / "baselines" / "hgx-h100.yaml", ROOT / "baselines" / "generic-bmc.yaml")
PASSWORD = "Ops-Test-Auditor-Pa55-9d1e"
SWAPPED = fleet_mod.IdentityOverride(uuid="0badc0de-0000-4000-8000-000000000001",
                                     system_uuid="0badc0de-0000-4000-8000-000000000002", serial="SWAPPED00042")
OLD_HMC = "HGX-22.10-1-rc70"


def baselines() -> tuple[Any, ...]:
    keys = TrustedKeys.from_dirs([DEMO_KEYS])
    return tuple(verify_and_load(p, keys, expired="warn") for p in BASELINE_FILES)


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """A base port P with P..P+count-1 free for TCP and UDP (the fleet's fixed layout)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(21000, 31000 - count, 4)
        socks: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    s = socket.socket(socket.AF_INET, kind)
                    socks.append(s)
                    s.bind((host, port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of loopback ports")


def sweep(store: Store, inventory: Path, vbs: tuple[Any, ...]) -> Any:
    opts = SweepOptions(concurrency=8, target_deadline=30, request_timeout=5, baselines=vbs)
    return asyncio.run(Sweep(store, load_inventory(inventory), opts).run())


def drop_inband(path: Path) -> None:
    doc = yaml.safe_load(path.read_text())
    for site in doc["sites"]:
        for rack in site["racks"]:
            for host in rack["hosts"]:
                host.pop("host", None)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def drop_hosts(inventory: Path, names: set[str]) -> None:
    doc = yaml.safe_load(inventory.read_text())
    for site in doc["sites"]:
        for rack in site["racks"]:
            rack["hosts"] = [h for h in rack["hosts"] if h["name"] not in names]
        site["racks"] = [r for r in site["racks"] if r["hosts"]]
    inventory.write_text(yaml.safe_dump(doc, sort_keys=False))


def run_handover(app, inventory: Path, out: Path, *extra: str):
    """``oobaudit handover`` of ``inventory`` against the demo baselines, reports to ``out``."""
    args = ["handover", "--inventory", str(inventory), "--db", f"sqlite:///{out.parent / 'handover.db'}",
            "--out", str(out), "--trusted-keys", str(DEMO_KEYS), "--quiet", "--deadline", "30", "--timeout", "5"]
    for b in BASELINE_FILES:
        args += ["--baseline", str(b)]
    res = CliRunner().invoke(app, [*args, *extra])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res


@dataclass
class DriftEnv:
    store: Store
    db_url: str
    inventory: Path
    old: Any
    new: Any
    tmp: Path


@pytest.fixture(scope="session")
def drift_env(tmp_path_factory) -> DriftEnv:
    tmp = tmp_path_factory.mktemp("drift")
    db_url = f"sqlite:///{tmp / 'drift.db'}"
    store = Store(db_url)
    vbs = baselines()
    inv = tmp / "rack.yaml"
    base = free_port_block(6 * 4)
    G = fleet_mod.GroupSpec
    spec1 = fleet_mod.FleetSpec(groups=(
        G("hardened", 3, site="s1", rack="r1", name_prefix="d"),
        G("hgx-h100", 2, site="s1", rack="r2", name_prefix="d"),
        G("factory-default", 1, site="s1", rack="r3", name_prefix="d"),
    ), base_port=base, auditor_password=PASSWORD, seed="ops-drift")
    with fleet_mod.run_fleet_in_thread(spec1) as fleet:
        fleet.write_inventory(inv)
        old = sweep(store, inv, vbs)

    hardened, hgx = load_profile("hardened"), load_profile("hgx-h100")
    # Same profile names, so BMC names, ports, identities and TLS keys stay as they were.
    with_root = hardened.derive(None, accounts={"root": {"UserName": "root", "password": "0penBmc",
                                                         "RoleId": "Administrator"}})
    downgraded = hgx.derive(None, firmware_inventory={"HGX_FW_BMC_0": {"Version": OLD_HMC}})
    spec2 = fleet_mod.FleetSpec(groups=(
        G(hardened, 1, site="s1", rack="r1", name_prefix="d"),
        G(with_root, 1, site="s1", rack="r1", name_prefix="d"),
        G(hardened, 1, site="s1", rack="r1", name_prefix="d"),
        G(hgx, 1, site="s1", rack="r2", name_prefix="d"),
        G(downgraded, 1, site="s1", rack="r2", name_prefix="d"),
        G("factory-default", 1, site="s1", rack="r3", name_prefix="d"),
    ), base_port=base, auditor_password=PASSWORD, seed="ops-drift",
        identity_overrides={"d-hardened-002": SWAPPED})
    with fleet_mod.run_fleet_in_thread(spec2) as fleet:
        fleet.write_inventory(inv)
        drop_hosts(inv, {"d-factory-default-000"})
        new = sweep(store, inv, vbs)
    return DriftEnv(store, db_url, inv, old, new, tmp)


@dataclass
class RackEnv:
    fleet: Any
    clean: Path
    stale: Path
    tmp: Path

    def rest(self) -> None:
        """Wait out the lockout counter between sweeps (AccountLockoutCounterResetAfter, 300 s on these
        profiles) without waiting: each sweep spends up to 3 default-password attempts per account, so
        two sweeps inside the reset window would reach the threshold of 5."""
        for bmc in self.fleet.bmcs:
            for account in bmc.accounts.values():
                account.unlock()


@pytest.fixture(scope="session")
def rack_env(tmp_path_factory) -> Iterator[RackEnv]:
    tmp = tmp_path_factory.mktemp("rack")
    G = fleet_mod.GroupSpec
    spec = fleet_mod.FleetSpec(groups=(
        G("hgx-h100", 1, site="dc1", rack="rack-7", name_prefix="r"),
        G("hardened", 1, site="dc1", rack="rack-7", name_prefix="r"),
        G("hgx-h100-stale-vbios", 1, site="dc1", rack="rack-7", name_prefix="r"),
    ), base_port=0, auditor_password=PASSWORD, seed="ops-rack")
    with fleet_mod.run_fleet_in_thread(spec) as fleet:
        stale = tmp / "rack-7.yaml"
        fleet.write_inventory(stale)
        clean = tmp / "rack-7-clean.yaml"
        fleet.write_inventory(clean)
        drop_hosts(clean, {"r-hgx-h100-stale-vbios-000"})
        # These tests are about handover and waiver semantics on the BMC side: leave the in-band
        # (nvidia-smi) view out, so one outdated GPU is one finding (tests/host covers the host side).
        for inv in (stale, clean):
            drop_inband(inv)
        yield RackEnv(fleet, clean, stale, tmp)


@pytest.fixture(scope="session")
def ops_app() -> typer.Typer:
    """A typer app with only the operations commands (cli.py wires the same register())."""
    from oobaudit.ops_cli import register

    app = typer.Typer()
    register(app)
    return app


@dataclass
class WaivedSweep:
    store: Store
    result: Any  # the engine SweepResult after waivers
    reports: dict[str, Path]
    out: Path


@pytest.fixture(scope="session")
def waived_sweep(rack_env) -> WaivedSweep:
    """A sweep of the stale rack as ``oobaudit sweep --waivers`` runs it: a live waiver mutes the
    stale VBIOS, an expired one is reported; every report format written."""
    from datetime import date, timedelta

    from oobaudit.ops_cli import waive_sweep
    from oobaudit.report import FORMATS, build_model, write_reports
    from oobaudit.waivers import load_waivers

    tmp = rack_env.tmp / "waived-sweep"
    tmp.mkdir()
    wf = tmp / "waivers.yaml"
    wf.write_text(f"""- check: OOB-FW-003
  target: r-hgx-h100-stale-vbios-000
  subject: HGX_FW_GPU_SXM_3
  owner: "=HYPERLINK(\\"http://evil\\")"
  reason: "fixed VBIOS | due; next week"
  expires: {(date.today() + timedelta(days=7)).isoformat()}
- check: OOB-ACCT-*
  target: "*"
  owner: iam-team
  reason: shared admin account until the directory integration is live
  expires: 2020-01-01
""")
    store = Store(f"sqlite:///{tmp / 'sweep.db'}")
    rack_env.rest()
    result = waive_sweep(store, sweep(store, rack_env.stale, baselines()), load_waivers(wf))
    reports = write_reports(build_model(store, result.sweep_id), tmp / "reports", FORMATS)
    return WaivedSweep(store, result, reports, tmp)
