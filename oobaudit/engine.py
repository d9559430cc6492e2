"""The sweep: run the collectors over every target with bounded concurrency and a
per-target deadline, judge each target as soon as it is collected, and write it.

A target that hangs, lies or answers garbage becomes an ERROR for that target; the
sweep goes on.  Each target is written in its own transaction the moment it is
done, so an interrupted sweep keeps everything finished before the interruption.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__
from . import facts as F
from .baseline import VerifiedBaseline, baseline_applies, effective_settings
from .checks import Check, Finding, run_fleet_checks, run_target_checks, select_checks
from .collectors.credentials import CredentialOptions
from .collectors.host import collect_host
from .collectors.http import insecure_ssl_context, make_session
from .collectors.ipmi import collect_ipmi
from .collectors.redfish import RedfishOptions, collect_redfish
from .collectors.ssh import collect_ssh
from .collectors.tls import collect_tls
from .facts import Fact, TargetFacts, utcnow
from .inventory import Inventory, Target
from .policy import CREDENTIAL_ATTEMPTS_MAX, DEFAULT_POLICY, Policy
from .store import Store, StoreError, TargetWrite
from .store.group import GroupCommit

log = logging.getLogger("oobaudit.engine")
#: Above this many targets only FAIL / ERROR / MUTED findings stay in memory after a target is
#: written (a 10,000-BMC sweep has ~500,000 findings; the store has them all).
KEEP_ALL_FINDINGS_UP_TO = 2000


@dataclass
class SweepOptions:
    concurrency: int = 32
    target_deadline: float = 120.0
    request_timeout: float = 10.0
    credential_tests: bool = True
    assume_lockout: bool = False
    check_ids: list[str] | None = None
    baselines: tuple[VerifiedBaseline, ...] = ()
    campaign: str | None = None
    collector: str | None = None
    shard: tuple[int, int] | None = None

    def public(self) -> dict[str, Any]:
        """Options as stored with the sweep (nothing secret lives here)."""
        return {"concurrency": self.concurrency, "target_deadline": self.target_deadline,
                "request_timeout": self.request_timeout, "credential_tests": self.credential_tests,
                "assume_lockout": self.assume_lockout, "checks": self.check_ids,
                "shard": f"{self.shard[0]}/{self.shard[1]}" if self.shard else None}


# repr=False: asyncio.run() formats its finished task when it restores the SIGINT handler, and a
# generated repr of a 10,000-target result (every finding inside) costs seconds of CPU.
@dataclass(repr=False)
class TargetResult:
    name: str
    status: str
    error: str | None
    findings: list[Finding]
    #: For large sweeps PASS / NOT_APPLICABLE findings are not kept in memory (they are in the
    #: store); this keeps, per check id, the best status they had, and how many there were.
    passing: dict[str, str] = field(default_factory=dict)
    passing_counts: dict[str, int] = field(default_factory=dict)


@dataclass(repr=False)
class SweepResult:
    sweep_id: str
    status: str
    targets: list[TargetResult]
    findings: list[Finding]
    #: Counts of fleet-wide PASS / NOT_APPLICABLE findings not kept in memory (large sweeps).
    passing_counts: dict[str, int] = field(default_factory=dict)


Progress = Callable[[TargetResult], None]


def target_status(facts: list[Fact]) -> tuple[str, str | None]:
    """audited | partial | unreachable | error, with the first reason."""
    crash = next((f for f in facts if f.kind == "engine.crash"), None)
    if crash is not None:
        return "error", crash.error
    conn = next((f for f in facts if f.kind == F.REDFISH_CONNECTIVITY), None)
    if conn is None:
        deadline = next((f for f in facts if f.kind == "engine.deadline"), None)
        return "error", deadline.error if deadline else "Redfish collection did not complete"
    if conn.error:
        unreachable = any(s in conn.error for s in ("refused", "timed out", "cannot connect", "TLS handshake"))
        return ("unreachable" if unreachable else "error"), conn.error
    # A refused SSH port is an observation (the service is off), not a failure to collect.
    errors = [f for f in facts if f.error and f.kind.startswith(("redfish.", "tls.", "ssh."))
              and not (f.kind.startswith("ssh.") and f.evidence.get("reason") == "refused")]
    if errors:
        return "partial", f"{len(errors)} resource(s) unreadable, first: {errors[0].subject}: {errors[0].error}"
    deadline = next((f for f in facts if f.kind == "engine.deadline"), None)
    if deadline:
        return "partial", deadline.error
    return "audited", None


def baseline_info(vbs: tuple[VerifiedBaseline, ...]) -> list[dict[str, Any]]:
    return [{"name": vb.name, "version": vb.version, "key_id": vb.key_id, "sha256": vb.sha256, "signed": vb.signed}
            for vb in vbs]


def match_facts(tf: TargetFacts) -> dict[str, Any]:
    """What baseline match rules see: inventory platform plus Redfish identity."""
    root = tf.one(F.REDFISH_SERVICE_ROOT)
    mgr = next(iter(tf.ok(F.REDFISH_MANAGER)), None)
    system = next(iter(tf.ok(F.REDFISH_SYSTEM)), None)
    return {
        "platform": tf.meta.get("platform"),
        "vendor": root.data.get("Vendor") if root and root.ok else None,
        "product": root.data.get("Product") if root and root.ok else None,
        "manager_model": mgr.data.get("Model") if mgr else None,
        "model": system.data.get("Model") if system else None,
    }


def policy_for(tf: TargetFacts | None, vbs: tuple[VerifiedBaseline, ...]) -> Policy:
    """The policy a target is judged by: the first baseline whose match rules apply, the
    documented defaults otherwise (and the finding details say which)."""
    if not vbs:
        return DEFAULT_POLICY
    if tf is None:
        return Policy(effective_settings(vbs[0].baseline), vbs[0].baseline, f"baseline {vbs[0].name}")
    facts = match_facts(tf)
    for vb in vbs:
        if baseline_applies(vb.baseline, facts):
            return Policy(effective_settings(vb.baseline), vb.baseline, f"baseline {vb.name} v{vb.version}")
    names = ", ".join(vb.name for vb in vbs)
    return Policy(baseline_note=f"no baseline ({names}) matches this target: built-in default settings")


class Sweep:
    def __init__(self, store: Store, inventory: Inventory, opts: SweepOptions) -> None:
        self.store = store
        self.inventory = inventory
        self.opts = opts
        self.checks: list[Check] = select_checks(opts.check_ids)
        needs = frozenset(k for c in self.checks for k in c.meta.needs)
        self.needs = needs
        # The only facts kept in memory after a target is written: what fleet-wide checks read
        # (e.g. certificate fingerprints for OOB-TLS-004).  Everything else lives in the store.
        self.fleet_kinds = frozenset(k for c in self.checks if c.meta.scope == "fleet" for k in c.meta.needs)
        self.redfish_opts = RedfishOptions(
            timeout=opts.request_timeout,
            needs=needs,
            credentials=CredentialOptions(enabled=opts.credential_tests, assume_lockout=opts.assume_lockout,
                                          max_attempts=CREDENTIAL_ATTEMPTS_MAX),
        )
        self._writer = GroupCommit(store)

    async def run(self, progress: Progress | None = None, resume: str | None = None) -> SweepResult:
        """Sweep every target, or with ``resume`` finish an interrupted sweep: targets already
        written keep their facts and findings and are not audited again."""
        results: list[TargetResult] = []
        all_facts: list[TargetFacts] = []
        todo = self.inventory.targets
        if resume is None:
            inv_bytes = Path(self.inventory.path).read_bytes() if Path(self.inventory.path).is_file() else b""
            sweep_id, target_ids = self.store.begin_sweep(
                inventory_path=self.inventory.path, inventory_sha256=hashlib.sha256(inv_bytes).hexdigest(),
                targets=self.inventory.targets, options=self.opts.public(), tool_version=__version__,
                campaign=self.opts.campaign, collector=self.opts.collector)
            evaluation_id = self.store.begin_evaluation(sweep_id, baseline_info(self.opts.baselines))
        else:
            sweep_id = resume
            evaluation_id, target_ids, done = self.store.reopen_sweep(sweep_id)
            missing = sorted(set(target_ids) - {t.name for t in self.inventory.targets})
            if missing:
                raise StoreError(f"the inventory no longer lists {len(missing)} target(s) of sweep {sweep_id}, "
                                 f"e.g. {missing[0]!r}: resume with the sweep's own inventory")
            todo = [t for t in self.inventory.targets if t.name in target_ids and t.name not in done]
            for tf in self.store.target_facts(sweep_id):
                if tf.target in done:
                    all_facts.append(self._fleet_view(tf))
                    results.append(self._result(tf.target, done[tf.target][0], done[tf.target][1],
                                                self.store.target_findings(sweep_id, evaluation_id, tf.target)))
        fleet: list[Finding] = []
        status = "interrupted"
        try:
            # One HTTP session per target, sharing one TLS context: connections are reused within a
            # target and closed as soon as it is written, so memory does not grow with the fleet.
            tls_ctx = insecure_ssl_context()

            # A fixed pool of workers pulling from one iterator (not one task per target): a
            # 10,000-BMC sweep holds `concurrency` coroutines, not 10,000.
            pending = iter(todo)

            async def worker() -> None:
                for t in pending:
                    async with make_session(limit=8, ssl_context=tls_ctx) as http:
                        res, tf = await self._target(t, http, sweep_id, target_ids[t.name], evaluation_id)
                    results.append(res)
                    all_facts.append(tf)
                    if progress:
                        progress(res)

            await asyncio.gather(*(worker() for _ in range(max(1, min(self.opts.concurrency, len(todo))))))
            fleet_policy = policy_for(None, self.opts.baselines)
            fleet = run_fleet_checks(all_facts, fleet_policy, self.checks)
            if fleet:
                await asyncio.to_thread(self.store.write_findings, sweep_id, evaluation_id, fleet, target_ids)
            status = "complete"
        finally:
            # Runs on cancellation (SIGINT) too: targets already handed to the writer are stored,
            # then the sweep is marked; finished targets stay.
            try:
                await self._writer.drain()
            finally:
                self.store.finish_sweep(sweep_id, status)
        counts: dict[str, int] = {}
        if len(self.inventory.targets) > KEEP_ALL_FINDINGS_UP_TO:
            for f in fleet:
                if f.status.value in ("PASS", "NOT_APPLICABLE"):
                    counts[f.status.value] = counts.get(f.status.value, 0) + 1
            fleet = [f for f in fleet if f.status.value not in ("PASS", "NOT_APPLICABLE")]
        findings = [f for r in results for f in r.findings] + fleet
        return SweepResult(sweep_id, status, results, findings, counts)

    async def _redfish_then_ssh(self, t: Target, http: Any, facts: list[Fact]) -> None:
        """Credential evidence in the order that spends the fewest login attempts: the offline IPMI
        RAKP2 check first (it costs no failed login), then Redfish, which reads the lockout policy and
        the account list that bound the SSH attempts; Redfish's attempts count against the same
        per-account budget as SSH's."""
        if t.port("ipmi") and self.needs & F.IPMI_KINDS:
            await collect_ipmi(t, facts, timeout=min(2.0, self.opts.request_timeout),
                               credential_tests=self.opts.credential_tests, needs=self.needs)
        await collect_redfish(t, http, facts, self.redfish_opts)
        if t.port("ssh") and self.needs & F.SSH_KINDS:
            svc = next((f for f in facts if f.kind == F.REDFISH_ACCOUNT_SERVICE and f.ok), None)
            threshold = svc.data.get("AccountLockoutThreshold") if svc else None
            accounts = [f for f in facts if f.kind == F.REDFISH_ACCOUNT and f.ok]
            users = {a.data["UserName"] for a in accounts if a.data.get("UserName") and a.data.get("Enabled") is not
                     False and a.data.get("Locked") is not True} if accounts else None
            conn = next((f for f in facts if f.kind == F.REDFISH_CONNECTIVITY), None)
            # Without the lockout policy (auditor could not log in) no default password is tried over SSH
            # either: the same rule as Redfish, unless the operator turned the tests off anyway.
            cred = self.redfish_opts.credentials if (conn is not None and conn.ok) else None
            await collect_ssh(t, facts, timeout=self.opts.request_timeout, cred_opts=cred,
                              lockout_threshold=threshold if isinstance(threshold, int) else None,
                              existing_users=users)

    async def _tls(self, t: Target, facts: list[Fact]) -> None:
        port = t.port("https")
        assert port is not None
        facts.extend(await collect_tls(t.address, port, timeout=min(5.0, self.opts.request_timeout)))

    async def _target(self, t: Target, http: Any, sweep_id: str, target_id: int,
                      evaluation_id: int) -> tuple[TargetResult, TargetFacts]:
        started: datetime = utcnow()
        facts: list[Fact] = []
        try:
            async with asyncio.timeout(self.opts.target_deadline):
                jobs = [self._redfish_then_ssh(t, http, facts)]
                if t.port("https") and self.needs & F.TLS_KINDS:
                    jobs.append(self._tls(t, facts))
                if t.host is not None and self.needs & F.HOST_KINDS:
                    jobs.append(collect_host(t, facts, timeout=self.opts.request_timeout))
                await asyncio.gather(*jobs)
        except TimeoutError:
            facts.append(Fact(kind="engine.deadline", collector="engine",
                              error=f"per-target deadline of {self.opts.target_deadline:g} s exceeded"))
        except Exception as exc:  # a collector bug must cost one target, not the sweep
            log.exception("collector failed for %s", t.name)
            facts.append(Fact(kind="engine.crash", collector="engine",
                              error=f"internal collector error: {type(exc).__name__}"))
        status, error = target_status(facts)
        tf = TargetFacts(t.name, facts, meta={**t.inventory_meta(), "status": status,
                                               "auditor_username": t.credentials.username if t.credentials
                                               else None})
        findings = run_target_checks(tf, policy_for(tf, self.opts.baselines), self.checks)
        await self._writer.write(TargetWrite(sweep_id, target_id, evaluation_id, status, error, started, facts,
                                             findings))
        # Written: keep only what the summary, the exit code and the fleet checks need (evidence and
        # most facts stay in the store), so a 10,000-BMC sweep does not grow with every target.
        return self._result(t.name, status, error, findings), self._fleet_view(tf)

    def _result(self, name: str, status: str, error: str | None, findings: list[Finding]) -> TargetResult:
        """What the summary keeps of a target's findings, once they are stored: the verdicts, not
        the evidence (the store has it).  The findings are this target's own, written and
        read by no one else any more, so their evidence is dropped in place rather than copied."""
        for f in findings:
            f.evidence = {}
        if len(self.inventory.targets) <= KEEP_ALL_FINDINGS_UP_TO:
            return TargetResult(name, status, error, findings)
        kept, passing, counts = [], {}, {}
        for f in findings:
            st = f.status.value
            if st in ("PASS", "NOT_APPLICABLE"):
                counts[st] = counts.get(st, 0) + 1
                if passing.get(f.check_id) != "PASS":
                    passing[f.check_id] = st
            else:
                kept.append(f)
        return TargetResult(name, status, error, kept, passing, counts)

    def _fleet_view(self, tf: TargetFacts) -> TargetFacts:
        return TargetFacts(tf.target, [f for f in tf.facts if f.kind in self.fleet_kinds],
                           meta={k: tf.meta.get(k) for k in ("status", "platform", "site", "rack")})


def evaluate_stored(store: Store, sweep_id: str, baselines: tuple[VerifiedBaseline, ...],
                    check_ids: list[str] | None = None) -> tuple[int, list[Finding]]:
    """Re-judge a stored sweep against (other) baselines without touching a BMC.

    The facts are read back from the store, every check runs again, and the findings
    are stored as a new evaluation of the same sweep; reports show the newest one.
    """
    if check_ids is None:
        # A reach or discovery sweep holds no Redfish facts: re-judge it only with its own checks.
        from .checks.net import checks_for_sweep_kind

        row = store.sweep(sweep_id)
        check_ids = checks_for_sweep_kind(((row.options or {}).get("kind")) if row else None)
    checks = select_checks(check_ids)
    fleet = store.target_facts(sweep_id)
    target_ids = {t.name: t.id for t in store.targets(sweep_id)}
    evaluation_id = store.begin_evaluation(sweep_id, baseline_info(baselines))
    findings: list[Finding] = []
    for tf in fleet:
        findings.extend(run_target_checks(tf, policy_for(tf, baselines), checks))
    findings.extend(run_fleet_checks(fleet, policy_for(None, baselines), checks))
    store.write_findings(sweep_id, evaluation_id, findings, target_ids)
    return evaluation_id, findings
