"""Property tests: whatever bytes arrive, parsers raise WireError and nothing else.

Arbitrary bytes rarely get past the first header check, so the strategies also
mutate real captured packets (truncate, flip, insert, overwrite) to reach the
deeper decoding paths.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oobaudit.wire import commands as c
from oobaudit.wire import ipmi15, rakp, rmcp, rmcpplus
from oobaudit.wire.errors import WireError
from tests.wire.vectors import (
    IPMITOOL_MOCK_C17,
    IPMITOOL_SIM_C3,
    IPMITOOL_SIM_LAN_MD5,
    SIM_LAN_MD2,
    SIM_UNKNOWN_USER_C3,
)

SEEDS = [bytes.fromhex(h) for v in (IPMITOOL_MOCK_C17, IPMITOOL_SIM_C3, IPMITOOL_SIM_LAN_MD5, SIM_LAN_MD2,
                                    SIM_UNKNOWN_USER_C3) for _, h in v]


def _payload(b: bytes) -> bytes:
    """Payload/message part of a seed, so payload-level parsers get near-valid input too."""
    if len(b) > 16 and b[3] == 7 and b[4] == 6:
        return b[16:]
    if len(b) > 14 and b[3] == 7:
        return b[14 + (16 if b[4] else 0):]
    return b[4:]


SEEDS += [_payload(b) for b in SEEDS]
SEEDS += [_payload(b)[6:-1] for b in SEEDS if len(_payload(b)) > 8]  # command data of IPMI messages


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "overwrite", "delete"]))
        pos = draw(st.integers(0, max(len(data), 1)))
        if op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            i = min(pos, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif op == "overwrite" and data:
            i = min(pos, len(data) - 1)
            data[i] = draw(st.integers(0, 255))
        elif op == "delete" and data:
            del data[min(pos, len(data) - 1)]
    return bytes(data)


ANY_BYTES = st.one_of(st.binary(max_size=120), mutated())

_KEYS = rakp.derive_session_keys(1, b"admin", bytes(16), bytes(16), 0x14, b"admin")
_CRYPTO = {s: rakp.SessionCrypto(rmcpplus.cipher_suite(s), rakp.derive_session_keys(
    rmcpplus.cipher_suite(s).auth, b"admin", bytes(16), bytes(16), 0x14, b"admin")) for s in (0, 3, 17)}

PARSERS: dict[str, Callable[[bytes], Any]] = {
    "rmcp_header": rmcp.parse_rmcp_header,
    "ping": rmcp.parse_presence_ping,
    "pong": rmcp.parse_presence_pong,
    "request": ipmi15.parse_request_message,
    "response": ipmi15.parse_response_message,
    "session15": lambda b: ipmi15.parse_session15_packet(b).verify(b"admin"),
    "gcac_req": c.parse_get_channel_auth_capabilities_request,
    "gcac_rsp": c.parse_channel_auth_capabilities_response,
    "challenge_req": c.parse_session_challenge_request,
    "challenge_rsp": c.parse_session_challenge_response,
    "activate_req": c.parse_activate_session_request,
    "activate_rsp": c.parse_activate_session_response,
    "setpriv_req": c.parse_set_session_privilege_request,
    "setpriv_rsp": c.parse_set_session_privilege_response,
    "close_req": c.parse_close_session_request,
    "device_id": c.parse_device_id_response,
    "suites_req": c.parse_cipher_suites_request,
    "suites_rsp": c.parse_cipher_suites_response,
    "suite_records": c.decode_cipher_suite_records,
    "lan_config_req": c.parse_lan_config_request,
    "rmcpplus": rmcpplus.parse_rmcpplus_packet,
    "open_req": rmcpplus.parse_open_session_request,
    "open_rsp": lambda b: rmcpplus.parse_open_session_response(b).cipher_suite,
    "rakp1": rmcpplus.parse_rakp1,
    "rakp2": rmcpplus.parse_rakp2,
    "rakp3": rmcpplus.parse_rakp3,
    "rakp4": rmcpplus.parse_rakp4,
    "aes": lambda b: rmcpplus.decrypt_aes_cbc_128(_KEYS.k2, b),
    "verify": lambda b: rmcpplus.verify_integrity(rmcpplus.parse_rmcpplus_packet(b), 4, _KEYS.k1),
    "unseal0": _CRYPTO[0].unseal,
    "unseal3": _CRYPTO[3].unseal,
    "unseal17": _CRYPTO[17].unseal,
    "rakp_hash": lambda b: rakp.RakpHash.from_exchange(
        1, 1, 2, rmcpplus.parse_rakp1(rmcpplus.build_rakp1(2, bytes(16), b"admin")), rmcpplus.parse_rakp2(b)),
}


@settings(max_examples=600, deadline=None)
@given(data=ANY_BYTES)
def test_parsers_raise_only_wireerror(data: bytes) -> None:
    # one example feeds every parser: hypothesis' per-example cost is paid once
    for name, parse in PARSERS.items():
        try:
            parse(data)
        except WireError:
            pass
        except Exception as exc:  # pragma: no cover - the failure report
            pytest.fail(f"{name} raised {type(exc).__name__}: {exc!r} for {data.hex()}")


@given(st.binary(max_size=40).map(bytearray))
def test_parsers_accept_bytearray_and_memoryview(data: bytearray) -> None:
    for fn in (ipmi15.parse_session15_packet, rmcpplus.parse_rmcpplus_packet, c.decode_cipher_suite_records):
        for arg in (data, memoryview(bytes(data))):
            with contextlib.suppress(WireError):
                fn(arg)  # type: ignore[arg-type]


INTS = st.one_of(st.integers(-3, 300), st.integers(-(2**40), 2**40), st.booleans())
BYTES = st.binary(max_size=40)

BUILDERS: dict[str, tuple[Callable[..., Any], list[st.SearchStrategy[Any]]]] = {
    "ping": (rmcp.build_presence_ping, [INTS]),
    "pong": (lambda t, e: rmcp.build_presence_pong(t, supported_entities=e), [INTS, INTS]),
    "request": (lambda n, cmd, d, s: ipmi15.build_request_message(ipmi15.IpmiRequest(n, cmd, d, s)),
                [INTS, INTS, BYTES, INTS]),
    "response": (lambda n, cmd, cc, d: ipmi15.build_response_message(ipmi15.IpmiResponse(n, cmd, cc, d)),
                 [INTS, INTS, INTS, BYTES]),
    "session15": (lambda m, s, i, p: ipmi15.build_session15_packet(m, auth_type=ipmi15.AuthType.MD5, session_seq=s,
                                                                   session_id=i, password=p),
                  [BYTES, INTS, INTS, BYTES]),
    "gcac": (c.build_get_channel_auth_capabilities_request, [INTS, INTS]),
    "challenge": (c.build_session_challenge_request, [INTS, BYTES]),
    "activate": (c.build_activate_session_request, [INTS, INTS, BYTES, INTS]),
    "suites": (c.build_cipher_suites_request, [INTS, INTS, INTS]),
    "open_req": (rmcpplus.build_open_session_request, [INTS, INTS, INTS, INTS]),
    "open_rsp": (lambda t, s, i: rmcpplus.build_open_session_response(t, s, bmc_session_id=i), [INTS, INTS, INTS]),
    "rakp1": (rmcpplus.build_rakp1, [INTS, BYTES, BYTES]),
    "rakp2": (rmcpplus.build_rakp2, [INTS, INTS, INTS, BYTES, BYTES, BYTES]),
    "rmcpplus": (lambda t, p, i, s: rmcpplus.build_rmcpplus_packet(t, p, session_id=i, session_seq=s),
                 [INTS, BYTES, INTS, INTS]),
    "aes": (lambda k, d, iv: rmcpplus.encrypt_aes_cbc_128(k, d, iv), [BYTES, BYTES, BYTES]),
    "rakp2_code": (lambda a, p, u: rakp.compute_rakp2_auth_code(a, p, 1, 2, bytes(16), bytes(16), bytes(16), 0x14, u),
                   [INTS, BYTES, BYTES]),
    "sik": (lambda a, k: rakp.compute_sik(a, k, bytes(16), bytes(16), 0x14, b"u"), [INTS, BYTES]),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_builders_reject_bad_arguments_with_wireerror(name: str, data: st.DataObject) -> None:
    fn, strategies = BUILDERS[name]
    args = [data.draw(s) for s in strategies]
    with contextlib.suppress(WireError):
        fn(*args)
