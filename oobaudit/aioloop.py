"""The event loop a sweep runs on.

A sweep is bound by the auditor's own CPU long before the network (thousands of short TLS,
HTTP and UDP exchanges); uvloop's libuv-based loop and transports cut that CPU by about a
third against the standard loop, so it is the default where installed.  The standard loop
stays one environment variable away (``OOBAUDIT_EVENT_LOOP=asyncio``) for debugging or for
comparing the two; both run the same code, and the test suite exercises both.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENV = "OOBAUDIT_EVENT_LOOP"


def loop_name() -> str:
    """``uvloop`` or ``asyncio``: what :func:`run` will use."""
    if os.environ.get(ENV, "uvloop").strip().lower() == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the chosen loop (same SIGINT handling: uvloop.run is an asyncio.Runner)."""
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)
