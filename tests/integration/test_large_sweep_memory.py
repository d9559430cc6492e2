"""Large sweeps keep only FAIL/ERROR/MUTED findings in memory; the summary table, the one-line
summary and the exit code still tell the same story as the store."""

from __future__ import annotations

import asyncio
import json

import pytest

import oobaudit.engine as engine
from oobaudit.checks import Severity, Status
from oobaudit.cli import exit_code, one_line, summary_table
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")


def test_passing_findings_are_summarised_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "KEEP_ALL_FINDINGS_UP_TO", 0)
    spec = mock_fleet.FleetSpec(groups=(mock_fleet.GroupSpec("hardened", 1, name_prefix="m"),
                                        mock_fleet.GroupSpec("factory-default", 1, name_prefix="m")))
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp_path / "inv.yaml"
        fleet.write_inventory(inv)
        store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
        result = asyncio.run(engine.Sweep(store, load_inventory(inv), engine.SweepOptions()).run())
    assert not [f for f in result.findings if f.status in (Status.PASS, Status.NOT_APPLICABLE)]
    stored = store.findings(result.sweep_id)
    line = json.loads(one_line(result, None))
    assert line["pass"] == sum(1 for f in stored if f.status == "PASS")
    assert line["fail"] == sum(1 for f in stored if f.status == "FAIL")
    hardened = next(t for t in result.targets if t.name == "m-hardened-000")
    assert hardened.passing["OOB-CRED-001"] == "PASS"
    table = summary_table(result)
    assert table.row_count == 2 and "CRED-001" in [c.header for c in table.columns]
    assert exit_code(result, Severity.LOW) == 1  # factory-default FAILs
