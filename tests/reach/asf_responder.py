"""A tiny stand-alone ASF presence responder for the reach tests (no oobaudit imports).

Answers every ASF presence ping (RMCP class 6, type 0x80) on each ``--bind ADDR`` with
the pong OpenIPMI's ipmi_sim 2.0.33 sends (IANA 4542, supported entities 0x81), the
ping's message tag echoed.  Prints ``ready`` once every socket is bound.
"""

from __future__ import annotations

import argparse
import selectors
import socket
import sys

# ipmi_sim 2.0.33: 06 00 ff 06 | 00 00 11 be 40 <tag> 00 10 | 00 00 11 be 00 00 00 00 81 00 00 00 00 00 00 00
PONG_HEAD = bytes.fromhex("0600ff06000011be40")
PONG_TAIL = bytes.fromhex("0010" "000011be" "00000000" "81" "00" "000000000000")


def pong(tag: int) -> bytes:
    return PONG_HEAD + bytes((tag,)) + PONG_TAIL


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", action="append", required=True, help="address to listen on (repeatable)")
    ap.add_argument("--port", type=int, default=623)
    args = ap.parse_args()
    sel = selectors.DefaultSelector()
    for addr in args.bind:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, args.port))
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            sock: socket.socket = key.fileobj  # type: ignore[assignment]
            data, peer = sock.recvfrom(2048)
            if len(data) >= 12 and data[0] == 0x06 and data[3] == 0x06 and data[8] == 0x80:
                sock.sendto(pong(data[9]), peer)


if __name__ == "__main__":
    sys.exit(main())
