"""Interrupted sweeps: SIGINT marks the sweep interrupted and keeps finished targets; kill -9
leaves a consistent database; --resume finishes without re-auditing finished targets."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

mock_fleet = pytest.importorskip("mock_bmc.fleet")

N = 8


@pytest.fixture(scope="module")
def slow_fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow")
    spec = mock_fleet.FleetSpec.single("hardened", N, latency_ms=250, name_prefix="s")
    with mock_fleet.run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        yield fleet, inv


def start_sweep(inv, db, tmp):
    return subprocess.Popen(
        [sys.executable, "-m", "oobaudit", "sweep", "-i", str(inv), "--db", f"sqlite:///{db}", "--out",
         str(tmp / "rep"), "--concurrency", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_done_targets(db, n, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if db.exists():
            try:
                with sqlite3.connect(db) as c:
                    done = c.execute("select count(*) from targets where status != 'pending'").fetchone()[0]
                if done >= n:
                    return done
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    raise TimeoutError("no target finished in time")


def db_state(db):
    with sqlite3.connect(db) as c:
        assert c.execute("pragma integrity_check").fetchone()[0] == "ok"
        sweep = c.execute("select id, status from sweeps").fetchall()
        targets = dict(c.execute("select name, status from targets").fetchall())
        with_facts = {r[0] for r in c.execute(
            "select distinct t.name from facts f join targets t on t.id = f.target_id")}
    return sweep, targets, with_facts


def resume(inv, db, sweep_id):
    return subprocess.run([sys.executable, "-m", "oobaudit", "sweep", "-i", str(inv), "--db", f"sqlite:///{db}",
                           "--resume", sweep_id[:12], "--quiet", "--concurrency", "4", "--out", str(db.parent / "r2")],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "kill-9"])
def test_interrupt_keeps_finished_targets_and_resume_finishes_the_rest(slow_fleet, tmp_path, sig):
    fleet, inv = slow_fleet
    db = tmp_path / "db.sqlite"
    proc = start_sweep(inv, db, tmp_path)
    try:
        wait_for_done_targets(db, 2)
        os.kill(proc.pid, sig)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    [(sweep_id, status)], targets, with_facts = db_state(db)
    done = {n for n, s in targets.items() if s != "pending"}
    pending = set(targets) - done
    assert pending, "the sweep finished before it could be interrupted; slow the fleet down"
    # only finished targets have rows: nothing half-written
    assert with_facts == done
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and status == "interrupted"
    else:
        assert status == "running"  # killed: never marked, but consistent and resumable
    served = {b.name: b.requests_served for b in fleet.bmcs}
    p = resume(inv, db, sweep_id)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    [(_, status2)], targets2, _ = db_state(db)
    assert status2 == "complete" and all(s == "audited" for s in targets2.values())
    for b in fleet.bmcs:
        if b.name in done:
            assert b.requests_served == served[b.name], f"{b.name} was audited again"
        else:
            assert b.requests_served > served[b.name]


def test_resume_of_a_complete_sweep_is_refused(slow_fleet, tmp_path):
    _, inv = slow_fleet
    db = tmp_path / "db.sqlite"
    p = subprocess.run([sys.executable, "-m", "oobaudit", "sweep", "-i", str(inv), "--db", f"sqlite:///{db}",
                        "--quiet", "--concurrency", "8", "--out", str(tmp_path / "r")],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode in (0, 1), p.stderr
    [(sweep_id, _)], _, _ = db_state(db)
    p2 = resume(inv, db, sweep_id)
    assert p2.returncode == 4 and "already complete" in p2.stderr
