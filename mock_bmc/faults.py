"""Broken answers for the profile's ``faults`` section.

Real BMC web servers fail in a handful of recurring ways: they stop answering
after the TLS handshake, answer 500 while a service restarts, answer 200 with a
truncated or HTML body, or answer very slowly.  The auditor must record each as a
per-target ERROR (never a PASS), so the mock reproduces them faithfully and
deterministically: the same path always gets the same kind of garbage.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

from aiohttp import hdrs, web

GARBAGE_KINDS = ("truncated-json", "html", "binary")


async def hang_forever() -> None:
    """Never answer.  aiohttp cancels this when the client goes away or the BMC stops."""
    await asyncio.get_running_loop().create_future()


def garbage_response(path: str, kind: str) -> web.Response:
    """A ``200 OK`` whose body no Redfish client can use."""
    digest = hashlib.sha256(path.encode()).digest()
    if kind == "mixed":
        kind = GARBAGE_KINDS[digest[0] % len(GARBAGE_KINDS)]
    if kind == "truncated-json":
        text = json.dumps({"@odata.id": path, "@odata.type": "#Resource.Resource", "Name": "Resource", "Id": "x"})
        return web.Response(status=200, body=text[: len(text) // 2].encode(), content_type="application/json")
    if kind == "html":
        html = (
            "<!DOCTYPE html><html><head><title>Login</title></head>"
            "<body><form action='/login'><input name='user'></form></body></html>"
        )
        return web.Response(status=200, text=html, content_type="text/html")
    # Invalid UTF-8 behind a JSON content type, as some firmware emits on buffer reuse.
    blob = b"\xff\xfe\x00" + hashlib.sha512(digest).digest() + b"\x00{\x8f"
    return web.Response(status=200, body=blob, content_type="application/json")


def has_body_fault(faults) -> bool:  # noqa: ANN001 - FaultSpec, imported lazily to avoid a cycle
    return bool(faults.http_503 or faults.drip_bps or faults.reset_mid_body or faults.huge_body_mb
                or faults.redirect)


def _doc(path: str) -> bytes:
    return json.dumps({"@odata.id": path, "@odata.type": "#Resource.Resource", "Id": path.rsplit("/", 1)[-1],
                       "Name": "Resource", "Description": "x" * 200}).encode()


async def body_fault(request: web.BaseRequest, path: str, faults) -> web.StreamResponse:  # noqa: ANN001
    """The faults that hit a resource after the service root (so the target is clearly reachable)."""
    if faults.http_503:
        return web.json_response({"error": {"code": "Base.1.8.ServiceTemporarilyUnavailable",
                                            "message": "The service is temporarily unavailable."}},
                                 status=503, headers={hdrs.RETRY_AFTER: str(faults.retry_after_s)})
    if faults.redirect == "offhost":
        # .invalid never resolves (RFC 2606): a client that followed it would go nowhere.
        return web.Response(status=302, headers={hdrs.LOCATION: f"https://bmc-elsewhere.invalid{path}"})
    if faults.redirect == "loop":
        return web.Response(status=302, headers={hdrs.LOCATION: path})
    resp = web.StreamResponse(status=200, headers={hdrs.CONTENT_TYPE: "application/json"})
    body = _doc(path)
    if faults.huge_body_mb:
        resp.content_length = faults.huge_body_mb * 1024 * 1024
        await resp.prepare(request)
        chunk = b" " * 65536
        sent = 0
        while sent < resp.content_length:
            await resp.write(chunk)
            sent += len(chunk)
        await resp.write_eof()
        return resp
    resp.content_length = len(body)
    await resp.prepare(request)
    if faults.reset_mid_body:
        await resp.write(body[: len(body) // 2])
        if request.transport is not None:
            request.transport.abort()  # RST, not a clean close
        return resp
    for i in range(len(body)):  # drip
        await resp.write(body[i:i + 1])
        await asyncio.sleep(1 / faults.drip_bps)
    await resp.write_eof()
    return resp
