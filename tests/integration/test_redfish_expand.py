"""The Redfish collector with ``$expand``: the same facts as without it, for fewer requests.

Real processes over loopback: a mock fleet (``mock_bmc``) whose BMCs support, refuse, ignore
or do not advertise ``$expand``, and DMTF's public-rackmount1 mockup served by sushy-static
(advertises ``$expand``; its static server answers the query with 404).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mock_bmc.fleet import FleetSpec, GroupSpec, run_fleet_in_thread
from mock_bmc.profiles import load_profile
from oobaudit import facts as F
from oobaudit.checks import REGISTRY
from oobaudit.collectors.credentials import CredentialOptions
from oobaudit.collectors.http import make_session
from oobaudit.collectors.redfish import RedfishOptions, collect_redfish
from oobaudit.engine import Sweep, SweepOptions
from oobaudit.inventory import Target, load_inventory
from oobaudit.store import Store

from ..mock_bmc.helpers import basic, fetch
from .conftest import sushy_inventory

QUERY = "$expand=.($levels=1)"
DEEP = "$expand=.($levels=2)"  # a resource whose plan continues into collections (AccountService -> Accounts)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    hardened = load_profile("hardened")
    factory = load_profile("factory-default")
    spec = FleetSpec(groups=(
        GroupSpec("hardened", 1),
        GroupSpec("factory-default", 1),
        GroupSpec("hgx-h100", 1),
        GroupSpec(hardened.derive("hardened-noexpand", redfish={"expand": False}), 1),
        GroupSpec(factory.derive("factory-noexpand", redfish={"expand": False}), 1),
        GroupSpec(hardened.derive("hardened-ignored", redfish={"expand_ignored": True}), 1),
        GroupSpec(hardened.derive("hardened-refused", redfish={"expand": False,
                                                                          "expand_advertised": True}), 1),
        GroupSpec(hardened.derive("hardened-shallow", redfish={"expand_max_levels": 1}), 1),
    ), seed="tests-redfish-expand")
    tmp = tmp_path_factory.mktemp("expand")
    with run_fleet_in_thread(spec) as fleet:
        inv = tmp / "inv.yaml"
        fleet.write_inventory(inv)
        targets = {t.name: t for t in load_inventory(inv).targets}
        yield {"fleet": fleet, "inv": inv, "targets": targets, "tmp": tmp}


def _collect(target: Target, **opts: Any) -> list[F.Fact]:
    """One collector run; credential tests off, so repeated runs cannot count towards a lockout."""

    async def go() -> list[F.Fact]:
        out: list[F.Fact] = []
        async with make_session() as http:
            await collect_redfish(target, http, out, RedfishOptions(credentials=CredentialOptions(enabled=False),
                                                                    **opts))
        return out

    return asyncio.run(go())


def _conn(facts: list[F.Fact]) -> dict[str, Any]:
    conn = [f for f in facts if f.kind == F.REDFISH_CONNECTIVITY]
    assert len(conn) == 1 and conn[0].ok, conn
    return conn[0].data


def _content(facts: list[F.Fact]) -> list[tuple[str, str | None, str, str | None]]:
    """What the checks see, i.e. everything but the connectivity figures and the evidence."""
    return sorted((f.kind, f.subject, json.dumps(f.data, sort_keys=True), f.error) for f in facts
                  if f.kind != F.REDFISH_CONNECTIVITY)


@pytest.mark.parametrize("name", ["mock-hardened-000", "mock-factory-default-000", "mock-hgx-h100-000"])
def test_same_facts_with_fewer_requests(lab: dict[str, Any], name: str) -> None:
    target = lab["targets"][name]
    on, off = _collect(target), _collect(target, expand=False)
    assert _content(on) == _content(off)
    c_on, c_off = _conn(on), _conn(off)
    assert c_on["expand"] == QUERY and "expand_abandoned" not in c_on
    assert c_off["expand"] is None and c_off["expanded_members"] == 0
    # every member or collection that came inline is one GET saved, and nothing else changed
    assert c_on["expanded_members"] >= 6
    assert c_on["expanded_collections"] >= 2  # Accounts, FirmwareInventory: inside their services' reads
    assert c_on["requests"] + c_on["expanded_members"] + c_on["expanded_collections"] == c_off["requests"]
    # host inventory is never read two levels deep (BIOS, memory, storage: heavy for a BMC)
    systems = [f for f in on if f.kind == F.REDFISH_SYSTEM]
    assert systems and all(f.evidence["via"] == f"/redfish/v1/Systems?{QUERY}" for f in systems)
    assert c_on["resources"] == c_off["resources"]
    if name == "mock-hgx-h100-000":
        assert c_on["expanded_members"] >= 41 and c_on["requests"] <= c_off["requests"] // 3


def test_inline_member_evidence(lab: dict[str, Any]) -> None:
    fleet, target = lab["fleet"], lab["targets"]["mock-hgx-h100-000"]
    facts = _collect(target)
    fw = [f for f in facts if f.kind == F.REDFISH_FIRMWARE]
    assert len(fw) == 41 and all(f.ok for f in fw)
    via = f"/redfish/v1/UpdateService?{DEEP}"
    assert all(f.evidence["via"] == via and f.evidence["url"].endswith("/" + f.subject) for f in fw)
    # the hash is over the member as served (canonical JSON): a separate GET hashes the same
    gpu = next(f for f in fw if f.subject == "HGX_FW_GPU_SXM_8")
    bmc = fleet.bmc("mock-hgx-h100-000")
    body = fetch("GET", bmc.https_url + gpu.evidence["url"],
                 headers=basic(fleet.auditor_user, fleet.auditor_password)).json()
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert gpu.evidence["sha256"] == hashlib.sha256(canonical).hexdigest()
    # children are followed from inline members as from fetched ones
    np = next(f for f in facts if f.kind == F.REDFISH_NETWORK_PROTOCOL)
    assert np.ok and np.subject == "HGX_BMC_0" and np.evidence["via"] == f"/redfish/v1/Managers?{DEEP}"
    assert np.data["HTTPS"]["Certificates"] == {"@odata.id": np.evidence["url"] + "/HTTPS/Certificates"}
    # three levels down (Managers -> manager -> NetworkProtocol -> Certificates) is a read of its own
    certs = [f for f in facts if f.kind == F.REDFISH_CERTIFICATE]
    assert len(certs) == 1 and certs[0].ok and certs[0].evidence["via"].endswith(f"/Certificates?{QUERY}")


def test_service_that_does_not_advertise_expand_is_read_plainly(lab: dict[str, Any]) -> None:
    facts = _collect(lab["targets"]["mock-hardened-noexpand-000"])
    conn = _conn(facts)
    assert conn["expand"] is None and conn["expanded_members"] == 0 and "expand_abandoned" not in conn
    reference = _conn(_collect(lab["targets"]["mock-hardened-000"], expand=False))
    assert conn["requests"] == reference["requests"]
    assert not [f for f in facts if "via" in f.evidence]


def test_advertised_but_ignored_costs_nothing(lab: dict[str, Any]) -> None:
    """Members come back as bare links: each is fetched, as without $expand, for the same count."""
    target = lab["targets"]["mock-hardened-ignored-000"]
    on, off = _collect(target), _collect(target, expand=False)
    assert _content(on) == _content(off)
    c_on, c_off = _conn(on), _conn(off)
    assert c_on["expand"] == QUERY and c_on["expanded_members"] == 0 and "expand_abandoned" not in c_on
    assert c_on["requests"] == c_off["requests"]


def test_advertised_but_refused_falls_back_once(lab: dict[str, Any]) -> None:
    target = lab["targets"]["mock-hardened-refused-000"]
    on, off = _collect(target), _collect(target, expand=False)
    assert _content(on) == _content(off)
    c_on, c_off = _conn(on), _conn(off)
    assert "HTTP 501" in c_on["expand_abandoned"] and DEEP in c_on["expand_abandoned"]
    assert c_on["expanded_members"] == 0
    assert c_on["requests"] == c_off["requests"] + 1  # one refused request, then plain for the whole target


def test_one_level_service_gets_collections_expanded_only(lab: dict[str, Any]) -> None:
    """MaxLevels 1: no two-level read is ever sent (it would be refused); collections still come expanded."""
    target = lab["targets"]["mock-hardened-shallow-000"]
    on, off = _collect(target), _collect(target, expand=False)
    assert _content(on) == _content(off)
    c_on, c_off = _conn(on), _conn(off)
    assert c_on["expand"] == QUERY and "expand_abandoned" not in c_on
    assert c_on["expanded_collections"] == 0 and c_on["expanded_members"] >= 6
    assert not [f for f in on if "levels=2" in f.evidence.get("url", "") + f.evidence.get("via", "")]
    assert c_on["requests"] + c_on["expanded_members"] == c_off["requests"]


def test_login_reads_the_service_root_once(lab: dict[str, Any]) -> None:
    """The crawl's unauthenticated read of the root serves DMTF's session login too: over HTTPS,
    one GET of /redfish/v1/, one session POST, one DELETE of that session."""
    target = lab["targets"]["mock-hardened-000"]
    sent: list[tuple[str, str]] = []

    async def on_start(_s: Any, _ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        if params.url.scheme == "https":  # not the plain-HTTP probe
            sent.append((params.method, params.url.path))

    async def go() -> list[F.Fact]:
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)
        out: list[F.Fact] = []
        async with make_session() as http:
            http.trace_configs.append(trace)
            trace.freeze()
            await collect_redfish(target, http, out, RedfishOptions(credentials=CredentialOptions(enabled=False)))
        return out

    facts = asyncio.run(go())
    assert _conn(facts)["auth"] == "session"
    assert sent.count(("GET", "/redfish/v1/")) == 1
    posts = [p for m, p in sent if m == "POST"]
    deletes = [p for m, p in sent if m == "DELETE"]
    assert posts == ["/redfish/v1/SessionService/Sessions"] and len(deletes) == 1
    assert deletes[0].startswith("/redfish/v1/SessionService/Sessions/")
    assert sent.index(("POST", posts[0])) == 2  # root, unauthenticated probe, then straight to the login


def test_bounds_still_hold(lab: dict[str, Any]) -> None:
    target = lab["targets"]["mock-hgx-h100-000"]
    facts = _collect(target, max_members=5)
    fw = [f for f in facts if f.kind == F.REDFISH_FIRMWARE]
    assert len([f for f in fw if f.ok]) == 5
    assert [f.error for f in fw if not f.ok] == ["collection lists 41 members; only 5 read"]
    assert _content(facts) == _content(_collect(target, max_members=5, expand=False))

    facts = _collect(target, max_resources=20)
    conn = _conn(facts)
    assert conn["resources"] == 20
    read = [f for f in facts if f.ok and f.kind not in (F.REDFISH_CONNECTIVITY, F.REDFISH_SERVICE_ROOT)]
    assert len(read) <= 20 - 1  # the root is a resource too
    assert any(f.error == "crawl bound reached (20 resources)" for f in facts)


def _redfish_check_ids() -> list[str]:
    """Checks judged from Redfish facts only: the sweep then runs no TLS, IPMI or SSH collector."""
    return sorted(cid for cid, c in REGISTRY.items() if c.meta.needs
                  and all(n.startswith(("redfish.", "http.", "cred.")) for n in c.meta.needs))


def _portless(subject: str | None) -> str | None:
    """``http:41234`` -> ``http:*``: the two BMCs compared listen on different ports."""
    return "http:*" if subject and subject.startswith("http:") else subject


def test_sweep_same_verdicts_fewer_requests(lab: dict[str, Any]) -> None:
    """A whole sweep, credential tests included (they read the account list that $expand delivered)."""
    store = Store(f"sqlite:///{lab['tmp'] / 'sweep.db'}")
    inventory = load_inventory(lab["inv"])
    opts = SweepOptions(concurrency=4, target_deadline=60, request_timeout=10, check_ids=_redfish_check_ids())
    result = asyncio.run(Sweep(store, inventory, opts).run())
    assert result.status == "complete"
    by_target = {t.name: t for t in result.targets}
    for a, b in (("mock-hardened-000", "mock-hardened-noexpand-000"),
                 ("mock-factory-default-000", "mock-factory-noexpand-000")):
        assert by_target[a].status == by_target[b].status == "audited"
        verdicts = [{(f.check_id, _portless(f.subject), f.status) for f in result.findings if f.target == t}
                    for t in (a, b)]
        assert verdicts[0] == verdicts[1], verdicts[0] ^ verdicts[1]
    fails = {f.subject for f in result.findings if f.target == "mock-factory-default-000"
             and f.check_id == "OOB-CRED-001" and f.status.value == "FAIL"}
    assert "redfish:ADMIN" in fails
    requests = {tf.target: next(f.data["requests"] for f in tf.facts if f.kind == F.REDFISH_CONNECTIVITY and f.ok)
                for tf in store.target_facts(result.sweep_id)}
    assert requests["mock-hardened-000"] < requests["mock-hardened-noexpand-000"]
    assert requests["mock-factory-default-000"] < requests["mock-factory-noexpand-000"]


# --------------------------------------------------------------------------- an independent peer


@pytest.fixture(scope="module")
def sushy(sushy_static_port: int, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An inventory naming the session's sushy-static server."""
    return sushy_inventory(tmp_path_factory.mktemp("sushy-expand") / "inv.yaml", sushy_static_port, "SUSHY_EXPAND_PASS")


def test_static_mockup_server_that_advertises_expand_loses_nothing(sushy: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """public-rackmount1's root advertises $expand (ExpandAll, Levels, NoLinks); sushy-static looks
    for a file named after the query and answers 404: one wasted request, then plain GETs."""
    monkeypatch.setenv("SUSHY_EXPAND_PASS", "irrelevant")
    target = load_inventory(sushy).targets[0]
    on, off = _collect(target), _collect(target, expand=False)
    assert _content(on) == _content(off)
    fw = sorted(f.subject for f in on if f.kind == F.REDFISH_FIRMWARE and f.ok)
    assert fw == ["BIOS", "BMC", "SS"]
    c_on, c_off = _conn(on), _conn(off)
    assert c_on["expand"] == QUERY and "HTTP 404" in c_on["expand_abandoned"]
    assert c_on["expanded_members"] == 0
    assert c_on["requests"] == c_off["requests"] + 1
