"""Fixtures: mock BMC responders (threaded, port 0) and one OpenIPMI ipmi_sim peer per session.

ipmi_sim runs once for the whole test session with two LAN channels on two
free loopback ports:

* channel 1 ("vulnerable"): anonymous user 1, admin/admin, ADMIN/ADMIN,
  oper/operpw (operator); 1.5 auth types none, straight password, MD2, MD5;
* channel 2 ("md5-only"): same users, 1.5 MD5 only, per-message auth on.

ipmi_sim has no cipher suite directive: it always offers suites 0-14 (no
SHA256 suites) and accepts cipher suite 0.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mock_bmc.ipmi import IpmiConfig, IpmiResponder, ThreadedIpmiResponder
from tests.mock_ipmi.wireclient import WireClient

ACCOUNTS: dict[str, tuple[str, int]] = {
    "admin": ("s3cret-Admin", 4),
    "ADMIN": ("ADMIN", 4),
    "oper": ("operpw", 3),
    "viewer": ("viewpw", 2),
}

HARDENED = IpmiConfig()
VULNERABLE = IpmiConfig(
    cipher_suites=[0, 1, 2, 3, 6, 7, 8, 15, 16, 17],
    auth_types_v15=["none", "md2", "md5", "password"],
    anonymous_login=True,
    per_message_auth=False,
    user_level_auth=False,
    guid="a123456789abcdefa123456789abcdef",
)

SIM_GUID_1 = "a123456789abcdefa123456789abcdef"
SIM_GUID_2 = "b123456789abcdefa123456789abcdef"
SIM_USERS = {"admin": "admin", "ADMIN": "ADMIN", "oper": "operpw"}
# mc_add fields: device ID 0, revision 0x23 (-> 3), firmware 9.08, support 0x9f, mfg 0x1291, product 0xf02
SIM_EMU = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
"""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def ipmitool() -> str:
    path = shutil.which("ipmitool")
    if path is None:
        pytest.skip("ipmitool is not installed (Debian: apt install ipmitool; CI installs it)")
    return path


def run_ipmitool(ipmitool: str, port: int, *args: str, interface: str = "lanplus",
                 timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """ipmitool with one retry and a 1 s timeout, so failures are quick."""
    cmd = [ipmitool, "-I", interface, "-H", "127.0.0.1", "-p", str(port), "-N", "1", "-R", "1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def wait_for(predicate, timeout: float = 2.0) -> bool:
    """Poll ``predicate`` (the mock updates counters on its own thread, after the client exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def _threaded(config: IpmiConfig, accounts: dict[str, tuple[str, int]]) -> Iterator[IpmiResponder]:
    t = ThreadedIpmiResponder(config, accounts)
    responder = t.start()
    try:
        yield responder
    finally:
        t.stop()


@pytest.fixture(scope="session")
def hardened_bmc() -> Iterator[IpmiResponder]:
    yield from _threaded(HARDENED, ACCOUNTS)


@pytest.fixture(scope="session")
def vulnerable_bmc() -> Iterator[IpmiResponder]:
    yield from _threaded(VULNERABLE, {**ACCOUNTS, "": ("", 2)})


@pytest.fixture
def make_bmc() -> Iterator[object]:
    """Factory for a responder with a one-off config (stopped at the end of the test)."""
    started: list[ThreadedIpmiResponder] = []

    def make(config: IpmiConfig, accounts: dict[str, tuple[str, int]] | None = None) -> IpmiResponder:
        t = ThreadedIpmiResponder(config, ACCOUNTS if accounts is None else accounts)
        started.append(t)
        return t.start()

    yield make
    for t in started:
        t.stop()


@dataclass(frozen=True)
class SimPeer:
    vuln_port: int
    md5_port: int
    guid1: bytes
    guid2: bytes
    users: dict[str, str]


def _sim_config(port1: int, port2: int) -> str:
    users = "\n".join([
        'user 1 true  ""      ""       user     10',
        'user 2 true  "admin" "admin"  admin    10',
        'user 3 true  "ADMIN" "ADMIN"  admin    10',
        'user 4 true  "oper"  "operpw" operator 10',
    ])
    all_auths = "\n".join(f"  allowed_auths_{lvl} none straight md2 md5"
                          for lvl in ("callback", "user", "operator", "admin"))
    md5_only = "\n".join(f"  allowed_auths_{lvl} md5" for lvl in ("callback", "user", "operator", "admin"))
    return f"""name "oobaudit-peer"
{users}
startlan 1
  addr 127.0.0.1 {port1}
  priv_limit admin
{all_auths}
  guid {SIM_GUID_1}
endlan
startlan 2
  addr 127.0.0.1 {port2}
  priv_limit admin
  per_msg_auth true
{md5_only}
  guid {SIM_GUID_2}
endlan
"""


@contextlib.contextmanager
def run_ipmi_sim(work: Path, lan_conf: str, ports: list[int]) -> Iterator[None]:
    """Run ``ipmi_sim`` with this LAN config until every port answers an ASF ping; stop it on exit.
    Skips the test when ipmi_sim is not installed."""
    exe = shutil.which("ipmi_sim")
    if exe is None:
        pytest.skip("ipmi_sim is not installed (Debian: apt install openipmi)")
    (work / "state").mkdir()
    (work / "lan.conf").write_text(lan_conf)
    (work / "sim.emu").write_text(SIM_EMU)
    proc = subprocess.Popen(
        [exe, "-c", str(work / "lan.conf"), "-f", str(work / "sim.emu"), "-s", str(work / "state"), "-n", "-p"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        waiting = list(ports)
        while waiting:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"ipmi_sim exited with {proc.returncode}: {err}")
            try:
                with WireClient(waiting[0], timeout=0.2) as cl:
                    cl.ping()
                waiting.pop(0)
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("ipmi_sim did not answer an ASF ping within 10 s")
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def ipmi_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimPeer]:
    """Start OpenIPMI ``ipmi_sim`` once per session on two free loopback ports."""
    port1, port2 = free_udp_port(), free_udp_port()
    with run_ipmi_sim(tmp_path_factory.mktemp("ipmi_sim"), _sim_config(port1, port2), [port1, port2]):
        yield SimPeer(vuln_port=port1, md5_port=port2, guid1=bytes.fromhex(SIM_GUID_1),
                      guid2=bytes.fromhex(SIM_GUID_2), users=dict(SIM_USERS))
