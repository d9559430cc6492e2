"""Coverage-guided fuzzing of every IPMI / RMCP / RMCP+ parser with atheris.

The contract under test: whatever bytes a BMC (or an attacker pretending to be one) sends,
a parser returns a typed result or raises ``WireError`` — nothing else, ever.  Any other
exception is a crash atheris reports with the input that caused it.

Run (see the README for the figure):
    pip install atheris
    python fuzz/ipmi_parsers.py -atheris_runs=1000000 fuzz/corpus
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from oobaudit.wire import commands, ipmi15, rmcp, rmcpplus
    from oobaudit.wire.errors import WireError

PARSERS = (
    rmcp.parse_rmcp_header, rmcp.parse_presence_ping, rmcp.parse_presence_pong,
    ipmi15.parse_request_message, ipmi15.parse_response_message, ipmi15.parse_session15_packet,
    commands.parse_get_channel_auth_capabilities_request, commands.parse_channel_auth_capabilities_response,
    commands.parse_session_challenge_request, commands.parse_session_challenge_response,
    commands.parse_activate_session_request, commands.parse_activate_session_response,
    commands.parse_set_session_privilege_request, commands.parse_set_session_privilege_response,
    commands.parse_close_session_request, commands.parse_device_id_response,
    commands.parse_cipher_suites_request, commands.parse_cipher_suites_response,
    commands.decode_cipher_suite_records, commands.parse_lan_config_request,
    rmcpplus.parse_rmcpplus_packet, rmcpplus.parse_open_session_request, rmcpplus.parse_open_session_response,
    rmcpplus.parse_rakp1, rmcpplus.parse_rakp2, rmcpplus.parse_rakp3, rmcpplus.parse_rakp4,
)


def one_input(data: bytes) -> None:
    if not data:
        return
    # The first byte picks the parser so that atheris' coverage feedback steers each of them.
    parser = PARSERS[data[0] % len(PARSERS)]
    with contextlib.suppress(WireError):
        parser(data[1:])


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
