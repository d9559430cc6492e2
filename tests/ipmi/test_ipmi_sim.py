"""The prober and checks against OpenIPMI ``ipmi_sim``, the independent peer.

Three configurations: the shared vulnerable channel and MD5-only channel of
tests/mock_ipmi (written by another author, not for these tests), and our own
hardened ipmi_sim.  Every planted weakness must be found; everything configured
safe must pass.  ipmi_sim cannot restrict cipher suites (it always offers 0-14 and
accepts suite 0), so cipher 0 and the suite list fail on every ipmi_sim - each time
confirmed by a command that succeeded with no valid password, i.e. not a false positive.
"""

from __future__ import annotations

from typing import Any

import pytest

from oobaudit.checks import Status
from oobaudit.collectors import ipmi as C
from oobaudit.facts import CRED_LOGIN
from oobaudit.policy import Settings
from tests.ipmi.conftest import HardSim, by_kind, collect, judge, one, target, verdicts

ALLOWED = Settings(ipmi_allowed=True, ipmi_cipher_suites_allowed=[3, 17])


@pytest.fixture(scope="module")
def sim_facts(ipmi_sim: Any, ipmi_sim_hardened: HardSim) -> dict[str, list]:
    """Collect once per configuration (the peers start once per session)."""
    return {
        "vuln": collect(target(ipmi_sim.vuln_port, username="admin", password="admin")),
        "md5": collect(target(ipmi_sim.md5_port)),
        "hardened": collect(target(ipmi_sim_hardened.port, username="admin", password=ipmi_sim_hardened.password)),
    }


def _findings(facts: list, settings: Settings = ALLOWED) -> dict[tuple[str, str], Status]:
    return verdicts(judge(facts, settings, redfish=True))


def test_vulnerable_channel_every_planted_weakness(sim_facts: dict[str, list]) -> None:
    facts = sim_facts["vuln"]
    caps = one(facts, C.IPMI_AUTH_CAPS).data
    assert caps["raw_hex"] == "0197050300000000"  # the bytes the reference observed
    assert caps["anonymous_login"] and caps["weak_auth_types"] == ["none", "md2", "password"]
    cz = one(facts, C.IPMI_CIPHER_ZERO).data
    assert cz["accepted"] and cz["command_with_wrong_password"] is True
    users = {f.data["username"]: f.data for f in by_kind(facts, C.IPMI_USER)}
    assert users["admin"]["hash_cracked"] and users["ADMIN"]["hash_cracked"]
    assert users[""]["exists"] and users[""]["matched_vendor"] == "(empty password)"
    assert users["root"]["exists"] is False and users["USERID"]["exists"] is False
    assert users["admin"]["auditor_password_verified"] is True
    v15 = one(facts, C.IPMI_V15_USERS).data
    assert v15["results"]["root"] == "invalid_user" and v15["results"]["admin"] == "challenge"
    dev = one(facts, C.IPMI_DEVICE)  # python-ipmi suite 3 with the (offline-verified) credentials
    assert dev.ok and dev.data["manufacturer_id"] == 0x1291 and dev.data["product_id"] == 0xF02
    st = _findings(facts)
    expect_fail = {("OOB-IPMI-002", "cipher-0"), ("OOB-IPMI-003", "anonymous"),
                   ("OOB-IPMI-004", "ipmi-user:admin"), ("OOB-IPMI-004", "ipmi-user:ADMIN"),
                   ("OOB-IPMI-004", "ipmi-user:(null)"), ("OOB-IPMI-005", "auth-types"),
                   ("OOB-IPMI-006", "cipher-suites")}
    assert {k for k, v in st.items() if v is Status.FAIL} == expect_fail
    assert {k for k, v in st.items() if v is Status.ERROR} == set()
    # per-message / user-level auth are on in this ipmi_sim channel: no false positive
    assert st[("OOB-IPMI-005", "per-message-auth")] is Status.PASS
    logins = {f.subject: f.data["outcome"] for f in by_kind(facts, CRED_LOGIN)}
    assert logins["ipmi:admin"] == "accepted" and logins["ipmi:ADMIN"] == "accepted"


def test_md5_only_channel(sim_facts: dict[str, list]) -> None:
    facts = sim_facts["md5"]
    caps = one(facts, C.IPMI_AUTH_CAPS).data
    assert caps["channel"] == 2 and caps["auth_types"] == ["md5"]
    st = _findings(facts)
    # MD5 only + per-message auth: IPMI-005 is clean; the shared users (anonymous user 1,
    # admin/admin, ADMIN/ADMIN) are still there on this channel, and so is cipher 0
    assert {k for k, v in st.items() if k[0] == "OOB-IPMI-005"} == {
        ("OOB-IPMI-005", "auth-types"), ("OOB-IPMI-005", "per-message-auth"), ("OOB-IPMI-005", "user-level-auth")}
    assert all(st[k] is Status.PASS for k in st if k[0] == "OOB-IPMI-005")
    assert st[("OOB-IPMI-003", "anonymous")] is Status.FAIL
    assert st[("OOB-IPMI-004", "ipmi-user:admin")] is Status.FAIL
    assert st[("OOB-IPMI-002", "cipher-0")] is Status.FAIL


def test_hardened_sim_no_false_positive(sim_facts: dict[str, list]) -> None:
    facts = sim_facts["hardened"]
    users = {f.data["username"]: f.data for f in by_kind(facts, C.IPMI_USER)}
    assert users["admin"]["exists"] and users["admin"]["hash_cracked"] is False
    assert users["admin"]["auditor_password_verified"] is True
    assert users[""]["exists"] is False and users["ADMIN"]["exists"] is False
    caps = one(facts, C.IPMI_AUTH_CAPS).data
    assert not caps["anonymous_login"] and not caps["null_usernames"] and caps["auth_types"] == ["md5"]
    st = _findings(facts)
    assert st[("OOB-IPMI-001", "BMC:IPMI")] is Status.PASS
    assert st[("OOB-IPMI-003", "anonymous")] is Status.PASS
    assert st[("OOB-IPMI-004", "ipmi-user:admin")] is Status.PASS
    assert st[("OOB-IPMI-004", "rakp2-disclosure")] is Status.PASS
    assert all(st[k] is Status.PASS for k in st if k[0] == "OOB-IPMI-005")
    # the two things ipmi_sim cannot switch off - and they are real: a command succeeded with no password
    assert {k for k, v in st.items() if v is not Status.PASS} == {("OOB-IPMI-002", "cipher-0"),
                                                                   ("OOB-IPMI-006", "cipher-suites")}
    assert one(facts, C.IPMI_CIPHER_ZERO).data["command_with_wrong_password"] is True
    logins = {f.subject: f.data["outcome"] for f in by_kind(facts, CRED_LOGIN)}
    assert logins["ipmi:admin"] == "rejected"
