"""Make the mock's TLS refusals look like a real BMC's: the alert first, then the close.

When a server handshake fails (a TLS 1.0 hello to a TLS 1.2+ server, no shared suite),
OpenSSL writes the alert (protocol_version, handshake_failure) into its outgoing buffer.
The OpenSSL-, mbedTLS- and wolfSSL-based web servers of real BMCs send it; CPython's asyncio
SSL transport aborts the connection without flushing it, so every refusal of a mock built on
it would be a bare hang-up.  A hang-up is not a definitive answer to a TLS scanner (it may be
a stack that mis-parsed the hello), so the auditor would cross-check every refused version
with extra handshakes that no real, alert-sending BMC costs it.

:func:`install` flushes the alert before the abort.  A profile can keep the hang-up
(``tls: {refusal: hangup}``): old embedded stacks do that, and the auditor's escalation path
needs a peer that behaves so.  The patch touches asyncio's private ``SSLProtocol`` of this
(mock) process only, and does nothing where that class is not as expected.
"""

from __future__ import annotations

import asyncio.sslproto as sslproto
import contextlib
import ssl
from typing import Any

#: Attribute set on a server SSLContext whose connections should hang up on a refused handshake.
HANGUP_ATTR = "mock_bmc_hangup_on_refusal"


def install() -> bool:
    """Patch asyncio's SSL server handshake to send OpenSSL's alert; True when active."""
    proto: Any = getattr(sslproto, "SSLProtocol", None)
    again = getattr(sslproto, "SSLAgainErrors", None)
    if proto is None or again is None or not hasattr(proto, "_process_outgoing") \
            or not hasattr(proto, "_on_handshake_complete"):
        return False
    if getattr(proto, "_mock_bmc_alerts", False):
        return True

    def _do_handshake(self: Any) -> None:
        try:
            self._sslobj.do_handshake()
        except again:
            self._process_outgoing()
        except ssl.SSLError as exc:
            if self._server_side and not getattr(self._sslcontext, HANGUP_ATTR, False):
                with contextlib.suppress(Exception):  # best effort: the connection is failing anyway
                    self._process_outgoing()
            self._on_handshake_complete(exc)
        else:
            self._on_handshake_complete(None)

    proto._do_handshake = _do_handshake
    proto._mock_bmc_alerts = True
    return True
