"""Bulk inserts of facts and findings with the per-row work done once.

A sweep writes about ninety rows per BMC.  Through ``conn.execute(insert(table), rows)``
SQLAlchemy builds and processes a parameter set per row, which cost more CPU than SQLite's
own work.  For drivers with positional ``?`` parameters (SQLite) this module prepares the
INSERT once and hands the driver plain tuples, each value converted by its column type's own
bind processor (the JSON serializer, SQLite's datetime format): the stored bytes are the
same as the Core statement's, so readers cannot tell the paths apart.  Other drivers
(PostgreSQL) take the Core statement, where the server's work dominates anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Dialect


class BulkInsert:
    """An executemany INSERT into ``table`` of rows that each give every non-key column."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.statement = insert(table)
        cols = [c for c in table.columns if not c.primary_key]
        self.values = itemgetter(*(c.key for c in cols))
        self.sql: str | None = None
        #: (position, processor) of the columns whose type converts values for the driver
        self.procs: list[tuple[int, Callable[[Any], Any]]] = []
        if dialect.paramstyle == "qmark":
            quote = dialect.identifier_preparer.quote
            self.sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in cols)}) "
                        f"VALUES ({', '.join('?' * len(cols))})")
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
        params = []
        for row in rows:
            vals = list(self.values(row))
            for i, proc in self.procs:
                vals[i] = proc(vals[i])
            params.append(tuple(vals))
        conn.exec_driver_sql(self.sql, params)
