"""A TCP proxy in front of a real TLS server that mis-parses oobaudit's hand-built hello.

Some embedded TLS stacks choke on ClientHellos they do not expect and hang up (or
send a ``decode_error`` alert) instead of refusing cleanly.  The collector must not
take that for a refusal: it escalates to a full handshake with Python's ``ssl``.
This proxy simulates such a stack for one protocol version: a ClientHello whose
client_version is ``version`` and that lacks the encrypt_then_mac extension (which
OpenSSL's client always sends and oobaudit's raw hellos never do) is answered by a
hang-up or an alert; everything else is relayed to the real server (``openssl
s_server``) untouched.  Hellos are dissected with scapy, not with oobaudit's parser.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from scapy.config import conf
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS, TLSAlert
from scapy.packet import raw

conf.verb = 0

EXT_ENCRYPT_THEN_MAC = 22


@dataclass
class MisparsingProxy:
    backend_host: str
    backend_port: int
    version: int  # client_version whose raw hellos are "mis-parsed", e.g. 0x0301
    alert: int | None = None  # None: hang up; else send this fatal alert (e.g. 50 decode_error)
    connections: int = 0
    misparsed: int = 0
    relayed: int = 0
    server: asyncio.base_events.Server | None = None
    port: int = 0
    _tasks: set[asyncio.Task] = field(default_factory=set)

    async def start(self, host: str = "127.0.0.1") -> MisparsingProxy:
        self.server = await asyncio.start_server(self._handle, host, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _is_raw_hello_to_misparse(self, record: bytes) -> bool:
        hello = TLS(record).getlayer(TLSClientHello)
        if hello is None or hello.version != self.version:
            return False
        return EXT_ENCRYPT_THEN_MAC not in {ext.type for ext in hello.ext or []}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            head = await asyncio.wait_for(reader.readexactly(5), 5)
            body = await asyncio.wait_for(reader.readexactly(int.from_bytes(head[3:5], "big")), 5)
            record = head + body
            if head[0] == 22 and self._is_raw_hello_to_misparse(record):
                self.misparsed += 1
                if self.alert is not None:
                    writer.write(raw(TLS(version=0x0301, type=21, msg=[TLSAlert(level=2, descr=self.alert)])))
                    await writer.drain()
                return
            self.relayed += 1
            up_reader, up_writer = await asyncio.open_connection(self.backend_host, self.backend_port)
            up_writer.write(record)
            try:
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            finally:
                up_writer.close()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            if dst.can_write_eof():
                dst.write_eof()
