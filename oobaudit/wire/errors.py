"""The one exception type the wire layer raises for malformed input.

Every parser in :mod:`oobaudit.wire` turns truncated, oversized or otherwise
malformed bytes into :class:`WireError` and nothing else, so a collector can
catch exactly one type around any decode of attacker- or firmware-controlled
bytes and record "unparseable reply" as a fact instead of crashing the sweep.
"""

from __future__ import annotations

import struct

__all__ = ["Reader", "WireError", "check_bytes", "check_range"]


class WireError(ValueError):
    """Bytes that do not form a valid message of the expected kind."""


_U16LE, _U32LE, _U32BE = struct.Struct("<H"), struct.Struct("<I"), struct.Struct(">I")


class Reader:
    """A bounds-checked cursor over a byte string.

    Parsers use it instead of slicing so that running off the end of a short
    packet becomes a :class:`WireError` naming the field, never an IndexError,
    a struct.error or a silently short slice.
    """

    __slots__ = ("_data", "_pos", "_what")

    def __init__(self, data: bytes, what: str = "message") -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise WireError(f"{what}: expected bytes, got {type(data).__name__}")
        self._data = data if type(data) is bytes else bytes(data)
        self._pos = 0
        self._what = what

    @property
    def pos(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def _short(self, n: int, field: str) -> WireError:
        return WireError(
            f"{self._what}: truncated at {field} (need {n} bytes at offset {self._pos}, "
            f"have {len(self._data) - self._pos})"
        )

    def take(self, n: int, field: str) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise self._short(n, field)
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def rest(self) -> bytes:
        out = self._data[self._pos :]
        self._pos = len(self._data)
        return out

    # The fixed-width readers index / unpack in place (no intermediate slice): a BMC's reply is
    # read a field at a time, and a sweep reads hundreds of fields per BMC.
    def u8(self, field: str) -> int:
        pos = self._pos
        if pos >= len(self._data):
            raise self._short(1, field)
        self._pos = pos + 1
        return self._data[pos]

    def _unpack(self, fmt: struct.Struct, field: str) -> int:
        pos = self._pos
        if pos + fmt.size > len(self._data):
            raise self._short(fmt.size, field)
        self._pos = pos + fmt.size
        return int(fmt.unpack_from(self._data, pos)[0])

    def u16le(self, field: str) -> int:
        return self._unpack(_U16LE, field)

    def u32le(self, field: str) -> int:
        return self._unpack(_U32LE, field)

    def u32be(self, field: str) -> int:
        return self._unpack(_U32BE, field)

    def expect_end(self) -> None:
        if self._pos != len(self._data):
            raise WireError(f"{self._what}: {len(self._data) - self._pos} unexpected trailing bytes")


def check_range(value: int, lo: int, hi: int, field: str) -> int:
    """Validate an integer argument of a builder (callers pass bad ints, too)."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise WireError(f"{field} must be an integer in [{lo}, {hi}], got {value!r}")
    return value


def check_bytes(value: bytes, length: int | None, field: str, *, max_len: int | None = None) -> bytes:
    """Validate a bytes argument of a builder: exact length or at most ``max_len``."""
    if not isinstance(value, bytes | bytearray):
        raise WireError(f"{field} must be bytes, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise WireError(f"{field} must be {length} bytes, got {len(value)}")
    if max_len is not None and len(value) > max_len:
        raise WireError(f"{field} must be at most {max_len} bytes, got {len(value)}")
    return bytes(value)
