"""OOB-NET-001/002/003 on fact fixtures: pure functions, no network."""

from __future__ import annotations

from oobaudit.checks import REGISTRY, Status, run_fleet_checks, run_target_checks
from oobaudit.checks import net as _net  # noqa: F401
from oobaudit.collectors.reach import ProbeOptions, ProbeResult, ProbeSpec, port_facts, vantage_fact
from oobaudit.collectors.reach_sweep import responder_fact
from oobaudit.facts import Fact, TargetFacts
from oobaudit.policy import DEFAULT_POLICY, Policy, Settings

BMC, ROUTER = "198.18.2.10", "198.18.3.1"
NET = [REGISTRY[i] for i in ("OOB-NET-001", "OOB-NET-002", "OOB-NET-003")]


def _r(proto: str, port: int | None, state: str, responder: str | None, reply: str, probe: str = "tcp-syn",
       **details) -> ProbeResult:
    return ProbeResult(ProbeSpec(BMC, proto, port, probe), state=state, responder=responder, reply=reply,
                       details=details, attempts=1)


def _tf(results: list[ProbeResult], reachable: bool, vantage: str = "tenant-a", zone: str = "tenant",
        extra: list[Fact] | None = None) -> TargetFacts:
    facts = [vantage_fact(vantage=vantage, zone=zone, bmc_reachable=reachable, address=BMC, resolved=BMC,
                          source="198.18.3.10", iface=None, opts=ProbeOptions())]
    facts += port_facts(results, vantage=vantage, zone=zone, bmc_reachable=reachable,
                        roles={("tcp", 443): "https", ("udp", 623): "ipmi"})
    return TargetFacts("bmc-1", facts + (extra or []))


def _by_subject(findings, check_id):
    return {f.subject: f for f in findings if f.check_id == check_id}


DARK = [
    _r("tcp", 443, "filtered", None, "no answer to 3 SYNs"),
    _r("tcp", 22, "filtered", ROUTER, "ICMP communication administratively prohibited (type 3 code 13) from router"),
    _r("udp", 623, "open|filtered", None, "no answer", "asf-ping"),
    _r("icmp", None, "filtered", None, "no answer", "icmp-echo"),
]


def test_net001_dark_bmc_passes() -> None:
    out = run_target_checks(_tf(DARK, False), DEFAULT_POLICY, NET)
    assert {f.check_id for f in out} == {"OOB-NET-001"}
    assert all(f.status is Status.PASS for f in out) and len(out) == 4
    assert "tenant-a" in _by_subject(out, "OOB-NET-001")["tcp/22"].detail


def test_net001_open_rst_and_icmp_from_bmc_fail_with_severities() -> None:
    results = [
        _r("tcp", 443, "open", BMC, f"SYN-ACK from {BMC}"),
        _r("tcp", 22, "closed", BMC, f"RST-ACK from {BMC}"),
        _r("udp", 623, "open", BMC, "ASF presence pong: enterprise 4542", "asf-ping",
           asf_pong={"iana": 4542}),
        _r("udp", 161, "closed", BMC, "ICMP port unreachable from BMC", "snmp-get"),
        _r("tcp", 80, "filtered", BMC, "ICMP host administratively prohibited from the BMC itself"),
        _r("icmp", None, "answered", BMC, f"echo reply from {BMC}", "icmp-echo"),
        _r("tcp", 5900, "filtered", None, "no answer"),
    ]
    out = _by_subject(run_target_checks(_tf(results, False), DEFAULT_POLICY, NET), "OOB-NET-001")
    sev = {s: (f.status.value, f.severity.value) for s, f in out.items()}
    assert sev == {
        "tcp/443": ("FAIL", "high"), "udp/623": ("FAIL", "high"),
        "tcp/22": ("FAIL", "medium"), "udp/161": ("FAIL", "medium"), "tcp/80": ("FAIL", "medium"),
        "icmp": ("FAIL", "medium"), "tcp/5900": ("PASS", "high"),
    }
    assert "tenant-a" in out["udp/623"].detail and "udp/623" in out["udp/623"].detail
    assert "routed" in out["tcp/22"].detail
    assert out["udp/623"].evidence["asf_pong"] == {"iana": 4542}


def test_net001_probe_error_is_error_not_pass() -> None:
    tf = _tf(DARK, False, extra=[Fact(kind="reach.port", subject="tcp/8443", collector="reach",
                                      error="this host's own firewall refused to send the probe")])
    out = _by_subject(run_target_checks(tf, DEFAULT_POLICY, NET), "OOB-NET-001")
    assert out["tcp/8443"].status is Status.ERROR and "firewall" in out["tcp/8443"].detail


def test_net002_open_https_passes_and_silence_fails() -> None:
    ok = [_r("tcp", 443, "open", BMC, "SYN-ACK"), *DARK[1:]]
    out = run_target_checks(_tf(ok, True, "mgmt", "management"), DEFAULT_POLICY, NET)
    assert [(f.check_id, f.subject, f.status.value) for f in out] == [("OOB-NET-002", "tcp/443", "PASS")]

    out = run_target_checks(_tf(DARK, True, "mgmt", "management"), DEFAULT_POLICY, NET)
    (f,) = out
    assert f.status is Status.FAIL and "silent" in f.detail and "'mgmt'" in f.detail

    closed = [_r("tcp", 443, "closed", BMC, "RST"), _r("icmp", None, "answered", BMC, "echo reply", "icmp-echo")]
    (f,) = run_target_checks(_tf(closed, True, "mgmt", "management"), DEFAULT_POLICY, NET)
    assert f.status is Status.FAIL and "although the BMC answers" in f.detail


def test_net002_ipmi_expected_by_baseline() -> None:
    ipmi_on = Policy(Settings(ipmi_allowed=True))
    no_pong = [_r("tcp", 443, "open", BMC, "SYN-ACK"), _r("udp", 623, "closed", BMC, "port unreachable", "asf-ping")]
    out = _by_subject(run_target_checks(_tf(no_pong, True, "mgmt", "management"), ipmi_on, NET), "OOB-NET-002")
    assert out["tcp/443"].status is Status.PASS and out["udp/623"].status is Status.FAIL
    pong = [no_pong[0], _r("udp", 623, "open", BMC, "ASF pong", "asf-ping", asf_pong={"iana": 4542})]
    out = _by_subject(run_target_checks(_tf(pong, True, "mgmt", "management"), ipmi_on, NET), "OOB-NET-002")
    assert out["udp/623"].status is Status.PASS
    # Without the baseline asking for IPMI, 623/udp is not required.
    out = _by_subject(run_target_checks(_tf(no_pong, True, "mgmt", "management"), DEFAULT_POLICY, NET),
                      "OOB-NET-002")
    assert set(out) == {"tcp/443"}


def test_net_checks_are_silent_on_other_sweeps() -> None:
    tf = TargetFacts("bmc-1", [Fact(kind="redfish.connectivity", collector="redfish", data={"ok": True})])
    assert run_target_checks(tf, DEFAULT_POLICY, NET) == []
    assert run_fleet_checks([tf], DEFAULT_POLICY, NET) == []


def _scope(known: dict[str, str], incomplete: str | None = None) -> Fact:
    return Fact(kind="reach.scope", collector="reach", data={"ranges": ["198.18.2.0/24"], "inventory": known,
                                                             "unresolved": [], "incomplete": incomplete})


def test_net003_unknown_responder_fails() -> None:
    pong = ProbeResult(ProbeSpec("198.18.2.20", "udp", 623, "asf-ping"), state="open", responder="198.18.2.20",
                       reply="ASF presence pong: enterprise 4542", details={"asf_pong": {"iana": 4542}}, attempts=1)
    rst = ProbeResult(ProbeSpec("198.18.2.1", "tcp", 443, "tcp-syn"), state="closed", responder="198.18.2.1",
                      reply="RST", attempts=1)
    known = ProbeResult(ProbeSpec(BMC, "udp", 623, "asf-ping"), state="open", responder=BMC, reply="pong",
                        attempts=1)
    assert responder_fact("198.18.2.1", [rst], None) is None  # alive, but nothing BMC-like
    facts = [_scope({BMC: "bmc-1"}), responder_fact("198.18.2.20", [pong], "mgmt"),
             responder_fact(BMC, [known], "mgmt")]
    out = run_fleet_checks([TargetFacts("discovery", facts)], DEFAULT_POLICY, NET)
    assert [(f.subject, f.status.value, f.target) for f in out] == [("198.18.2.20", "FAIL", "*fleet*")]
    assert "ASF presence pong" in out[0].detail and "198.18.2.20" in out[0].detail


def test_net003_pass_when_all_known_and_error_when_incomplete() -> None:
    out = run_fleet_checks([TargetFacts("discovery", [_scope({BMC: "bmc-1"})])], DEFAULT_POLICY, NET)
    assert [(f.subject, f.status.value) for f in out] == [("", "PASS")]
    out = run_fleet_checks([TargetFacts("discovery", [_scope({}, "12 probe(s) could not run")])], DEFAULT_POLICY,
                           NET)
    assert [f.status.value for f in out] == ["ERROR"]


def test_metadata_references() -> None:
    for chk in NET:
        refs = " ".join(chk.meta.references)
        assert "NSA/CISA" in refs
    assert any("V-207116" in r for r in REGISTRY["OOB-NET-001"].meta.references)
    assert REGISTRY["OOB-NET-003"].meta.scope == "fleet"
