"""Check metadata, findings and the registry.

A check is a pure function of one target's facts (or of the whole fleet's) plus the
policy settings; it never opens a socket.  That is what lets a stored sweep be
re-judged against a new baseline, and lets every check be unit-tested on fact
fixtures.  Each check carries Prowler-style metadata so a report can explain the
risk and the fix without anyone reading the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..facts import TargetFacts


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    MUTED = "MUTED"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        t = text.strip().lower()
        if t == "informational":
            t = "info"
        try:
            return cls(t)
        except ValueError:
            raise ValueError(f"unknown severity {text!r}: use one of {', '.join(s.value for s in cls)}") from None


_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class CheckMeta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^OOB-[A-Z]+-\d{3}$")
    title: str = Field(max_length=150)
    family: str
    severity: Severity
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()
    compliance: tuple[str, ...] = ()
    # Fact kinds this check reads: the collectors fetch only what some check needs.
    needs: tuple[str, ...] = ()
    scope: Literal["target", "fleet"] = "target"


class Finding(BaseModel):
    """One verdict.  (check_id, target, subject) is the stable key drift joins on."""

    model_config = ConfigDict(extra="forbid")

    check_id: str
    target: str
    subject: str = ""
    status: Status
    severity: Severity
    title: str
    detail: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check_id, self.target, self.subject)


class CheckError(Exception):
    """Raised inside a check when the facts it needs are missing or unreadable.

    The runner turns it into an ERROR finding: could not decide is never a pass.
    """

    def __init__(self, reason: str, subject: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.subject = subject


class Emit:
    """Helper handed to a check so findings get the check's id and severity."""

    def __init__(self, meta: CheckMeta, target: str) -> None:
        self.meta = meta
        self.target = target
        self.findings: list[Finding] = []

    def __call__(
        self,
        status: Status,
        subject: str = "",
        detail: str = "",
        evidence: dict[str, Any] | None = None,
        severity: Severity | None = None,
        target: str | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                check_id=self.meta.id,
                target=target or self.target,
                subject=subject,
                status=status,
                severity=severity or self.meta.severity,
                title=self.meta.title,
                detail=detail,
                evidence=evidence or {},
            )
        )

    def passed(self, subject: str = "", detail: str = "", **kw: Any) -> None:
        self(Status.PASS, subject, detail, **kw)

    def failed(self, subject: str = "", detail: str = "", **kw: Any) -> None:
        self(Status.FAIL, subject, detail, **kw)

    def error(self, subject: str = "", detail: str = "", **kw: Any) -> None:
        self(Status.ERROR, subject, detail, **kw)

    def na(self, subject: str = "", detail: str = "", **kw: Any) -> None:
        self(Status.NOT_APPLICABLE, subject, detail, **kw)


TargetCheckFn = Callable[[TargetFacts, Any, Emit], None]
FleetCheckFn = Callable[[list[TargetFacts], Any, Emit], None]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    fn: Callable[..., None]


REGISTRY: dict[str, Check] = {}


def check(**meta: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a check function with its metadata."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        m = CheckMeta(**meta)
        if m.id in REGISTRY:
            raise RuntimeError(f"check id {m.id} registered twice")
        REGISTRY[m.id] = Check(m, fn)
        return fn

    return deco


def run_target_checks(tf: TargetFacts, settings: Any, checks: Iterable[Check]) -> list[Finding]:
    """Run per-target checks; a check that raises yields an ERROR, never a crash."""
    out: list[Finding] = []
    for chk in checks:
        if chk.meta.scope != "target":
            continue
        emit = Emit(chk.meta, tf.target)
        try:
            chk.fn(tf, settings, emit)
        except CheckError as exc:
            emit.error(exc.subject, exc.reason)
        except Exception as exc:  # a bug in one check must not hide the others
            emit.error("", f"internal error in check: {type(exc).__name__}")
        out.extend(emit.findings)
    return out


def run_fleet_checks(fleet: list[TargetFacts], settings: Any, checks: Iterable[Check]) -> list[Finding]:
    out: list[Finding] = []
    for chk in checks:
        if chk.meta.scope != "fleet":
            continue
        emit = Emit(chk.meta, "*fleet*")
        try:
            chk.fn(fleet, settings, emit)
        except CheckError as exc:
            emit.error(exc.subject, exc.reason)
        except Exception as exc:
            emit.error("", f"internal error in check: {type(exc).__name__}")
        out.extend(emit.findings)
    return out
