"""What the collector spends per target, and that spending less did not cost accuracy.

Full ``ssl`` handshakes only where a raw hello left the version open; weak cipher
classes by elimination (one offer for every class still unsettled); a hardened server
therefore costs a handful of connections.  Each budget below is stated as the most a
user may see in the ``connections`` evidence, and is counted by the peer as well where
the peer can count.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from oobaudit.collectors import tls_suites as suites
from oobaudit.collectors import tls_wire as wire
from oobaudit.collectors.tls import (
    PROTOCOLS,
    Exchange,
    collect_tls,
    is_definitive_refusal,
    raw_decision,
    shared_client_context,
)
from oobaudit.facts import Fact
from tests.tls._certs import CertKey
from tests.tls._peers import OPENSSL, OpenSSLServer
from tests.tls._proxy import MisparsingProxy
from tests.tls._scripted import ScriptedServer

NO_WEAK = dict.fromkeys(suites.WEAK_CLASSES, False)


Runner = Callable[[Coroutine[Any, Any, Any]], Any]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner:
    """Sweeps run on uvloop by default (oobaudit/aioloop.py), tests mostly on the standard
    loop: the behaviour that rests on how a transport reports a hang-up or a failed
    handshake is checked on both."""
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop", reason="uvloop is not installed on this platform")
        return uvloop.run
    return asyncio.run


def _by_kind(facts: list[Fact]) -> dict[str, Fact]:
    return {f.kind: f for f in facts}


def _escalated(facts: dict[str, Fact]) -> list[str]:
    """Versions for which a pinned full handshake was made."""
    return [v for v, p in facts["tls.versions"].evidence["probes"].items() if "ssl" in p]


def _collect_scripted(server: ScriptedServer, **kwargs) -> dict[str, Fact]:
    async def go() -> list[Fact]:
        await server.start()
        try:
            return await collect_tls("127.0.0.1", server.port, timeout=3.0, **kwargs)
        finally:
            await server.stop()

    return _by_kind(asyncio.run(go()))


# -- deciding a version from the raw reply ---------------------------------------------


def _reply(kind: str, **fields) -> Exchange:
    return Exchange("reply", wire.ServerReply(kind=kind, **fields))


@pytest.mark.parametrize(
    ("exchange", "definitive"),
    [
        (_reply("alert", alert_level=2, alert_description=70), True),  # protocol_version
        (_reply("alert", alert_level=2, alert_description=40), True),  # handshake_failure
        (_reply("alert", alert_level=2, alert_description=71), True),  # insufficient_security
        (_reply("server_hello", version=wire.TLS10), True),  # a lower version than asked
        (_reply("alert", alert_level=2, alert_description=50), False),  # decode_error: mis-parsed?
        (_reply("alert", alert_level=2, alert_description=47), False),  # illegal_parameter
        (_reply("closed"), False),  # a bare hang-up
        (_reply("malformed"), False),
        (_reply("server_hello", version=wire.TLS13), False),  # higher than offered: a violation
        (Exchange("read_timeout"), False),
    ],
)
def test_which_raw_refusals_are_definitive(exchange: Exchange, definitive: bool) -> None:
    assert is_definitive_refusal(exchange, wire.TLS12) is definitive


def test_raw_decision() -> None:
    accepted = _reply("server_hello", version=wire.TLS12)
    refused = _reply("alert", alert_level=2, alert_description=40)
    closed = _reply("closed")
    assert raw_decision([accepted], wire.TLS12) == "accepted"
    assert raw_decision([refused, accepted], wire.TLS12) == "accepted"
    assert raw_decision([refused, refused, refused], wire.TLS12) == "refused"
    # one chunk answered only by a hang-up leaves the version to a full handshake
    assert raw_decision([refused, closed, refused], wire.TLS12) is None
    assert raw_decision([], wire.TLS12) is None


def test_ssl_contexts_are_built_once_per_version() -> None:
    assert shared_client_context("TLSv1.2") is shared_client_context("TLSv1.2")
    assert shared_client_context("TLSv1.2") is not shared_client_context("TLSv1.3")
    ctx = shared_client_context(None)
    assert ctx.verify_mode.name == "CERT_NONE" and ctx.check_hostname is False


def test_elimination_offer_covers_exactly_the_unsettled_classes() -> None:
    for classes in (frozenset(suites.WEAK_CLASSES), frozenset({"NULL", "ANON"}), frozenset({"3DES"})):
        for sslv3 in (False, True):
            offer = suites.elimination_suites(classes, sslv3)
            expected = {c for cls in classes for c in suites.class_suites(cls) if not sslv3 or suites.sslv3_capable(c)}
            assert sorted(offer) == sorted(expected)
            # suites that settle the most classes at once come first
            counts = [len(suites.suite_classes(c) & classes) for c in offer]
            assert counts == sorted(counts, reverse=True)
    # a server with no weak suite is asked with 2 hellos per version
    assert len(suites.elimination_suites(frozenset(suites.WEAK_CLASSES))) <= 2 * suites.MAX_SUITES_PER_HELLO
    with pytest.raises(KeyError):
        suites.elimination_suites(frozenset({"NOPE"}))


# -- budgets against peers -----------------------------------------------------------


def test_hardened_scripted_server_costs_nine_connections(certs: dict[str, CertKey]) -> None:
    """TLS 1.2 only, one strong suite, clean alerts: no full handshake, 9 connections
    (preflight = TLS 1.2, SSLv2, SSLv3, TLS 1.0, 1.1, 1.3, 2 class offers, health check)."""
    srv = ScriptedServer(versions={wire.TLS12}, suites=[0xC02F], cert_der=certs["good"].der)
    facts = _collect_scripted(srv)
    versions = facts["tls.versions"].data
    assert {v: versions[v] for v in PROTOCOLS} == {
        "SSLv2": False, "SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": False,
    }
    classes = facts["tls.cipher_classes"].data
    assert {c: classes[c] for c in suites.WEAK_CLASSES} == NO_WEAK
    assert classes["versions_probed"] == ["TLSv1.2"]
    assert _escalated(facts) == []
    assert versions["method"]["TLSv1.0"] == "raw ClientHello refused definitively (protocol_version alert)"
    assert facts["tls.versions"].evidence["connections"] == srv.connections <= 9


def test_class_scan_settles_several_classes_per_answer(certs: dict[str, CertKey]) -> None:
    """One accepted suite settles every class it belongs to; the verdicts and examples are
    those of one probe per class, in fewer hellos than classes."""
    srv = ScriptedServer(
        versions={wire.TLS12},
        suites=[0xC02F, 0x0008, 0xC013],  # ECDHE-RSA-AES128-GCM, EXPORT-DES40-CBC-SHA (4 classes), ECDHE CBC-SHA1
        cert_der=certs["good"].der,
    )
    facts = _collect_scripted(srv)
    classes = facts["tls.cipher_classes"].data
    assert {c: classes[c] for c in suites.WEAK_CLASSES} == {
        **NO_WEAK, "EXPORT": True, "DES": True, "NO_FS": True, "CBC_SHA1": True,
    }
    for cls in ("EXPORT", "DES", "NO_FS", "CBC_SHA1"):
        assert classes["accepted_examples"][cls] == [
            {"suite": "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "code": "0x0008", "version": "TLSv1.2"}
        ]
    # preflight, SSLv2, SSLv3, TLS 1.0, 1.1, 1.3, health check = 7; the eight classes took 2 hellos
    # (one answered with 0x0008, one refusing what was left), where one probe per class took 8+
    assert srv.connections - 7 == 2, srv.seen


def test_unclear_reply_leaves_only_that_class_null(certs: dict[str, CertKey]) -> None:
    """A reply that is neither a ServerHello for an offered suite nor a clean refusal must
    not spread: the multi-class offer is re-asked class by class, and only the class whose
    own offer triggers it stays null ("could not be tested")."""
    srv = ScriptedServer(
        versions={wire.TLS12},
        suites=[0xC02F, 0x000A],  # + 3DES (3DES, NO_FS, CBC_SHA1)
        cert_der=certs["good"].der,
        garbage_if_offered=frozenset({0x002C}),  # TLS_PSK_WITH_NULL_SHA (NULL, NO_FS), not in the preflight
    )
    facts = _collect_scripted(srv)
    classes = facts["tls.cipher_classes"].data
    assert {c: classes[c] for c in suites.WEAK_CLASSES} == {
        **NO_WEAK, "NULL": None, "3DES": True, "NO_FS": True, "CBC_SHA1": True,
    }
    log = facts["tls.cipher_classes"].evidence["probes"]
    assert any("unknown: not TLS" in line for line in log["NULL"]), log["NULL"]
    assert any("re-asked class by class" in line for line in log["ANON"]), log["ANON"]


def _scan_hardened_mock(run: Runner, refusal: str) -> dict[str, Fact]:
    fleet_mod = pytest.importorskip("mock_bmc.fleet")
    from mock_bmc.profiles import load_profile

    profile = load_profile("hardened").derive(f"hardened-{refusal}", tls={"refusal": refusal})
    spec = fleet_mod.FleetSpec(groups=(fleet_mod.GroupSpec(profile, 1),))
    with fleet_mod.run_fleet_in_thread(spec) as fleet:
        bmc = fleet.bmcs[0]
        facts = _by_kind(run(collect_tls(bmc.host, bmc.ports["https"], timeout=5.0)))
    versions = facts["tls.versions"].data
    assert {v: versions[v] for v in PROTOCOLS} == {
        "SSLv2": False, "SSLv3": False, "TLSv1.0": False, "TLSv1.1": False, "TLSv1.2": True, "TLSv1.3": True,
    }
    assert {c: facts["tls.cipher_classes"].data[c] for c in suites.WEAK_CLASSES} == NO_WEAK
    return facts


def test_hardened_mock_bmc_refusing_with_alerts_needs_no_full_handshake(run: Runner) -> None:
    """The mock BMC sends OpenSSL's protocol_version alert, as real BMCs do: every verdict is
    settled by raw hellos.  Budget: 8 connections."""
    facts = _scan_hardened_mock(run, "alert")
    assert _escalated(facts) == []
    assert facts["tls.versions"].data["method"]["TLSv1.0"] == \
        "raw ClientHello refused definitively (protocol_version alert)"
    # no verdict rests on a hang-up, so the preflight hello is not repeated at the end
    assert facts["tls.connectivity"].data["healthy_after_scan"] is None
    assert facts["tls.connectivity"].evidence["health_check"].startswith("not repeated")
    assert facts["tls.versions"].evidence["connections"] <= 8


def test_hardened_mock_bmc_that_hangs_up_on_refusals(run: Runner) -> None:
    """``tls: {refusal: hangup}``: hang-ups are not definitive, so TLS 1.0 and 1.1 get the pinned
    full handshake, and nothing else does.  Budget: 15."""
    facts = _scan_hardened_mock(run, "hangup")
    # verdicts rest on hang-ups: the preflight hello is repeated, and the server still answers
    assert facts["tls.connectivity"].data["healthy_after_scan"] is True
    assert facts["tls.connectivity"].evidence["health_check"].startswith("ServerHello")
    assert _escalated(facts) == ["TLSv1.0", "TLSv1.1"]
    assert "not conclusive (hang-up" in facts["tls.versions"].data["method"]["TLSv1.0"]
    assert facts["tls.versions"].evidence["connections"] <= 15


# -- a server that mis-parses our hand-built hello -----------------------------------


@pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed (Debian package openssl)")
@pytest.mark.parametrize(("alert", "seen_as"), [(None, "hang-up"), (50, "decode_error alert")])
def test_misparsed_raw_hello_gets_the_full_handshake_cross_check(
    tmp_path: Path, certs: dict[str, CertKey], alert: int | None, seen_as: str, run: Runner
) -> None:
    """A stack that chokes on our raw TLS 1.0 hello (hang-up, or a decode_error alert) but
    speaks TLS 1.0 to a real client: the raw answer is not taken as a refusal, the pinned
    handshake decides, and the conflict is recorded."""
    cert_path, key_path = certs["good"].write(tmp_path, "good")
    backend = OpenSSLServer(
        "misparse", ["-cert", str(cert_path), "-key", str(key_path), "-cipher", "ALL:@SECLEVEL=0"], tmp_path
    ).start()

    async def go() -> tuple[list[Fact], MisparsingProxy]:
        proxy = await MisparsingProxy(backend.host, backend.port, wire.TLS10, alert=alert).start()
        try:
            return await collect_tls("127.0.0.1", proxy.port, timeout=5.0), proxy
        finally:
            await proxy.stop()

    try:
        facts_list, proxy = run(go())
    finally:
        backend.stop()
    facts = _by_kind(facts_list)
    versions = facts["tls.versions"].data
    assert proxy.misparsed >= 1  # the raw TLS 1.0 hellos were refused by the "buggy" stack
    assert versions["TLSv1.0"] is True
    assert versions["disagreements"] == ["TLSv1.0"]
    assert versions["method"]["TLSv1.0"].startswith(f"raw ClientHello not conclusive ({seen_as}")
    assert "handshake completed: TLSv1.0" in facts["tls.versions"].evidence["probes"]["TLSv1.0"]["ssl"]
    # the versions the stack parses fine need no full handshake
    assert _escalated(facts) == ["TLSv1.0"]
    assert versions["TLSv1.1"] is True and versions["TLSv1.2"] is True and versions["TLSv1.3"] is True
    # a hang-up was seen, so health was re-checked; an alert alone needs no re-check
    assert facts["tls.connectivity"].data["healthy_after_scan"] is (True if alert is None else None)

