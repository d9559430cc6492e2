"""How much more CPU the same work costs on this machine when it runs between idle gaps.

A sweep's CPU per BMC depends on how busy the auditor is kept: at low concurrency the event
loop sleeps between replies, and on a VM each wake-up starts with cold caches (and a halted
vCPU), so every unit of work costs more CPU time.  This script measures that effect alone: a
fixed chunk of sweep-like work (JSON, hashing), run back to back and then with a sleep of
0.5, 2 and 10 ms after each chunk.  Pure measurement of the machine; no oobaudit code runs.

Usage:  python bench/idle_cost.py [--chunks 2000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

DOC = {"@odata.id": "/redfish/v1/Managers/bmc", "Members": [{"Id": i, "Name": "x" * 20} for i in range(30)]}


def chunk() -> None:
    for _ in range(20):
        body = json.dumps(DOC).encode()
        hashlib.sha256(body).hexdigest()
        json.loads(body)


def cpu_per_chunk(chunks: int, gap_s: float) -> float:
    """Microseconds of process CPU per chunk, with ``gap_s`` of sleep after each."""
    t0 = time.process_time()
    for _ in range(chunks):
        chunk()
        if gap_s:
            time.sleep(gap_s)
    return 1e6 * (time.process_time() - t0) / chunks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=2000)
    args = ap.parse_args()
    base = None
    for gap_ms in (0.0, 0.5, 2.0, 10.0):
        us = cpu_per_chunk(args.chunks, gap_ms / 1000)
        base = base or us
        print(f"gap {gap_ms:4.1f} ms: {us:7.1f} us CPU per chunk ({us / base:.2f}x back to back)")


if __name__ == "__main__":
    main()
