"""OOB-NET-001..003: segmentation of the out-of-band network, proven by probes.

The facts come from ``oobaudit reach`` (one sweep per vantage point; every fact
carries the vantage, its zone and whether BMCs must be reachable from there) and
``oobaudit discover`` (an ASF presence ping sweep of the management ranges).  These
checks emit nothing for a sweep that has no reach / discovery facts, so a Redfish
sweep is not cluttered with N/A rows.

Decisions (also in the rationale texts, so they reach the reports):

* **A RST is a leak.**  A TCP RST (or an ICMP error) whose source is the BMC's own
  address proves the probe was routed all the way to the BMC's network stack: the
  segment is not separated, only that one port happens to be closed.  OOB-NET-001
  FAILs it at *medium* severity (an open port or an answered UDP service is
  *high*).  A firewall that rejects with ``tcp reset`` on the BMC's behalf forges
  exactly the same packet; it is flagged too, because it still tells every tenant
  that the address is live and routed — drop, or answer with an ICMP
  administratively-prohibited from the firewall's own address, which passes.
* An ICMP unreachable from *another* address (a router or firewall), or silence
  after every retry, means the path is blocked: PASS.
* **A silent BMC from its management vantage is a FAIL**, not an ERROR.  The probes
  ran and the absence of any answer after every retry is the observation this
  control exists for: a BMC that cannot be reached from the management network
  cannot be patched or monitored (NSA/CISA #8 "do not ignore BMCs"), or the
  management path is broken.  ERROR is kept for probes that could not run (no
  raw-socket permission never gets this far; unresolvable address, local send
  refused, deadline before the first packet).
"""

from __future__ import annotations

from typing import Any

from ..collectors.reach_wire import ANSWERED, OPEN  # port-state vocabulary; pure, no scapy
from ..facts import REACH_PORT, REACH_RESPONDER, REACH_SCOPE, REACH_VANTAGE, Fact, TargetFacts
from ..policy import Policy
from ._common import NSA_CISA
from .base import CheckError, Emit, Severity, check

#: The checks that judge each sweep kind (``SweepRow.options["kind"]``); other kinds run every check.
SWEEP_KIND_CHECKS: dict[str, tuple[str, ...]] = {"reach": ("OOB-NET-001", "OOB-NET-002"),
                                                 "discover": ("OOB-NET-003",)}


def checks_for_sweep_kind(kind: str | None) -> list[str] | None:
    """Check ids to re-run on a stored sweep of this kind (None = all): a reach sweep has no Redfish facts, so
    re-judging it with the Redfish checks would only add ERRORs."""
    ids = SWEEP_KIND_CHECKS.get(kind or "")
    return list(ids) if ids else None


_DISA_OOBM = ("DISA Network Infrastructure Router SRG V-207116 (management and managed networks kept apart); "
              "DISA Network WLAN STIG V-243225 / V-243231 (only management traffic on the OOBM interface, "
              "OOBM addressed from the OOBM network)")


def _vantage(tf: TargetFacts) -> dict[str, Any] | None:
    """The vantage context of a reach target: the ``reach.vantage`` fact, else any port fact's data."""
    vf = tf.one(REACH_VANTAGE)
    if vf is not None and vf.ok:
        return vf.data
    for f in tf.ok(REACH_PORT):
        if "bmc_reachable" in f.data:
            return {k: f.data.get(k) for k in ("vantage", "zone", "bmc_reachable", "address")}
    if tf.of(REACH_PORT) or vf is not None:
        reason = vf.error if vf is not None and vf.error else "the vantage point of the probes is not recorded"
        raise CheckError(f"reachability not auditable: {reason}")
    return None


def _where(v: dict[str, Any]) -> str:
    return f"vantage {v.get('vantage')!r} (zone {v.get('zone')!r})"


def _ev(f: Fact) -> dict[str, Any]:
    d = f.data
    ev = {k: d.get(k) for k in ("proto", "port", "state", "responder", "evidence", "attempts", "vantage", "zone")}
    if "asf_pong" in f.evidence:
        ev["asf_pong"] = f.evidence["asf_pong"]
    return ev


def _service_answer(f: Fact) -> bool:
    """The BMC itself answered with a live service: SYN-ACK, or a UDP reply."""
    d = f.data
    return bool(d.get("reached_target")) and d.get("state") == OPEN


@check(
    id="OOB-NET-001",
    title="BMC is unreachable from every non-management vantage point",
    family="network",
    severity="high",
    rationale=(
        "A BMC reachable from a tenant or production segment exposes IPMI (hash disclosure by design), Redfish, "
        "SSH and console ports to every workload there: OOB separation is the first control of every BMC guide. "
        "Only a probe from that segment proves it. Any answer whose source is the BMC's own address is a FAIL: "
        "an open port or a UDP answer (high), and also a TCP RST, an ICMP error from the BMC or an echo reply "
        "(medium) - they prove the packet was routed to the BMC's network stack, only that port is closed. A "
        "firewall that rejects with a forged RST is flagged the same way. Silence, or an ICMP unreachable from "
        "a router or firewall, passes."
    ),
    remediation=(
        "Put the BMC ports on a dedicated OOB VLAN / VRF that is not routed from this zone; on the router or "
        "firewall between them, drop (or reject with ICMP administratively-prohibited from the firewall's own "
        "address) all traffic from this zone to the OOB ranges, and re-run `oobaudit reach` from the vantage "
        "point named in the finding."
    ),
    references=(NSA_CISA + " #2 enforce VLAN separation", _DISA_OOBM,
                "CISA TA13-207A 'Risks of Using the IPMI': restrict IPMI to trusted internal networks"),
    compliance=("NSA-CISA-BMC-2023:2", "NIST-800-53:AC-4", "NIST-800-53:SC-7"),
    needs=(REACH_PORT, REACH_VANTAGE),
)
def net_001(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    v = _vantage(tf)
    if v is None or v.get("bmc_reachable") is not False:
        return
    facts = tf.of(REACH_PORT)
    if not facts:
        raise CheckError(f"no probe results recorded from {_where(v)}")
    for f in facts:
        if not f.ok:
            emit.error(f.subject, f"could not probe {f.subject} from {_where(v)}: {f.error}",
                       evidence={"vantage": v.get("vantage"), "zone": v.get("zone")})
            continue
        d = f.data
        what = d.get("evidence") or d.get("state")
        if d.get("reached_target"):
            if _service_answer(f):
                emit.failed(f.subject, f"{f.subject} is {d.get('state')} from {_where(v)}: {what}", evidence=_ev(f))
            else:
                kind = "answers ICMP echo" if d.get("state") == ANSWERED else f"is {d.get('state')}"
                emit.failed(f.subject,
                            f"{f.subject} {kind} from {_where(v)}: {what} - the probe reached the BMC's network "
                            "stack, so the path is routed (a closed port is not separation)",
                            evidence=_ev(f), severity=Severity.MEDIUM)
        else:
            emit.passed(f.subject, f"{f.subject} {d.get('state')} from {_where(v)}: {what}", evidence=_ev(f))


@check(
    id="OOB-NET-002",
    title="BMC is reachable from the management vantage point it belongs to",
    family="network",
    severity="high",
    rationale=(
        "A BMC that does not answer from its management network cannot be patched, monitored or audited: it is "
        "exactly the ignored BMC the NSA/CISA guidance warns about, or the management path is broken. From a "
        "vantage point whose BMCs must be reachable, the BMC's HTTPS (Redfish) port must answer SYN-ACK, and "
        "when the baseline allows IPMI, 623/udp must answer an ASF presence ping. Silence after every retry is "
        "a FAIL (the probes ran; their outcome is the finding), not an ERROR."
    ),
    remediation=(
        "Check the BMC's power, cabling, VLAN and address, and the routing / ACLs between the management "
        "vantage point and the OOB ranges; if the BMC is retired, remove it from the inventory and disable "
        "its network port."
    ),
    references=(NSA_CISA + " #8 do not ignore BMCs", NSA_CISA + " #2 enforce VLAN separation", _DISA_OOBM),
    compliance=("NSA-CISA-BMC-2023:8", "NIST-800-53:CM-8"),
    needs=(REACH_PORT, REACH_VANTAGE),
)
def net_002(tf: TargetFacts, policy: Policy, emit: Emit) -> None:
    v = _vantage(tf)
    if v is None or v.get("bmc_reachable") is not True:
        return
    facts = tf.of(REACH_PORT)
    if not facts:
        raise CheckError(f"no probe results recorded from {_where(v)}")
    ok = [f for f in facts if f.ok]
    answered = [f for f in ok if f.data.get("reached_target")]
    https = [f for f in facts if f.ok and f.data.get("role") == "https"] or \
        [f for f in facts if f.subject == "tcp/443"]
    if not https:
        raise CheckError(f"the BMC's HTTPS port was not probed from {_where(v)}", "tcp/443")
    silent = (f"the BMC is silent from {_where(v)}: none of {len(ok)} probes "
              f"({', '.join(f.subject for f in ok[:8])}{', ...' if len(ok) > 8 else ''}) answered after every retry")
    for f in https[:1]:
        if not f.ok:
            emit.error(f.subject, f"could not probe {f.subject} from {_where(v)}: {f.error}")
        elif _service_answer(f):
            emit.passed(f.subject, f"HTTPS {f.subject} is open from {_where(v)}: {f.data.get('evidence')}",
                        evidence=_ev(f))
        elif answered:
            others = ", ".join(f"{a.subject} {a.data.get('state')}" for a in answered[:6])
            emit.failed(f.subject, f"HTTPS {f.subject} is {f.data.get('state')} from {_where(v)} "
                                   f"({f.data.get('evidence')}) although the BMC answers ({others})",
                        evidence=_ev(f))
        else:
            emit.failed(f.subject, f"{silent}; {f.subject}: {f.data.get('evidence')}", evidence=_ev(f))
    if not policy.settings.ipmi_allowed:
        return  # IPMI over LAN is not expected; OOB-IPMI-001 judges whether it is on.
    ipmi = [f for f in facts if (f.ok and f.data.get("role") == "ipmi") or f.subject == "udp/623"]
    if not ipmi:
        raise CheckError(f"the baseline allows IPMI but 623/udp was not probed from {_where(v)}", "udp/623")
    f = ipmi[0]
    if not f.ok:
        emit.error(f.subject, f"could not probe {f.subject} from {_where(v)}: {f.error}")
    elif _service_answer(f) and "asf_pong" in f.evidence:
        emit.passed(f.subject, f"IPMI {f.subject} answers the ASF presence ping from {_where(v)}", evidence=_ev(f))
    else:
        detail = silent if not answered else (f"IPMI {f.subject} is {f.data.get('state')} from {_where(v)} "
                                              f"({f.data.get('evidence')}); the baseline expects IPMI over LAN")
        emit.failed(f.subject, detail, evidence=_ev(f))


@check(
    id="OOB-NET-003",
    title="No BMC answers on the OOB ranges that the inventory does not list",
    family="network",
    severity="high",
    rationale=(
        "A BMC nobody knows about is never patched, never audited and usually still on factory defaults: "
        "'do not ignore BMCs' is the last of the NSA/CISA recommendations. An ASF presence pong (or, with "
        "--tcp, an open 443/623) from an address the inventory does not list is such a BMC. Hosts that only "
        "answer with a RST or an ICMP error are not reported: routers, switches and the prober itself live on "
        "these ranges too."
    ),
    remediation=(
        "Identify the device at the reported address (ARP / switch port); add it to the inventory and audit "
        "it, or disable its BMC network port if it is unused."
    ),
    references=(NSA_CISA + " #8 do not ignore BMCs", NSA_CISA + " #2 enforce VLAN separation",
                "DMTF ASF 2.0 presence ping (RMCP class 6)"),
    compliance=("NSA-CISA-BMC-2023:8", "NIST-800-53:CM-8"),
    needs=(REACH_RESPONDER, REACH_SCOPE),
    scope="fleet",
)
def net_003(fleet: list[TargetFacts], policy: Policy, emit: Emit) -> None:
    scopes = [f for tf in fleet for f in tf.of(REACH_SCOPE)]
    responders = [f for tf in fleet for f in tf.of(REACH_RESPONDER)]
    if not scopes and not responders:
        return  # not a discovery sweep
    bad_scope = [f for f in scopes if not f.ok]
    if not scopes or bad_scope:
        raise CheckError(f"discovery scope not recorded: {bad_scope[0].error if bad_scope else 'missing'}")
    known: dict[str, str] = {}
    ranges: list[str] = []
    unresolved: list[str] = []
    for s in scopes:
        known.update(s.data.get("inventory") or {})
        ranges += s.data.get("ranges") or []
        unresolved += s.data.get("unresolved") or []
    unknown = []
    for f in responders:
        if not f.ok:
            emit.error(f.subject, f"discovery probe of {f.subject} failed: {f.error}")
            continue
        if f.subject in known:
            continue
        unknown.append(f)
        what = "; ".join(f.data.get("answers") or []) or "answered"
        note = f" (inventory host names not resolved: {', '.join(unresolved[:5])})" if unresolved else ""
        emit.failed(f.subject, f"{f.subject} answers on the OOB range but is not in the inventory: {what}{note}",
                    evidence={"address": f.subject, "answers": f.data.get("answers"), "asf": f.data.get("asf"),
                              "tcp": f.data.get("tcp"), "vantage": f.data.get("vantage")})
    incomplete = [s.data.get("incomplete") for s in scopes if s.data.get("incomplete")]
    if incomplete:
        emit.error("", f"discovery did not finish every address: {incomplete[0]}")
    elif not unknown:
        emit.passed("", f"every responder on {', '.join(ranges) or 'the swept ranges'} is in the inventory "
                        f"({len(responders)} responder(s), {len(known)} inventory BMC address(es))")
