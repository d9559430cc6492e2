"""The sweep's event loop: uvloop by default where installed, the standard loop on request."""

from __future__ import annotations

import asyncio

import pytest

from oobaudit import aioloop


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_default_is_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed on this platform")
    monkeypatch.delenv(aioloop.ENV, raising=False)
    assert aioloop.loop_name() == "uvloop"
    assert aioloop.run(_loop_module()).startswith("uvloop")


def test_standard_loop_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(aioloop.ENV, "asyncio")
    assert aioloop.loop_name() == "asyncio"
    assert aioloop.run(_loop_module()).startswith("asyncio")
