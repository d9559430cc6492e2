"""Command line: wiring only.  Logic lives in the modules it calls.

Exit codes (also in the README):
  0  sweep complete, every target audited, no FAIL at or above --fail-on
  1  at least one FAIL at or above --fail-on
  2  usage error (unknown option, bad argument)
  3  at least one target could not be fully audited (unreachable, error, partial)
     - ranked above 1, as ssh-audit does: an unaudited BMC is never "clean"
  4  bad input: inventory, baseline or database URL invalid; nothing was swept
  130 interrupted (SIGINT); the sweep is marked interrupted, finished targets are kept
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, aioloop
from .checks import REGISTRY, Severity, select_checks
from .engine import Sweep, SweepOptions, SweepResult
from .inventory import load_inventory, parse_shard
from .inventory import shard as shard_targets
from .ops_cli import WaiversOpt, load_waivers_or_exit, waive_evaluation, waive_sweep
from .report import FORMATS, build_model, render, write_reports
from .store import Store, StoreError, default_db_url
from .yamlsrc import SourceError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNAUDITED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

# pretty_exceptions_show_locals=False: a crash must never print a frame's locals, where a
# resolved password can live as a plain string (e.g. inside the HTTP client's constructor).
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  help="Out-of-band (BMC) and firmware hardening auditor.")
inventory_app = typer.Typer(no_args_is_help=True, help="Inventory files.")
checks_app = typer.Typer(no_args_is_help=True, help="The control catalogue.")
baseline_app = typer.Typer(no_args_is_help=True, help="Signed baselines: keygen, sign, verify, show, capture.")
app.add_typer(inventory_app, name="inventory")
app.add_typer(checks_app, name="checks")
app.add_typer(baseline_app, name="baseline")

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)

OutOpt = Annotated[Path | None, typer.Option("--out", help="Report directory (default reports/<sweep id>).")]
DbOpt = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: $OOBAUDIT_DB or "
                                           "~/.local/share/oobaudit/oobaudit.db)")]


def _bad_input(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _open_store(db: str | None) -> Store:
    try:
        return Store(db)
    except Exception as exc:  # sqlalchemy raises many kinds for a bad URL
        raise _bad_input(f"cannot open database {db or default_db_url()}: {type(exc).__name__}: {exc}") from None


def _severity(value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.callback()
def _main(verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output.")] = 0,
         version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False) -> None:
    logging.basicConfig(level=logging.WARNING - 10 * min(verbose, 2), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if version:
        out.print(f"oobaudit {__version__}")
        raise typer.Exit(0)


@inventory_app.command("check")
def inventory_check(file: Annotated[Path, typer.Argument(help="Inventory YAML file.")]) -> None:
    """Validate an inventory; every problem is printed with its file and line."""
    try:
        inv = load_inventory(file)
    except SourceError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    sites = {(t.site, t.rack) for t in inv.targets}
    out.print(f"{file}: OK, {len(inv)} host(s) in {len({s for s, _ in sites})} site(s), {len(sites)} rack(s)")


@checks_app.command("list")
def checks_list(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List every check with its severity and references."""
    metas = [c.meta for c in select_checks()]
    if as_json:
        out.print_json(json.dumps([m.model_dump(mode="json") for m in metas]))
        return
    table = Table("id", "severity", "title", "references", show_lines=False)
    for m in metas:
        table.add_row(m.id, m.severity.value, m.title, "; ".join(m.references[:2]))
    out.print(table)


TrustOpt = Annotated[list[Path] | None, typer.Option(
    "--trusted-keys", help="Directory of trusted *.pub keys (outside baselines/); default $OOBAUDIT_TRUSTED_KEYS.")]
DEMO_KEYS = Path(__file__).parent / "data" / "trusted-keys-demo"


def _trusted(dirs: list[Path] | None, demo: bool = False):
    from .baseline.signing import TrustedKeys

    found = [*(dirs or []), *([DEMO_KEYS] if demo else [])]
    if found:
        return TrustedKeys.from_dirs(found)
    return TrustedKeys.from_env_or(None)


def load_baseline(path: Path, trusted: list[Path] | None, store: Store | None, *, allow_unsigned: bool = False,
                  expired: str = "refuse", demo_keys: bool = False):
    """Verify (before parsing) and load a baseline, or exit with the bad-input code."""
    from .baseline.signing import BaselineRejected, verify_and_load

    try:
        keys = _trusted(trusted, demo_keys)
        vb = verify_and_load(path, keys, allow_unsigned=allow_unsigned,
                             expired=expired,  # type: ignore[arg-type]
                             highest_seen=store.highest_baseline_version if store else None)
    except BaselineRejected as exc:
        raise _bad_input(f"baseline {path} refused: {exc}") from None
    for w in vb.warnings:
        err.print(f"[bold yellow]WARNING:[/] {w}", highlight=False)
    if store is not None and vb.signed and vb.key_id:
        store.record_baseline(vb.name, vb.version, vb.key_id)
    return vb


@baseline_app.command("keygen")
def baseline_keygen(out_dir: Annotated[Path, typer.Argument(help="Directory for NAME.key (0600) and NAME.pub.")],
                    name: Annotated[str, typer.Option("--name", help="Key name.")] = "baseline-signing") -> None:
    """Create an Ed25519 signing key pair.  Keep the .key offline; distribute the .pub."""
    from .baseline.signing import BaselineRejected, keygen

    try:
        key, pub = keygen(out_dir, name)
    except (OSError, BaselineRejected, FileExistsError) as exc:
        raise _bad_input(str(exc)) from None
    out.print(f"private key: {key}\npublic key:  {pub}")


@baseline_app.command("sign")
def baseline_sign(file: Annotated[Path, typer.Argument(help="Baseline YAML.")],
                  key: Annotated[Path, typer.Option("--key", help="Private key (.key).")]) -> None:
    """Write FILE.sig: an Ed25519 signature over the exact bytes of FILE."""
    from .baseline.model import BaselineSyntaxError
    from .baseline.signing import BaselineRejected, sign

    try:
        sig = sign(file, key)
    except (OSError, BaselineRejected, BaselineSyntaxError, ValueError) as exc:
        raise _bad_input(f"cannot sign {file}: {exc}") from None
    out.print(f"signed: {sig}")


@baseline_app.command("verify")
def baseline_verify(file: Annotated[Path, typer.Argument(help="Baseline YAML (FILE.sig beside it).")],
                    trusted_keys: TrustOpt = None, db: DbOpt = None,
                    demo_keys: Annotated[bool, typer.Option("--demo-keys", help="Also trust the DEMO key.")] = False,
                    expired: Annotated[str, typer.Option(help="refuse | warn")] = "refuse") -> None:
    """Verify a baseline's signature, expiry and version (rollback) without using it."""
    vb = load_baseline(file, trusted_keys, _open_store(db) if db else None, expired=expired, demo_keys=demo_keys)
    out.print(f"OK: {vb.name} v{vb.version} signed by key {vb.key_id}, sha256 {vb.sha256}")


@baseline_app.command("show")
def baseline_show(file: Annotated[Path, typer.Argument(help="Baseline YAML.")], trusted_keys: TrustOpt = None,
                  demo_keys: Annotated[bool, typer.Option("--demo-keys", help="Also trust the DEMO key.")] = False,
                  allow_unsigned: Annotated[bool, typer.Option("--allow-unsigned")] = False) -> None:
    """Verify, then print a baseline's rules and effective settings."""
    from .baseline.signing import describe

    out.print(describe(load_baseline(file, trusted_keys, None, allow_unsigned=allow_unsigned,
                                     expired="warn", demo_keys=demo_keys)), highlight=False, markup=False)


@baseline_app.command("capture")
def baseline_capture(sweep: Annotated[str, typer.Option("--sweep", help="Sweep id (or 'latest').")],
                     target: Annotated[str, typer.Option("--target", help="The golden BMC's inventory name.")],
                     name: Annotated[str, typer.Option("--name", help="Baseline name.")] = "captured",
                     db: DbOpt = None,
                     output: Annotated[Path | None, typer.Option("--output", "-o")] = None) -> None:
    """Draft an UNSIGNED baseline from a golden BMC's stored firmware inventory."""
    from . import facts as F
    from .baseline.capture import draft_baseline_from_firmware

    store = _open_store(db)
    sid = store.resolve_sweep_id(sweep)
    if sid is None:
        raise _bad_input(f"no single sweep matches {sweep!r}")
    tf = next((t for t in store.target_facts(sid) if t.target == target), None)
    if tf is None:
        raise _bad_input(f"sweep {sid} has no target {target!r}")
    fw = [{"id": f.subject, "version": f.data.get("Version")} for f in tf.ok(F.REDFISH_FIRMWARE)]
    if not fw:
        raise _bad_input(f"sweep {sid} recorded no firmware inventory for {target!r}")
    text = draft_baseline_from_firmware(name, fw, tf.meta.get("platform") or "generic")
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output} (unsigned draft: review, then `oobaudit baseline sign`)")
    else:
        sys.stdout.write(text)


def _column(check_id: str) -> str:
    """Families with many checks share one column (worst verdict): FW, IPMI, TLS, NET."""
    for family in ("FW", "IPMI", "TLS", "NET"):
        if check_id.startswith(f"OOB-{family}-"):
            return family
    return check_id.removeprefix("OOB-")


def summary_table(result: SweepResult, title: str = "oobaudit summary") -> Table:
    """Targets × checks: the worst status per cell, so a reader sees posture at a glance.
    Columns where no target has a verdict (all N/A) are left out."""
    rank = {"FAIL": 5, "ERROR": 4, "MUTED": 3, "INFO": 2, "PASS": 1, "NOT_APPLICABLE": 0}
    style = {"FAIL": "bold red", "ERROR": "magenta", "PASS": "green", "NOT_APPLICABLE": "dim", "MUTED": "yellow",
             "INFO": "cyan"}
    cells: dict[tuple[str, str], str] = {}
    for t in result.targets:
        for cid, st in t.passing.items():  # large sweeps: passing verdicts are summarised, not kept
            key = (t.name, _column(cid))
            if key not in cells or rank[st] > rank[cells[key]]:
                cells[key] = st
        for f in t.findings:
            key = (t.name, _column(f.check_id))
            # an informational FAIL (e.g. a self-signed certificate) is shown as INFO, not as a failure
            st = "INFO" if f.status.value == "FAIL" and f.severity.rank == 0 else f.status.value
            if key not in cells or rank[st] > rank[cells[key]]:
                cells[key] = st
    cols = sorted({c for (_, c), st in cells.items() if st != "NOT_APPLICABLE"})
    table = Table(title=title, show_lines=False)
    table.add_column("target", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for col in cols:
        table.add_column(col, justify="center", no_wrap=True)
    for t in sorted(result.targets, key=lambda r: r.name):
        row = []
        for col in cols:
            st = cells.get((t.name, col), "-")
            row.append(f"[{style.get(st, '')}]{'N/A' if st == 'NOT_APPLICABLE' else st}[/]")
        table.add_row(t.name, t.status, *row)
    return table


def exit_code(result: SweepResult, fail_on: Severity) -> int:
    if result.status == "interrupted":
        return EXIT_INTERRUPTED
    if any(t.status != "audited" for t in result.targets):
        return EXIT_UNAUDITED
    if any(f.status.value == "FAIL" and f.severity.rank >= fail_on.rank for f in result.findings):
        return EXIT_FAIL
    return EXIT_OK


def one_line(result: SweepResult, reports: dict[str, Path] | None) -> str:
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.status.value] = counts.get(f.status.value, 0) + 1
    for part in (*result.targets, result):
        for st, n in part.passing_counts.items():
            counts[st] = counts.get(st, 0) + n
    bad = sum(1 for t in result.targets if t.status != "audited")
    line = {"sweep": result.sweep_id, "status": result.status, "targets": len(result.targets),
            "unaudited": bad, **{k.lower(): v for k, v in sorted(counts.items())}}
    if reports:
        line["report"] = str(reports.get("html", ""))
    return json.dumps(line, separators=(",", ":"))


def _load_inventory_or_exit(inventory_path: Path):
    try:
        return load_inventory(inventory_path)
    except SourceError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def run_sweep(inventory_path: Path, store: Store, opts: SweepOptions, *, quiet: bool,
              resume: str | None = None) -> SweepResult:
    inv = _load_inventory_or_exit(inventory_path)
    try:
        opts.check_ids and select_checks(opts.check_ids)
    except ValueError as exc:
        raise _bad_input(str(exc)) from None
    if opts.shard and resume is None:
        inv.targets = shard_targets(inv.targets, *opts.shard)
    sweep = Sweep(store, inv, opts)
    if quiet or not err.is_terminal:
        return aioloop.run(sweep.run(resume=resume))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, transient=True) as bar:
        task = bar.add_task("", total=len(inv))
        return aioloop.run(sweep.run(lambda r: bar.update(task, advance=1, description=r.name), resume=resume))


@app.command()
def sweep(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory YAML file.")],
    db: DbOpt = None,
    out_dir: OutOpt = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Targets audited at once.")] = 32,
    deadline: Annotated[float, typer.Option(min=1, help="Per-target deadline in seconds.")] = 120.0,
    timeout: Annotated[float, typer.Option(min=0.1, help="Per-request timeout in seconds.")] = 10.0,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a FAIL at or above this severity exists.")] = "low",
    check: Annotated[list[str] | None, typer.Option("--check", help="Run only these check ids.")] = None,
    no_credential_tests: Annotated[bool, typer.Option("--no-credential-tests",
                                                      help="Never try default passwords.")] = False,
    assume_lockout: Annotated[bool, typer.Option(
        "--assume-lockout", help="No login attempts where the lockout policy is unknown.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only a one-line JSON summary.")] = False,
    formats: Annotated[str, typer.Option("--format", help="Report formats, comma separated.")]
    = "html,md,json,csv,sarif",
    baseline: Annotated[list[Path] | None, typer.Option(
        "--baseline", help="Signed baseline YAML (FILE.sig beside it); repeat for several platforms.")] = None,
    trusted_keys: TrustOpt = None,
    allow_unsigned: Annotated[bool, typer.Option("--allow-unsigned", help="Accept an unsigned baseline (loudly).")]
    = False,
    expired: Annotated[str, typer.Option(help="An expired baseline: refuse | warn.")] = "refuse",
    resume: Annotated[str | None, typer.Option(
        "--resume", help="Finish an interrupted sweep (id or prefix); finished targets are not re-audited.")] = None,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="I/N: audit only this deterministic share of the inventory (one collector per share).")]
    = None,
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Name shared by several collectors' sweeps; report it as 'campaign:NAME'.")] = None,
    collector: Annotated[str | None, typer.Option("--collector", help="This collector's name (segment, site).")]
    = None,
    waivers: WaiversOpt = None,
) -> None:
    """Sweep every BMC in an inventory, store facts and findings, write reports."""
    sev = _severity(fail_on)
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    if any(f not in FORMATS for f in fmts):
        raise typer.BadParameter(f"formats are {', '.join(FORMATS)}")
    if expired not in ("refuse", "warn"):
        raise typer.BadParameter("--expired is refuse or warn")
    # Bad input is refused before anything is opened or written (no database is created).
    _load_inventory_or_exit(inventory)
    ws = load_waivers_or_exit(waivers)
    store = _open_store(db)
    vbs = tuple(load_baseline(b, trusted_keys, store, allow_unsigned=allow_unsigned, expired=expired)
                for b in baseline or [])
    try:
        shard_spec = parse_shard(shard) if shard else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    opts = SweepOptions(concurrency=concurrency, target_deadline=deadline, request_timeout=timeout,
                        credential_tests=not no_credential_tests, assume_lockout=assume_lockout, check_ids=check,
                        baselines=vbs, campaign=campaign, collector=collector, shard=shard_spec)
    resume_id = None
    if resume:
        resume_id = store.resolve_sweep_id(resume)
        if resume_id is None:
            raise _bad_input(f"no single sweep matches {resume!r} in {store.url}")
    try:
        result = run_sweep(inventory, store, opts, quiet=quiet, resume=resume_id)
    except StoreError as exc:
        raise _bad_input(str(exc)) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: the sweep is marked interrupted; finished targets are kept[/]")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    result = waive_sweep(store, result, ws)
    reports = write_reports(build_model(store, result.sweep_id), out_dir or Path("reports") / result.sweep_id, fmts)
    if quiet:
        out.print(one_line(result, reports), highlight=False, soft_wrap=True)
    else:
        out.print(summary_table(result))
        out.print(f"sweep [bold]{result.sweep_id}[/] {result.status}; reports: {reports.get('html') or reports}")
        out.print(one_line(result, reports), highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code(result, sev))


@app.command()
def report(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id, a unique prefix, or 'latest'.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html | md | json")] = "html",
    db: DbOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Render a stored sweep as HTML, Markdown or JSON."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"formats are {', '.join(FORMATS)}")
    store = _open_store(db)
    sid = sweep_id if sweep_id.startswith("campaign:") else store.resolve_sweep_id(sweep_id)
    if sid is None:
        raise _bad_input(f"no single sweep matches {sweep_id!r} in {store.url}")
    try:
        model = build_model(store, sid)
    except KeyError as exc:
        raise _bad_input(str(exc.args[0])) from None
    text = render(model, fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command()
def evaluate(
    sweep_id: Annotated[str, typer.Argument(help="Sweep id, a unique prefix, or 'latest'.")],
    baseline: Annotated[list[Path] | None, typer.Option("--baseline", help="Signed baseline; repeatable.")] = None,
    trusted_keys: TrustOpt = None,
    db: DbOpt = None,
    out_dir: OutOpt = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a FAIL at or above this severity exists.")] = "low",
    allow_unsigned: Annotated[bool, typer.Option("--allow-unsigned")] = False,
    expired: Annotated[str, typer.Option(help="refuse | warn")] = "refuse",
    waivers: WaiversOpt = None,
) -> None:
    """Re-run every check on a stored sweep's facts (no BMC is touched) and store a new evaluation."""
    from .engine import evaluate_stored

    sev = _severity(fail_on)
    store = _open_store(db)
    sid = store.resolve_sweep_id(sweep_id)
    if sid is None:
        raise _bad_input(f"no single sweep matches {sweep_id!r} in {store.url}")
    vbs = tuple(load_baseline(b, trusted_keys, store, allow_unsigned=allow_unsigned, expired=expired)
                for b in baseline or [])
    ws = load_waivers_or_exit(waivers)
    evaluation_id, findings = evaluate_stored(store, sid, vbs)
    findings = waive_evaluation(store, sid, evaluation_id, ws, findings)
    reports = write_reports(build_model(store, sid), out_dir or Path("reports") / sid)
    fails = [f for f in findings if f.status.value == "FAIL"]
    out.print(f"sweep {sid}: evaluation {evaluation_id} with {', '.join(v.name for v in vbs) or 'default settings'}"
              f": {len(fails)} FAIL of {len(findings)} findings; reports: {reports['html']}")
    unaudited = any(t.status != "audited" for t in store.targets(sid))
    raise typer.Exit(EXIT_UNAUDITED if unaudited else
                     EXIT_FAIL if any(f.severity.rank >= sev.rank for f in fails) else EXIT_OK)


@app.command()
def sweeps(db: DbOpt = None, limit: Annotated[int, typer.Option(min=1)] = 20) -> None:
    """List past sweeps, newest first."""
    store = _open_store(db)
    table = Table("id", "status", "started", "finished", "inventory")
    for s in store.sweeps(limit):
        table.add_row(s.id, s.status, str(s.started_at), str(s.finished_at or ""), s.inventory_path)
    out.print(table)


@app.command()
def demo(
    out_dir: OutOpt = None,
    db: DbOpt = None,
) -> None:
    """Start a mixed mock fleet on loopback, sweep it, write the reports, print a summary.

    Exits 0 when the demo ran, whatever it found (the findings are the point)."""
    from .demo import run_demo

    run_demo(out_dir=out_dir, db=db, console=out)


def _register_subcommands() -> None:
    from .ops_cli import register as register_ops
    from .reach_cli import register as register_reach

    register_reach(app)
    register_ops(app)


_register_subcommands()


def main() -> None:
    # The registry must be loaded before options that name checks are validated.
    assert REGISTRY
    app()


if __name__ == "__main__":
    main()
