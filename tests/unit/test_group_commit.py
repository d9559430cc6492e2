"""Group commit: targets finishing together share a transaction, each target stays all-or-nothing,
and a failed batch reaches every worker that handed a target to it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from oobaudit.checks.base import Finding, Severity, Status
from oobaudit.facts import Fact
from oobaudit.store import Store, TargetWrite
from oobaudit.store.group import GroupCommit
from oobaudit.store.models import FactRow, FindingRow, TargetRow

from ..helpers import new_sweep


def _write(sid: str, tid: int, ev: int, name: str) -> TargetWrite:
    return TargetWrite(sid, tid, ev, "audited", None, datetime.now(UTC),
                       [Fact(kind="redfish.system", subject=name, collector="test", data={"n": name})] * 3,
                       [Finding(check_id="OOB-SVC-001", target=name, status=Status.FAIL, severity=Severity.HIGH,
                                title="t")])


def _count(store: Store, model, sid: str) -> int:
    with store.Session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.sweep_id == sid))


def test_concurrent_targets_share_commits_and_all_land(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    names = [f"h{i}" for i in range(60)]
    sid, ids, ev = new_sweep(store, *names)
    writer = GroupCommit(store, max_batch=16)

    async def main() -> None:
        await asyncio.gather(*(writer.write(_write(sid, ids[n], ev, n)) for n in names))

    asyncio.run(main())
    # 60 targets, at most 16 per transaction: fewer commits than targets, none bigger than the cap.
    assert 4 <= writer.batches < len(names)
    assert _count(store, FactRow, sid) == 3 * len(names)
    assert _count(store, FindingRow, sid) == len(names)
    with store.Session() as s:
        statuses = set(s.scalars(select(TargetRow.status).where(TargetRow.sweep_id == sid)))
    assert statuses == {"audited"}


def test_a_failed_batch_fails_every_waiter_and_writes_nothing_of_it(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    sid, ids, ev = new_sweep(store, "a", "b")
    writer = GroupCommit(store)

    async def main() -> list[object]:
        # target id 999 is not part of the sweep: the whole transaction is refused
        return await asyncio.gather(writer.write(_write(sid, ids["a"], ev, "a")),
                                    writer.write(_write(sid, 999, ev, "ghost")), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, KeyError) for r in results), results
    assert _count(store, FactRow, sid) == 0  # "a" was in the failed batch: not half-written
    with store.Session() as s:
        assert s.scalar(select(TargetRow.status).where(TargetRow.id == ids["a"])) == "pending"


def test_drain_waits_for_targets_already_handed_over(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    sid, ids, ev = new_sweep(store, "a", "b")
    writer = GroupCommit(store)

    async def main() -> int:
        tasks = [asyncio.create_task(writer.write(_write(sid, ids[n], ev, n))) for n in ("a", "b")]
        await asyncio.sleep(0)
        for t in tasks:  # the workers are interrupted (SIGINT) while their targets are queued
            t.cancel()
        await writer.drain()
        return _count(store, FactRow, sid)  # read before the loop shuts down

    assert asyncio.run(main()) == 6


@pytest.mark.parametrize("n", [1, 300])
def test_write_targets_is_one_transaction_per_call(tmp_path: Path, n: int) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    names = [f"h{i}" for i in range(n)]
    sid, ids, ev = new_sweep(store, *names)
    store.write_targets([_write(sid, ids[x], ev, x) for x in names])
    assert _count(store, FactRow, sid) == 3 * n
    assert _count(store, FindingRow, sid) == n


def test_odd_json_values_from_a_bmc_are_stored_not_fatal(tmp_path: Path) -> None:
    """A lying BMC's document may hold integers beyond 64 bits or non-string keys; the fast
    serialiser refuses the first, the store must still write the target."""
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    sid, ids, ev = new_sweep(store, "a")
    w = _write(sid, ids["a"], ev, "a")
    odd = Fact(kind="redfish.system", subject="odd", collector="test", data={"MemoryBytes": 2**80, "nested": {1: "x"}})
    store.write_targets([TargetWrite(w.sweep_id, w.target_id, w.evaluation_id, w.status, w.error, w.started_at,
                                     [odd], w.findings)])
    with store.Session() as s:
        data = s.scalar(select(FactRow.data).where(FactRow.sweep_id == sid, FactRow.subject == "odd"))
    assert data == {"MemoryBytes": 2**80, "nested": {"1": "x"}}
