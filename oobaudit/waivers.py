"""Waivers: accepted risks with an owner, a reason and an expiry date.

A waiver file is YAML, either a list of waivers or a mapping with a ``waivers:`` list::

    waivers:
      - check: OOB-IPMI-001          # a check id or a glob (OOB-FW-*)
        target: "rack-b-*"           # glob over inventory host names ("*fleet*" for fleet-wide findings)
        subject: "*"                 # glob over the finding's subject (default "*")
        owner: alice@example.com
        reason: IPMI needed by the legacy provisioning system until it is retired (TICKET-123)
        expires: 2026-12-31          # last day the waiver applies

A *live* waiver turns a matching FAIL or ERROR into MUTED; the finding keeps its detail,
and its evidence gains a ``waiver`` entry naming the owner, reason, expiry, where the
waiver is written and the status it had.  MUTED never counts toward ``--fail-on``.
An *expired* waiver stops applying (the finding is FAIL again) and is itself reported as
an ``OOB-WAIVER-001`` finding (severity low) naming its owner and expiry, so waivers do
not silently rot.  Waivers never touch PASS or NOT_APPLICABLE findings.

Waivers are applied after the checks ran: checks stay pure functions of facts, and the
same stored evaluation can be looked at with or without waivers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .checks.base import CheckMeta, Finding, Severity, Status
from .yamlsrc import SourceError, SourceIssue, load_located, pydantic_issues

__all__ = [
    "WAIVER_CHECKS", "WAIVER_EXPIRED", "Waiver", "WaiverSet", "WaiverOutcome", "load_waivers", "apply_waivers",
    "apply_to_evaluation", "waive_sweep_result", "expired_finding", "known_check_ids", "today_utc",
]

WAIVER_EXPIRED = "OOB-WAIVER-001"
FLEET_TARGET = "*fleet*"

#: Metadata of the findings this module emits.  They are not in the check REGISTRY: no sweep
#: can produce them (they judge the waiver file, not a BMC), so ``select_checks`` never runs them.
WAIVER_CHECKS: dict[str, CheckMeta] = {
    WAIVER_EXPIRED: CheckMeta(
        id=WAIVER_EXPIRED,
        title="No waiver has expired",
        family="waivers",
        severity=Severity.LOW,
        rationale=(
            "A waiver is an accepted risk with an owner and an end date.  Once it expires the risk is no longer "
            "accepted by anyone: the waived finding shows as FAIL again and the waiver itself is reported, so "
            "waiver files do not silently rot."
        ),
        remediation=(
            "Fix the waived finding, or have the owner renew the waiver with a new reason and expiry date, or "
            "delete the waiver from the file."
        ),
        references=("oobaudit docs/operations.md: waivers",),
        scope="fleet",
    ),
}

_GLOB = re.compile(r"[*?\[]")


def known_check_ids() -> set[str]:
    """Every check id a waiver may name: the registry plus the drift module's own (OOB-ID-001)."""
    from .checks import REGISTRY

    ids = set(REGISTRY)
    try:
        from .report.drift import DRIFT_CHECKS

        ids |= set(DRIFT_CHECKS)
    except ImportError:  # pragma: no cover - drift is part of the package
        pass
    return ids


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    check: str = Field(min_length=1, max_length=64)
    target: str = Field(min_length=1, max_length=256)
    subject: str = Field("*", min_length=1, max_length=512)
    owner: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1, max_length=2000)
    expires: date
    #: Where the waiver is written (file:line), filled in by the loader.
    source: str = Field("", exclude=True)

    @field_validator("check")
    @classmethod
    def _check_id(cls, v: str) -> str:
        v = v.upper()
        if not re.fullmatch(r"[A-Z0-9*?\[\]!-]+", v):
            raise ValueError("check must be a check id such as OOB-IPMI-001 or a glob such as OOB-FW-*")
        if v == WAIVER_EXPIRED:
            raise ValueError(f"{WAIVER_EXPIRED} (expired waiver) cannot be waived: renew or delete the waiver")
        known = known_check_ids()
        if _GLOB.search(v):
            if not any(fnmatchcase(k, v) for k in known):
                raise ValueError(f"check pattern {v!r} matches no known check")
        elif v not in known:
            raise ValueError(f"unknown check id {v!r}")
        return v

    @field_validator("expires", mode="before")
    @classmethod
    def _plain_date(cls, v: Any) -> Any:
        # YAML turns 2026-12-31 into a date; a timestamp or a number is a mistake, not a date.
        if isinstance(v, date) or (isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip())):
            return v
        raise ValueError("expires must be a date written as YYYY-MM-DD")

    def live(self, today: date) -> bool:
        """The waiver applies up to and including its expiry day."""
        return today <= self.expires

    def matches(self, f: Finding) -> bool:
        return (fnmatchcase(f.check_id, self.check) and fnmatchcase(f.target, self.target)
                and fnmatchcase(f.subject, self.subject))

    @property
    def label(self) -> str:
        return f"{self.check} target={self.target} subject={self.subject}"

    def info(self) -> dict[str, Any]:
        return {"check": self.check, "target": self.target, "subject": self.subject, "owner": self.owner,
                "reason": self.reason, "expires": self.expires.isoformat(), "source": self.source}


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class WaiverSet:
    path: str
    waivers: tuple[Waiver, ...]

    def __len__(self) -> int:
        return len(self.waivers)

    def __iter__(self):
        return iter(self.waivers)


def load_waivers(path: str | Path, text: str | None = None) -> WaiverSet:
    """Load and validate a waiver file; SourceError lists every problem with its file and line."""
    doc = load_located(Path(path), text)
    data = doc.data
    if data is None:
        data = {"waivers": []}
    elif isinstance(data, list):
        # A bare list: locate errors as if it were the value of a ``waivers:`` key.
        data = {"waivers": data}
        doc.lines = {("waivers", *k): v for k, v in doc.lines.items()} | {(): doc.lines.get((), 1)}
    if not isinstance(data, dict):
        raise SourceError([SourceIssue(doc.path, doc.line_of(()), "a waiver file is a list of waivers or a "
                                       "mapping with a 'waivers' list")])
    try:
        parsed = _WaiverFile.model_validate(data)
    except ValidationError as exc:
        raise SourceError(pydantic_issues(doc, exc)) from None
    out = []
    for i, w in enumerate(parsed.waivers):
        line = doc.line_of(("waivers", i))
        out.append(w.model_copy(update={"source": f"{doc.path}:{line}" if line else doc.path}))
    return WaiverSet(doc.path, tuple(out))


def today_utc() -> date:
    from .facts import utcnow

    return utcnow().date()


def expired_finding(w: Waiver, today: date) -> Finding:
    meta = WAIVER_CHECKS[WAIVER_EXPIRED]
    return Finding(
        check_id=WAIVER_EXPIRED, target=FLEET_TARGET, subject=f"waiver:{w.check} {w.target} {w.subject}",
        status=Status.FAIL, severity=meta.severity, title=meta.title,
        detail=(f"waiver for {w.label} owned by {w.owner} expired on {w.expires.isoformat()} "
                f"({(today - w.expires).days} day(s) ago); matching findings are no longer muted"),
        evidence={"waiver": w.info()},
    )


def apply_waivers(findings: Iterable[Finding], waivers: Sequence[Waiver] | WaiverSet,
                  today: date | None = None) -> tuple[list[Finding], list[Waiver]]:
    """Mute FAIL/ERROR findings matched by a live waiver (the first matching one, in file order).

    Returns (findings, expired waivers).  The findings are the input findings in order, each
    FAIL/ERROR matched by a live waiver replaced by a MUTED copy whose evidence carries the
    waiver, followed by one ``OOB-WAIVER-001`` finding per expired waiver.  Findings already
    muted are left alone; existing ``OOB-WAIVER-001`` findings are dropped and re-derived, so
    applying twice gives the same result.
    """
    today = today or today_utc()
    ws = tuple(waivers)
    live = [w for w in ws if w.live(today)]
    expired = [w for w in ws if not w.live(today)]
    out: list[Finding] = []
    for f in findings:
        if f.check_id == WAIVER_EXPIRED:
            continue
        if f.status in (Status.FAIL, Status.ERROR):
            w = next((w for w in live if w.matches(f)), None)
            if w is not None:
                f = f.model_copy(update={
                    "status": Status.MUTED,
                    "evidence": {**f.evidence, "waiver": {**w.info(), "original_status": f.status.value}},
                })
        out.append(f)
    out.extend(expired_finding(w, today) for w in expired)
    return out, expired


@dataclass
class WaiverOutcome:
    """What applying waivers to a stored evaluation did."""

    evaluation_id: int | None
    findings: list[Finding]
    muted: int
    expired: list[Waiver]


def finding_from_row(row: Any) -> Finding:
    return Finding(check_id=row.check_id, target=row.target_name, subject=row.subject or "",
                   status=Status(row.status), severity=Severity(row.severity), title=row.title,
                   detail=row.detail or "", evidence=row.evidence or {})


def apply_to_evaluation(store: Any, sweep_id: str, waivers: WaiverSet | Sequence[Waiver],
                        today: date | None = None, evaluation_id: int | None = None) -> WaiverOutcome:
    """Apply waivers to a stored evaluation (default: the sweep's latest) in one transaction.

    Matching FAIL/ERROR rows become MUTED (their evidence records the waiver and the
    original status) and one OOB-WAIVER-001 finding per expired waiver is added, so the
    reports rendered from the store show what the exit code was based on.  Returns every
    finding of the evaluation after the change.
    """
    ev = evaluation_id if evaluation_id is not None else getattr(store.latest_evaluation(sweep_id), "id", None)
    if ev is None:
        return WaiverOutcome(None, [], 0, [])
    rows = store.findings(sweep_id, ev)
    base = [finding_from_row(r) for r in rows if r.check_id != WAIVER_EXPIRED]
    base_rows = [r for r in rows if r.check_id != WAIVER_EXPIRED]
    waived, expired = apply_waivers(base, waivers, today)
    changes = {r.id: (f.status.value, f.evidence) for r, f in zip(base_rows, waived, strict=False)
               if f.status.value != r.status}
    extra = waived[len(base):]
    store.apply_waiver_changes(sweep_id, ev, changes, extra)
    return WaiverOutcome(ev, waived, len(changes), expired)


def waive_sweep_result(result: Any, findings: Sequence[Finding]) -> Any:
    """A copy of an engine SweepResult whose findings (overall and per target) are ``findings``,
    e.g. the outcome of :func:`apply_to_evaluation`; for the sweep command's exit code and summary."""
    from dataclasses import replace

    per: dict[str, list[Finding]] = {}
    for f in findings:
        per.setdefault(f.target, []).append(f)
    targets = [replace(t, findings=per.get(t.name, [])) for t in result.targets]
    return replace(result, targets=targets, findings=list(findings))
