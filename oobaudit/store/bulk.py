"""Bulk inserts of facts and findings with the per-row work done once.

A sweep writes about ninety rows per BMC.  Through ``conn.execute(insert(table), rows)``
SQLAlchemy builds and processes a parameter set per row, which cost more CPU than SQLite's
own work.  For drivers with positional ``?`` parameters (SQLite) this module prepares the
INSERT once and hands the driver plain tuples, each value converted by its column type's own
bind processor (the JSON serializer, SQLite's datetime format): the stored bytes are the
same as the Core statement's, so readers cannot tell the paths apart.  Other drivers
(PostgreSQL) take the Core statement, where the server's work dominates anyway.

The rows go in as multi-row ``INSERT ... VALUES (...), (...)`` statements of up to
:data:`CHUNK_ROWS` rows, not an executemany: Python's sqlite3 releases the GIL around every
row's step, and the writer thread runs beside a busy event loop, so each row paid a GIL hand-off
(measured on a bare sqlite3 connection with one busy Python thread beside it: 47-51 us of the
writer's CPU per row with executemany, 7-8 us with multi-row statements; 9.7 and 7.5 us without
the busy thread).  Inside a real sweep the loop thread is not that busy and the writer's CPU
stayed within noise (2.2-2.4 ms per BMC either way): a small, not a large, saving there.
Chunks are a fixed size plus powers of two for the rest, so a handful of distinct statements
serve every batch size from the driver's statement cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect

#: Rows per INSERT statement: a power of two, and at most 999 parameters (the oldest SQLite limit).
CHUNK_ROWS = 64
_MAX_PARAMS = 999


def chunk_sizes(n: int, chunk: int) -> list[int]:
    """Split ``n`` rows into full chunks, then the rest in descending powers of two."""
    sizes = [chunk] * (n // chunk)
    rest = n % chunk
    bit = chunk >> 1
    while rest:
        if rest & bit:
            sizes.append(bit)
            rest -= bit
        bit >>= 1
    return sizes


class BulkInsert:
    """A bulk INSERT into ``table`` of rows that each give every non-key column."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.statement = insert(table)
        cols = [c for c in table.columns if not c.primary_key]
        self.values = itemgetter(*(c.key for c in cols))
        self.width = len(cols)
        self.sql: str | None = None
        self._sql_for: dict[int, str] = {}
        self.chunk = 1
        #: (position, processor) of the columns whose type converts values for the driver
        self.procs: list[tuple[int, Callable[[Any], Any]]] = []
        if dialect.paramstyle == "qmark":
            quote = dialect.identifier_preparer.quote
            self.sql = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in cols)}) VALUES "
            self._one = f"({', '.join('?' * len(cols))})"
            while self.chunk * 2 <= min(CHUNK_ROWS, _MAX_PARAMS // self.width):
                self.chunk *= 2
            # the dialect's implementation of each type (SQLite's DATETIME, JSON), not the generic one
            for i, c in enumerate(cols):
                proc = c.type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    self.procs.append((i, proc))

    def __call__(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.sql is None:
            conn.execute(self.statement, list(rows))
            return
        params: list[Any] = []
        for row in rows:
            vals = list(self.values(row))
            for i, proc in self.procs:
                vals[i] = proc(vals[i])
            params.extend(vals)
        start = 0
        for size in chunk_sizes(len(rows), self.chunk):
            end = start + size * self.width
            conn.exec_driver_sql(self._statement(size), tuple(params[start:end]))
            start = end

    def _statement(self, rows: int) -> str:
        sql = self._sql_for.get(rows)
        if sql is None:
            sql = self._sql_for[rows] = self.sql + ", ".join([self._one] * rows)  # type: ignore[operator]
        return sql
