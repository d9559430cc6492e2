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

from aiohttp import web

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
