"""The IPMI prober against our mock responder: facts match the configuration, the
cipher-0 verdict needs status 0 *and* echoed 0/0/0, and probing never costs a failed login."""

from __future__ import annotations

import asyncio
import json
import time

from mock_bmc.ipmi import IpmiResponder
from oobaudit.checks import Severity, Status
from oobaudit.collectors import ipmi as C
from oobaudit.facts import CRED_LOGIN
from tests.ipmi.conftest import (
    STRICT,
    STRONG_PW,
    by_kind,
    closed_udp_port,
    collect,
    judge,
    one,
    target,
    verdicts,
)
from tests.mock_ipmi.conftest import wait_for


def test_vulnerable_mock_every_weakness_found(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["vulnerable"]
    bmc.reset_counters()
    facts = collect(target(bmc.port))
    pres = one(facts, C.IPMI_PRESENCE)
    assert pres.ok and pres.subject == f"udp/{bmc.port}"
    assert pres.data["asf_pong"] and pres.data["ipmi_supported"] and pres.data["gcac_answered"]
    caps = one(facts, C.IPMI_AUTH_CAPS).data
    assert caps["auth_types"] == ["none", "md5", "password"] and caps["weak_auth_types"] == ["none", "password"]
    assert caps["anonymous_login"] and caps["per_message_auth_disabled"] and not caps["user_level_auth_disabled"]
    assert caps["supports_ipmi15"] and caps["supports_ipmi20"]
    assert one(facts, C.IPMI_CIPHER_SUITES).data["suites"] == [0, 1, 2, 3, 17]
    cz = one(facts, C.IPMI_CIPHER_ZERO).data
    assert cz["accepted"] and cz["status"] == 0 and cz["echoed"] == {"auth": 0, "integrity": 0, "confidentiality": 0}
    assert cz["command_with_wrong_password"] is True and cz["command_user"] == "ADMIN"
    users = {f.data["username"]: f.data for f in by_kind(facts, C.IPMI_USER)}
    assert users["ADMIN"]["exists"] and users["ADMIN"]["hash_cracked"]
    assert users["ADMIN"]["matched_vendor"] == "Supermicro"
    assert users["admin"]["exists"] and users["admin"]["hash_cracked"]
    assert users[""]["exists"] and users[""]["hash_cracked"] and users[""]["matched_vendor"] == "(empty password)"
    assert users["root"]["exists"] is False and users["root"]["rakp2_status_name"] == "UNAUTHORIZED_NAME"
    v15 = one(facts, C.IPMI_V15_USERS).data
    assert v15["results"]["ADMIN"] == "challenge" and v15["results"]["root"] == "invalid_user" and v15["enumerable"]
    logins = {f.subject: f.data for f in by_kind(facts, CRED_LOGIN)}
    assert logins["ipmi:ADMIN"]["outcome"] == "accepted" and logins["ipmi:ADMIN"]["attempts"] == 0
    assert logins["ipmi:ADMIN"]["method"] == "offline RAKP2" and logins["ipmi:ADMIN"]["protocol"] == "ipmi"
    assert logins["ipmi-cipher0:ADMIN"]["outcome"] == "no_auth"

    st = verdicts(judge(facts))
    assert st[("OOB-IPMI-001", f"udp/{bmc.port}")] is Status.FAIL
    assert st[("OOB-IPMI-002", "cipher-0")] is Status.FAIL
    assert st[("OOB-IPMI-003", "anonymous")] is Status.FAIL
    assert st[("OOB-IPMI-004", "ipmi-user:ADMIN")] is Status.FAIL
    assert st[("OOB-IPMI-004", "ipmi-user:admin")] is Status.FAIL
    assert st[("OOB-IPMI-004", "ipmi-user:(null)")] is Status.FAIL
    assert st[("OOB-IPMI-004", "rakp2-disclosure")] is Status.FAIL
    assert st[("OOB-IPMI-005", "auth-types")] is Status.FAIL
    assert st[("OOB-IPMI-005", "per-message-auth")] is Status.FAIL
    assert st[("OOB-IPMI-005", "user-level-auth")] is Status.PASS
    assert st[("OOB-IPMI-006", "cipher-suites")] is Status.FAIL
    # the probe logged in once (the cipher-0 confirmation, which succeeded) and never failed
    assert wait_for(lambda: bmc.successful_logins.get("ADMIN") == 1)
    assert bmc.failed_logins == {} and bmc.locked_users == frozenset()


def test_hardened_mock_has_no_fail_when_ipmi_is_allowed(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["hardened"]
    bmc.reset_counters()
    facts = collect(target(bmc.port, username="admin", password=STRONG_PW))
    findings = judge(facts, STRICT, redfish=True)
    assert [f for f in findings if f.status is not Status.PASS] == []
    st = verdicts(findings)
    assert st[("OOB-IPMI-004", "ipmi-user:admin")] is Status.PASS
    disclosure = next(f for f in findings if f.subject == "rakp2-disclosure")
    assert disclosure.severity is Severity.LOW and "accepted risk" in disclosure.detail
    cz = one(facts, C.IPMI_CIPHER_ZERO).data
    assert not cz["accepted"] and cz["status"] == 0x04 and cz["command_with_wrong_password"] is None
    user = one(facts, C.IPMI_USER, "ipmi-user:admin").data
    assert user["auditor_password_verified"] is True and user["hash_cracked"] is False
    # python-ipmi (suite 3) is not used: the BMC offers suite 17 only
    assert by_kind(facts, C.IPMI_DEVICE) == []
    # default settings (IPMI not allowed): IPMI-001 and the disclosure fail, nothing else
    st = verdicts(judge(facts, redfish=True))
    fails = {k for k, v in st.items() if v is Status.FAIL}
    assert fails == {("OOB-IPMI-001", "BMC:IPMI"), ("OOB-IPMI-001", f"udp/{bmc.port}"),
                     ("OOB-IPMI-004", "rakp2-disclosure")}
    assert bmc.failed_logins == {} and bmc.successful_logins == {}


def test_nothing_secret_is_stored(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["vulnerable"]
    facts = collect(target(bmc.port, username="ADMIN", password="ADMIN"))
    blob = json.dumps([f.model_dump(mode="json") for f in facts])
    assert "x9-Oper" not in blob and '"password":' not in blob
    for f in by_kind(facts, C.IPMI_USER):
        assert not ({"hmac", "salt", "hash", "password"} & set(f.data))
    # no field carries 20+ byte hex blobs other than the GCAC / suite record evidence
    for f in facts:
        for k, v in f.data.items():
            if isinstance(v, str) and len(v) >= 40 and all(c in "0123456789abcdef" for c in v):
                assert k == "raw_hex", (f.kind, k)


def test_python_ipmi_device_id_only_after_offline_proof(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["vulnerable"]
    bmc.reset_counters()
    facts = collect(target(bmc.port, username="oper", password="x9-Oper"))
    dev = one(facts, C.IPMI_DEVICE)
    assert dev.ok, dev.error
    assert dev.data["manufacturer_id"] == 10876 and dev.data["username"] == "oper"
    # a wrong inventory password is caught offline: no python-ipmi login, no failure
    bmc.reset_counters()
    facts = collect(target(bmc.port, username="oper", password="not-the-password"))
    assert by_kind(facts, C.IPMI_DEVICE) == []
    assert one(facts, C.IPMI_USER, "ipmi-user:oper").data["auditor_password_verified"] is False
    assert bmc.failed_logins == {}


def test_status_zero_with_other_algorithms_is_not_cipher_zero(mock_bmcs: dict[str, IpmiResponder]) -> None:
    for name, suite in (("override3", 3), ("override17-silent", 17)):
        facts = collect(target(mock_bmcs[name].port))
        cz = one(facts, C.IPMI_CIPHER_ZERO).data
        assert cz["status"] == 0 and cz["echoed_suite"] == suite and cz["accepted"] is False, name
        assert cz["command_with_wrong_password"] is None
        f = next(f for f in judge(facts, STRICT, ["OOB-IPMI-002"]))
        assert f.status is Status.PASS and f"suite {suite}" in f.detail and "misreport" in f.detail


def test_nonzero_status_is_not_cipher_zero(mock_bmcs: dict[str, IpmiResponder]) -> None:
    # suite 0 is not offered: Open Session Response with status 0x04 (what nmap calls VULNERABLE)
    facts = collect(target(mock_bmcs["hardened"].port))
    cz = one(facts, C.IPMI_CIPHER_ZERO).data
    assert cz["status"] != 0 and cz["accepted"] is False
    assert verdicts(judge(facts, STRICT, ["OOB-IPMI-002"])) == {("OOB-IPMI-002", "cipher-0"): Status.PASS}


def test_silent_unknown_users_are_no_such_user(mock_bmcs: dict[str, IpmiResponder]) -> None:
    facts = collect(target(mock_bmcs["override17-silent"].port))
    users = {f.data["username"]: f.data for f in by_kind(facts, C.IPMI_USER)}
    assert users["admin"]["exists"] is True and users["admin"]["probe_suite"] == 17
    assert users["root"]["exists"] is None and users["root"]["silent"] is True
    assert users["ADMIN"]["silent"] is True
    st = verdicts(judge(facts, STRICT, ["OOB-IPMI-004"]))
    assert st == {("OOB-IPMI-004", "ipmi-user:admin"): Status.PASS, ("OOB-IPMI-004", "rakp2-disclosure"): Status.PASS}


def test_bmc_answering_gcac_but_not_asf_is_present(mock_bmcs: dict[str, IpmiResponder]) -> None:
    facts = collect(target(mock_bmcs["no-pong"].port))
    pres = one(facts, C.IPMI_PRESENCE)
    assert pres.ok and pres.data["asf_pong"] is False and pres.data["gcac_answered"] is True
    assert verdicts(judge(facts, STRICT))[("OOB-IPMI-006", "cipher-suites")] is Status.PASS


def test_ipmi15_only_bmc(mock_bmcs: dict[str, IpmiResponder]) -> None:
    facts = collect(target(mock_bmcs["v15-only"].port))
    caps = one(facts, C.IPMI_AUTH_CAPS).data
    assert caps["ipmi20_extended"] is False and caps["extended_refused_cc"] == 0xCC
    assert one(facts, C.IPMI_CIPHER_ZERO).data["ipmi20_supported"] is False
    assert by_kind(facts, C.IPMI_USER) == []
    findings = judge(facts, STRICT, redfish=True)
    assert {f.status for f in findings} == {Status.PASS}, [(f.check_id, f.subject, f.detail) for f in findings]


def test_closed_port_is_icmp_unreachable_and_fast() -> None:
    started = time.monotonic()
    facts = collect(target(closed_udp_port()), timeout=2.0, retries=2)
    assert time.monotonic() - started < 1.5  # no waiting for timeouts: the port is refused
    assert len(facts) == 1
    pres = facts[0]
    assert not pres.ok and pres.evidence["reason"] == "icmp_unreachable" and "no answer on udp/" in pres.error


def test_silent_port_times_out_after_bounded_retries(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["silent"]
    before = bmc.packets_received
    started = time.monotonic()
    facts = collect(target(bmc.port), timeout=0.3, retries=2)
    elapsed = time.monotonic() - started
    assert [f.kind for f in facts] == [C.IPMI_PRESENCE]
    assert facts[0].evidence["reason"] == "timeout" and facts[0].evidence["sent"] == 6
    assert 0.8 < elapsed < 2.0
    assert wait_for(lambda: bmc.packets_received - before == 6)  # ping + GCAC, 3 tries each


def test_garbage_replies_are_never_an_answer(mock_bmcs: dict[str, IpmiResponder]) -> None:
    facts = collect(target(mock_bmcs["garbage"].port), timeout=0.3, retries=1)
    assert [f.kind for f in facts] == [C.IPMI_PRESENCE] and facts[0].evidence["reason"] == "timeout"


def test_rate_limit_spaces_the_datagrams(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["hardened"]
    before = bmc.packets_received
    started = time.monotonic()
    collect(target(bmc.port), rate_pps=40)
    elapsed = time.monotonic() - started
    sent = bmc.packets_received - before
    assert sent >= 15
    assert elapsed >= (sent - 1) / 40 * 0.9


def test_probing_never_locks_an_account(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["lockout"]  # locks an account after ONE failed login
    bmc.reset_counters()
    for _ in range(3):
        facts = collect(target(bmc.port, username="admin", password="wrong"))
        assert one(facts, C.IPMI_CIPHER_ZERO).data["command_with_wrong_password"] is True
    assert bmc.failed_logins == {} and bmc.locked_users == frozenset()
    assert set(bmc.rakp2_disclosures) == {"ADMIN", "admin"}  # the probe's offline-check traffic


def test_budget_zero_or_no_credential_tests_skip_the_cipher0_login(mock_bmcs: dict[str, IpmiResponder]) -> None:
    bmc = mock_bmcs["vulnerable"]
    bmc.reset_counters()
    facts = collect(target(bmc.port), cred_budget={"*": 0})
    cz = one(facts, C.IPMI_CIPHER_ZERO).data
    assert cz["accepted"] and cz["command_with_wrong_password"] is None and "budget" in cz["command_note"]
    f = judge(facts, None, ["OOB-IPMI-002"])[0]
    assert f.status is Status.FAIL and f.severity is Severity.HIGH  # accepted, not confirmed
    facts = collect(target(bmc.port), credential_tests=False)
    assert by_kind(facts, CRED_LOGIN) == []
    assert all(f.data["hash_cracked"] is None for f in by_kind(facts, C.IPMI_USER))
    st = verdicts(judge(facts, None, ["OOB-IPMI-004"]))
    assert st[("OOB-IPMI-004", "ipmi-user:ADMIN")] is Status.NOT_APPLICABLE
    assert wait_for(lambda: True) and bmc.successful_logins == {} and bmc.failed_logins == {}


def test_collector_appends_as_it_goes_under_a_deadline(mock_bmcs: dict[str, IpmiResponder]) -> None:
    out: list = []

    async def run() -> None:
        try:
            async with asyncio.timeout(0.15):
                await C.collect_ipmi(target(mock_bmcs["vulnerable"].port), out, timeout=0.4, retries=1,
                                     rate_pps=20)
        except TimeoutError:
            pass

    asyncio.run(run())
    assert out and out[0].kind == C.IPMI_PRESENCE and out[0].ok


def test_bmc_that_only_answers_asf_is_bounded_and_never_passes() -> None:
    """A pong, then silence (a wedged IPMI stack): every later probe is bounded, every check is ERROR."""
    import contextlib
    import socket
    import threading

    from oobaudit.wire.rmcp import build_presence_pong, parse_presence_ping

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            with contextlib.suppress(ValueError):  # not a ping: stay silent
                sock.sendto(build_presence_pong(parse_presence_ping(data)), addr)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        facts = collect(target(sock.getsockname()[1]), timeout=0.3, retries=2)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()
    assert one(facts, C.IPMI_PRESENCE).data["asf_pong"] is True
    assert not one(facts, C.IPMI_AUTH_CAPS).ok and not one(facts, C.IPMI_CIPHER_ZERO).ok
    assert elapsed < 8, elapsed
    findings = judge(facts, STRICT, redfish=True)
    assert {f.status for f in findings if f.check_id != "OOB-IPMI-001"} == {Status.ERROR}


def test_no_ipmi_port_in_the_inventory_probes_nothing() -> None:
    t = target(1)
    t = type(t)(**{**t.__dict__, "ports": {"https": 443}})
    assert collect(t) == []
