"""Benchmark: sweep a mock fleet and print the figures that matter to an operator.

The mock fleet runs in its own process (``python -m mock_bmc``), so the auditor's CPU
time and peak RSS measured here are the auditor's alone.  Printed, and appended as one
JSON line to ``--results`` (default bench/results.jsonl):

- wall time of the sweep;
- the latency bound: dependent request depth x latency x ceil(N / concurrency), i.e. the
  best any crawler with that concurrency could do against that latency;
- the auditor's CPU time (user + sys) and CPU per BMC;
- requests per second (Redfish requests the collectors made, from the stored facts);
- the auditor's peak RSS;
- a calibration: the CPU time of a fixed workload just before the sweep (the machine's speed
  drifts; compare figures taken at similar calibrations);
- the TCP sockets still in TIME-WAIT when the sweep started: a run starts only once the previous
  run's (about ten per BMC) have expired or ``--settle-s`` has passed, because connect() on a
  loopback crowded with them costs the next run's auditor measurably more CPU.

- with ``--compare N``: DMTF's synchronous client (bench/sequential.py) crawls the same
  resources on N BMCs of the same fleet, one after another; its time is extrapolated to the
  whole fleet and the speed-up at equal (Redfish) coverage is reported.

Usage:  python bench/sweep.py --bmcs 200 --latency-ms 50 [--jitter-ms 10] [--concurrency 100]
                              [--protocols redfish,tls,ipmi] [--compare 10] [--profile ipmi-strict]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from oobaudit import aioloop
from oobaudit import facts as F
from oobaudit.checks import REGISTRY
from oobaudit.collectors.redfish import Step, plan_for
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import load_inventory
from oobaudit.store import Store


def plan_depth(steps: tuple[Step, ...], expand: bool, inline: int = 0) -> int:
    """Longest chain of dependent GETs in the crawl plan.  ``inline``: how many levels of links
    below this point arrived inside an expanded read already (a deep step is read with
    ``$levels=2``, any other with ``$levels=1`` when ``expand``); a collection's members cost one
    more hop unless they came inline."""
    def depth(s: Step) -> int:
        if inline >= 1:
            hop, left = 0, inline - 1
        else:
            hop, left = 1, ((2 if s.deep else 1) if expand else 0)
        if s.collection:
            if left >= 1:
                left -= 1
            else:
                hop += 1
        return hop + plan_depth(s.children, expand, left)

    return max((depth(s) for s in steps), default=0)


def request_depth(check_ids: list[str], expand: bool = True) -> int:
    """Dependent round trips per BMC: service root, unauthenticated probe, session login (its read
    of the root is answered from the first), the crawl's longest chain for the chosen checks, one
    credential attempt, logout.  Credential attempts on more accounts add more."""
    needs = frozenset(n for cid in check_ids for n in REGISTRY[cid].meta.needs)
    return 2 + 1 + plan_depth(plan_for(needs), expand) + 1 + 1


def calibrate() -> float:
    """CPU milliseconds of a fixed single-threaded workload like a sweep's (JSON, hashing, dicts),
    the median of three.  This shared VM's speed drifts by about 15 % within minutes; a figure is
    comparable only with another taken at a similar calibration."""
    import hashlib
    import statistics

    doc = {"@odata.id": "/redfish/v1/Managers/bmc", "Id": "bmc", "Status": {"State": "Enabled"},
           "Links": {"ManagerForServers": [{"@odata.id": f"/redfish/v1/Systems/{i}"} for i in range(8)]},
           "Oem": {"Vendor": {f"Key{i}": "x" * 40 for i in range(20)}}}
    runs = []
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(3000):
            body = json.dumps(doc).encode()
            hashlib.sha256(body).hexdigest()
            parsed = json.loads(body)
            {k: v for k, v in parsed.items() if k != "Oem"}
        runs.append(1000 * (time.process_time() - t0))
    return round(statistics.median(runs), 1)


def time_wait_sockets() -> int | None:
    """TCP sockets in TIME-WAIT on this machine (Linux ``/proc/net/tcp*``); None where unreadable."""
    count, readable = 0, False
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path, encoding="ascii") as fh:
                next(fh, None)
                count += sum(1 for line in fh if line.split()[3:4] == ["06"])
                readable = True
        except OSError:
            continue
    return count if readable else None


def settle(max_wait: float, below: int = 1000) -> tuple[int | None, float]:
    """Wait (at most ``max_wait`` s) until fewer than ``below`` sockets are in TIME-WAIT.

    Back-to-back runs otherwise start with the previous run's ~10,000 loopback connections still
    in TIME-WAIT (60 s on Linux), and measured 1-2 ms more CPU per BMC than runs started after
    a pause.  Returns (the count when the sweep starts, seconds waited)."""
    t0 = time.monotonic()
    count = time_wait_sockets()
    while count is not None and count >= below and time.monotonic() - t0 < max_wait:
        time.sleep(1.0)
        count = time_wait_sockets()
    return count, round(time.monotonic() - t0, 1)


def start_fleet(args: argparse.Namespace, tmp: Path) -> tuple[list[subprocess.Popen], Path]:
    """Start the mock fleet in ``ceil(N / per_process)`` processes (one process cannot hold 10,000
    BMCs' sockets under a 20,000 file-descriptor limit) and merge their inventories into one."""
    env = {**os.environ, "BENCH_AUDITOR_PASSWORD": "bench-" + os.urandom(8).hex()}
    chunks = [min(args.per_process, args.bmcs - i) for i in range(0, args.bmcs, args.per_process)]
    procs, invs = [], []
    for i, count in enumerate(chunks):
        inv = tmp / f"part-{i}.yaml"
        cmd = [sys.executable, "-m", "mock_bmc", "--profile", f"{args.profile}:{count}", "--base-port",
               str(args.base_port), "--latency-ms", str(args.latency_ms), "--jitter-ms", str(args.jitter_ms),
               "--emit-inventory", str(inv), "--rack", f"rack-{i}", "--seed", f"bench-{i}",
               # one loopback address per process: each has its own 64k ports
               "--host", f"127.0.{i // 200}.{i % 200 + 1}",
               "--auditor-password-env", "BENCH_AUDITOR_PASSWORD", "--key-scope", "fleet"]
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        invs.append(inv)
    deadline = time.monotonic() + 120 + args.bmcs * 0.05
    for proc, inv in zip(procs, invs, strict=True):
        while not (inv.exists() and inv.with_name(inv.name + ".secret").exists()):
            if proc.poll() is not None:
                for p in procs:
                    p.kill()
                raise SystemExit(f"mock fleet exited: {proc.stderr.read() if proc.stderr else ''}")
            if time.monotonic() > deadline:
                for p in procs:
                    p.kill()
                raise SystemExit("mock fleet did not start in time")
            time.sleep(0.2)
    time.sleep(0.5)
    merged = yaml.safe_load(invs[0].read_text())
    racks = merged["sites"][0]["racks"]
    for i, inv in enumerate(invs):
        doc = yaml.safe_load(inv.read_text()) if i else merged
        for rack in doc["sites"][0]["racks"]:
            for host in rack["hosts"]:
                host["name"] = f"p{i}-{host['name']}"  # names repeat across processes
            if i:
                racks.append(rack)
    out = tmp / "bench-inventory.yaml"
    out.write_text(yaml.safe_dump(merged, sort_keys=False))
    return procs, out


def count_requests(store: Store, sweep_id: str) -> int:
    """Redfish requests the collectors made, from the connectivity facts only (loading every
    fact of a 10,000-BMC sweep back into memory would dwarf the sweep itself)."""
    from sqlalchemy import select

    from oobaudit.store.models import FactRow

    with store.Session() as s:
        rows = s.scalars(select(FactRow.data).where(FactRow.sweep_id == sweep_id,
                                                    FactRow.kind == F.REDFISH_CONNECTIVITY,
                                                    FactRow.error.is_(None)))
        return sum(int((d or {}).get("requests", 0)) for d in rows)


#: Check families each --protocols name stands for.  Redfish is always crawled (every target's
#: identity and the services it reports come from it); the IPMI checks also read Redfish's
#: NetworkProtocol, the SSH check the Redfish lockout policy.
PROTOCOL_FAMILIES = {"tls": {"tls"}, "ipmi": {"ipmi"}, "ssh": {"ssh"}}


def checks_for(protocols: list[str]) -> list[str]:
    """Check ids whose collectors are the chosen protocols (redfish = the checks that need only
    Redfish, plain HTTP and credential facts)."""
    unknown = set(protocols) - {"redfish", *PROTOCOL_FAMILIES}
    if unknown:
        raise SystemExit(f"unknown protocol(s): {', '.join(sorted(unknown))} (redfish, tls, ipmi, ssh)")
    chosen = []
    for cid, chk in REGISTRY.items():
        fam, needs = chk.meta.family, chk.meta.needs
        by_family = any(fam in PROTOCOL_FAMILIES[p] for p in protocols if p != "redfish")
        redfish_only = bool(needs) and all(n.startswith(("redfish.", "http.", "cred.")) for n in needs)
        if by_family or ("redfish" in protocols and redfish_only):
            chosen.append(cid)
    return sorted(chosen)


def count_exchanges(store: Store, sweep_id: str) -> dict[str, int]:
    """TLS connections and IPMI datagrams the collectors made, from their facts' evidence."""
    from sqlalchemy import select

    from oobaudit.store.models import FactRow

    out = {"tls_connections": 0, "ipmi_datagrams": 0}
    with store.Session() as s:
        for kind, ev in s.execute(select(FactRow.kind, FactRow.evidence).where(
                FactRow.sweep_id == sweep_id, FactRow.kind.in_([F.TLS_CONNECTIVITY, F.IPMI_PRESENCE]))):
            key = "tls_connections" if kind == F.TLS_CONNECTIVITY else "ipmi_datagrams"
            out[key] += int((ev or {}).get("connections" if kind == F.TLS_CONNECTIVITY else "sent", 0) or 0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bmcs", type=int, default=100)
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--jitter-ms", type=int, default=0)
    ap.add_argument("--protocols", default="redfish,tls,ipmi", help="comma list of: redfish, tls, ipmi, ssh")
    ap.add_argument("--compare", type=int, default=0, metavar="N",
                    help="also crawl N BMCs with DMTF's sequential client and report the ratio")
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--profile", default="ipmi-strict",
                    help="mock profile of every BMC (ipmi-strict: hardened, with IPMI over LAN on and answering)")
    ap.add_argument("--per-process", type=int, default=2500, help="mock BMCs per mock process")
    ap.add_argument("--base-port", type=int, default=0, help="0: ephemeral ports (no clashes at 10,000 BMCs)")
    ap.add_argument("--no-credential-tests", action="store_true")
    ap.add_argument("--settle-s", type=float, default=75.0,
                    help="wait up to this long for an earlier run's TIME-WAIT sockets to expire (0: do not wait)")
    ap.add_argument("--results", default=str(Path(__file__).parent / "results.jsonl"))
    args = ap.parse_args()

    time_wait, settled = settle(args.settle_s)
    with tempfile.TemporaryDirectory(prefix="oobaudit-bench-") as tmpdir:
        tmp = Path(tmpdir)
        procs, inv_path = start_fleet(args, tmp)
        try:
            inventory = load_inventory(inv_path)
            store = Store(f"sqlite:///{tmp / 'bench.db'}")
            protocols = [p.strip() for p in args.protocols.split(",") if p.strip()]
            opts = SweepOptions(concurrency=args.concurrency, target_deadline=600, request_timeout=60,
                                credential_tests=not args.no_credential_tests, check_ids=checks_for(protocols))
            calibration = calibrate()
            ru0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            result = aioloop.run(Sweep(store, inventory, opts).run())
            wall = time.perf_counter() - t0
            ru1 = resource.getrusage(resource.RUSAGE_SELF)
            requests = count_requests(store, result.sweep_id)
            exchanges = count_exchanges(store, result.sweep_id)
            sequential = None
            if args.compare:
                from sequential import run as run_sequential

                sequential = run_sequential(str(inv_path), args.compare)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    depth = request_depth(opts.check_ids or [])
    bound = depth * args.latency_ms / 1000 * math.ceil(args.bmcs / args.concurrency)
    audited = sum(1 for t in result.targets if t.status == "audited")
    row = {
        "bench": "sweep", "bmcs": args.bmcs, "latency_ms": args.latency_ms, "concurrency": args.concurrency,
        "profile": args.profile, "audited": audited, "wall_s": round(wall, 3), "request_depth": depth,
        "latency_bound_s": round(bound, 3), "cpu_s": round(cpu, 3), "cpu_ms_per_bmc": round(1000 * cpu / args.bmcs, 2),
        "requests": requests, "requests_per_s": round(requests / wall, 1) if wall else None, **exchanges,
        "peak_rss_mb": round(ru1.ru_maxrss / 1024, 1), "calibration_ms": calibration,
        "time_wait_at_start": time_wait, "settled_s": settled,
        "python": sys.version.split()[0],
        "event_loop": aioloop.loop_name(),
        "protocols": args.protocols, "jitter_ms": args.jitter_ms,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if sequential:
        projected = sequential["s_per_bmc"] * args.bmcs
        row["sequential"] = {**sequential, "projected_wall_s": round(projected, 1)}
        row["speedup_vs_sequential"] = round(projected / wall, 1) if wall else None
        if "tls" in args.protocols:
            row["speedup_note"] = "oobaudit did TLS too: run with --protocols redfish for equal coverage"
    for k, v in row.items():
        print(f"{k:>16}: {v}")
    with open(args.results, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
