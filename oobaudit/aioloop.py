"""The event loop a sweep runs on.

A sweep is bound by the auditor's own CPU long before the network (thousands of short TLS,
HTTP and UDP exchanges); uvloop's libuv-based loop and transports cut that CPU by about a
third against the standard loop, so it is the default where installed.  The standard loop
stays one environment variable away (``OOBAUDIT_EVENT_LOOP=asyncio``) for debugging or for
comparing the two; both run the same code, and the test suite exercises both.

The garbage collector is tuned for the run as well (:func:`sweep_gc`): with CPython's default
thresholds, full collections walking every live object took a third of a 1,000-BMC sweep's CPU.
:func:`wait_future` is the collectors' cheap way to await a reply with a timeout on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "OOBAUDIT_EVENT_LOOP"

#: Collector thresholds during a sweep: young collections every 200,000 net allocations of
#: container objects (default 700), older generations rarely.  Cycles are still collected:
#: a sweep makes little cyclic garbage (measured: ~5 objects per BMC), so what waits for the
#: next collection is bounded and small, while each young collection walks every young object
#: alive at that moment (at 50,000 it still cost ~0.6 ms of CPU per BMC; at 200,000 ~0.3).
SWEEP_GC_THRESHOLDS = (200_000, 20, 20)


def _expire(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError())


async def wait_future(fut: asyncio.Future[T], timeout: float) -> T:
    """Await ``fut``; if nothing settles it within ``timeout`` seconds it fails with TimeoutError.

    One timer on the future instead of an ``asyncio.timeout`` scope (a context object, a
    rescheduled handle and task-cancel bookkeeping): the collectors wait like this once per IPMI
    datagram and twice per TLS probe, tens of times per BMC.  A cancellation from outside (a
    target's deadline) still ends the wait, and the timer goes with it.
    """
    timer = asyncio.get_running_loop().call_later(timeout, _expire, fut)
    try:
        return await fut
    finally:
        timer.cancel()


def loop_name() -> str:
    """``uvloop`` or ``asyncio``: what :func:`run` will use."""
    if os.environ.get(ENV, "uvloop").strip().lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


@contextlib.contextmanager
def sweep_gc() -> Iterator[None]:
    """Garbage-collector settings for a sweep, restored afterwards.

    A sweep allocates millions of short-lived objects (requests, datagrams, facts) while
    holding a large, long-lived heap (modules, the check registry, the inventory, the targets in
    flight).  CPython's default thresholds trigger a full collection every few hundred thousand
    allocations, and each one walks that whole heap: measured, 9 s of a 33 s sweep of 1,000
    BMCs.  Freezing what exists before the sweep (it is never garbage) and collecting young
    objects less often cut that to about 1.5 s.
    """
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SWEEP_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the chosen loop (same SIGINT handling: uvloop.run is an asyncio.Runner),
    with the collector tuned for a sweep."""
    with sweep_gc():
        if loop_name() == "uvloop":
            import uvloop

            return uvloop.run(coro)
        return asyncio.run(coro)
