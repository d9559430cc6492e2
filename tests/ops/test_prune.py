"""Retention: prune keeps the N newest sweeps per inventory and removes the rest completely."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from oobaudit.checks.base import Finding, Severity, Status
from oobaudit.facts import Fact
from oobaudit.store import Store
from oobaudit.store.models import EvaluationRow, FactRow, FindingRow, SweepRow, TargetRow

from ..helpers import FakeTarget


def _sweep(store: Store, inventory: str, age_days: float, campaign: str | None = None) -> str:
    sid, ids = store.begin_sweep(inventory_path=inventory, inventory_sha256="",
                                 targets=[FakeTarget("h1"), FakeTarget("h2")], options={}, tool_version="t",
                                 campaign=campaign)
    ev = store.begin_evaluation(sid)
    for name, tid in ids.items():
        store.write_target(sid, tid, ev, status="audited", error=None, started_at=datetime.now(UTC),
                           facts=[Fact(kind="redfish.system", subject="s", collector="test", data={"x": 1})],
                           findings=[Finding(check_id="OOB-SVC-001", target=name, status=Status.FAIL,
                                             severity=Severity.HIGH, title="t")])
    store.finish_sweep(sid, "complete")
    with store.Session.begin() as s:  # age it
        s.get(SweepRow, sid).started_at = datetime.now(UTC) - timedelta(days=age_days)
    return sid


def _count(store: Store, model, sid: str) -> int:
    with store.Session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.sweep_id == sid))


def test_prune_keeps_the_newest_per_inventory(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    a = [_sweep(store, "a.yaml", d) for d in (5, 4, 3, 2, 1)]  # a[-1] is the newest
    b = [_sweep(store, "b.yaml", d) for d in (9, 8)]
    assert [r.id for r in store.prune(2, dry_run=True)] == [a[2], a[1], a[0]]
    assert len(store.sweeps(100)) == 7  # dry run deletes nothing
    deleted = store.prune(2)
    assert {r.id for r in deleted} == set(a[:3])
    assert {r.id for r in store.sweeps(100)} == {a[3], a[4], *b}
    for sid in a[:3]:
        assert store.sweep(sid) is None
        for model in (TargetRow, FactRow, FindingRow, EvaluationRow):
            assert _count(store, model, sid) == 0, model
    assert store.fact_count(a[4]) == 2 and len(store.findings(a[4])) == 2
    assert store.prune(2) == []


def test_prune_keeps_a_campaign_whole(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    old = [_sweep(store, "lab.yaml", d, campaign="c1") for d in (5.2, 5.1)]
    new = [_sweep(store, "lab.yaml", d, campaign="c2") for d in (1.2, 1.1)]
    assert {r.id for r in store.prune(1)} == set(old)
    assert {r.id for r in store.sweeps()} == set(new)


def test_prune_command(tmp_path, ops_app):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store(url)
    ids = [_sweep(store, "lab.yaml", d) for d in (3, 2, 1)]
    res = CliRunner().invoke(ops_app, ["prune", "--keep", "1", "--db", url])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"pruned": 2, "dry_run": False, "keep": 1}
    assert [r.id for r in store.sweeps()] == [ids[-1]]
    assert CliRunner().invoke(ops_app, ["prune", "--keep", "0", "--db", url]).exit_code == 2  # usage error
