"""nmap's ``ipmi-version`` and ``ipmi-cipher-zero`` against the same peers as oobaudit.

The auth capabilities must agree bit for bit (nmap's names: UserAuth = 1.5 auth types,
PassAuth = status bits, with "kg_default" printed when Kg is *non-zero* - its label is
inverted).  The cipher-0 verdicts must agree where nmap is right (status 0 with 0/0/0
echoed); where nmap is wrong - a BMC that answers status 0 but picks suite 3 - we assert
that it says VULNERABLE and we do not.  One nmap run covers every peer (one port each).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from mock_bmc.ipmi import IpmiResponder
from oobaudit.collectors import ipmi as C
from tests.ipmi.conftest import HardSim, collect, one, target

NMAP = shutil.which("nmap")
pytestmark = [
    pytest.mark.skipif(NMAP is None, reason="nmap is not installed (Debian: apt install nmap)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="nmap -sU needs root"),
]

_USER_AUTH = {"none": "null", "md2": "md2", "md5": "md5", "password": "password", "oem": "oem_auth"}


def _nmap(ports: list[int]) -> dict[int, dict[str, Any]]:
    assert NMAP is not None
    cmd = [NMAP, "-sU", "-Pn", "-n", "-p", ",".join(map(str, ports)), "--script",
           "+ipmi-version,+ipmi-cipher-zero", "--host-timeout", "60s", "-oX", "-", "127.0.0.1"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=True).stdout
    result: dict[int, dict[str, Any]] = {}
    for port in ET.fromstring(out).iter("port"):
        entry: dict[str, Any] = {}
        for script in port.iter("script"):
            if script.get("id") == "ipmi-version":
                entry["version"] = {t.get("key"): {e.text for e in t.iter("elem")} for t in script.findall("table")}
            elif script.get("id") == "ipmi-cipher-zero":
                state = script.find(".//elem[@key='state']")
                entry["cipher_zero"] = state.text if state is not None else script.get("output", "").strip()
        result[int(port.get("portid", "0"))] = entry
    return result


def _expected_version(caps: dict[str, Any]) -> dict[str, set[str]]:
    pass_auth = set()
    if caps["kg_nonzero"]:
        pass_auth.add("kg_default")
    if not caps["per_message_auth_disabled"]:
        pass_auth.add("auth_msg")
    if not caps["user_level_auth_disabled"]:
        pass_auth.add("auth_user")
    for key, name in (("non_null_usernames", "non_null_user"), ("null_usernames", "null_user"),
                      ("anonymous_login", "anonymous_user")):
        if caps[key]:
            pass_auth.add(name)
    level = {v for v, k in (("1.5", "supports_ipmi15"), ("2.0", "supports_ipmi20")) if caps.get(k)}
    out = {"Version": {"IPMI-2.0" if caps["ipmi20_extended"] else "IPMI-1.5"},
           "UserAuth": {_USER_AUTH[a] for a in caps["auth_types"]}, "PassAuth": pass_auth, "Level": level}
    return {k: v for k, v in out.items() if v}


@pytest.fixture(scope="module")
def peers(mock_bmcs: dict[str, IpmiResponder], ipmi_sim: Any, ipmi_sim_hardened: HardSim) -> dict[str, int]:
    return {"mock-vulnerable": mock_bmcs["vulnerable"].port, "mock-hardened": mock_bmcs["hardened"].port,
            "mock-override3": mock_bmcs["override3"].port, "sim-vulnerable": ipmi_sim.vuln_port,
            "sim-md5": ipmi_sim.md5_port, "sim-hardened": ipmi_sim_hardened.port}


@pytest.fixture(scope="module")
def both(peers: dict[str, int]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    nm = _nmap(sorted(peers.values()))
    ours = {}
    for name, port in peers.items():
        facts = collect(target(port), cred_budget={"*": 0})  # no login needed to compare verdicts
        ours[name] = {"caps": one(facts, C.IPMI_AUTH_CAPS).data, "cz": one(facts, C.IPMI_CIPHER_ZERO).data}
    return {name: (nm[port], ours[name]) for name, port in peers.items()}


@pytest.mark.parametrize("peer", ["mock-vulnerable", "mock-hardened", "mock-override3", "sim-vulnerable",
                                  "sim-md5", "sim-hardened"])
def test_auth_capabilities_agree(both: dict[str, Any], peer: str) -> None:
    nm, ours = both[peer]
    assert "version" in nm, nm
    assert {k: v for k, v in nm["version"].items() if v} == _expected_version(ours["caps"])


@pytest.mark.parametrize("peer", ["mock-vulnerable", "sim-vulnerable", "sim-md5", "sim-hardened"])
def test_cipher_zero_agrees_where_nmap_is_right(both: dict[str, Any], peer: str) -> None:
    nm, ours = both[peer]
    assert ours["cz"]["status"] == 0 and ours["cz"]["echoed_suite"] == 0  # the case nmap decides correctly
    assert nm["cipher_zero"] == "VULNERABLE" and ours["cz"]["accepted"] is True


def test_nmap_false_positive_on_status_zero_with_suite_3(both: dict[str, Any]) -> None:
    nm, ours = both["mock-override3"]
    assert nm["cipher_zero"] == "VULNERABLE"  # nmap only looks at the payload type
    assert ours["cz"]["status"] == 0 and ours["cz"]["echoed_suite"] == 3 and ours["cz"]["accepted"] is False


def test_nonzero_status_is_no_verdict_for_us(both: dict[str, Any]) -> None:
    nm, ours = both["mock-hardened"]
    assert ours["cz"]["status"] != 0 and ours["cz"]["accepted"] is False
    # nmap 7.93 crashes on the short error form; any other version would call it VULNERABLE
    assert nm.get("cipher_zero") in (None, "VULNERABLE") or "ERROR" in nm["cipher_zero"]
