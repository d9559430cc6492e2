"""ORM schema.  Portable SQLAlchemy 2.x types only, so a PostgreSQL URL works unchanged.

One sweep has targets; a target has facts (what collectors saw) and findings (what
checks concluded).  Findings belong to an *evaluation* of a sweep, so the same
stored facts can be re-judged against another baseline without touching a BMC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class SweepRow(Base):
    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # running | complete | interrupted | failed
    status: Mapped[str] = mapped_column(String(16), default="running")
    inventory_path: Mapped[str] = mapped_column(Text, default="")
    inventory_sha256: Mapped[str] = mapped_column(String(64), default="")
    tool_version: Mapped[str] = mapped_column(String(32), default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Several collectors (one per OOB segment) writing one campaign are reported as one sweep.
    campaign: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    collector: Mapped[str | None] = mapped_column(String(128), nullable=True)

    targets: Mapped[list[TargetRow]] = relationship(back_populates="sweep", cascade="all, delete-orphan")


class TargetRow(Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("sweep_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[str] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(255))
    site: Mapped[str] = mapped_column(String(128), default="")
    rack: Mapped[str] = mapped_column(String(128), default="")
    platform: Mapped[str] = mapped_column(String(64), default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending | audited | partial | unreachable | error
    status: Mapped[str] = mapped_column(String(16), default="pending")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    sweep: Mapped[SweepRow] = relationship(back_populates="targets")


class FactRow(Base):
    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_sweep_target", "sweep_id", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[str] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    collector: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    collected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EvaluationRow(Base):
    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[str] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    baseline_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    baseline_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    baseline_key_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    baseline_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: Every baseline of the evaluation: [{name, version, key_id, sha256, signed}].
    baselines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_eval", "evaluation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    sweep_id: Mapped[str] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    # NULL for fleet-wide findings that name several targets in their detail.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), nullable=True)
    target_name: Mapped[str] = mapped_column(String(128))
    check_id: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class BaselineSeenRow(Base):
    """Highest baseline version ever accepted per name: the rollback guard."""

    __tablename__ = "baselines_seen"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    highest_version: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64), default="")
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
