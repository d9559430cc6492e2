"""OOB-IPMI-001..006 on fact fixtures: the no-answer rule, the cipher-0 rule, the RAKP severities."""

from __future__ import annotations

from typing import Any

import pytest

from oobaudit.checks import REGISTRY, Severity, Status
from oobaudit.collectors import ipmi as C
from oobaudit.facts import Fact
from oobaudit.policy import Settings
from tests.ipmi.conftest import IPMI_CHECKS, STRICT, judge, verdicts

PORT = 623
WIRE = f"udp/{PORT}"


def f(kind: str, data: dict[str, Any] | None = None, subject: str = "", error: str | None = None,
      evidence: dict[str, Any] | None = None) -> Fact:
    return Fact(kind=kind, subject=subject, collector="ipmi", data=data or {}, error=error,
                evidence={"port": PORT, **(evidence or {})})


def dark(reason: str) -> Fact:
    return f(C.IPMI_PRESENCE, subject=WIRE, error=f"no answer on {WIRE}: ...", evidence={"reason": reason})


PRESENT = f(C.IPMI_PRESENCE, {"port": PORT, "asf_pong": True, "gcac_answered": True}, subject=WIRE)


def caps(**kw: Any) -> Fact:
    d = {"channel": 1, "ipmi20_extended": True, "auth_types": ["md5"], "weak_auth_types": [],
         "per_message_auth_disabled": False, "user_level_auth_disabled": False, "non_null_usernames": True,
         "null_usernames": False, "anonymous_login": False, "supports_ipmi15": True, "supports_ipmi20": True,
         "kg_nonzero": False, "raw_hex": "01840403000000 00"}
    d.update(kw)
    return f(C.IPMI_AUTH_CAPS, d)


def cz(status: int | None = 0x11, echoed: dict[str, int] | None = None, accepted: bool = False,
       command: bool | None = None, **kw: Any) -> Fact:
    suite = None if echoed is None else {(0, 0, 0): 0, (1, 1, 1): 3, (3, 4, 1): 17}.get(tuple(echoed.values()))
    return f(C.IPMI_CIPHER_ZERO, {"ipmi20_supported": True, "status": status, "status_name": "X", "echoed": echoed,
                                  "echoed_suite": suite, "accepted": accepted, "command_with_wrong_password": command,
                                  "command_note": "note", "command_user": "ADMIN", **kw})


def suites(*ids: int) -> Fact:
    return f(C.IPMI_CIPHER_SUITES, {"suites": list(ids), "records": [], "ipmi20_supported": True})


def user(name: str, exists: bool | None, cracked: bool | None = None, **kw: Any) -> Fact:
    d = {"username": name, "exists": exists, "silent": False, "rakp2_status": 0 if exists else 0x0D,
         "hash_disclosed": bool(exists), "hash_cracked": cracked, "matched_vendor": "Supermicro" if cracked else None,
         "candidates_tested": 1 if exists else 0, "note": None}
    d.update(kw)
    return f(C.IPMI_USER, d, subject=f"ipmi-user:{C.null_safe_name(name)}")


def clean() -> list[Fact]:
    return [PRESENT, caps(), suites(17), cz(status=0x11), user("", False), user("admin", True, False),
            user("root", False), f(C.IPMI_V15_USERS, {"results": {"": "null_user_disabled", "admin": "challenge"}})]


# --------------------------------------------------------------------------- metadata


def test_metadata_names_the_cves_and_guidance() -> None:
    refs = " ".join(r for c in IPMI_CHECKS for r in REGISTRY[c].meta.references)
    for needle in ("CVE-2013-4782", "CVE-2013-4783", "CVE-2013-4784", "CVE-2013-4786", "TA13-207A",
                   "Harden Baseboard Management Controllers"):
        assert needle in refs, needle
    assert REGISTRY["OOB-IPMI-002"].meta.severity is Severity.CRITICAL
    assert REGISTRY["OOB-IPMI-004"].meta.severity is Severity.CRITICAL
    for c in IPMI_CHECKS[1:]:
        assert C.IPMI_PRESENCE in REGISTRY[c].meta.needs


# --------------------------------------------------------------------------- the no-answer rule


@pytest.mark.parametrize(("facts", "redfish", "expect"), [
    ([dark("icmp_unreachable")], False, Status.PASS),         # closed port, Redfish agrees
    ([dark("icmp_unreachable")], None, Status.PASS),          # closed port, IPMI not offered
    ([dark("timeout")], False, Status.PASS),                  # silence, Redfish says disabled
    ([dark("timeout")], True, Status.ERROR),                  # silence but Redfish says enabled
    ([dark("timeout")], "absent", Status.ERROR),              # silence and no Redfish: cannot tell
    ([dark("icmp_unreachable")], "absent", Status.ERROR),     # IPMI-001's Redfish side is unknown
    ([dark("icmp_unreachable")], True, Status.ERROR),         # closed here, but Redfish says on (fails 001)
    ([dark("socket_error")], False, Status.ERROR),            # could not probe at all
    ([], False, Status.PASS),                                 # not probed; Redfish says disabled
    ([], True, Status.ERROR),                                 # not probed; Redfish says enabled
    ([], "absent", Status.ERROR),                             # nothing known
])
def test_no_answer_rule(facts: list[Fact], redfish: Any, expect: Status) -> None:
    findings = judge(facts, redfish=redfish)
    others = [x for x in findings if x.check_id != "OOB-IPMI-001"]
    assert {x.check_id for x in others} == set(IPMI_CHECKS[1:])
    assert {x.status for x in others} == {expect}, [(x.check_id, x.subject, x.detail) for x in others]
    if expect is Status.PASS:
        assert all("not reachable" in x.detail for x in others)
        assert {x.status for x in findings if x.check_id == "OOB-IPMI-001"} == {Status.PASS}


def test_ipmi_001_wire_and_redfish_subjects() -> None:
    st = verdicts(judge([PRESENT], redfish=False, checks=["OOB-IPMI-001"]))
    # the BMC says IPMI is off, but it answers: caught on the wire
    assert st == {("OOB-IPMI-001", "BMC:IPMI"): Status.PASS, ("OOB-IPMI-001", WIRE): Status.FAIL}
    st = verdicts(judge([PRESENT], Settings(ipmi_allowed=True), ["OOB-IPMI-001"], redfish=True))
    assert st == {("OOB-IPMI-001", "BMC:IPMI"): Status.PASS, ("OOB-IPMI-001", WIRE): Status.PASS}
    st = verdicts(judge([dark("icmp_unreachable")], checks=["OOB-IPMI-001"], redfish=False))
    assert st == {("OOB-IPMI-001", "BMC:IPMI"): Status.PASS, ("OOB-IPMI-001", WIRE): Status.PASS}
    st = verdicts(judge([dark("timeout")], checks=["OOB-IPMI-001"], redfish=True))
    assert st == {("OOB-IPMI-001", "BMC:IPMI"): Status.FAIL, ("OOB-IPMI-001", WIRE): Status.ERROR}
    # without wire facts the check is exactly the Redfish one it used to be
    st = verdicts(judge([], checks=["OOB-IPMI-001"], redfish=True))
    assert st == {("OOB-IPMI-001", "BMC:IPMI"): Status.FAIL}


def test_clean_bmc_with_ipmi_allowed_passes_everything() -> None:
    findings = judge(clean(), STRICT, redfish=True)
    assert {x.status for x in findings} == {Status.PASS}, [(x.check_id, x.subject, x.detail) for x in findings]


# --------------------------------------------------------------------------- OOB-IPMI-002


def _002(*facts: Fact) -> Any:
    return judge([PRESENT, *facts], STRICT, ["OOB-IPMI-002"], redfish=True)[0]


def test_cipher_zero_needs_status_zero_and_echoed_zero() -> None:
    zero = {"auth": 0, "integrity": 0, "confidentiality": 0}
    # the real thing, confirmed with a command
    x = _002(cz(0, zero, accepted=True, command=True))
    assert x.status is Status.FAIL and x.severity is Severity.CRITICAL and "confirmed" in x.detail
    # accepted but not confirmed: still a FAIL, one step lower
    x = _002(cz(0, zero, accepted=True, command=False))
    assert x.status is Status.FAIL and x.severity is Severity.HIGH and "failed" in x.detail
    # status 0 but suite 3 echoed (pyghmi, virtualbmc): nmap and Metasploit say VULNERABLE, we do not
    x = _002(cz(0, {"auth": 1, "integrity": 1, "confidentiality": 1}))
    assert x.status is Status.PASS and "suite 3" in x.detail
    # an Open Session Response with a non-zero status (nmap says VULNERABLE)
    x = _002(cz(0x11))
    assert x.status is Status.PASS and "0x11" in x.detail
    x = _002(f(C.IPMI_CIPHER_ZERO, error="no Open Session Response to a cipher suite 0 proposal"))
    assert x.status is Status.ERROR
    x = _002(cz(None, ipmi20_supported=False))
    assert x.status is Status.PASS and "not supported" in x.detail


# --------------------------------------------------------------------------- OOB-IPMI-003


@pytest.mark.parametrize(("facts", "expect"), [
    ([caps(anonymous_login=True)], Status.FAIL),
    ([caps(null_usernames=True)], Status.FAIL),
    ([caps(), user("", True, True, matched_vendor="(empty password)")], Status.FAIL),
    ([caps(), f(C.IPMI_V15_USERS, {"results": {"": "challenge"}})], Status.FAIL),
    ([caps(), user("", False)], Status.PASS),
    ([f(C.IPMI_AUTH_CAPS, error="no reply")], Status.ERROR),
])
def test_anonymous_and_null_users(facts: list[Fact], expect: Status) -> None:
    x = judge([PRESENT, *facts], STRICT, ["OOB-IPMI-003"], redfish=True)[0]
    assert x.status is expect and x.subject == "anonymous"


# --------------------------------------------------------------------------- OOB-IPMI-004


def test_rakp_severities_follow_the_baseline() -> None:
    facts = [PRESENT, caps(), user("ADMIN", True, True), user("admin", True, False), user("root", False)]
    st = {x.subject: x for x in judge(facts, Settings(), ["OOB-IPMI-004"], redfish=True)}
    assert st["ipmi-user:ADMIN"].status is Status.FAIL and st["ipmi-user:ADMIN"].severity is Severity.CRITICAL
    assert "Supermicro" in st["ipmi-user:ADMIN"].detail
    assert st["ipmi-user:admin"].status is Status.PASS
    assert "ipmi-user:root" not in st  # no such user: no hash, nothing to judge
    assert st["rakp2-disclosure"].status is Status.FAIL and st["rakp2-disclosure"].severity is Severity.MEDIUM
    st = {x.subject: x for x in judge(facts, STRICT, ["OOB-IPMI-004"], redfish=True)}
    assert st["ipmi-user:ADMIN"].status is Status.FAIL  # a cracked default is never accepted
    assert st["rakp2-disclosure"].status is Status.PASS and st["rakp2-disclosure"].severity is Severity.LOW


def test_rakp_inconclusive_is_an_error() -> None:
    facts = [PRESENT, caps(), user("ADMIN", None, note="no RAKP2 reply"), user("root", None, note="no RAKP2 reply")]
    x = judge(facts, STRICT, ["OOB-IPMI-004"], redfish=True)
    assert [(y.subject, y.status) for y in x] == [("rakp2-disclosure", Status.ERROR)]
    x = judge([PRESENT, caps()], STRICT, ["OOB-IPMI-004"], redfish=True)
    assert x[0].status is Status.ERROR


# --------------------------------------------------------------------------- OOB-IPMI-005 / 006


def test_ipmi15_auth_settings() -> None:
    st = verdicts(judge([PRESENT, caps(auth_types=["none", "md5", "password"], weak_auth_types=["none", "password"],
                                       user_level_auth_disabled=True)], STRICT, ["OOB-IPMI-005"], redfish=True))
    assert st == {("OOB-IPMI-005", "auth-types"): Status.FAIL, ("OOB-IPMI-005", "per-message-auth"): Status.PASS,
                  ("OOB-IPMI-005", "user-level-auth"): Status.FAIL}
    st = verdicts(judge([PRESENT, caps(supports_ipmi15=False, per_message_auth_disabled=True)], STRICT,
                        ["OOB-IPMI-005"], redfish=True))
    assert set(st.values()) == {Status.PASS}


def test_cipher_suites_against_the_allowed_list() -> None:
    def run(settings: Settings, *ids: int) -> Any:
        return judge([PRESENT, suites(*ids)], settings, ["OOB-IPMI-006"], redfish=True)[0]

    assert run(Settings(), 17).status is Status.PASS
    x = run(Settings(), 3, 17)
    assert x.status is Status.FAIL and x.severity is Severity.MEDIUM and "3 (not in the baseline)" in x.detail
    assert run(Settings(ipmi_cipher_suites_allowed=[3, 17]), 3, 17).status is Status.PASS
    x = run(Settings(ipmi_cipher_suites_allowed=[3, 17]), 0, 3, 17)
    assert x.status is Status.FAIL and x.severity is Severity.HIGH and "no authentication" in x.detail
    x = judge([PRESENT, f(C.IPMI_CIPHER_SUITES, error="Get Channel Cipher Suites refused: cc 0xC1")], STRICT,
              ["OOB-IPMI-006"], redfish=True)[0]
    assert x.status is Status.ERROR and "0xC1" in x.detail
