"""``oobaudit demo``: a mixed mock fleet on loopback, swept end to end.

Two racks, several profiles (hardened, factory-default, HGX H100 with current and with
stale GPU firmware), the example baselines verified against the *demo* key (said
loudly), the real collectors over real HTTPS, the reports written to disk.  It is
what a new user runs first, so it must work on a fresh machine with nothing else.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rich.console import Console

from . import aioloop
from .baseline.signing import TrustedKeys, verify_and_load
from .engine import Sweep, SweepOptions
from .inventory import load_inventory
from .report import build_model, write_reports
from .store import Store

DEMO_KEYS = Path(__file__).parent / "data" / "trusted-keys-demo"
BASELINES = Path(__file__).resolve().parent.parent / "baselines"


def demo_fleet_spec():
    from mock_bmc.fleet import FleetSpec, GroupSpec

    return FleetSpec(groups=(
        GroupSpec("hardened", 2, site="demo-lab", rack="rack-a", name_prefix="a"),
        GroupSpec("factory-default", 1, site="demo-lab", rack="rack-a", name_prefix="a"),
        GroupSpec("hgx-h100", 1, site="demo-lab", rack="rack-b", name_prefix="b"),
        GroupSpec("hgx-h100-stale-vbios", 1, site="demo-lab", rack="rack-b", name_prefix="b"),
        GroupSpec("factory-default", 1, site="demo-lab", rack="rack-b", name_prefix="b"),
    ), host="127.0.0.1", base_port=0)


def demo_baselines(console: Console):
    """The shipped example baselines, verified with the DEMO key (never trust it elsewhere)."""
    if not BASELINES.is_dir():
        console.print("[yellow]baselines/ not found next to the package: sweeping without a baseline[/]")
        return ()
    keys = TrustedKeys.from_dirs([DEMO_KEYS])
    out = []
    for name in ("hgx-h100.yaml", "generic-bmc.yaml"):
        vb = verify_and_load(BASELINES / name, keys, expired="warn")
        out.append(vb)
    console.print(f"[yellow]demo: baselines {', '.join(v.name for v in out)} verified with the public DEMO key "
                  f"{out[0].key_id} — a demo signature proves nothing; use your own key in production[/]")
    return tuple(out)


def run_demo(*, out_dir: Path | None, db: str | None, console: Console) -> str:
    from mock_bmc.fleet import run_fleet_in_thread

    from .cli import summary_table

    store = Store(db)
    baselines = demo_baselines(console)
    with tempfile.TemporaryDirectory(prefix="oobaudit-demo-") as tmp, \
            run_fleet_in_thread(demo_fleet_spec()) as fleet:
        inv_path = Path(tmp) / "demo-inventory.yaml"
        fleet.write_inventory(inv_path)
        os.chmod(tmp, 0o700)
        inventory = load_inventory(inv_path)
        console.print(f"demo: {len(inventory)} mock BMCs on 127.0.0.1 (profiles: hardened, factory-default, "
                      "hgx-h100, hgx-h100-stale-vbios)")
        opts = SweepOptions(concurrency=8, target_deadline=60, request_timeout=10, baselines=baselines)
        result = aioloop.run(Sweep(store, inventory, opts).run())
    reports = write_reports(build_model(store, result.sweep_id), out_dir or Path("reports") / result.sweep_id)
    console.print(summary_table(result, title=f"oobaudit demo — sweep {result.sweep_id}"))
    console.print(f"database: {store.url}")
    console.print(f"reports:  {reports['html']}  (also {reports['md'].name}, {reports['json'].name})")
    return result.sweep_id
