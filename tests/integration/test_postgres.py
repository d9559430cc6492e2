"""PostgreSQL: the same sweep into a real server, and three collectors (shards) writing one
campaign in parallel: one report, every target once, nothing lost, nothing doubled."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from oobaudit.inventory import load_inventory, shard
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")


@pytest.fixture(scope="module")
def fleet_inventory(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pgfleet")
    spec = mock_fleet.FleetSpec(groups=(
        mock_fleet.GroupSpec("hardened", 6, site="s", rack="r1", name_prefix="p"),
        mock_fleet.GroupSpec("factory-default", 3, site="s", rack="r2", name_prefix="p"),
    ))
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        yield inv


def test_shards_partition_the_inventory_exactly(fleet_inventory):
    targets = load_inventory(fleet_inventory).targets
    parts = [shard(targets, i, 3) for i in (1, 2, 3)]
    names = [t.name for p in parts for t in p]
    assert sorted(names) == sorted(t.name for t in targets) and len(names) == len(set(names))


def test_sweep_into_postgres_and_report(postgres, fleet_inventory, tmp_path):
    url = postgres.new_database("single")
    p = subprocess.run([sys.executable, "-m", "oobaudit", "sweep", "-i", str(fleet_inventory), "--db", url,
                        "--quiet", "--out", str(tmp_path / "rep")], capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr[-2000:]  # factory-default BMCs FAIL
    store = Store(url)
    [sweep] = store.sweeps()
    assert sweep.status == "complete" and len(store.targets(sweep.id)) == 9
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert len(data["targets"]) == 9


def test_three_collectors_in_parallel_make_one_campaign(postgres, fleet_inventory, tmp_path):
    url = postgres.new_database("campaign")
    procs = [subprocess.Popen([sys.executable, "-m", "oobaudit", "sweep", "-i", str(fleet_inventory), "--db", url,
                               "--quiet", "--shard", f"{i}/3", "--campaign", "week47", "--collector", f"seg{i}",
                               "--out", str(tmp_path / f"rep{i}")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in (1, 2, 3)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode in (0, 1), err[-2000:]
    store = Store(url)
    assert len(store.campaign_sweeps("week47")) == 3
    rep = subprocess.run([sys.executable, "-m", "oobaudit", "report", "campaign:week47", "--format", "json", "--db",
                          url], capture_output=True, text=True, timeout=120)
    assert rep.returncode == 0, rep.stderr
    data = json.loads(rep.stdout)
    names = [t["name"] for t in data["targets"]]
    expected = sorted(t.name for t in load_inventory(fleet_inventory).targets)
    assert sorted(names) == expected and len(names) == len(set(names))
    assert data["sweep"]["status"] == "complete"
    # every target has its findings exactly once per (check, subject)
    keys = [(f["check_id"], f["target"], f["subject"]) for f in data["findings"]]
    assert len(keys) == len(set(keys)) and {k[1] for k in keys} >= set(expected)


def test_existing_sqlite_database_upgrades_in_place(tmp_path):
    """A database from before campaigns (revision 0001) gains the new columns without losing rows."""
    import sqlite3

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    db = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{db}")
    cfg = Config()
    cfg.set_main_option("script_location", "oobaudit/store/migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("INSERT INTO sweeps (id, started_at, status, inventory_path, inventory_sha256, "
                             "tool_version, options) VALUES ('old-1', '2026-01-01', 'complete', 'x', '', '0', '{}')")
    engine.dispose()
    store = Store(f"sqlite:///{db}")
    assert [s.id for s in store.sweeps()] == ["old-1"] and store.sweeps()[0].campaign is None
    with sqlite3.connect(db) as c:
        assert c.execute("select version_num from alembic_version").fetchone()[0] == "0002"
