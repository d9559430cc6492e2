"""Reach and discovery sweeps: probe, turn results into facts, judge, store.

``run_reach`` probes every inventory BMC from one vantage point and writes each
target (facts + OOB-NET-001/002 findings) as soon as its address is done.
``run_discover`` sweeps the management ranges with ASF presence pings (and
optionally TCP 443/623 SYNs) and stores one pseudo-target, ``discovery``, holding
the scope and every BMC-like responder, judged by the fleet check OOB-NET-003.

The caller opens the :class:`~oobaudit.collectors.reach.Prober` first: without
raw-socket permission it raises before any sweep row exists, so nothing partial
is ever stored.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..baseline import VerifiedBaseline
from ..checks import Finding, run_fleet_checks, run_target_checks, select_checks
from ..checks.net import SWEEP_KIND_CHECKS
from ..engine import SweepResult, TargetResult, baseline_info, policy_for
from ..facts import Fact, TargetFacts, utcnow
from ..inventory import Inventory, Target, VantagePoint
from ..store import Store
from .reach import (
    PROBE_ASF,
    PROBE_ECHO,
    PROBE_SNMP,
    PROBE_SYN,
    Prober,
    ProbeResult,
    ProbeSpec,
    port_facts,
    resolve_ipv4,
    source_address,
    vantage_fact,
)
from .reach_wire import (
    COLLECTOR,
    DEFAULT_TCP_PORTS,
    DISCOVERY_TCP_PORTS,
    IPMI_PORT,
    OPEN,
    REACH_PORT,
    REACH_RESPONDER,
    REACH_SCOPE,
    SNMP_PORT,
    range_addresses,
)

REACH_CHECKS = list(SWEEP_KIND_CHECKS["reach"])
DISCOVER_CHECKS = list(SWEEP_KIND_CHECKS["discover"])


def _inventory_sha(inv: Inventory) -> str:
    p = Path(inv.path)
    return hashlib.sha256(p.read_bytes() if p.is_file() else b"").hexdigest()


def _status(facts: list[Fact]) -> tuple[str, str | None]:
    errors = [f for f in facts if f.error]
    if not errors:
        return "audited", None
    first = f"{errors[0].subject or errors[0].kind}: {errors[0].error}"
    probes = [f for f in facts if f.kind == REACH_PORT]
    if probes and all(f.error for f in probes):
        return "error", first
    return "partial", f"{len(errors)} probe(s) could not run, first: {first}"


# --- reach ----------------------------------------------------------------------------------------

@dataclass
class TargetPlan:
    target: Target
    address: str | None
    error: str | None
    tcp: tuple[int, ...] = ()
    ipmi_port: int = IPMI_PORT
    roles: dict[tuple[str, int], str] = field(default_factory=dict)

    def wants(self, r: ProbeResult) -> bool:
        s = r.spec
        if s.proto == "tcp":
            return s.port in self.tcp
        if s.proto == "udp":
            return s.port in (self.ipmi_port, SNMP_PORT)
        return True


def plan_targets(inv: Inventory, tcp_ports: tuple[int, ...] | None) -> list[TargetPlan]:
    """Per target: the TCP ports (the list, plus its declared https / http / ssh ports) and its IPMI port."""
    base = tuple(tcp_ports or DEFAULT_TCP_PORTS)
    plans = []
    for t in inv.targets:
        addr, err = resolve_ipv4(t.address)
        declared = {role: t.ports[role] for role in ("https", "http", "ssh") if t.ports.get(role)}
        ipmi = t.ports.get("ipmi") or IPMI_PORT
        roles = {("tcp", p): role for role, p in declared.items()}
        roles[("udp", ipmi)] = "ipmi"
        roles.setdefault(("udp", SNMP_PORT), "snmp")
        plans.append(TargetPlan(t, addr, err, tuple(sorted({*base, *declared.values()})), ipmi, roles))
    return plans


def probes_by_address(plans: list[TargetPlan], snmp: bool = True, icmp: bool = True) -> dict[str, list[ProbeSpec]]:
    tcp: dict[str, set[int]] = {}
    asf: dict[str, set[int]] = {}
    for p in plans:
        if p.address is None:
            continue
        tcp.setdefault(p.address, set()).update(p.tcp)
        asf.setdefault(p.address, set()).add(p.ipmi_port)
    out: dict[str, list[ProbeSpec]] = {}
    for addr in tcp:
        specs = [ProbeSpec(addr, "tcp", port, PROBE_SYN) for port in sorted(tcp[addr])]
        specs += [ProbeSpec(addr, "udp", port, PROBE_ASF) for port in sorted(asf[addr])]
        if snmp and SNMP_PORT not in asf[addr]:
            specs.append(ProbeSpec(addr, "udp", SNMP_PORT, PROBE_SNMP))
        if icmp:
            specs.append(ProbeSpec(addr, "icmp", None, PROBE_ECHO))
        out[addr] = specs
    return out


@dataclass
class ReachRun:
    inventory: Inventory
    vantage: VantagePoint
    tcp_ports: tuple[int, ...] | None = None
    iface: str | None = None
    baselines: tuple[VerifiedBaseline, ...] = ()
    extra_options: dict[str, Any] = field(default_factory=dict)


def run_reach(store: Store, prober: Prober, run: ReachRun) -> SweepResult:
    inv, v = run.inventory, run.vantage
    checks = select_checks(REACH_CHECKS)
    plans = plan_targets(inv, run.tcp_ports)
    options = {"kind": "reach", "vantage": v.name, "zone": v.zone, "bmc_reachable": v.bmc_reachable,
               "iface": run.iface, "tcp_ports": list(run.tcp_ports or DEFAULT_TCP_PORTS), **prober.opts.public(),
               **run.extra_options}
    sweep_id, target_ids = store.begin_sweep(inventory_path=inv.path, inventory_sha256=_inventory_sha(inv),
                                             targets=inv.targets, options=options, tool_version=__version__)
    evaluation_id = store.begin_evaluation(sweep_id, baseline_info(run.baselines))
    started = utcnow()
    results: list[TargetResult] = []
    by_addr: dict[str, list[TargetPlan]] = {}
    for p in plans:
        if p.address is not None:
            by_addr.setdefault(p.address, []).append(p)

    def write(plan: TargetPlan, probe_results: list[ProbeResult] | None) -> None:
        t = plan.target
        source = None
        if plan.address is not None:
            try:
                source = source_address(plan.address, run.iface)
            except OSError:
                source = None
        facts = [vantage_fact(vantage=v.name, zone=v.zone, bmc_reachable=v.bmc_reachable, address=t.address,
                              resolved=plan.address, source=source, iface=run.iface, opts=prober.opts)]
        if probe_results is None:
            facts.append(Fact(kind=REACH_PORT, subject="*", collector=COLLECTOR, error=plan.error or "not probed"))
        else:
            facts += port_facts([r for r in probe_results if plan.wants(r)], vantage=v.name, zone=v.zone,
                                bmc_reachable=v.bmc_reachable, roles=plan.roles)
        status, error = _status(facts)
        tf = TargetFacts(t.name, facts, meta={**t.inventory_meta(), "status": status})
        findings = run_target_checks(tf, policy_for(tf, run.baselines), checks)
        store.write_target(sweep_id, target_ids[t.name], evaluation_id, status=status, error=error,
                           started_at=started, facts=facts, findings=findings)
        results.append(TargetResult(t.name, status, error, findings))

    def host_done(address: str, probe_results: list[ProbeResult]) -> None:
        for plan in by_addr.get(address, []):
            write(plan, probe_results)

    status = "interrupted"
    try:
        for plan in plans:
            if plan.address is None:
                write(plan, None)
        prober.run(probes_by_address(plans), on_host_done=host_done)
        status = "complete"
    finally:
        store.finish_sweep(sweep_id, status)
    return SweepResult(sweep_id, status, results, [f for r in results for f in r.findings])


# --- discovery --------------------------------------------------------------------------------------

@dataclass
class DiscoverRun:
    inventory: Inventory
    ranges: list[ipaddress.IPv4Network]
    tcp: bool = False
    iface: str | None = None
    vantage: str | None = None
    extra_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _PseudoTarget:
    """The ``discovery`` row of a discover sweep (what Store.begin_sweep needs of a target)."""

    name: str
    address: str
    site: str = "-"
    rack: str = "-"
    platform: str = "discovery"
    credentials: None = None

    def inventory_meta(self) -> dict[str, Any]:
        return {"address": self.address, "ports": {}, "platform": self.platform, "site": self.site,
                "rack": self.rack, "tags": ["discovery"]}


DISCOVERY_TARGET = "discovery"


def is_local_address(address: str) -> bool:
    """True if this host owns ``address`` (the prober does not report itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, 0))
            return True
        except OSError:
            return False


def inventory_addresses(inv: Inventory) -> tuple[dict[str, str], list[str]]:
    known: dict[str, str] = {}
    unresolved: list[str] = []
    for t in inv.targets:
        addr, _err = resolve_ipv4(t.address)
        if addr is None:
            unresolved.append(t.address)
        else:
            known.setdefault(addr, t.name)
    return known, unresolved


def responder_fact(address: str, results: list[ProbeResult], vantage: str | None) -> Fact | None:
    """A ``reach.responder`` fact if the address answered like a BMC (ASF pong, open TCP), else None."""
    answers: list[str] = []
    asf = None
    tcp: dict[str, str] = {}
    for r in results:
        if r.spec.proto == "tcp" and r.reached_target:
            tcp[str(r.spec.port)] = r.state or "?"
        if r.state != OPEN or not r.reached_target:
            continue
        answers.append(f"{r.spec.subject}: {r.reply}")
        if "asf_pong" in r.details:
            asf = r.details["asf_pong"]
    if not answers:
        return None
    return Fact(kind=REACH_RESPONDER, subject=address, collector=COLLECTOR,
                data={"address": address, "answers": answers, "asf": asf, "tcp": tcp, "vantage": vantage},
                evidence={r.spec.subject: r.raw_hex for r in results if r.raw_hex})


def run_discover(store: Store, prober: Prober, run: DiscoverRun) -> SweepResult:
    inv = run.inventory
    checks = select_checks(DISCOVER_CHECKS)
    ranges_txt = [str(n) for n in run.ranges]
    addresses = range_addresses(run.ranges)
    local = [a for a in addresses if is_local_address(a)]
    local_set = set(local)
    todo = [a for a in addresses if a not in local_set]
    known, unresolved = inventory_addresses(inv)
    ports = DISCOVERY_TCP_PORTS if run.tcp else ()
    hosts = {a: [ProbeSpec(a, "udp", IPMI_PORT, PROBE_ASF),
                 *(ProbeSpec(a, "tcp", p, PROBE_SYN) for p in ports)] for a in todo}
    label = ", ".join(ranges_txt)
    target = _PseudoTarget(DISCOVERY_TARGET, label if len(label) <= 255 else label[:250] + " ...")
    options = {"kind": "discover", "ranges": ranges_txt, "tcp": run.tcp, "iface": run.iface,
               "vantage": run.vantage, **prober.opts.public(), **run.extra_options}
    sweep_id, target_ids = store.begin_sweep(inventory_path=inv.path, inventory_sha256=_inventory_sha(inv),
                                             targets=[target], options=options, tool_version=__version__)
    evaluation_id = store.begin_evaluation(sweep_id)
    started = utcnow()
    status = "interrupted"
    try:
        results = prober.run(hosts)
        facts: list[Fact] = []
        errors = 0
        alive_no_bmc = 0
        for addr, rs in results.items():
            errors += sum(1 for r in rs if r.error)
            f = responder_fact(addr, rs, run.vantage)
            if f is not None:
                facts.append(f)
            elif any(r.reached_target for r in rs):
                alive_no_bmc += 1
        incomplete = (f"{errors} probe(s) could not run (see the sweep's deadline options)" if errors else None)
        scope = Fact(kind=REACH_SCOPE, collector=COLLECTOR,
                     data={"ranges": ranges_txt, "addresses": len(todo), "skipped_local": local[:64],
                           "inventory": known, "unresolved": unresolved, "tcp_ports": list(ports),
                           "responders": len(facts), "hosts_alive_without_bmc_service": alive_no_bmc,
                           "vantage": run.vantage, "incomplete": incomplete},
                     evidence={"options": prober.opts.public()})
        facts.insert(0, scope)
        tstatus, terror = ("partial", incomplete) if incomplete else ("audited", None)
        tf = TargetFacts(DISCOVERY_TARGET, facts, meta={**target.inventory_meta(), "status": tstatus})
        fleet = run_fleet_checks([tf], policy_for(None, ()), checks)
        store.write_target(sweep_id, target_ids[DISCOVERY_TARGET], evaluation_id, status=tstatus, error=terror,
                           started_at=started, facts=facts, findings=[])
        store.write_findings(sweep_id, evaluation_id, fleet, target_ids)
        status = "complete"
    finally:
        store.finish_sweep(sweep_id, status)
    return SweepResult(sweep_id, status, [TargetResult(DISCOVERY_TARGET, tstatus, terror, fleet)], fleet)


def findings_lines(findings: list[Finding], statuses: tuple[str, ...] = ("FAIL", "ERROR"), limit: int = 40
                   ) -> list[str]:
    """The FAIL / ERROR findings as one line each (at most ``limit``; the report has them all)."""
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    chosen = sorted((f for f in findings if f.status.value in statuses),
                    key=lambda f: (f.status.value != "FAIL", rank.get(f.severity.value, 9), f.target, f.check_id,
                                   f.subject))
    lines = [f"{f.status.value:5} {f.check_id} {f.target} {f.subject or '-'} [{f.severity.value}]: {f.detail}"
             for f in chosen[:limit]]
    if len(chosen) > limit:
        lines.append(f"... and {len(chosen) - limit} more FAIL/ERROR findings: see the report")
    return lines
