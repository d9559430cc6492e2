"""Fixtures for the IPMI prober and checks: mock responders, ipmi_sim peers, helpers.

The session-scoped OpenIPMI ``ipmi_sim`` peer of tests/mock_ipmi (channel 1
"vulnerable": anonymous user 1, admin/admin, ADMIN/ADMIN, oper/operpw, 1.5 auth
types none/straight/MD2/MD5; channel 2: MD5 only, per-message auth on, same users)
is reused by importing the fixture.  A second ``ipmi_sim`` process,
``ipmi_sim_hardened``, is ours: no anonymous user 1, one administrator with a long
non-default password, MD5 only, per-message auth on.  ipmi_sim has no directive to
restrict cipher suites (it always offers 0-14 and accepts suite 0), so a hardened
ipmi_sim still - truthfully - fails the cipher-0 and cipher-suite checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mock_bmc.ipmi import IpmiConfig, IpmiResponder, ThreadedIpmiResponder
from oobaudit.checks import REGISTRY, Finding, Status, run_target_checks
from oobaudit.collectors.ipmi import collect_ipmi
from oobaudit.facts import REDFISH_CONNECTIVITY, REDFISH_NETWORK_PROTOCOL, Fact, TargetFacts
from oobaudit.inventory import Credentials, Target
from oobaudit.policy import Policy, Settings
from oobaudit.secrets import parse_ref
from tests.mock_ipmi.conftest import free_udp_port, ipmi_sim, run_ipmi_sim  # noqa: F401 - reused fixture

IPMI_CHECKS = [f"OOB-IPMI-00{i}" for i in range(1, 7)]
FAST = {"timeout": 0.4, "retries": 1, "rate_pps": 200}

# Accounts of our own mock configurations (never the ones of tests/mock_ipmi).
VULN_ACCOUNTS: dict[str, tuple[str, int]] = {"ADMIN": ("ADMIN", 4), "admin": ("admin", 4), "oper": ("x9-Oper", 3),
                                             "": ("", 2)}
STRONG_PW = "Qz7!vR2#Lm9$Xw4@Kp8d"
HARD_ACCOUNTS: dict[str, tuple[str, int]] = {"admin": (STRONG_PW, 4), "ops": ("Ops-Not-Default-71!", 3)}

MOCK_VULNERABLE = IpmiConfig(cipher_suites=[0, 1, 2, 3, 17], auth_types_v15=["none", "md5", "password"],
                             anonymous_login=True, per_message_auth=False)
MOCK_HARDENED = IpmiConfig(cipher_suites=[17], auth_types_v15=["md5"])
STRICT = Settings(ipmi_allowed=True, ipmi_cipher_suites_allowed=[17])

HARD_SIM_GUID = "c123456789abcdefa123456789abcdef"
HARD_SIM_PASSWORD = "Zt8#pQ2-vX5!mL9@"


def target(port: int, *, username: str | None = None, password: str | None = None,
           platform: str = "generic") -> Target:
    creds = None
    if username is not None:
        creds = Credentials(username, parse_ref(password or "unused", allow_literal=True))
    return Target(name="bmc", address="127.0.0.1", ports={"ipmi": port}, platform=platform, site="s", rack="r",
                  credentials=creds)


def collect(t: Target, **kw: object) -> list[Fact]:
    out: list[Fact] = []
    asyncio.run(collect_ipmi(t, out, **{**FAST, **kw}))  # type: ignore[arg-type]
    return out


def redfish_np(ipmi_enabled: bool | None, subject: str = "BMC") -> Fact:
    """A Redfish ManagerNetworkProtocol fact (None: the BMC does not list IPMI at all)."""
    data = {"HTTPS": {"ProtocolEnabled": True, "Port": 443}}
    if ipmi_enabled is not None:
        data["IPMI"] = {"ProtocolEnabled": ipmi_enabled, "Port": 623}
    return Fact(kind=REDFISH_NETWORK_PROTOCOL, subject=subject, collector="test", data=data,
                evidence={"url": "/redfish/v1/Managers/BMC/NetworkProtocol"})


def judge(facts: list[Fact], settings: Settings | None = None, checks: list[str] | None = None, *,
          redfish: bool | None | str = "absent") -> list[Finding]:
    """Run the IPMI checks; ``redfish`` adds a NetworkProtocol fact (True / False / None = IPMI
    not listed) next to a Redfish connectivity fact; "absent" = Redfish was not collected."""
    if redfish != "absent":
        facts = [Fact(kind=REDFISH_CONNECTIVITY, collector="test", data={"auth": "session"}),
                 redfish_np(redfish), *facts]  # type: ignore[arg-type]
    tf = TargetFacts("bmc", facts)
    return run_target_checks(tf, Policy(settings or Settings()), [REGISTRY[c] for c in checks or IPMI_CHECKS])


def verdicts(findings: list[Finding]) -> dict[tuple[str, str], Status]:
    return {(f.check_id, f.subject): f.status for f in findings}


def by_kind(facts: list[Fact], kind: str) -> list[Fact]:
    return [f for f in facts if f.kind == kind]


def one(facts: list[Fact], kind: str, subject: str | None = None) -> Fact:
    found = [f for f in facts if f.kind == kind and (subject is None or f.subject == subject)]
    assert len(found) == 1, (kind, subject, found)
    return found[0]


def closed_udp_port() -> int:
    """A loopback UDP port nobody listens on (answers ICMP port unreachable)."""
    return free_udp_port()


@pytest.fixture(scope="module")
def mock_bmcs() -> Iterator[dict[str, IpmiResponder]]:
    """The mock configurations this directory tests against, started once per module."""
    configs = {
        "vulnerable": (MOCK_VULNERABLE, VULN_ACCOUNTS),
        "hardened": (MOCK_HARDENED, HARD_ACCOUNTS),
        # pyghmi / virtualbmc quirk: every Open Session gets status 0 and suite 3
        "override3": (IpmiConfig(cipher_suites=[3, 17], open_session_override_suite=3), HARD_ACCOUNTS),
        # status 0 with suite 17 whatever was proposed, and silence for unknown user names
        "override17-silent": (IpmiConfig(cipher_suites=[17], open_session_override_suite=17,
                                         unknown_user="silent"), HARD_ACCOUNTS),
        "no-pong": (IpmiConfig(asf_pong=False, cipher_suites=[17]), HARD_ACCOUNTS),
        "v15-only": (IpmiConfig(ipmi_v20=False, cipher_suites=[], auth_types_v15=["md5"]), HARD_ACCOUNTS),
        "silent": (IpmiConfig(fault="silent"), HARD_ACCOUNTS),
        "garbage": (IpmiConfig(fault="garbage"), HARD_ACCOUNTS),
        "lockout": (IpmiConfig(cipher_suites=[0, 3, 17], lockout_threshold=1), VULN_ACCOUNTS),
    }
    started = {name: ThreadedIpmiResponder(cfg, accts) for name, (cfg, accts) in configs.items()}
    try:
        yield {name: t.start() for name, t in started.items()}
    finally:
        for t in started.values():
            t.stop()


@dataclass(frozen=True)
class HardSim:
    port: int
    password: str


def _hard_sim_config(port: int) -> str:
    md5_only = "\n".join(f"  allowed_auths_{lvl} md5" for lvl in ("callback", "user", "operator", "admin"))
    return f"""name "oobaudit-hardened"
user 2 true  "admin" "{HARD_SIM_PASSWORD}" admin 10
user 3 true  "ops"   "Ops-Not-Default-71!" operator 10
startlan 1
  addr 127.0.0.1 {port}
  priv_limit admin
  per_msg_auth true
{md5_only}
  guid {HARD_SIM_GUID}
endlan
"""


@pytest.fixture(scope="session")
def ipmi_sim_hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardSim]:
    """Our own ipmi_sim: no anonymous user, strong passwords, MD5 only, per-message auth on."""
    port = free_udp_port()
    with run_ipmi_sim(tmp_path_factory.mktemp("ipmi_sim_hardened"), _hard_sim_config(port), [port]):
        yield HardSim(port=port, password=HARD_SIM_PASSWORD)
