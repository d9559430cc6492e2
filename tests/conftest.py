"""Session-wide peers shared by several suites."""

from __future__ import annotations

import pytest

from .pg import PgServer, PgUnavailable


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on a loopback port, started once per session."""
    server = PgServer()
    try:
        server.start()
    except PgUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()
