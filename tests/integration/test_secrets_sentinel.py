"""A sentinel password driven through every output path: the database, every report format, log
lines at the highest verbosity, stdout/stderr, the process arguments, and the crash paths
(collector crash, deadline cancellation).  It must appear nowhere."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store

mock_fleet = pytest.importorskip("mock_bmc.fleet")

SENTINEL = "S3ntinel-Secret-9b1f0c"


@pytest.fixture(scope="module")
def fleet_inv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sentinel")
    spec = mock_fleet.FleetSpec(groups=(
        mock_fleet.GroupSpec("hardened", 1, name_prefix="s"),
        mock_fleet.GroupSpec("factory-default", 1, name_prefix="s"),
        mock_fleet.GroupSpec("fault-garbage", 1, name_prefix="s"),
    ), auditor_password=SENTINEL)
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        # also an env: reference, the other way secrets reach the auditor
        env_inv = tmp / "env-inv.yaml"
        import yaml

        doc = yaml.safe_load(inv.read_text())
        doc["defaults"]["credentials"]["password"] = "env:SENTINEL_PW"
        env_inv.write_text(yaml.safe_dump(doc))
        yield tmp, inv, env_inv


def all_bytes(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in root.rglob("*") if p.is_file() and not p.name.endswith(".secret")]


def test_sentinel_never_leaves_memory_in_a_verbose_cli_sweep(fleet_inv, tmp_path):
    _, _, env_inv = fleet_inv
    db = tmp_path / "db.sqlite"
    env = {**os.environ, "SENTINEL_PW": SENTINEL}
    proc = subprocess.Popen([sys.executable, "-m", "oobaudit", "-vv", "sweep", "-i", str(env_inv), "--db",
                             f"sqlite:///{db}", "--out", str(tmp_path / "rep"), "--format",
                             "html,md,json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(0.5)
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes() if Path(f"/proc/{proc.pid}").exists() else b""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode in (1, 3), err.decode()[-2000:]
    assert SENTINEL.encode() not in cmdline
    assert SENTINEL.encode() not in out and SENTINEL.encode() not in err
    assert b"DEBUG" in err or b"INFO" in err or err == b""  # verbose logging was on
    files = all_bytes(tmp_path)
    assert any(p.name == "report.html" for p, _ in files) and any(p.name == "db.sqlite" for p, _ in files)
    for path, blob in files:
        assert SENTINEL.encode() not in blob, path


def test_sentinel_absent_on_crash_and_deadline_paths(fleet_inv, tmp_path, monkeypatch, caplog):
    _, inv, _ = fleet_inv
    import oobaudit.collectors.redfish as rf

    async def crash(self, root, plan):  # a collector bug after the auditor logged in
        raise RuntimeError("collector bug")

    monkeypatch.setattr(rf._Crawl, "run", crash)
    caplog.set_level(logging.DEBUG)
    store = Store(f"sqlite:///{tmp_path / 'crash.db'}")
    result = asyncio.run(Sweep(store, load_inventory(inv), SweepOptions(target_deadline=3, request_timeout=1)).run())
    assert result.status == "complete"
    assert any(t.error and "internal collector error" in t.error for t in result.targets)
    assert "collector bug" in caplog.text  # the traceback was logged...
    assert SENTINEL not in caplog.text  # ...without the secret
    for path, blob in all_bytes(tmp_path):
        assert SENTINEL.encode() not in blob, path
    for t in result.targets:
        for f in t.findings:
            assert SENTINEL not in f.model_dump_json()


def test_typer_never_prints_frame_locals():
    from oobaudit.cli import app

    assert app.pretty_exceptions_show_locals is False
