"""The HTTP client session shared by the Redfish collectors.

One aiohttp session per sweep: connections are reused across requests to the same
BMC, cookies are never kept (a cookie from one BMC must not reach another), TLS is
not verified *for transport* (BMCs ship self-signed certificates; the certificate
is judged by the TLS checks instead), and every response body is size-capped so a
hostile BMC cannot exhaust the auditor's memory.
"""

from __future__ import annotations

import functools
import ssl

import aiohttp

DEFAULT_MAX_BODY = 4 * 1024 * 1024


class BodyTooLarge(aiohttp.ClientPayloadError):
    """The response body exceeded the cap; the connection is dropped."""


class CappedResponse(aiohttp.ClientResponse):
    max_body: int = DEFAULT_MAX_BODY

    async def read(self) -> bytes:
        if self._body is None:
            declared = self.content_length
            if declared is not None and declared > self.max_body:
                self.close()
                raise BodyTooLarge(f"response body of {declared} bytes exceeds the {self.max_body}-byte cap")
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in self.content.iter_chunked(65536):
                    size += len(chunk)
                    if size > self.max_body:
                        raise BodyTooLarge(f"response body exceeds the {self.max_body}-byte cap")
                    chunks.append(chunk)
            except BaseException:
                self.close()
                raise
            self._body = b"".join(chunks)
        return await super().read()


@functools.cache
def _capped_class(max_body: int) -> type[CappedResponse]:
    return type("CappedResponseN", (CappedResponse,), {"max_body": max_body})


def insecure_ssl_context() -> ssl.SSLContext:
    """Accept any certificate and any protocol the local OpenSSL offers by default.

    The auditor must be able to talk to a BMC in order to judge it; verifying here
    would turn "self-signed certificate" into "unreachable".  No trust store is loaded:
    OpenSSL builds the chain even when told not to verify it, and against the system store
    (hundreds of roots, looked up on disk) that cost about 0.4 ms of CPU per handshake for a
    result nobody reads.  The certificate is judged by the TLS collector, not here.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_session(
    *, max_body: int = DEFAULT_MAX_BODY, limit: int = 256, limit_per_host: int = 0, connect_timeout: float = 5.0,
    ssl_context: ssl.SSLContext | None = None,
) -> aiohttp.ClientSession:
    """A capped, cookie-less session.  Pass one ``ssl_context`` to many sessions: building a
    context loads the system trust store, which costs tens of milliseconds."""
    response_class = _capped_class(max_body)
    connector = aiohttp.TCPConnector(
        ssl=ssl_context or insecure_ssl_context(), limit=limit, limit_per_host=limit_per_host,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        response_class=response_class,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout),
        trust_env=False,
    )


def describe_error(exc: BaseException) -> str:
    """A short, secret-free reason for an I/O failure, for an ERROR fact.

    The DMTF client wraps aiohttp errors ("Redfish request failed"); the useful
    reason is in the cause chain.
    """
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 5:
        reason = _one(cur)
        if reason:
            return reason
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return type(exc).__name__


def _one(exc: BaseException) -> str | None:
    import asyncio

    if isinstance(exc, BodyTooLarge):
        return str(exc)
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError | ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorError):
        os_err = getattr(exc, "os_error", None)
        if isinstance(os_err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(os_err, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(os_err, ConnectionResetError):
            # the server reset the connection before any HTTP: a refused TLS handshake in practice
            return "connection reset during the TLS handshake"
        return "cannot connect"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "malformed or truncated response body"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"HTTP error {exc.status}"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, aiohttp.ClientError):
        return "malformed HTTP response"
    return None
