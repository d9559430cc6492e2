"""The store: read/write API over the ORM, used by the engine and the reports.

Writes happen per target in one transaction (the target's status, facts and
findings together), so a reader never sees a target half-written and a sweep
killed mid-way keeps every target that finished.
"""

from __future__ import annotations

import json
import os
import secrets as _rand
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import bindparam, create_engine, delete, event, func, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import sessionmaker

from ..checks.base import Finding
from ..facts import Fact, TargetFacts, utcnow
from .bulk import BulkInsert
from .models import BaselineSeenRow, EvaluationRow, FactRow, FindingRow, SweepRow, TargetRow

__all__ = ["Store", "StoreError", "TargetWrite", "default_db_url", "SweepRow", "TargetRow", "FactRow", "FindingRow",
           "EvaluationRow"]


@dataclass(frozen=True)
class TargetWrite:
    """One finished target, as the engine hands it to the store."""

    sweep_id: str
    target_id: int
    evaluation_id: int
    status: str
    error: str | None
    started_at: datetime
    facts: list[Fact]
    findings: list[Finding]


class StoreError(ValueError):
    """A request the store cannot honour (unknown sweep, resuming a complete one...)."""


def default_db_url() -> str:
    """``$OOBAUDIT_DB``, else ``$XDG_DATA_HOME/oobaudit/oobaudit.db`` (~/.local/share/...)."""
    env = os.environ.get("OOBAUDIT_DB")
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "oobaudit"
    return f"sqlite:///{base / 'oobaudit.db'}"


def json_dumps(value: Any) -> str:
    """Serialiser of the JSON columns (facts, evidence, findings): a sweep writes a hundred values
    per BMC, and orjson does it several times faster than the standard library.  What orjson
    refuses (an integer beyond 64 bits in a BMC's document) goes through ``json`` instead."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value)


def new_sweep_id(now: datetime | None = None) -> str:
    now = now or utcnow()
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + _rand.token_hex(3)


class Store:
    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_db_url()
        if self.url.startswith("sqlite:///"):
            path = Path(self.url[len("sqlite:///"):])
            if str(path) not in ("", ":memory:"):
                path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True, json_serializer=json_dumps)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self._insert_facts = BulkInsert(FactRow.__table__, self.engine.dialect)
        self._insert_findings = BulkInsert(FindingRow.__table__, self.engine.dialect)

    def close(self) -> None:
        self.engine.dispose()

    # --- writing -------------------------------------------------------------------

    def begin_sweep(self, *, inventory_path: str, inventory_sha256: str, targets: Sequence[Any],
                    options: dict[str, Any], tool_version: str, campaign: str | None = None,
                    collector: str | None = None) -> tuple[str, dict[str, int]]:
        """Create the sweep and a pending row per target; return (sweep id, target ids)."""
        sid = new_sweep_id()
        with self.Session.begin() as s:
            s.add(SweepRow(id=sid, started_at=utcnow(), status="running", inventory_path=inventory_path,
                           inventory_sha256=inventory_sha256, tool_version=tool_version, options=options,
                           campaign=campaign, collector=collector))
            s.flush()
            rows = [TargetRow(sweep_id=sid, name=t.name, address=t.address, site=t.site, rack=t.rack,
                              platform=t.platform, status="pending",
                              meta={**t.inventory_meta(),
                                    "auditor": t.credentials.username if t.credentials else None})
                    for t in targets]
            s.add_all(rows)
            s.flush()
            ids = {r.name: r.id for r in rows}
        return sid, ids

    def begin_evaluation(self, sweep_id: str, baselines: list[dict[str, Any]] | None = None) -> int:
        baselines = baselines or []
        first = baselines[0] if baselines else {}
        with self.Session.begin() as s:
            row = EvaluationRow(sweep_id=sweep_id, created_at=utcnow(), baseline_name=first.get("name"),
                                baseline_version=first.get("version"), baseline_key_id=first.get("key_id"),
                                baseline_sha256=first.get("sha256"), baselines=baselines)
            s.add(row)
            s.flush()
            return row.id

    def write_target(self, sweep_id: str, target_id: int, evaluation_id: int, *, status: str,
                     error: str | None, started_at: datetime, facts: Iterable[Fact],
                     findings: Iterable[Finding]) -> None:
        self.write_targets([TargetWrite(sweep_id, target_id, evaluation_id, status, error, started_at,
                                        list(facts), list(findings))])

    def write_targets(self, batch: Sequence[TargetWrite]) -> None:
        """Write finished targets in one transaction (a group commit).

        Each target's status, facts and findings still land together, so a reader never sees a
        target half-written; a batch only changes how many targets share a commit.  Core and
        driver-level executemany, not the ORM: a 10,000-BMC sweep writes a million rows, and ORM
        bulk inserts cost several times the CPU (see :mod:`oobaudit.store.bulk`).
        """
        fact_rows: list[dict[str, Any]] = []
        finding_rows: list[dict[str, Any]] = []
        finished = utcnow()
        status_rows = [{"b_id": w.target_id, "b_sweep": w.sweep_id, "status": w.status, "error": w.error,
                        "started_at": w.started_at, "finished_at": finished} for w in batch]
        for w in batch:
            fact_rows.extend({"sweep_id": w.sweep_id, "target_id": w.target_id, "collector": f.collector,
                              "kind": f.kind, "subject": f.subject, "data": f.data, "evidence": f.evidence,
                              "error": f.error, "collected_at": f.collected_at} for f in w.facts)
            finding_rows.extend(_finding_dict(w.sweep_id, w.evaluation_id, w.target_id, f) for f in w.findings)
        with self.engine.begin() as conn:
            if self.engine.dialect.supports_sane_multi_rowcount:
                updated = conn.execute(_TARGET_DONE, status_rows).rowcount
            else:
                updated = sum(conn.execute(_TARGET_DONE, [row]).rowcount for row in status_rows)
            if updated != len(status_rows):
                ids = ", ".join(str(w.target_id) for w in batch)
                raise KeyError(f"targets {ids}: not all part of their sweep (rolled back)")
            self._insert_facts(conn, fact_rows)
            self._insert_findings(conn, finding_rows)

    def write_findings(self, sweep_id: str, evaluation_id: int, findings: Iterable[Finding],
                       target_ids: dict[str, int]) -> None:
        rows = [_finding_dict(sweep_id, evaluation_id, target_ids.get(f.target), f) for f in findings]
        if rows:
            with self.engine.begin() as conn:
                self._insert_findings(conn, rows)

    def reopen_sweep(self, sweep_id: str) -> tuple[int, dict[str, int], dict[str, tuple[str, str | None]]]:
        """Mark an interrupted (or killed: still 'running') sweep running again for --resume.

        Returns (evaluation id, target ids by name, {finished target: (status, error)}).
        A complete sweep is refused: resuming it would re-audit nothing and hide that.
        """
        with self.Session.begin() as s:
            row = s.get(SweepRow, sweep_id)
            if row is None:
                raise StoreError(f"no sweep {sweep_id!r}")
            if row.status == "complete":
                raise StoreError(f"sweep {sweep_id} is already complete")
            row.status = "running"
            row.finished_at = None
            ev = s.scalar(select(EvaluationRow.id).where(EvaluationRow.sweep_id == sweep_id)
                          .order_by(EvaluationRow.id.desc()).limit(1))
            targets = list(s.scalars(select(TargetRow).where(TargetRow.sweep_id == sweep_id)))
            if ev is None:
                raise StoreError(f"sweep {sweep_id} has no evaluation to resume")
            ids = {t.name: t.id for t in targets}
            done = {t.name: (t.status, t.error) for t in targets if t.status != "pending"}
            return ev, ids, done

    def target_findings(self, sweep_id: str, evaluation_id: int, target: str) -> list[Finding]:
        with self.Session() as s:
            rows = s.scalars(select(FindingRow).where(FindingRow.evaluation_id == evaluation_id,
                                                      FindingRow.target_name == target))
            return [Finding(check_id=r.check_id, target=r.target_name, subject=r.subject, status=r.status,
                            severity=r.severity, title=r.title, detail=r.detail, evidence=r.evidence or {})
                    for r in rows]

    def finish_sweep(self, sweep_id: str, status: str) -> None:
        with self.Session.begin() as s:
            row = s.get(SweepRow, sweep_id)
            if row is not None:
                row.status = status
                row.finished_at = utcnow()

    # --- reading -------------------------------------------------------------------

    def sweep(self, sweep_id: str) -> SweepRow | None:
        with self.Session() as s:
            return s.get(SweepRow, sweep_id)

    def resolve_sweep_id(self, ref: str) -> str | None:
        """Accept a full id, a unique prefix, or ``latest``."""
        with self.Session() as s:
            if ref == "latest":
                return s.scalar(select(SweepRow.id).order_by(SweepRow.started_at.desc()).limit(1))
            ids = s.scalars(select(SweepRow.id).where(SweepRow.id.startswith(ref)).limit(2)).all()
            return ids[0] if len(ids) == 1 else None

    def campaign_sweeps(self, campaign: str) -> list[str]:
        """The sweeps (one per collector / shard) that make up a campaign, oldest first."""
        with self.Session() as s:
            return list(s.scalars(select(SweepRow.id).where(SweepRow.campaign == campaign)
                                  .order_by(SweepRow.started_at)))

    def sweeps(self, limit: int = 50) -> list[SweepRow]:
        with self.Session() as s:
            return list(s.scalars(select(SweepRow).order_by(SweepRow.started_at.desc()).limit(limit)))

    def targets(self, sweep_id: str) -> list[TargetRow]:
        with self.Session() as s:
            return list(s.scalars(select(TargetRow).where(TargetRow.sweep_id == sweep_id).order_by(TargetRow.id)))

    def latest_evaluation(self, sweep_id: str) -> EvaluationRow | None:
        with self.Session() as s:
            return s.scalar(select(EvaluationRow).where(EvaluationRow.sweep_id == sweep_id)
                            .order_by(EvaluationRow.id.desc()).limit(1))

    def findings(self, sweep_id: str, evaluation_id: int | None = None) -> list[FindingRow]:
        if evaluation_id is None:
            ev = self.latest_evaluation(sweep_id)
            if ev is None:
                return []
            evaluation_id = ev.id
        with self.Session() as s:
            return list(s.scalars(select(FindingRow).where(FindingRow.evaluation_id == evaluation_id)
                                  .order_by(FindingRow.target_name, FindingRow.check_id, FindingRow.subject)))

    def target_facts(self, sweep_id: str) -> list[TargetFacts]:
        """Re-hydrate stored facts per target (for re-judging and fleet checks)."""
        with self.Session() as s:
            targets = list(s.scalars(select(TargetRow).where(TargetRow.sweep_id == sweep_id)))
            out = []
            for t in targets:
                rows = s.scalars(select(FactRow).where(FactRow.target_id == t.id).order_by(FactRow.id))
                out.append(TargetFacts(t.name, [
                    Fact(kind=r.kind, subject=r.subject, collector=r.collector, data=r.data or {},
                         evidence=r.evidence or {}, error=r.error, collected_at=r.collected_at) for r in rows
                ], meta={**(t.meta or {}), "status": t.status, "auditor_username": (t.meta or {}).get("auditor")}))
            return out

    def fact_count(self, sweep_id: str) -> int:
        with self.Session() as s:
            return s.scalar(select(func.count()).select_from(FactRow).where(FactRow.sweep_id == sweep_id)) or 0

    # --- baselines (rollback guard) ------------------------------------------------

    def highest_baseline_version(self, name: str) -> int | None:
        with self.Session() as s:
            row = s.get(BaselineSeenRow, name)
            return row.highest_version if row else None

    def record_baseline(self, name: str, version: int, key_id: str) -> None:
        with self.Session.begin() as s:
            row = s.get(BaselineSeenRow, name)
            if row is None:
                s.add(BaselineSeenRow(name=name, highest_version=version, key_id=key_id, seen_at=utcnow()))
            elif version > row.highest_version:
                row.highest_version, row.key_id, row.seen_at = version, key_id, utcnow()

    def delete_sweep(self, sweep_id: str) -> None:
        with self.Session.begin() as s:
            for model in (FindingRow, FactRow, EvaluationRow, TargetRow):
                s.execute(delete(model).where(model.sweep_id == sweep_id))
            s.execute(delete(SweepRow).where(SweepRow.id == sweep_id))

    # --- history, retention and waivers (drift, prune, waivers) ----------------------

    def sweeps_for_inventory(self, inventory_path: str, statuses: Sequence[str] | None = ("complete",),
                             before: datetime | None = None, limit: int | None = None,
                             like: SweepRow | None = None) -> list[SweepRow]:
        """Sweeps of one inventory path, newest first; ``statuses=None`` means any status.

        With ``like``, only sweeps of the same kind (a normal sweep, a reach sweep from the same
        vantage point, a discovery): comparing a reach sweep with an audit sweep is meaningless."""
        if like is not None:
            found = [r for r in self.sweeps_for_inventory(inventory_path, statuses, before)
                     if sweep_kind(r) == sweep_kind(like)]
            return found[:limit] if limit is not None else found
        q = select(SweepRow).where(SweepRow.inventory_path == inventory_path)
        if statuses is not None:
            q = q.where(SweepRow.status.in_(list(statuses)))
        if before is not None:
            q = q.where(SweepRow.started_at < before)
        q = q.order_by(SweepRow.started_at.desc(), SweepRow.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.Session() as s:
            return list(s.scalars(q))

    def previous_sweep(self, sweep_id: str, statuses: Sequence[str] | None = ("complete",)) -> SweepRow | None:
        """The newest sweep of the same inventory path started before ``sweep_id``."""
        row = self.sweep(sweep_id)
        if row is None:
            return None
        found = self.sweeps_for_inventory(row.inventory_path, statuses, before=row.started_at, limit=1)
        return found[0] if found else None

    def all_sweeps(self) -> list[SweepRow]:
        """Every sweep, newest first (no limit: for retention)."""
        with self.Session() as s:
            return list(s.scalars(select(SweepRow).order_by(SweepRow.started_at.desc(), SweepRow.id.desc())))

    def prune(self, keep: int, dry_run: bool = False) -> list[SweepRow]:
        """Delete all but the ``keep`` newest sweeps of each inventory path (any status).

        The sweeps of one campaign (several collectors) count as one and are kept or
        deleted together.  Each sweep goes in its own transaction (``delete_sweep``):
        facts, findings, evaluations and targets with it, so no half-deleted sweep is
        ever visible.  Returns the sweeps deleted (or that would be, with ``dry_run``)."""
        if keep < 1:
            raise ValueError("keep must be at least 1")
        kept: dict[str, list[str]] = {}  # inventory path -> units (campaign or sweep id) kept, newest first
        doomed: list[SweepRow] = []
        for row in self.all_sweeps():
            units = kept.setdefault(row.inventory_path, [])
            unit = row.campaign or row.id
            if unit in units:
                continue
            if len(units) < keep:
                units.append(unit)
            else:
                doomed.append(row)
        if not dry_run:
            for row in doomed:
                self.delete_sweep(row.id)
        return doomed

    def apply_waiver_changes(self, sweep_id: str, evaluation_id: int,
                             changes: dict[int, tuple[str, dict[str, Any]]], extra: Iterable[Finding]) -> None:
        """One transaction: set (status, evidence) of finding rows by id, replace the evaluation's
        expired-waiver findings (OOB-WAIVER-001) with ``extra``."""
        with self.Session.begin() as s:
            for row_id, (status, evidence) in changes.items():
                row = s.get(FindingRow, row_id)
                if row is None or row.evaluation_id != evaluation_id:
                    raise KeyError(f"finding {row_id} is not part of evaluation {evaluation_id}")
                row.status = status
                row.evidence = evidence
            s.execute(delete(FindingRow).where(FindingRow.evaluation_id == evaluation_id,
                                               FindingRow.check_id == "OOB-WAIVER-001"))
            s.add_all(_finding_row(sweep_id, evaluation_id, None, f) for f in extra)


def sweep_kind(row: SweepRow) -> tuple[str, str | None]:
    """(kind, vantage) of a sweep: ``sweep`` for audits, ``reach``/``discover`` for probes."""
    opts = row.options or {}
    return (opts.get("kind") or "sweep", opts.get("vantage"))


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision, in place.

    A database created before migrations existed (tables but no alembic_version) is
    stamped at the first revision and upgraded from there.  Concurrent first opens
    (several collectors) are serialised by an advisory lock on PostgreSQL; on SQLite
    the loser of a race simply retries.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                tables = set(inspect(conn).get_table_names())
                if "sweeps" in tables and "alembic_version" not in tables:
                    command.stamp(cfg, "0001")
                command.upgrade(cfg, "head")
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


_TARGETS = TargetRow.__table__
#: Statements of the write path, built once: a sweep runs them for every batch of targets.
_TARGET_DONE = (update(_TARGETS)
                .where(_TARGETS.c.id == bindparam("b_id"), _TARGETS.c.sweep_id == bindparam("b_sweep"))
                .values(status=bindparam("status"), error=bindparam("error"), started_at=bindparam("started_at"),
                        finished_at=bindparam("finished_at")))


def _finding_dict(sweep_id: str, evaluation_id: int, target_id: int | None, f: Finding) -> dict[str, Any]:
    # str() of a StrEnum is its value as a plain str (what .value gives, without the Python-level
    # enum descriptor: ~55 findings per BMC, two enums each)
    return {"evaluation_id": evaluation_id, "sweep_id": sweep_id, "target_id": target_id, "target_name": f.target,
            "check_id": f.check_id, "subject": f.subject, "status": str(f.status), "severity": str(f.severity),
            "title": f.title, "detail": f.detail, "evidence": f.evidence}


def _finding_row(sweep_id: str, evaluation_id: int, target_id: int | None, f: Finding) -> FindingRow:
    return FindingRow(evaluation_id=evaluation_id, sweep_id=sweep_id, target_id=target_id, target_name=f.target,
                      check_id=f.check_id, subject=f.subject, status=f.status.value, severity=f.severity.value,
                      title=f.title, detail=f.detail, evidence=f.evidence)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers (a report) never block the sweep's writer and never see a partial transaction.
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a commit is not fsynced on its own (the WAL is at checkpoints), so a power
    # cut may roll back the last few targets - never corrupt the file; resume audits them again.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
