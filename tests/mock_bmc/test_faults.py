"""Fault profiles misbehave the way real broken BMCs do."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time

import aiohttp
import pytest

from mock_bmc.fleet import Fleet

from .helpers import basic, fetch, pick


def test_hang_completes_tls_then_never_answers(fleet: Fleet) -> None:
    bmc = pick(fleet, "fault-hang")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", bmc.ports["https"]), timeout=5) as raw,
        ctx.wrap_socket(raw) as tls,  # the handshake succeeds
    ):
        assert tls.version() is not None
        tls.sendall(b"GET /redfish/v1 HTTP/1.1\r\nHost: x\r\n\r\n")
        tls.settimeout(0.5)
        with pytest.raises(TimeoutError):
            tls.recv(1)


def test_hang_times_out_an_http_client(fleet: Fleet) -> None:
    bmc = pick(fleet, "fault-hang")
    with pytest.raises(asyncio.TimeoutError):
        fetch("GET", f"{bmc.https_url}/redfish/v1", timeout=0.5)


def test_garbage_after_the_service_root(fleet: Fleet) -> None:
    bmc = pick(fleet, "fault-garbage")
    root = fetch("GET", f"{bmc.https_url}/redfish/v1")
    assert root.status == 200 and root.json()["Vendor"] == "OpenBMC"
    auth = basic(fleet.auditor_user, fleet.auditor_password)
    paths = ["/redfish/v1/Systems", "/redfish/v1/AccountService", "/redfish/v1/Managers", "/redfish/v1/Chassis"]
    for path in paths:
        reply = fetch("GET", bmc.https_url + path, headers=auth)
        assert reply.status == 200
        with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)):
            json.loads(reply.body)
    # Authentication still comes first.
    assert fetch("GET", bmc.https_url + "/redfish/v1/Systems").status == 401


def test_http_500_with_retry_after(fleet: Fleet) -> None:
    bmc = pick(fleet, "fault-http500")
    for path in ("/redfish/v1", "/redfish/v1/Systems"):
        reply = fetch("GET", bmc.https_url + path, headers=basic(fleet.auditor_user, fleet.auditor_password))
        assert reply.status == 500
        assert reply.headers["Retry-After"] == "30"
        assert reply.json()["error"]["code"].endswith("InternalError")


def test_slow_ms_adds_latency(fleet: Fleet) -> None:
    bmc = pick(fleet, "slow-300")

    async def timed() -> float:
        async with aiohttp.ClientSession() as session:
            start = time.perf_counter()
            async with session.get(f"{bmc.https_url}/redfish/v1", ssl=False) as resp:
                assert resp.status == 200
                await resp.read()
            return time.perf_counter() - start

    assert asyncio.run(timed()) >= 0.3
