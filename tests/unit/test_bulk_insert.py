"""The driver-level bulk insert stores exactly what SQLAlchemy's Core insert stores, and what it
stores reads back through the ORM unchanged (datetimes keep their instant, JSON its values)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from oobaudit.store import Store
from oobaudit.store.bulk import BulkInsert, chunk_sizes
from oobaudit.store.models import FactRow

from ..helpers import new_sweep

ODD_DATA: list[dict[str, Any]] = [
    {"n": 1},
    {"big": 2**70, "nested": {"list": [1, "two", None, 3.5]}, "unicode": "caf\u00e9 \u2603"},
    {},
]


def _rows(sid: str, tid: int) -> list[dict[str, Any]]:
    when = [datetime(2026, 11, 23, 18, 1, 2, 345678, tzinfo=UTC),
            datetime(2026, 11, 23, 20, 1, 2, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 1, 1, tzinfo=UTC)]
    return [{"sweep_id": sid, "target_id": tid, "collector": "c", "kind": f"k{i}", "subject": f"s{i}",
             "data": data, "evidence": {"url": "/redfish/v1/", "i": i}, "error": None if i else "boom",
             "collected_at": when[i]} for i, data in enumerate(ODD_DATA)]


def test_bulk_insert_matches_core_insert_byte_for_byte(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    store = Store(f"sqlite:///{db}")
    sid, ids, _ev = new_sweep(store, "a", "b")
    bulk = BulkInsert(FactRow.__table__, store.engine.dialect)
    assert bulk.sql is not None  # SQLite takes the driver-level path
    with store.engine.begin() as conn:
        bulk(conn, _rows(sid, ids["a"]))
        conn.execute(insert(FactRow.__table__), _rows(sid, ids["b"]))

    raw = sqlite3.connect(db)
    cols = "kind, subject, collector, data, evidence, error, collected_at"
    fast = raw.execute(f"SELECT {cols} FROM facts WHERE target_id = ? ORDER BY kind", (ids["a"],)).fetchall()
    core = raw.execute(f"SELECT {cols} FROM facts WHERE target_id = ? ORDER BY kind", (ids["b"],)).fetchall()
    assert len(fast) == 3
    assert fast == core

    with store.Session() as s:
        back = s.scalars(select(FactRow).where(FactRow.target_id == ids["a"]).order_by(FactRow.kind)).all()
    assert [r.data for r in back] == ODD_DATA
    assert back[0].error == "boom" and back[1].error is None
    # microseconds survive (SQLite stores the wall-clock text; the store only ever writes UTC)
    assert back[0].collected_at.replace(tzinfo=UTC) == datetime(2026, 11, 23, 18, 1, 2, 345678, tzinfo=UTC)


def test_chunk_sizes_cover_every_row_with_few_distinct_statements() -> None:
    assert chunk_sizes(0, 64) == []
    assert chunk_sizes(3, 64) == [2, 1]
    assert chunk_sizes(64, 64) == [64]
    assert chunk_sizes(200, 64) == [64, 64, 64, 8]
    for n in range(0, 1000):
        sizes = chunk_sizes(n, 64)
        assert sum(sizes) == n and set(sizes) <= {1, 2, 4, 8, 16, 32, 64}
        assert sizes == sorted(sizes, reverse=True)


def test_many_rows_keep_their_order_and_bytes_across_statements(tmp_path: Path) -> None:
    """A batch larger than one statement (64 + 64 + 64 + 8 + 1 rows) lands complete, in order,
    byte-identical to the Core insert of the same rows."""
    db = tmp_path / "m.db"
    store = Store(f"sqlite:///{db}")
    sid, ids, _ev = new_sweep(store, "a", "b")
    bulk = BulkInsert(FactRow.__table__, store.engine.dialect)
    assert bulk.chunk == 64

    def many(tid: int) -> list[dict[str, Any]]:
        base = _rows(sid, tid)
        return [{**base[i % 3], "subject": f"s{i:03d}", "evidence": {"i": i}} for i in range(201)]

    with store.engine.begin() as conn:
        bulk(conn, many(ids["a"]))
        conn.execute(insert(FactRow.__table__), many(ids["b"]))
    raw = sqlite3.connect(db)
    cols = "kind, subject, collector, data, evidence, error, collected_at"
    fast = raw.execute(f"SELECT {cols} FROM facts WHERE target_id = ? ORDER BY id", (ids["a"],)).fetchall()
    core = raw.execute(f"SELECT {cols} FROM facts WHERE target_id = ? ORDER BY id", (ids["b"],)).fetchall()
    assert len(fast) == 201 and fast == core
    assert [r[1] for r in fast] == [f"s{i:03d}" for i in range(201)]


def test_empty_batch_is_a_no_op(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'e.db'}")
    bulk = BulkInsert(FactRow.__table__, store.engine.dialect)
    with store.engine.begin() as conn:
        bulk(conn, [])
        assert conn.execute(select(FactRow.id)).first() is None
