"""Operations commands: ``drift``, ``handover``, ``prune`` and ``waivers check``.

Wiring only, like cli.py: the logic lives in report/drift.py, report/handover.py,
waivers.py and the store.  ``register(app)`` adds the commands to the main typer app;
``load_waivers_or_exit`` and ``waive_sweep`` are what ``sweep`` / ``evaluate`` call for
``--waivers``.

Exit codes (same numbering as cli.py):
  drift     0 no new FAIL / identity change at or above --fail-on, 1 there is, 4 bad input
  handover  0 the rack passes, 1 it fails, 4 bad input, 130 interrupted
  prune     0 done, 4 bad input
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

if TYPE_CHECKING:
    from .engine import SweepResult
    from .store import Store
    from .waivers import WaiverSet

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 4, 130

WaiversOpt = Annotated[Path | None, typer.Option(
    "--waivers", help="Waiver YAML: matching FAIL/ERROR become MUTED until the waiver expires.")]
_DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: $OOBAUDIT_DB or "
                                            "~/.local/share/oobaudit/oobaudit.db)")]
_TrustOpt = Annotated[list[Path] | None, typer.Option(
    "--trusted-keys", help="Directory of trusted *.pub keys (outside baselines/); default $OOBAUDIT_TRUSTED_KEYS.")]


def _cli() -> Any:
    from . import cli  # late: cli imports this module to register the commands

    return cli


def load_waivers_or_exit(path: Path | None) -> WaiverSet | None:
    """Load ``--waivers``; print every problem with file and line and exit 4 when invalid."""
    if path is None:
        return None
    from .waivers import load_waivers
    from .yamlsrc import SourceError

    try:
        return load_waivers(path)
    except SourceError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _warn_expired(expired: list[Any]) -> None:
    err = _cli().err
    for w in expired:
        err.print(f"[bold yellow]WARNING:[/] waiver {w.label} (owner {w.owner}, {w.source}) expired on "
                  f"{w.expires.isoformat()}: it no longer mutes anything", highlight=False)


def waive_sweep(store: Store, result: SweepResult, waivers: WaiverSet | None) -> SweepResult:
    """Apply waivers to a finished sweep's evaluation (in the store, so reports show MUTED) and
    return the SweepResult with the waived findings, for the exit code and the summary table."""
    if waivers is None:
        return result
    from .waivers import apply_to_evaluation, waive_sweep_result

    outcome = apply_to_evaluation(store, result.sweep_id, waivers)
    _warn_expired(outcome.expired)
    return waive_sweep_result(result, outcome.findings)


def waive_evaluation(store: Store, sweep_id: str, evaluation_id: int, waivers: WaiverSet | None,
                     findings: list[Any]) -> list[Any]:
    """``evaluate --waivers``: apply waivers to the evaluation just stored; return its findings."""
    if waivers is None:
        return findings
    from .waivers import apply_to_evaluation

    outcome = apply_to_evaluation(store, sweep_id, waivers, evaluation_id=evaluation_id)
    _warn_expired(outcome.expired)
    return outcome.findings


def _formats(value: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    fmts = tuple(f.strip() for f in value.split(",") if f.strip())
    if not fmts or any(f not in allowed for f in fmts):
        raise typer.BadParameter(f"formats are {', '.join(allowed)}")
    return fmts


# --------------------------------------------------------------------------- commands


def drift(
    old: Annotated[str | None, typer.Argument(help="Old sweep (id, prefix or 'latest'); default: the one before "
                                              "NEW.")] = None,
    new: Annotated[str | None, typer.Argument(help="New sweep; default: the newest complete sweep of the same "
                                              "inventory.")] = None,
    db: _DbOpt = None,
    formats: Annotated[str, typer.Option("--format", help="Report formats, comma separated: html, md, json.")]
    = "html,md,json",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report directory (default reports/drift-OLD-NEW).")]
    = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a new FAIL or an identity change at or above this "
                                         "severity appears.")] = "low",
    inventory: Annotated[str | None, typer.Option("--inventory", "-i", help="Compare the last two complete sweeps "
                                                  "of this inventory path.")] = None,
    baseline: Annotated[list[Path] | None, typer.Option(
        "--baseline", help="Re-judge both sweeps in memory against this signed baseline (repeatable).")] = None,
    trusted_keys: _TrustOpt = None,
    waivers: WaiversOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only a one-line JSON summary.")] = False,
) -> None:
    """What changed between two sweeps: findings, firmware, settings, BMC identity, targets."""
    from .report.drift import DRIFT_FORMATS, DriftError, compute_drift, default_pair, write_drift_reports

    cli = _cli()
    sev = cli._severity(fail_on)
    fmts = _formats(formats, DRIFT_FORMATS)
    ws = load_waivers_or_exit(waivers)
    store = cli._open_store(db)
    vbs = tuple(cli.load_baseline(b, trusted_keys, store, expired="warn") for b in baseline) if baseline else None
    try:
        old_id, new_id = default_pair(store, old, new, inventory)
        rep = compute_drift(store, old_id, new_id, baselines=vbs, waivers=ws)
    except DriftError as exc:
        raise cli._bad_input(str(exc)) from None
    for w in (rep.waivers or {}).get("expired", []):
        cli.err.print(f"[bold yellow]WARNING:[/] waiver {w['check']} target={w['target']} subject={w['subject']} "
                      f"(owner {w['owner']}, {w['source']}) expired on {w['expires']}: it no longer mutes anything",
                      highlight=False)
    dest = out_dir or Path("reports") / f"drift-{old_id}-{new_id}"
    written = write_drift_reports(rep, dest, fmts)
    code = rep.exit_code(sev)
    s = rep.summary()
    line = {"old_sweep": old_id, "new_sweep": new_id, **s, "gating": len(rep.gating(sev)),
            "within_baseline": rep.posture.get("within_baseline"),
            "report": str(written.get("html") or next(iter(written.values())))}
    if not quiet:
        table = Table(title=f"drift {old_id} → {new_id}")
        for col in ("new", "resolved", "changed", "identity", "firmware", "settings", "targets +", "targets -"):
            table.add_column(col, justify="right")
        table.add_row(*(str(s[k]) for k in ("new", "resolved", "changed", "identity", "firmware", "settings",
                                            "targets_added", "targets_removed")))
        cli.out.print(table)
        for n in rep.notes:
            cli.err.print(f"[yellow]note:[/] {n}", highlight=False)
        cli.out.print(f"still within the baseline: {'yes' if rep.posture.get('within_baseline') else 'no'}; "
                      f"reports: {line['report']}", highlight=False)
    cli.out.print(json.dumps(line, separators=(",", ":")), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def handover(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="The rack's inventory YAML.")],
    baseline: Annotated[list[Path], typer.Option(
        "--baseline", help="Signed baseline the rack must meet (FILE.sig beside it); repeatable.")],
    trusted_keys: _TrustOpt = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report directory (default reports/handover-<sweep>).")]
    = None,
    db: _DbOpt = None,
    severity: Annotated[str, typer.Option("--severity", help="A FAIL at or above this severity fails a host.")]
    = "high",
    waivers: WaiversOpt = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Targets audited at once.")] = 32,
    deadline: Annotated[float, typer.Option(min=1, help="Per-target deadline in seconds.")] = 120.0,
    timeout: Annotated[float, typer.Option(min=0.1, help="Per-request timeout in seconds.")] = 10.0,
    no_credential_tests: Annotated[bool, typer.Option("--no-credential-tests",
                                                      help="Never try default passwords.")] = False,
    expired: Annotated[str, typer.Option(help="An expired baseline: refuse | warn.")] = "refuse",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only a one-line JSON summary.")] = False,
) -> None:
    """Sweep a rack and pass it only if every BMC is audited, at the baseline, and clean at SEVERITY."""
    from .engine import SweepOptions
    from .report import build_model, write_reports
    from .report.handover import judge_handover, write_handover_reports

    cli = _cli()
    sev = cli._severity(severity)
    if expired not in ("refuse", "warn"):
        raise typer.BadParameter("--expired is refuse or warn")
    ws = load_waivers_or_exit(waivers)
    store = cli._open_store(db)
    vbs = tuple(cli.load_baseline(b, trusted_keys, store, expired=expired) for b in baseline)
    opts = SweepOptions(concurrency=concurrency, target_deadline=deadline, request_timeout=timeout,
                        credential_tests=not no_credential_tests, baselines=vbs)
    try:
        result = cli.run_sweep(inventory, store, opts, quiet=quiet)
    except KeyboardInterrupt:
        cli.err.print("[yellow]interrupted: the handover sweep is marked interrupted; the rack is not accepted[/]")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    waiver_info = None
    if ws is not None:
        from .waivers import apply_to_evaluation

        outcome = apply_to_evaluation(store, result.sweep_id, ws)
        _warn_expired(outcome.expired)
        waiver_info = {"file": ws.path, "count": len(ws), "muted": outcome.muted,
                       "expired": [w.info() for w in outcome.expired]}
    rep = judge_handover(store, result.sweep_id, vbs, sev, waivers=waiver_info)
    dest = out_dir or Path("reports") / f"handover-{result.sweep_id}"
    written = write_handover_reports(rep, dest)
    write_reports(build_model(store, result.sweep_id), dest)
    line = {"sweep": result.sweep_id, "verdict": "PASS" if rep.passed else "FAIL", **rep.summary(),
            "report": str(written["html"]), "junit": str(written["junit"])}
    if not quiet:
        table = Table(title=f"handover {inventory} — {'PASS' if rep.passed else 'FAIL'}")
        table.add_column("host", no_wrap=True)
        table.add_column("verdict")
        table.add_column("reasons")
        for h in rep.hosts:
            table.add_row(h.name, "[green]PASS[/]" if h.passed else "[bold red]FAIL[/]",
                          "\n".join(r["text"] for r in h.reasons[:5]) + (f"\n(+{len(h.reasons) - 5} more)"
                                                                          if len(h.reasons) > 5 else ""))
        cli.out.print(table)
        for r in rep.rack_reasons:
            cli.out.print(f"[bold red]rack:[/] {r['text']}", highlight=False)
        cli.out.print(f"reports: {written['html']} · JUnit: {written['junit']}", highlight=False)
    cli.out.print(json.dumps(line, separators=(",", ":")), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK if rep.passed else EXIT_FAIL)


def prune(
    keep: Annotated[int, typer.Option("--keep", min=1, help="Sweeps to keep per inventory path (newest).")],
    db: _DbOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing.")] = False,
) -> None:
    """Retention: delete all but the N newest sweeps of each inventory (facts, findings and all)."""
    cli = _cli()
    store = cli._open_store(db)
    doomed = store.prune(keep, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for row in doomed:
        cli.out.print(f"{verb} {row.id} ({row.status}, {row.started_at}, {row.inventory_path})", highlight=False)
    cli.out.print(json.dumps({"pruned": len(doomed), "dry_run": dry_run, "keep": keep}, separators=(",", ":")),
                  highlight=False)


waivers_app = typer.Typer(no_args_is_help=True, help="Waiver files: validate and list.")


@waivers_app.command("check")
def waivers_check(file: Annotated[Path, typer.Argument(help="Waiver YAML file.")]) -> None:
    """Validate a waiver file (errors name file and line) and list live and expired waivers.

    Exits 0 when valid and nothing has expired, 1 when a waiver has expired, 4 when invalid."""
    from .waivers import today_utc

    cli = _cli()
    ws = load_waivers_or_exit(file)
    assert ws is not None
    today = today_utc()
    table = Table("check", "target", "subject", "owner", "expires", "state")
    for w in ws:
        state = "live" if w.live(today) else "[bold red]EXPIRED[/]"
        table.add_row(w.check, w.target, w.subject, w.owner, w.expires.isoformat(), state)
    cli.out.print(table)
    expired = [w for w in ws if not w.live(today)]
    cli.out.print(f"{file}: {len(ws)} waiver(s), {len(expired)} expired", highlight=False)
    raise typer.Exit(EXIT_FAIL if expired else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add drift, handover, prune and `waivers check` to the main app."""
    app.command("drift")(drift)
    app.command("handover")(handover)
    app.command("prune")(prune)
    app.add_typer(waivers_app, name="waivers")
