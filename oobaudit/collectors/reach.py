"""Reachability probes: does a BMC answer from here, and on what?

Per BMC address the prober sends a TCP SYN to each BMC port, an ASF presence ping
to the IPMI port (UDP 623), an SNMP v2c get of sysDescr.0 to UDP 161 and an ICMP
echo, and classifies what comes back:

* TCP: SYN-ACK -> ``open``; RST -> ``closed``; ICMP unreachable -> ``filtered``;
  silence after every retry -> ``filtered``.
* UDP: a UDP answer -> ``open`` (ASF pong / SNMP response decoded); ICMP port
  unreachable from the BMC itself -> ``closed``; any other ICMP unreachable ->
  ``filtered``; silence -> ``open|filtered``.
* ICMP: echo reply -> ``answered``; unreachable or silence -> ``filtered``.

Every fact also records ``responder``, the source address of what came back: a
reply from the BMC's own address proves the probe reached the BMC's network stack,
a reply from another address (a router's ICMP unreachable) proves it did not.

I/O: packets are built and parsed with scapy, but sent through a kernel raw IP
socket (``IPPROTO_RAW``, the kernel routes and resolves neighbours without ever
blocking us on ARP, in whatever network namespace we run) and received through
raw TCP / UDP / ICMP sockets, which see only packets addressed to this host.  One
single-threaded loop paces the sends (``rate`` packets per second, a hard cap),
keeps a bounded number of hosts in flight, retries each unanswered probe at most
``retries`` times after ``wait`` seconds, and enforces a per-host and a total
deadline.  Both need root or CAP_NET_RAW: :class:`RawSocketPermissionError`
is raised before anything is sent or stored.

IPv4 only: an IPv6 or unresolvable target gets error facts (an ERROR, never a pass).
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import logging
import math
import secrets
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from scapy.compat import raw
from scapy.layers.inet import ICMP, IP, TCP, UDP, ICMPerror, IPerror, TCPerror, UDPerror
from scapy.packet import Raw

from ..facts import Fact
from .reach_wire import (
    ANSWERED,
    CLOSED,
    COLLECTOR,
    FILTERED,
    IPMI_PORT,
    OPEN,
    OPEN_FILTERED,
    REACH_PORT,
    REACH_VANTAGE,
    SNMP_PORT,
    asf_ping,
    parse_asf_pong,
    snmp_get,
    subject_of,
)

log = logging.getLogger("oobaudit.reach")

PROBE_SYN, PROBE_ASF, PROBE_SNMP, PROBE_ECHO = "tcp-syn", "asf-ping", "snmp-get", "icmp-echo"
_ECHO_PAYLOAD = b"oobaudit-reach-probe"
_ICMP_NAMES = {
    (3, 0): "net unreachable", (3, 1): "host unreachable", (3, 2): "protocol unreachable",
    (3, 3): "port unreachable", (3, 4): "fragmentation needed", (3, 9): "net administratively prohibited",
    (3, 10): "host administratively prohibited", (3, 13): "communication administratively prohibited",
    (11, 0): "TTL exceeded in transit", (12, 0): "parameter problem",
}


class RawSocketPermissionError(Exception):
    """The process may not open raw sockets (not root, no CAP_NET_RAW)."""


def raw_socket_help() -> str:
    return ("raw sockets are refused: run as root, or give the interpreter CAP_NET_RAW "
            "(e.g. `sudo setcap cap_net_raw+ep \"$(readlink -f \"$(command -v python3)\")\"`); "
            "nothing was probed or stored")


def check_raw_permission() -> None:
    """Raise :class:`RawSocketPermissionError` unless raw IPv4 sockets can be opened."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW).close()
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP).close()
    except PermissionError as exc:
        raise RawSocketPermissionError(raw_socket_help()) from exc


# --- probes and results -------------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeSpec:
    address: str
    proto: str  # tcp | udp | icmp
    port: int | None
    probe: str  # PROBE_*

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.address, self.proto, self.port)

    @property
    def subject(self) -> str:
        return subject_of(self.proto, self.port)


def host_probes(address: str, tcp_ports: Iterable[int], ipmi_port: int = IPMI_PORT, snmp: bool = True,
                icmp: bool = True) -> list[ProbeSpec]:
    specs = [ProbeSpec(address, "tcp", p, PROBE_SYN) for p in sorted(set(tcp_ports))]
    specs.append(ProbeSpec(address, "udp", ipmi_port, PROBE_ASF))
    if snmp and ipmi_port != SNMP_PORT:
        specs.append(ProbeSpec(address, "udp", SNMP_PORT, PROBE_SNMP))
    if icmp:
        specs.append(ProbeSpec(address, "icmp", None, PROBE_ECHO))
    return specs


@dataclass
class Observation:
    """What one received packet says about one probe."""

    state: str
    responder: str
    reply: str
    details: dict[str, Any] = field(default_factory=dict)
    payload: bytes = b""


@dataclass
class ProbeResult:
    spec: ProbeSpec
    state: str | None = None
    responder: str | None = None
    reply: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    rtt_ms: float | None = None
    error: str | None = None
    raw_hex: str = ""

    @property
    def reached_target(self) -> bool:
        return self.responder is not None and self.responder == self.spec.address


# --- classification (pure: crafted scapy packets in, observations out) ----------------------------

def classify(pkt: IP, sport: int, icmp_id: int) -> tuple[tuple[str, str, int | None], Observation] | None:
    """Match a received IPv4 packet to a probe key and say what it means.

    ``sport`` is the source port every TCP/UDP probe used, ``icmp_id`` the echo identifier.
    Returns None for anything that is not an answer to one of our probes.
    """
    if IP not in pkt:
        return None
    ip = pkt[IP]
    src = ip.src
    if ip.proto == 6 and TCP in ip:
        tcp = ip[TCP]
        if tcp.dport != sport:
            return None
        flags = int(tcp.flags)
        details = {"tcp_flags": str(tcp.flags), "ack": int(tcp.ack), "ttl": int(ip.ttl)}
        if flags & 0x04:
            name = "RST-ACK" if flags & 0x10 else "RST"
            return (src, "tcp", int(tcp.sport)), Observation(CLOSED, src, f"{name} from {src}", details)
        if flags & 0x12 == 0x12:
            return (src, "tcp", int(tcp.sport)), Observation(OPEN, src, f"SYN-ACK from {src}", details)
        return None
    if ip.proto == 17 and UDP in ip:
        udp = ip[UDP]
        if udp.dport != sport:
            return None
        payload = bytes(udp.payload)
        obs = Observation(OPEN, src, f"UDP reply ({len(payload)} bytes) from {src}", {"ttl": int(ip.ttl)},
                          payload)
        return (src, "udp", int(udp.sport)), obs
    if ip.proto == 1 and ICMP in ip:
        icmp = ip[ICMP]
        itype, code = int(icmp.type), int(icmp.code)
        if itype == 0:
            if int(icmp.id) != icmp_id:
                return None
            return (src, "icmp", None), Observation(ANSWERED, src, f"echo reply from {src}",
                                                    {"ttl": int(ip.ttl), "icmp_seq": int(icmp.seq)})
        if itype not in (3, 11, 12) or IPerror not in icmp:
            return None
        inner = icmp[IPerror]
        name = _ICMP_NAMES.get((itype, code), "unreachable" if itype == 3 else "error")
        text = f"ICMP {name} (type {itype} code {code}) from {src}"
        details = {"icmp_type": itype, "icmp_code": code, "ttl": int(ip.ttl)}
        target = inner.dst
        if inner.proto == 6 and TCPerror in inner:
            te = inner[TCPerror]
            if te.sport != sport:
                return None
            details["seq"] = int(te.seq)
            return (target, "tcp", int(te.dport)), Observation(FILTERED, src, text, details)
        if inner.proto == 17 and UDPerror in inner:
            ue = inner[UDPerror]
            if ue.sport != sport:
                return None
            state = CLOSED if (itype, code) == (3, 3) and src == target else FILTERED
            return (target, "udp", int(ue.dport)), Observation(state, src, text, details)
        if inner.proto == 1 and ICMPerror in inner:
            ie = inner[ICMPerror]
            if int(ie.type) != 8 or int(ie.id) != icmp_id:
                return None
            return (target, "icmp", None), Observation(FILTERED, src, text, details)
    return None


def describe_udp(probe: str, payload: bytes) -> tuple[str, dict[str, Any]]:
    """Decode a UDP answer to our ASF ping or SNMP get for the evidence."""
    if probe == PROBE_ASF:
        pong = parse_asf_pong(payload)
        if pong is not None:
            return pong.describe(), {"asf_pong": pong.as_dict()}
        if payload[:1] == b"\x06":
            return f"RMCP reply that is not an ASF pong ({len(payload)} bytes)", {}
        return f"UDP reply that is not RMCP ({len(payload)} bytes)", {}
    if probe == PROBE_SNMP:
        try:
            from scapy.layers.snmp import SNMP

            msg = SNMP(payload)
            pdu = msg.PDU
            out: dict[str, Any] = {"snmp_version": str(msg.version.val), "snmp_pdu": pdu.__class__.__name__,
                                   "snmp_error": int(pdu.error.val)}
            binds = getattr(pdu, "varbindlist", None) or []
            if binds:
                val = binds[0].value
                text = val.val.decode("utf-8", "replace") if isinstance(val.val, bytes) else str(val.val)
                out["sysDescr"] = text[:200]
            descr = f": {out['sysDescr']!r}" if "sysDescr" in out else ""
            return f"SNMP response (community 'public' accepted){descr}", out
        except Exception:
            return f"UDP reply on the SNMP port that is not SNMP ({len(payload)} bytes)", {}
    return f"UDP reply ({len(payload)} bytes)", {}


# --- the prober --------------------------------------------------------------------------------

@dataclass
class ProbeOptions:
    rate: float = 200.0          # packets per second, hard cap over the whole run
    retries: int = 2             # re-sends of an unanswered probe
    wait: float = 1.0            # seconds to wait for an answer after each send
    host_timeout: float = 60.0   # from a host's first packet to its last verdict
    total_timeout: float = 900.0
    iface: str | None = None
    parallel_hosts: int | None = None  # hosts in flight; None = enough to keep `rate` busy

    def public(self) -> dict[str, Any]:
        return {"rate": self.rate, "retries": self.retries, "wait": self.wait, "host_timeout": self.host_timeout,
                "total_timeout": self.total_timeout, "iface": self.iface}


@dataclass
class _Probe:
    idx: int
    result: ProbeResult
    seq: int = 0
    first_sent: float | None = None
    last_sent: float | None = None
    local_error: str | None = None
    final: bool = False


@dataclass
class _Host:
    address: str
    probes: list[_Probe]
    ready: deque[int] = field(default_factory=deque)
    started: float | None = None
    remaining: int = 0
    done: bool = False


HostDone = Callable[[str, list[ProbeResult]], None]


def source_address(address: str, iface: str | None = None) -> str:
    """The source address the kernel would use towards ``address`` (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if iface:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        s.connect((address, 9))
        return s.getsockname()[0]


class Prober:
    """Raw-socket probe engine.  Open (raises RawSocketPermissionError), ``run``, ``close``."""

    def __init__(self, opts: ProbeOptions, avoid_ports: Iterable[int] = ()) -> None:
        self.opts = opts
        self._socks: list[socket.socket] = []
        try:
            self.tx = self._sock(socket.SOCK_RAW, socket.IPPROTO_RAW)
            self.rx = [self._sock(socket.SOCK_RAW, p) for p in (socket.IPPROTO_TCP, socket.IPPROTO_UDP,
                                                               socket.IPPROTO_ICMP)]
        except PermissionError as exc:
            self.close()
            raise RawSocketPermissionError(raw_socket_help()) from exc
        except OSError as exc:
            self.close()
            if exc.errno == errno.ENODEV:
                raise ValueError(f"no such interface: {opts.iface}") from None
            raise
        for s in self.rx:
            s.setblocking(False)
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        try:
            self.sport, self._reserve = self._reserve_port(set(avoid_ports))
        except OSError:
            self.close()
            raise
        self.icmp_id = secrets.randbelow(0xFFFF) + 1

    def _sock(self, kind: int, proto: int) -> socket.socket:
        s = socket.socket(socket.AF_INET, kind, proto)
        self._socks.append(s)
        if self.opts.iface:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.opts.iface.encode())
        return s

    def _reserve_port(self, avoid: set[int]) -> tuple[int, list[socket.socket]]:
        """One source port for every TCP/UDP probe, held by a bound (never listening) TCP socket and
        a UDP socket so no other program gets it.  Answers to it are read from the raw sockets; the
        kernel RSTs a SYN-ACK (no connection exists) and swallows a UDP answer."""
        for _ in range(50):
            port = 40000 + secrets.randbelow(20000)
            if port in avoid:
                continue
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                t.bind(("0.0.0.0", port))
                u.bind(("0.0.0.0", port))
            except OSError:
                t.close()
                u.close()
                continue
            u.setblocking(False)
            self._socks += [t, u]
            return port, [t, u]
        raise OSError("no free source port for the probes")

    def close(self) -> None:
        for s in self._socks:
            with contextlib.suppress(OSError):
                s.close()
        self._socks = []

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- building ---------------------------------------------------------------------------

    def build(self, spec: ProbeSpec, src: str, probe: _Probe) -> bytes:
        ip = IP(src=src, dst=spec.address, ttl=64, id=secrets.randbelow(0x10000))
        if spec.proto == "tcp":
            pkt = ip / TCP(sport=self.sport, dport=spec.port, flags="S", seq=probe.seq, window=1024,
                           options=[("MSS", 1460)])
        elif spec.probe == PROBE_ASF:
            pkt = ip / UDP(sport=self.sport, dport=spec.port) / Raw(asf_ping(probe.idx % 0xFF))
        elif spec.probe == PROBE_SNMP:
            pkt = ip / UDP(sport=self.sport, dport=spec.port) / Raw(snmp_get(probe.seq & 0x7FFFFFFF))
        elif spec.proto == "icmp":
            pkt = ip / ICMP(type=8, id=self.icmp_id, seq=(probe.idx * 8 + probe.result.attempts) & 0xFFFF) / Raw(
                _ECHO_PAYLOAD)
        else:
            pkt = ip / UDP(sport=self.sport, dport=spec.port)
        return raw(pkt)

    # --- the loop -----------------------------------------------------------------------------

    def window(self, probes_per_host: int) -> int:
        """Hosts in flight: enough to keep ``rate`` busy while answers are awaited, but few enough that
        each host's share of the rate lets its probes finish well inside the per-host deadline."""
        if self.opts.parallel_hosts:
            return max(1, self.opts.parallel_hosts)
        attempts = self.opts.retries + 1
        per_host = max(1, probes_per_host) * attempts
        busy = math.ceil(self.opts.rate * attempts * self.opts.wait / max(1, probes_per_host)) + 1
        fits = math.floor(self.opts.rate * self.opts.host_timeout * 0.8 / per_host)
        return max(1, min(4096, max(4, busy), fits))

    def run(self, hosts: dict[str, list[ProbeSpec]], on_host_done: HostDone | None = None
            ) -> dict[str, list[ProbeResult]]:
        """Probe every host; return results per address (in the order of ``hosts``)."""
        opts = self.opts
        interval = 1.0 / opts.rate
        max_attempts = opts.retries + 1
        start = time.monotonic()
        deadline = start + opts.total_timeout
        all_hosts: dict[str, _Host] = {}
        for addr, specs in hosts.items():
            h = _Host(addr, [_Probe(i, ProbeResult(s), seq=secrets.randbits(32)) for i, s in enumerate(specs)])
            h.remaining = len(h.probes)
            all_hosts[addr] = h
        index: dict[tuple[str, str, int | None], tuple[_Host, _Probe]] = {
            p.result.spec.key: (h, p) for h in all_hosts.values() for p in h.probes}
        packed: set[bytes] = set()
        pending = deque(all_hosts.values())
        active: dict[str, _Host] = {}
        ready_hosts: deque[_Host] = deque()
        in_ready: set[str] = set()
        timers: list[tuple[float, int, str, int, int]] = []  # (expiry, tiebreak, address, idx, attempt)
        tiebreak = 0
        next_send = start
        per_host = max((len(h.probes) for h in all_hosts.values()), default=1)
        window = self.window(per_host)
        sel = selectors.DefaultSelector()
        for s in [*self.rx, self._reserve[1]]:
            sel.register(s, selectors.EVENT_READ)
        sources: dict[str, str] = {}

        def finalize(h: _Host, p: _Probe, *, error: str | None = None, silent: bool = False,
                     note: str | None = None) -> None:
            if p.final:
                return
            p.final = True
            h.remaining -= 1
            r = p.result
            if error:
                r.error = error
                return
            if silent:
                proto = r.spec.proto
                r.state = OPEN_FILTERED if proto == "udp" else FILTERED
                r.responder = None
                what = {"tcp": "SYN", "udp": "datagram", "icmp": "echo request"}[proto]
                base = f"no answer to {r.attempts} {what}{'s' if r.attempts != 1 else ''}"
                extra = note or (f"; local send error: {p.local_error}" if p.local_error else "")
                r.reply = f"{base} within {opts.wait:g} s each{extra}"

        def ready(h: _Host, idx: int) -> None:
            h.ready.append(idx)
            if h.address not in in_ready:
                in_ready.add(h.address)
                ready_hosts.append(h)

        def activate(h: _Host) -> None:
            h.started = time.monotonic()
            try:
                packed.add(socket.inet_aton(h.address))
                src = source_address(h.address, opts.iface)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                for p in h.probes:
                    # No route from this vantage: nothing can leave towards the BMC.  A fact, not an error.
                    finalize(h, p, silent=True)
                    p.result.state = FILTERED
                    p.result.reply = f"no route from this host ({reason}): nothing was sent"
                return
            sources[h.address] = src
            active[h.address] = h
            for p in h.probes:
                ready(h, p.idx)

        def send_one(now: float) -> bool:
            nonlocal tiebreak
            while ready_hosts:
                h = ready_hosts.popleft()
                if h.done or not h.ready:
                    in_ready.discard(h.address)
                    continue
                idx = h.ready.popleft()
                if h.ready:
                    ready_hosts.append(h)
                else:
                    in_ready.discard(h.address)
                p = h.probes[idx]
                if p.final:
                    continue
                spec = p.result.spec
                data = self.build(spec, sources[h.address], p)
                try:
                    self.tx.sendto(data, (spec.address, 0))
                except OSError as exc:
                    if exc.errno in (errno.ENOBUFS, errno.EAGAIN, errno.EWOULDBLOCK):
                        h.ready.appendleft(idx)
                        if h.address not in in_ready:
                            in_ready.add(h.address)
                            ready_hosts.appendleft(h)
                        return False
                    if exc.errno in (errno.EPERM, errno.EACCES):
                        finalize(h, p, error=f"this host's own firewall refused to send the probe "
                                              f"({exc.strerror}): the result would say nothing about the network")
                        return True
                    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EHOSTDOWN):
                        p.local_error = exc.strerror
                    else:
                        finalize(h, p, error=f"cannot send: {exc.strerror or exc}")
                        return True
                p.result.attempts += 1
                p.last_sent = now
                if p.first_sent is None:
                    p.first_sent = now
                tiebreak += 1
                heapq.heappush(timers, (now + opts.wait, tiebreak, h.address, idx, p.result.attempts))
                return True
            return False

        def on_packet(data: bytes) -> None:
            if len(data) < 20 or data[12:16] not in packed and data[9] != 1:
                return
            try:
                pkt = IP(data)
            except Exception:
                return
            hit = classify(pkt, self.sport, self.icmp_id)
            if hit is None:
                return
            key, obs = hit
            found = index.get(key)
            if found is None:
                return
            h, p = found
            if h.done or (p.final and p.result.state not in (FILTERED, OPEN_FILTERED)):
                return
            if p.final and p.result.responder is not None:
                return
            if p.result.attempts == 0:
                return  # not sent by us (yet): a stray or a spoof
            r = p.result
            if r.spec.proto == "tcp" and obs.responder == r.spec.address:
                ack = obs.details.get("ack")
                if "A" in obs.details.get("tcp_flags", "") and ack != (p.seq + 1) & 0xFFFFFFFF:
                    return
            if "seq" in obs.details and obs.details["seq"] != p.seq:
                return
            r.state, r.responder, r.reply = obs.state, obs.responder, obs.reply
            r.details = {k: v for k, v in obs.details.items() if k not in ("ack", "seq")}
            if obs.payload:
                text, extra = describe_udp(r.spec.probe, obs.payload)
                r.reply = f"{text} from {obs.responder}"
                r.details.update(extra)
            r.raw_hex = data[:96].hex()
            if p.last_sent is not None:
                r.rtt_ms = round((time.monotonic() - p.last_sent) * 1000, 2)
            if not p.final:
                p.final = True
                h.remaining -= 1

        try:
            while pending or active:
                now = time.monotonic()
                if now >= deadline:
                    for h in [*active.values(), *pending]:
                        for p in h.probes:
                            if p.result.attempts:
                                finalize(h, p, silent=True, note="; total deadline reached before every retry")
                            else:
                                finalize(h, p, error=f"not probed: total deadline of {opts.total_timeout:g} s "
                                                     "reached")
                        if h.address in active or not h.done:
                            self._complete(h, on_host_done)
                    active.clear()
                    pending.clear()
                    break
                while pending and len(active) < window:
                    h = pending.popleft()
                    activate(h)
                    if h.remaining == 0:
                        self._complete(h, on_host_done)
                        active.pop(h.address, None)
                while timers and timers[0][0] <= now:
                    _, _, addr, idx, attempt = heapq.heappop(timers)
                    h = all_hosts[addr]
                    p = h.probes[idx]
                    if p.final or h.done or attempt != p.result.attempts:
                        continue
                    if p.result.attempts < max_attempts:
                        ready(h, idx)
                    else:
                        finalize(h, p, silent=True)
                for h in list(active.values()):
                    if h.remaining and h.started is not None and now - h.started > opts.host_timeout:
                        for p in h.probes:
                            if p.result.attempts:
                                finalize(h, p, silent=True, note=f"; per-host deadline of {opts.host_timeout:g} s "
                                                                 "reached")
                            else:
                                finalize(h, p, error=f"not probed: per-host deadline of {opts.host_timeout:g} s "
                                                     "reached")
                    if h.remaining == 0:
                        self._complete(h, on_host_done)
                        del active[h.address]
                if not (pending or active):
                    break
                if ready_hosts and now >= next_send and send_one(now):
                    next_send = max(next_send, now - interval) + interval
                elif ready_hosts and now >= next_send:
                    next_send = now + min(0.01, interval * 4)  # send buffer full: back off briefly
                wake = deadline
                if ready_hosts:
                    wake = min(wake, next_send)
                if timers:
                    wake = min(wake, timers[0][0])
                timeout = max(0.0, min(wake - time.monotonic(), 0.2))
                for key, _ in sel.select(timeout):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    for _ in range(512):
                        try:
                            data = sock.recv(65535)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break
                        if sock in self.rx:
                            on_packet(data)
        finally:
            sel.close()
        return {addr: [p.result for p in h.probes] for addr, h in all_hosts.items()}

    @staticmethod
    def _complete(h: _Host, on_host_done: HostDone | None) -> None:
        if h.done:
            return
        h.done = True
        if on_host_done:
            on_host_done(h.address, [p.result for p in h.probes])


# --- facts ----------------------------------------------------------------------------------------

def resolve_ipv4(address: str) -> tuple[str | None, str | None]:
    """(IPv4 address, None) or (None, reason)."""
    try:
        socket.inet_aton(address)
        if address.count(".") == 3:
            return address, None
    except OSError:
        pass
    if ":" in address:
        return None, "IPv6 targets are not probed yet (IPv4 raw probes only)"
    try:
        infos = socket.getaddrinfo(address, None, socket.AF_INET, socket.SOCK_RAW)
    except OSError as exc:
        return None, f"cannot resolve {address!r} to an IPv4 address: {exc.strerror or exc}"
    return (infos[0][4][0], None) if infos else (None, f"{address!r} has no IPv4 address")


def vantage_fact(*, vantage: str, zone: str, bmc_reachable: bool, address: str, resolved: str | None,
                 source: str | None, iface: str | None, opts: ProbeOptions) -> Fact:
    return Fact(kind=REACH_VANTAGE, collector=COLLECTOR,
                data={"vantage": vantage, "zone": zone, "bmc_reachable": bmc_reachable, "address": address,
                      "resolved": resolved, "source_address": source, "iface": iface},
                evidence={"options": opts.public()})


def port_facts(results: Iterable[ProbeResult], *, vantage: str, zone: str, bmc_reachable: bool,
               roles: dict[tuple[str, int], str] | None = None) -> list[Fact]:
    """One ``reach.port`` fact per probe result."""
    roles = roles or {}
    out = []
    for r in results:
        spec = r.spec
        subject = spec.subject
        if r.error:
            out.append(Fact(kind=REACH_PORT, subject=subject, collector=COLLECTOR, error=r.error,
                            evidence={"vantage": vantage, "zone": zone, "probe": spec.probe,
                                      "attempts": r.attempts}))
            continue
        data = {
            "proto": spec.proto, "port": spec.port, "probe": spec.probe, "address": spec.address,
            "role": roles.get((spec.proto, spec.port or 0)), "state": r.state, "responder": r.responder,
            "reached_target": r.reached_target, "evidence": r.reply, "attempts": r.attempts, "rtt_ms": r.rtt_ms,
            "vantage": vantage, "zone": zone, "bmc_reachable": bmc_reachable,
        }
        evidence: dict[str, Any] = dict(r.details)
        if r.raw_hex:
            evidence["reply_hex"] = r.raw_hex
        if spec.probe == PROBE_SNMP:
            evidence["probe_community"] = "public"
        out.append(Fact(kind=REACH_PORT, subject=subject, collector=COLLECTOR, data=data, evidence=evidence))
    return out
