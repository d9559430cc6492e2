"""A scripted "legacy BMC" TLS responder built on scapy's TLS layers.

The local OpenSSL can no longer *serve* SSLv2, SSLv3, RC4, 3DES or EXPORT
suites, so ``openssl s_server`` cannot exercise those verdicts.  This responder
parses each ClientHello with scapy (not with oobaudit's parser) and answers with
a first flight serialised by scapy (ServerHello + Certificate + ServerHelloDone,
an alert, or an SSLv2 SERVER-HELLO), negotiating like a server configured with
``versions`` and ``suites`` would.  It never completes a handshake: a real
client (Python's ssl) that goes on is disconnected, which is what a server that
shares no usable suite with it looks like.  Sharing no code with oobaudit's
wire module is the point: a mirrored bug would have to exist in scapy too.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from scapy.config import conf
from scapy.layers.tls.cert import Cert
from scapy.layers.tls.handshake import TLSCertificate, TLSClientHello, TLSServerHello, TLSServerHelloDone
from scapy.layers.tls.handshake_sslv2 import SSLv2ClientHello, SSLv2ServerHello
from scapy.layers.tls.record import TLS, TLSAlert
from scapy.layers.tls.record_sslv2 import SSLv2
from scapy.packet import raw

conf.verb = 0


@dataclass
class ScriptedServer:
    versions: set[int]  # TLS versions served, e.g. {0x0300, 0x0301}
    suites: list[int]  # in server preference order
    cert_der: bytes
    ssl2_kinds: list[int] = field(default_factory=list)  # SSLv2 cipher kinds served (empty: no SSLv2)
    # Simulate a BMC that rate-limits / wedges: after this many connections, hang up at once.
    hang_up_after: int | None = None
    # Simulate a stack with a bug: a hello offering any of these suites gets a reply that is
    # not TLS at all (neither a ServerHello nor a clean refusal).
    garbage_if_offered: frozenset[int] = frozenset()
    seen: list[str] = field(default_factory=list)
    sni_seen: list[str] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    connections: int = 0
    server: asyncio.base_events.Server | None = None
    port: int = 0

    async def start(self, host: str = "127.0.0.1") -> ScriptedServer:
        self.server = await asyncio.start_server(self._handle, host, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        # Let handlers still saying goodbye finish, so none is cancelled mid-close.
        for _ in range(100):
            if not self.active:
                break
            await asyncio.sleep(0.02)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        if self.hang_up_after is not None and self.connections > self.hang_up_after:
            self.seen.append("hung up")
            self.active -= 1
            writer.close()
            return
        try:
            head = await asyncio.wait_for(reader.readexactly(2), 5)
            if head[0] & 0x80:
                length = ((head[0] & 0x7F) << 8) | head[1]
                body = await asyncio.wait_for(reader.readexactly(length), 5)
                reply = self._answer_sslv2(head + body)
            else:
                rest = await asyncio.wait_for(reader.readexactly(3), 5)
                length = int.from_bytes(rest[1:3], "big")
                body = await asyncio.wait_for(reader.readexactly(length), 5)
                reply = self._answer_tls(head + rest + body)
            if reply:
                writer.write(reply)
                await writer.drain()
                # Wait for the client to give up (or send its next flight), then hang up.
                with contextlib.suppress(TimeoutError, ConnectionError):
                    await asyncio.wait_for(reader.read(65536), 1)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.active -= 1
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def _alert(self, version: int, description: int) -> bytes:
        return raw(TLS(version=version, type=21, msg=[TLSAlert(level=2, descr=description)]))

    def _answer_tls(self, record: bytes) -> bytes:
        pkt = TLS(record)
        hello = pkt.getlayer(TLSClientHello)
        if hello is None:
            self.seen.append("not a ClientHello")
            return self._alert(0x0301, 10)
        for ext in hello.ext or []:
            if ext.type == 0:  # server_name
                self.sni_seen.extend(n.servername.decode() for n in ext.servernames)
        client_max = hello.version
        offered = list(hello.ciphers or [])
        if self.garbage_if_offered & set(offered):
            self.seen.append(f"0x{client_max:04x}: garbage")
            return b"HTTP/1.1 400 Bad Request\r\n\r\n"
        usable = [v for v in self.versions if v <= client_max]
        if not usable:
            self.seen.append(f"0x{client_max:04x}: protocol_version")
            return self._alert(min(self.versions), 70)
        version = max(usable)
        chosen = next((s for s in self.suites if s in offered), None)
        if chosen is None:
            self.seen.append(f"0x{client_max:04x}: no shared suite")
            return self._alert(version, 40)
        self.seen.append(f"0x{client_max:04x}: 0x{version:04x} 0x{chosen:04x}")
        flight = TLS(
            version=version,
            type=22,
            msg=[
                TLSServerHello(version=version, cipher=chosen),
                TLSCertificate(certs=[Cert(self.cert_der)]),
                TLSServerHelloDone(),
            ],
        )
        return raw(flight)

    def _answer_sslv2(self, record: bytes) -> bytes:
        pkt = SSLv2(record)
        hello = pkt.getlayer(SSLv2ClientHello)
        if hello is None or not self.ssl2_kinds:
            self.seen.append("sslv2: refused")
            return b""  # an SSLv3+/TLS-only server just hangs up on SSLv2
        shared = [k for k in self.ssl2_kinds if k in (hello.ciphers or [])]
        self.seen.append(f"sslv2: {len(shared)} kinds")
        return raw(SSLv2(msg=SSLv2ServerHello(cert=Cert(self.cert_der), ciphers=shared, connection_id=b"\x01" * 16)))
