"""Small synchronous HTTP(S) helpers for talking to mock BMCs from tests (aiohttp underneath)."""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

from mock_bmc.bmc import MockBMC
from mock_bmc.fleet import Fleet


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def afetch(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    timeout: float = 10.0,
) -> Reply:
    async with session.request(
        method,
        url,
        headers=headers,
        json=json_body,
        ssl=False,
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as resp:
        body = await resp.read()
        return Reply(resp.status, dict(resp.headers), body)


def fetch(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    timeout: float = 10.0,
) -> Reply:
    """One request on a fresh client session (no connection reuse between calls)."""

    async def _go() -> Reply:
        async with aiohttp.ClientSession() as session:
            return await afetch(session, method, url, headers=headers, json_body=json_body, timeout=timeout)

    return asyncio.run(_go())


def pick(fleet: Fleet, profile: str, n: int = 0) -> MockBMC:
    """The ``n``-th BMC of ``profile`` in ``fleet``."""
    return [b for b in fleet.bmcs if b.profile.name == profile][n]
