"""``$expand`` on the mock's Redfish service (DSP0266 clause 7.3), over real HTTPS on loopback.

What matters for an auditor that relies on it: an expanded collection carries each member
exactly as a GET of that member would return it, junk is refused with a Redfish error, the
service root says what it supports, and expansion never shows anything to a client that
separate GETs would not (anonymous, locked out, read-only, faulty BMC).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_bmc.bmc import MockBMC
from mock_bmc.fleet import Fleet, FleetSpec, GroupSpec, run_fleet_in_thread
from mock_bmc.profiles import ProfileError, load_profile

from .helpers import basic, fetch, pick

VIEWER, VIEWER_PW = "viewer", "viewer-Passw0rd-long-enough"
FULL = {"ExpandAll": True, "Levels": True, "MaxLevels": 3, "Links": True, "NoLinks": True}
NONE = {"ExpandAll": False, "Levels": False, "Links": False, "NoLinks": False}


@pytest.fixture(scope="module")
def variants() -> Iterator[Fleet]:
    """BMCs whose ``redfish:`` section differs from the default, plus one with a ReadOnly user."""
    hardened = load_profile("hardened")
    viewer = {VIEWER: {"UserName": VIEWER, "password": VIEWER_PW, "RoleId": "ReadOnly"}}
    spec = FleetSpec(
        groups=[
            GroupSpec(hardened.derive("no-expand", redfish={"expand": False}), 1),
            GroupSpec(hardened.derive("expand-ignored", redfish={"expand_ignored": True}), 1),
            GroupSpec(hardened.derive("expand-refused", redfish={"expand": False, "expand_advertised": True}), 1),
            GroupSpec(hardened.derive("one-level", redfish={"expand_max_levels": 1}), 1),
            GroupSpec(hardened.derive("with-viewer", accounts=viewer), 1),
            GroupSpec(hardened.derive("viewer-lockout", accounts=viewer), 1),
        ],
        base_port=0,
        seed="tests-mock-expand",
    )
    with run_fleet_in_thread(spec) as running:
        yield running


def _get(fleet: Fleet, bmc: MockBMC, path_qs: str, *, auth: dict[str, str] | None = None) -> Any:
    headers = basic(fleet.auditor_user, fleet.auditor_password) if auth is None else auth
    reply = fetch("GET", bmc.https_url + path_qs, headers=headers)
    assert reply.status == 200, (path_qs, reply.status, reply.body[:300])
    return reply.json()


def _error(reply: Any) -> str:
    """The Base registry message id of a Redfish error reply (without the registry version)."""
    body = reply.json()
    info = body["error"]["@Message.ExtendedInfo"][0]
    assert body["error"]["code"] == info["MessageId"]
    return info["MessageId"].rsplit(".", 1)[1]


def test_service_root_advertises_expand(fleet: Fleet) -> None:
    for profile in ("hardened", "factory-default", "hgx-h100"):
        root = fetch("GET", pick(fleet, profile).https_url + "/redfish/v1").json()
        assert root["ProtocolFeaturesSupported"]["ExpandQuery"] == FULL, profile


@pytest.mark.parametrize(
    "query",
    [
        "$expand=.",
        "$expand=.($levels=1)",
        "%24expand=.%28%24levels%3D1%29",  # what a client that percent-encodes everything sends
        "$expand=*",
        "$expand=*($levels=1)",
    ],
)
def test_expanded_collection_members_are_what_a_get_returns(fleet: Fleet, query: str) -> None:
    bmc = pick(fleet, "hgx-h100")
    url = "/redfish/v1/UpdateService/FirmwareInventory"
    plain = _get(fleet, bmc, url)
    expanded = _get(fleet, bmc, f"{url}?{query}")
    assert len(expanded["Members"]) == len(plain["Members"]) == expanded["Members@odata.count"] == 41
    for link, member in zip(plain["Members"], expanded["Members"], strict=True):
        assert member == _get(fleet, bmc, link["@odata.id"]), link
    # everything but Members is untouched
    assert {k: v for k, v in expanded.items() if k != "Members"} == {k: v for k, v in plain.items() if k != "Members"}


def test_every_collection_the_auditor_reads_expands(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    manager = f"/redfish/v1/Managers/{bmc.profile.manager.Id}"
    for url in ("/redfish/v1/AccountService/Accounts", "/redfish/v1/Managers", "/redfish/v1/Systems",
                "/redfish/v1/Chassis", "/redfish/v1/UpdateService/FirmwareInventory",
                f"{manager}/NetworkProtocol/HTTPS/Certificates"):
        expanded = _get(fleet, bmc, f"{url}?$expand=.($levels=1)")
        assert expanded["Members"], url
        for member in expanded["Members"]:
            assert member["@odata.id"].startswith(url + "/") and "Id" in member and "@odata.type" in member, url
    accounts = _get(fleet, bmc, "/redfish/v1/AccountService/Accounts?$expand=.")["Members"]
    assert {a["UserName"] for a in accounts} == {a.username for a in bmc.accounts.values()}
    assert all(a["Password"] is None for a in accounts)


def test_curl_sends_the_encoded_form(fleet: Fleet) -> None:
    """An independent client: curl, with the query exactly as typed (``-g``: no globbing of ``()``)."""
    bmc = pick(fleet, "hardened")
    config = f'user = "{fleet.auditor_user}:{fleet.auditor_password}"\n'
    out = subprocess.run(
        ["curl", "-sS", "-k", "-g", "--max-time", "10", "-K", "-", "-w", "\\n%{http_code}",
         f"{bmc.https_url}/redfish/v1/Systems?%24expand=.%28%24levels%3D1%29"],
        input=config, capture_output=True, text=True, check=True,
    )
    body, status = out.stdout.rsplit("\n", 1)
    assert status == "200"
    member = json.loads(body)["Members"][0]
    assert member["SerialNumber"] == bmc.serial and member["UUID"] == bmc.identity.system_uuid


def test_links_and_levels(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    manager = f"/redfish/v1/Managers/{bmc.profile.manager.Id}"
    # ~ expands only hyperlinks inside Links: a collection's Members stay bare ...
    assert _get(fleet, bmc, "/redfish/v1/Managers?$expand=~")["Members"] == [{"@odata.id": manager}]
    # ... while a manager's Links.ManagerForServers is inlined, and NetworkProtocol (outside Links) is not
    mgr = _get(fleet, bmc, f"{manager}?$expand=~")
    assert mgr["Links"]["ManagerForServers"][0]["SerialNumber"] == bmc.serial
    assert mgr["NetworkProtocol"] == {"@odata.id": f"{manager}/NetworkProtocol"}
    # . with two levels: the member, and the member's own non-Links hyperlinks
    two = _get(fleet, bmc, "/redfish/v1/Managers?$expand=.($levels=2)")["Members"][0]
    assert two["NetworkProtocol"]["Id"] == "NetworkProtocol"
    assert two["Links"]["ManagerForServers"] == [{"@odata.id": f"/redfish/v1/Systems/{bmc.profile.system.Id}"}]
    one = _get(fleet, bmc, "/redfish/v1/Managers?$expand=.($levels=1)")["Members"][0]
    assert one["NetworkProtocol"] == {"@odata.id": f"{manager}/NetworkProtocol"}
    # * with three levels loops system -> chassis -> system: the loop stays a link, the answer is finite
    system = f"/redfish/v1/Systems/{bmc.profile.system.Id}"
    sysdoc = _get(fleet, bmc, f"{system}?$expand=*($levels=3)")
    chassis = sysdoc["Links"]["Chassis"][0]
    assert chassis["SerialNumber"] == bmc.serial
    assert chassis["Links"]["ComputerSystems"] == [{"@odata.id": system}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("$expand=junk", "QueryParameterValueFormatError"),
        ("$expand=", "QueryParameterValueFormatError"),
        ("$expand=..", "QueryParameterValueFormatError"),
        ("$expand=.(levels=1)", "QueryParameterValueFormatError"),
        ("$expand=.($levels=)", "QueryParameterValueFormatError"),
        ("$expand=.($levels=x)", "QueryParameterValueFormatError"),
        ("$expand=.($levels=1", "QueryParameterValueFormatError"),
        ("$expand=.&$expand=*", "QueryParameterValueFormatError"),
        ("$expand=.($levels=99999)", "QueryParameterValueFormatError"),
        ("$expand=.($levels=0)", "QueryParameterOutOfRange"),
        ("$expand=.($levels=4)", "QueryParameterOutOfRange"),
        ("$select=Id", "QueryNotSupported"),
        ("$filter=Id%20eq%20x", "QueryNotSupported"),
        ("$top=1&$expand=.", "QueryNotSupported"),
    ],
)
def test_junk_and_unsupported_queries_are_refused(fleet: Fleet, query: str, message: str) -> None:
    bmc = pick(fleet, "hardened")
    reply = fetch("GET", f"{bmc.https_url}/redfish/v1/Systems?{query}",
                  headers=basic(fleet.auditor_user, fleet.auditor_password))
    assert reply.status == (501 if message == "QueryNotSupported" else 400), reply.body[:300]
    assert _error(reply) == message
    # the service root (public) refuses the same way
    assert fetch("GET", f"{bmc.https_url}/redfish/v1?{query}").status == reply.status


def test_parameters_without_dollar_are_ignored(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    assert _get(fleet, bmc, "/redfish/v1/Systems?expand=.&x=1") == _get(fleet, bmc, "/redfish/v1/Systems")


def test_anonymous_expand_of_a_protected_collection_leaks_nothing(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    plain_401 = fetch("GET", f"{bmc.https_url}/redfish/v1/AccountService/Accounts")
    for query in ("$expand=.", "$expand=*($levels=3)", "$expand=junk", "$top=1"):
        # (an unknown user name: wrong passwords for a real account would lock it in the shared fleet)
        for headers in ({}, basic("nobody", "wrong-password"), {"X-Auth-Token": "forged"}):
            reply = fetch("GET", f"{bmc.https_url}/redfish/v1/AccountService/Accounts?{query}", headers=headers)
            # the same uniform 401: not even a 400 tells an anonymous client the query was junk
            assert (reply.status, reply.body) == (401, plain_401.body), (query, headers.keys())
            assert b"UserName" not in reply.body


def test_anonymous_expand_of_the_service_root_inlines_nothing_protected(fleet: Fleet) -> None:
    bmc = pick(fleet, "hardened")
    plain = fetch("GET", f"{bmc.https_url}/redfish/v1").json()
    for headers in ({}, basic("nobody", "wrong-password"), {"X-Auth-Token": "forged"}):
        for query in ("$expand=.", "$expand=*($levels=3)", "$expand=~"):
            assert fetch("GET", f"{bmc.https_url}/redfish/v1?{query}", headers=headers).json() == plain
    # with valid credentials the same request inlines what the auditor may read
    root = _get(fleet, bmc, "/redfish/v1?$expand=.")
    assert root["AccountService"]["AccountLockoutThreshold"] == 5
    assert root["Systems"]["Members"] == [{"@odata.id": f"/redfish/v1/Systems/{bmc.profile.system.Id}"}]


def test_read_only_user_sees_only_what_it_may_read(variants: Fleet) -> None:
    bmc = pick(variants, "with-viewer")
    auth = basic(VIEWER, VIEWER_PW)
    svc = _get(variants, bmc, "/redfish/v1/AccountService?$expand=.($levels=2)", auth=auth)
    assert [a["UserName"] for a in svc["Accounts"]["Members"]] == [VIEWER]
    # the auditor (Operator) reads every account through the same request
    svc = _get(variants, bmc, "/redfish/v1/AccountService?$expand=.($levels=2)")
    assert {a["UserName"] for a in svc["Accounts"]["Members"]} == {"admin", VIEWER, variants.auditor_user}


def test_locked_out_account_gets_the_uniform_401(variants: Fleet) -> None:
    bmc = pick(variants, "viewer-lockout")
    url = f"{bmc.https_url}/redfish/v1/AccountService/Accounts?$expand=."
    assert fetch("GET", url, headers=basic(VIEWER, VIEWER_PW)).status == 200
    for _ in range(bmc.profile.account_service.AccountLockoutThreshold):
        assert fetch("GET", url, headers=basic(VIEWER, "wrong-password")).status == 401
    assert bmc.accounts[VIEWER].locked
    reply = fetch("GET", url, headers=basic(VIEWER, VIEWER_PW))
    assert reply.status == 401 and b"UserName" not in reply.body


def test_faulty_bmcs_expand_nothing(fleet: Fleet) -> None:
    garbage = pick(fleet, "fault-garbage")
    auth = basic(fleet.auditor_user, fleet.auditor_password)
    # the root is served, but the resources it links to are broken: they stay links, the client meets the fault
    root = fetch("GET", f"{garbage.https_url}/redfish/v1?$expand=*", headers=auth).json()
    assert root["AccountService"] == {"@odata.id": "/redfish/v1/AccountService"}
    reply = fetch("GET", f"{garbage.https_url}/redfish/v1/Systems?$expand=.", headers=auth)
    assert reply.status == 200
    with pytest.raises(ValueError):
        reply.json()["Members"][0]["Id"]  # noqa: B018 - garbage, not an expanded member
    http500 = pick(fleet, "fault-http500")
    assert fetch("GET", f"{http500.https_url}/redfish/v1/Systems?$expand=.", headers=auth).status == 500


@pytest.mark.parametrize(("profile", "advertised", "query"), [
    ("no-expand", NONE, "$expand=."),  # the profile turned $expand off: not advertised, refused
    ("expand-refused", FULL, "$expand=.($levels=1)"),  # advertised, refused all the same
])
def test_expand_refused_with_query_not_supported(variants: Fleet, profile: str, advertised: dict, query: str) -> None:
    bmc = pick(variants, profile)
    root = fetch("GET", f"{bmc.https_url}/redfish/v1").json()
    assert root["ProtocolFeaturesSupported"]["ExpandQuery"] == advertised
    reply = fetch("GET", f"{bmc.https_url}/redfish/v1/Systems?{query}",
                  headers=basic(variants.auditor_user, variants.auditor_password))
    assert reply.status == 501 and _error(reply) == "QueryNotSupported"


def test_advertised_but_ignored(variants: Fleet) -> None:
    bmc = pick(variants, "expand-ignored")
    root = fetch("GET", f"{bmc.https_url}/redfish/v1").json()
    assert root["ProtocolFeaturesSupported"]["ExpandQuery"] == FULL
    plain = _get(variants, bmc, "/redfish/v1/Systems")
    for query in ("$expand=.($levels=1)", "$expand=junk", "$select=Id"):
        assert _get(variants, bmc, f"/redfish/v1/Systems?{query}") == plain


def test_max_levels_is_advertised_and_enforced(variants: Fleet) -> None:
    bmc = pick(variants, "one-level")
    root = fetch("GET", f"{bmc.https_url}/redfish/v1").json()
    assert root["ProtocolFeaturesSupported"]["ExpandQuery"] == {**FULL, "MaxLevels": 1}
    auth = basic(variants.auditor_user, variants.auditor_password)
    assert fetch("GET", f"{bmc.https_url}/redfish/v1/Systems?$expand=.($levels=1)", headers=auth).status == 200
    reply = fetch("GET", f"{bmc.https_url}/redfish/v1/Systems?$expand=.($levels=2)", headers=auth)
    assert reply.status == 400 and _error(reply) == "QueryParameterOutOfRange"
    assert reply.json()["error"]["@Message.ExtendedInfo"][0]["MessageArgs"] == ["2", "$levels", "1-1"]


def test_profile_yaml_redfish_section(tmp_path: Path) -> None:
    path = tmp_path / "noexp.yaml"
    path.write_text("extends: hardened\nredfish: {expand: false}\n")
    profile = load_profile(path)
    assert profile.redfish.expand is False and profile.redfish.advertises_expand is False
    assert load_profile("hardened").redfish.advertises_expand is True
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: hardened\nredfish: {expnad: false}\n")
    with pytest.raises(ProfileError, match="expnad"):
        load_profile(bad)
