"""The probe engine on real sockets: loopback inside a private namespace, with nftables
dropping some ports so silence, retries and the rate cap can be counted."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from .topology import REPO, unavailable_reason

pytestmark = [pytest.mark.root]

_REASON = unavailable_reason()

SCRIPT = textwrap.dedent("""
    import json, socket, sys, threading, time
    from oobaudit.collectors.reach import Prober, ProbeOptions, ProbeSpec, host_probes
    sys.path.insert(0, {here!r})
    from asf_responder import pong
    srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(); port = srv.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); uport = u.getsockname()[1]
    def asf():
        while True:
            d, a = u.recvfrom(100)
            u.sendto(pong(d[9]), a)
    threading.Thread(target=asf, daemon=True).start()
    opts = ProbeOptions(**{opts})
    specs = host_probes("127.0.0.1", [port, 1, 9], ipmi_port=uport) + [ProbeSpec("127.0.0.1", "udp", 9, "udp")]
    specs += [ProbeSpec("127.0.0.1", "tcp", p, "tcp-syn") for p in range(20000, 20000 + {extra})]
    t = time.monotonic()
    with Prober(opts) as pr:
        res = pr.run({{"127.0.0.1": specs}})["127.0.0.1"]
    out = {{"elapsed": time.monotonic() - t, "port": port, "uport": uport,
           "r": {{r.spec.subject: [r.state, r.attempts, r.responder, r.reply, r.error] for r in res}}}}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def ns() -> Iterator[str]:
    if _REASON:
        pytest.skip(_REASON)
    import secrets

    name = f"oa-{secrets.token_hex(3)}-lo"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True, capture_output=True)
        rules = textwrap.dedent("""
            table inet t {
              counter syn9 { }
              counter udp9 { }
              chain in {
                type filter hook input priority 0; policy accept;
                tcp dport 9 tcp flags syn counter name syn9 drop
                udp dport 9 counter name udp9 drop
              }
            }
        """)
        subprocess.run(["ip", "netns", "exec", name, "nft", "-f", "-"], input=rules, text=True, check=True,
                       capture_output=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _probe(ns: str, extra: int = 0, **opts) -> dict:
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    code = SCRIPT.format(here=here, opts=json.dumps(opts).replace("null", "None"), extra=extra)
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _counter(ns: str, name: str) -> int:
    r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-j", "list", "counter", "inet", "t", name],
                       capture_output=True, text=True, check=True)
    data = json.loads(r.stdout)
    return next(x["counter"]["packets"] for x in data["nftables"] if "counter" in x)


def _reset(ns: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, "nft", "reset", "counters", "table", "inet", "t"],
                   capture_output=True, check=True)


def test_states_retries_and_silence(ns: str) -> None:
    _reset(ns)
    out = _probe(ns, rate=500, retries=2, wait=0.3)
    r = out["r"]
    assert r[f"tcp/{out['port']}"][:3] == ["open", 1, "127.0.0.1"]
    assert r["tcp/1"][0] == "closed" and "RST" in r["tcp/1"][3]
    assert r[f"udp/{out['uport']}"][0] == "open" and "ASF presence pong" in r[f"udp/{out['uport']}"][3]
    assert r["udp/161"][0] == "closed"
    assert r["icmp"][0] == "answered"
    # Dropped: silence after exactly 1 + 2 retries, and nothing more was sent.
    assert r["tcp/9"][:3] == ["filtered", 3, None] and "no answer to 3 SYNs" in r["tcp/9"][3]
    assert r["udp/9"][:3] == ["open|filtered", 3, None]
    assert _counter(ns, "syn9") == 3 and _counter(ns, "udp9") == 3
    assert 0.85 < out["elapsed"] < 3.0


def test_rate_cap(ns: str) -> None:
    # 7 base probes + 60 extra SYNs at 100 pps: at least 0.66 s however fast the machine.
    out = _probe(ns, extra=60, rate=100, retries=0, wait=0.1)
    assert len(out["r"]) == 67
    assert out["elapsed"] >= 0.65
    assert out["r"]["tcp/9"][:2] == ["filtered", 1]


def test_total_deadline_bounds_the_run(ns: str) -> None:
    out = _probe(ns, extra=200, rate=50, retries=0, wait=0.1, total_timeout=1.0)
    assert out["elapsed"] < 2.0
    errors = [v for v in out["r"].values() if v[4]]
    assert errors and all("total deadline" in v[4] for v in errors)


def test_host_deadline(ns: str) -> None:
    out = _probe(ns, extra=200, rate=50, retries=0, wait=0.1, host_timeout=1.0)
    assert out["elapsed"] < 2.5
    assert any(v[4] and "per-host deadline" in v[4] for v in out["r"].values())


def test_no_route_is_filtered_and_sends_nothing(ns: str) -> None:
    """The namespace has only loopback: a BMC address in 198.18.0.0/15 has no route from here."""
    code = textwrap.dedent("""
        import json
        from oobaudit.collectors.reach import Prober, ProbeOptions, host_probes
        with Prober(ProbeOptions(rate=100, retries=1, wait=0.1)) as pr:
            res = pr.run({"198.18.5.5": host_probes("198.18.5.5", [443])})["198.18.5.5"]
        print(json.dumps({r.spec.subject: [r.state, r.attempts, r.reply, r.error] for r in res}))
    """)
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", code], cwd=REPO, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"tcp/443", "udp/623", "udp/161", "icmp"}
    for state, attempts, reply, error in out.values():
        assert (state, attempts, error) == ("filtered", 0, None) and reply.startswith("no route from this host")
