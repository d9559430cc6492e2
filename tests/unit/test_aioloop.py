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


async def _gc_state() -> tuple[tuple[int, int, int], int]:
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def test_sweep_runs_with_tuned_collector_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside run() the collector uses the sweep thresholds with the pre-sweep heap frozen;
    afterwards the caller's settings are back (a library call must not leave them changed)."""
    import gc

    monkeypatch.setenv(aioloop.ENV, "asyncio")
    gc.set_threshold(700, 10, 10)
    thresholds, frozen = aioloop.run(_gc_state())
    assert thresholds == aioloop.SWEEP_GC_THRESHOLDS
    assert frozen > 1000  # modules, classes, the registry: everything alive before the sweep
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_collector_restored_when_the_sweep_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    async def boom() -> None:
        raise RuntimeError("target exploded")

    monkeypatch.setenv(aioloop.ENV, "asyncio")
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        aioloop.run(boom())
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
