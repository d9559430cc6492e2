"""OOB segmentation end to end: router, management, tenant and BMC namespaces (198.18.0.0/15).

The probes run inside the ``mgmt`` / ``tenant`` namespaces exactly as an operator would
run them on a jump host (``ip netns exec NS python -m oobaudit reach ...``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oobaudit.store import Store

from .helpers import FAST, findings, oobaudit_cmd, report
from .topology import BMC_IP, BMC_NET, INVENTORY, ROGUE_IP, Topology, unavailable_reason

pytestmark = [pytest.mark.root, pytest.mark.slow]

_REASON = unavailable_reason()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Topology, Path]]:
    if _REASON:
        pytest.skip(_REASON)
    work = tmp_path_factory.mktemp("reach-lab")
    (work / "inventory.yaml").write_text(INVENTORY)
    topo = Topology()
    try:
        topo.up()
        topo.start_services()
        yield topo, work
    finally:
        topo.down()


def _reach(topo: Topology, work: Path, ns: str, vantage: str, name: str) -> tuple[int, dict, str]:
    out = work / name
    r = topo.exec(ns, *oobaudit_cmd(), "reach", "-i", str(work / "inventory.yaml"), "--vantage", vantage,
                  "--db", f"sqlite:///{work / 'db.sqlite'}", "--out", str(out), *FAST)
    assert (out / "report.json").exists(), f"no report: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.returncode, report(out), r.stdout + r.stderr


def test_correct_policy_tenant_sees_nothing(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    topo.policy("correct")
    rc, rep, log = _reach(topo, work, topo.tenant, "tenant-a", "tenant-correct")
    net1 = findings(rep, "OOB-NET-001")
    assert rc == 0, log
    assert net1 and all(f["status"] == "PASS" for f in net1), log
    subjects = {f["subject"] for f in net1}
    assert {"tcp/443", "tcp/444", "tcp/22", "tcp/623", "udp/623", "udp/161", "icmp"} <= subjects
    assert not findings(rep, "OOB-NET-002")
    assert rep["sweep"]["options"]["kind"] == "reach" and rep["sweep"]["options"]["vantage"] == "tenant-a"


def test_correct_policy_mgmt_reaches_bmc(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    topo.policy("correct")
    rc, rep, log = _reach(topo, work, topo.mgmt, "mgmt-jump", "mgmt-correct")
    assert rc == 0, log
    net2 = findings(rep, "OOB-NET-002")
    assert [(f["subject"], f["status"]) for f in net2] == [("tcp/443", "PASS")], log
    # The stored facts say what came back, port by port.
    store = Store(f"sqlite:///{work / 'db.sqlite'}")
    try:
        (tf,) = store.target_facts(rep["sweep"]["id"])
    finally:
        store.close()
    ports = {f.subject: f.data for f in tf.facts if f.kind == "reach.port"}
    assert ports["tcp/443"]["state"] == "open" and ports["tcp/443"]["role"] == "https"
    assert ports["tcp/22"]["state"] == "closed" and "RST" in ports["tcp/22"]["evidence"]
    assert ports["udp/623"]["state"] == "open" and "ASF presence pong" in ports["udp/623"]["evidence"]
    assert ports["udp/161"]["state"] == "closed"  # ICMP port unreachable from the BMC
    assert ports["icmp"]["state"] == "answered"
    assert all(d["vantage"] == "mgmt-jump" and d["zone"] == "management" for d in ports.values())


def test_leaky_policy_fails_on_623_udp(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    topo.policy("leaky")
    try:
        rc, rep, log = _reach(topo, work, topo.tenant, "tenant-a", "tenant-leaky")
    finally:
        topo.policy("correct")
    assert rc == 1, log
    fails = findings(rep, "OOB-NET-001", "FAIL")
    assert [f["subject"] for f in fails] == ["udp/623"], log
    (fail,) = fails
    assert "tenant-a" in fail["detail"] and "udp/623" in fail["detail"] and "ASF" in fail["detail"]
    assert fail["severity"] == "high"
    others = [f for f in findings(rep, "OOB-NET-001") if f["subject"] != "udp/623"]
    assert others and all(f["status"] == "PASS" for f in others)


def test_router_reject_with_icmp_passes(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    topo.policy("reject-icmp")
    try:
        rc, rep, log = _reach(topo, work, topo.tenant, "tenant-a", "tenant-reject-icmp")
    finally:
        topo.policy("correct")
    assert rc == 0, log
    net1 = findings(rep, "OOB-NET-001")
    assert net1 and all(f["status"] == "PASS" for f in net1), log
    assert all("administratively prohibited" in f["detail"] and "198.18.3.1" in f["detail"] for f in net1), log


def test_router_reject_with_forged_rst_is_a_leak(lab: tuple[Topology, Path]) -> None:
    """A firewall answering with a RST in the BMC's name tells the tenant the address is live: FAIL (medium)."""
    topo, work = lab
    topo.policy("reject-rst")
    try:
        rc, rep, log = _reach(topo, work, topo.tenant, "tenant-a", "tenant-reject-rst")
    finally:
        topo.policy("correct")
    assert rc == 1, log
    by = {f["subject"]: f for f in findings(rep, "OOB-NET-001")}
    tcp = [f for s, f in by.items() if s.startswith("tcp/")]
    assert tcp and all(f["status"] == "FAIL" and f["severity"] == "medium" and "RST" in f["detail"] for f in tcp)
    assert all(by[s]["status"] == "PASS" for s in ("udp/623", "udp/161", "icmp"))


def test_iface_option(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    out = work / "mgmt-iface"
    r = topo.exec(topo.mgmt, *oobaudit_cmd(), "reach", "-i", str(work / "inventory.yaml"), "--vantage", "mgmt-jump",
                  "--iface", "eth0", "--ports", "443", "--db", f"sqlite:///{work / 'db.sqlite'}", "--out", str(out),
                  *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    assert [f["status"] for f in findings(report(out), "OOB-NET-002")] == ["PASS"]


def test_discover_reports_unknown_bmc(lab: tuple[Topology, Path]) -> None:
    topo, work = lab
    topo.policy("correct")
    out = work / "discover"
    r = topo.exec(topo.mgmt, *oobaudit_cmd(), "discover", "-i", str(work / "inventory.yaml"), "--ranges", BMC_NET,
                  "--tcp", "--db", f"sqlite:///{work / 'db.sqlite'}", "--out", str(out), *FAST)
    log = r.stdout + r.stderr
    assert r.returncode == 1, log
    rep = report(out)
    fails = findings(rep, "OOB-NET-003", "FAIL")
    assert [f["subject"] for f in fails] == [ROGUE_IP], log
    assert ROGUE_IP in fails[0]["detail"] and "ASF presence pong" in fails[0]["detail"]
    assert fails[0]["target"] == "*fleet*"
    assert all(f["subject"] != BMC_IP for f in rep["findings"])
    assert rep["sweep"]["options"]["kind"] == "discover"
