"""The benchmark runs as the README documents it and reports what it promises (on a tiny fleet:
the figures themselves are measured by hand, never asserted in a test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_reports_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    p = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sweep.py"), "--bmcs", "4", "--latency-ms", "0", "--concurrency", "4",
         "--protocols", "redfish,tls,ipmi", "--compare", "1", "--results", str(results),
         "--settle-s", "0"],  # the test suite's own connections are in TIME-WAIT: do not wait for them
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert p.returncode == 0, p.stderr[-3000:]
    row = json.loads(results.read_text().splitlines()[-1])
    assert row["audited"] == 4
    # service root, unauthenticated probe, login, crawl (2 hops with $expand), credential attempt, logout
    assert row["request_depth"] == 7
    assert row["requests"] >= 4 * 8 and row["tls_connections"] >= 4 * 8 and row["ipmi_datagrams"] >= 4 * 20
    assert row["cpu_ms_per_bmc"] > 0 and row["peak_rss_mb"] > 0 and row["calibration_ms"] > 0
    assert row["sequential"]["bmcs"] == 1 and row["speedup_vs_sequential"] > 0
    assert isinstance(row["time_wait_at_start"], int) and row["settled_s"] == 0
    for key in ("wall_s", "latency_bound_s", "cpu_s", "requests_per_s"):
        assert key in row and f"{key:>16}:" in p.stdout


def test_time_wait_sockets_are_counted_and_waited_for() -> None:
    """A connection closed by this side stays in TIME-WAIT; the counter sees it, and settle()
    gives up after its bound rather than hang a run."""
    import socket

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import sweep as bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    before = bench.time_wait_sockets()
    if before is None:
        import pytest

        pytest.skip("no /proc/net/tcp on this system")
    with socket.create_server(("127.0.0.1", 0)) as srv:
        for _ in range(3):
            cli = socket.create_connection(srv.getsockname())
            conn, _ = srv.accept()
            cli.close()  # the active closer keeps TIME-WAIT once the peer's FIN arrives
            conn.close()
    after = bench.time_wait_sockets()
    assert after is not None and after >= 3
    count, waited = bench.settle(0.5, below=0)
    assert count is not None and count >= 3 and 0.5 <= waited < 5


def test_idle_cost_prints_one_figure_per_gap() -> None:
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "idle_cost.py"), "--chunks", "20"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("gap")]
    assert [ln.split()[1] for ln in lines] == ["0.0", "0.5", "2.0", "10.0"]
    assert lines[0].endswith("(1.00x back to back)") and all("us CPU per chunk" in ln for ln in lines)
