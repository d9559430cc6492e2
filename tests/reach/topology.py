"""A throw-away OOB lab in network namespaces (addresses in 198.18.0.0/15 only).

::

    mgmt  198.18.1.10 ──┐                  ┌── 198.18.2.10  bmc: mock_bmc (HTTPS 443, HTTP 444)
                        ├── router (nft) ──┤               + ASF responder on 623/udp
    tenant 198.18.3.10 ─┘                  └── 198.18.2.20  rogue: ASF responder only (not in inventory)

The router forwards mgmt -> bmc, drops tenant -> bmc (policy ``correct``), or also lets
tenant -> bmc 623/udp through (policy ``leaky``).  Replies pass as ``ct state
established,related``.  Namespace names carry a random suffix; ``down()`` kills every
process it started and deletes every namespace, whatever happened before.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

MGMT_IP, TENANT_IP, BMC_IP, ROGUE_IP = "198.18.1.10", "198.18.3.10", "198.18.2.10", "198.18.2.20"
BMC_NET = "198.18.2.0/24"


def unavailable_reason() -> str | None:
    """Why the namespace tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, raw sockets)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            pkg = "iproute2" if tool == "ip" else "nftables"
            return f"`{tool}` not installed (Debian package {pkg})"
    name = f"oa-probe-{secrets.token_hex(3)}"
    r = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        return f"network namespaces unavailable: `ip netns add` failed: {r.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _run(*cmd: str) -> None:
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()}")


class Topology:
    def __init__(self) -> None:
        sfx = secrets.token_hex(3)
        self.rtr, self.mgmt, self.tenant, self.bmc = (f"oa-{sfx}-{n}" for n in ("rtr", "mgmt", "ten", "bmc"))
        self.namespaces = [self.rtr, self.mgmt, self.tenant, self.bmc]
        self.created: list[str] = []
        self.procs: list[subprocess.Popen] = []

    # --- lifecycle --------------------------------------------------------------------------------

    def up(self) -> None:
        for ns in self.namespaces:
            _run("ip", "netns", "add", ns)
            self.created.append(ns)
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        links = [("r-mgmt", self.mgmt, "198.18.1.1/24", "198.18.1.10/24"),
                 ("r-ten", self.tenant, "198.18.3.1/24", "198.18.3.10/24"),
                 ("r-bmc", self.bmc, "198.18.2.1/24", "198.18.2.10/24")]
        for rname, leaf, raddr, laddr in links:
            _run("ip", "-n", self.rtr, "link", "add", rname, "type", "veth", "peer", "name", "eth0", "netns", leaf)
            _run("ip", "-n", self.rtr, "addr", "add", raddr, "dev", rname)
            _run("ip", "-n", self.rtr, "link", "set", rname, "up")
            _run("ip", "-n", leaf, "addr", "add", laddr, "dev", "eth0")
            _run("ip", "-n", leaf, "link", "set", "eth0", "up")
            _run("ip", "-n", leaf, "route", "add", "default", "via", raddr.split("/")[0])
        _run("ip", "-n", self.bmc, "addr", "add", f"{ROGUE_IP}/24", "dev", "eth0")
        _run("ip", "netns", "exec", self.rtr, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        for ns in (self.rtr, self.bmc):  # every ICMP error sent, so the outcomes do not depend on timing
            _run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0")
        self.policy("correct")

    def policy(self, kind: str) -> None:
        extra = {
            "correct": "",
            # tenant -> BMC 623/udp let through: the leak OOB-NET-001 must name
            "leaky": '    iifname "r-ten" oifname "r-bmc" udp dport 623 accept\n',
            # blocked, but answered by the router with ICMP admin-prohibited from its own address
            "reject-icmp": '    iifname "r-ten" oifname "r-bmc" reject with icmpx type admin-prohibited\n',
            # blocked, but TCP answered with a RST forged with the BMC's address (still a leak: documented)
            "reject-rst": '    iifname "r-ten" oifname "r-bmc" meta l4proto tcp reject with tcp reset\n'
                          '    iifname "r-ten" oifname "r-bmc" reject with icmpx type admin-prohibited\n',
        }
        leak = extra[kind]
        ruleset = (
            "table inet oobtest\n"
            "delete table inet oobtest\n"
            "table inet oobtest {\n"
            "  chain forward {\n"
            "    type filter hook forward priority 0; policy drop;\n"
            "    ct state established,related accept\n"
            '    iifname "r-mgmt" oifname "r-bmc" accept\n'
            f"{leak}"
            "  }\n"
            "}\n"
        )
        r = subprocess.run(["ip", "netns", "exec", self.rtr, "nft", "-f", "-"], input=ruleset, text=True,
                           capture_output=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"nft failed: {r.stderr.strip()}")
        # Forget conntrack state of the previous policy (a tenant flow allowed before stays allowed otherwise).
        subprocess.run(["ip", "netns", "exec", self.rtr, "sh", "-c",
                        "command -v conntrack >/dev/null && conntrack -F || true"], capture_output=True)

    def start_services(self) -> None:
        env = {**os.environ, "MOCK_PW": "a-long-test-password-0123"}
        mock = subprocess.Popen(
            ["ip", "netns", "exec", self.bmc, sys.executable, "-m", "mock_bmc", "--profile", "factory-default",
             "--host", BMC_IP, "--allow-non-loopback", "--base-port", "443", "--auditor-password-env", "MOCK_PW"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(mock)
        asf = subprocess.Popen(
            ["ip", "netns", "exec", self.bmc, sys.executable, str(HERE / "asf_responder.py"), "--bind", BMC_IP,
             "--bind", ROGUE_IP], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(asf)
        for proc, what in ((asf, "ASF responder"), (mock, "mock_bmc")):
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"{what} did not start in namespace {self.bmc}: {err.strip()[-500:]}")

    def down(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        self.created.clear()

    # --- running things inside ------------------------------------------------------------------

    def exec(self, ns: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", ns, *args], cwd=REPO, capture_output=True, text=True,
                              timeout=timeout)


INVENTORY = f"""\
management_networks: [{BMC_NET}]
vantage_points:
  - {{name: mgmt-jump, zone: management, bmc_reachable: true}}
  - {{name: tenant-a, zone: tenant, bmc_reachable: false}}
sites:
  - name: lab
    racks:
      - name: r1
        hosts:
          - name: bmc-1
            address: {BMC_IP}
            ports: {{https: 443, http: 444}}
"""
