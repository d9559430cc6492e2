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

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .checks import REGISTRY, Severity, select_checks
from .engine import Sweep, SweepOptions, SweepResult
from .inventory import load_inventory
from .report import FORMATS, build_model, render, write_reports
from .store import Store, default_db_url
from .yamlsrc import SourceError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_UNAUDITED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Out-of-band (BMC) and firmware hardening auditor.")
inventory_app = typer.Typer(no_args_is_help=True, help="Inventory files.")
checks_app = typer.Typer(no_args_is_help=True, help="The control catalogue.")
app.add_typer(inventory_app, name="inventory")
app.add_typer(checks_app, name="checks")

err = Console(stderr=True)
out = Console()

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


def summary_table(result: SweepResult, title: str = "oobaudit summary") -> Table:
    """Targets × checks: the worst status per cell, so a reader sees posture at a glance."""
    ids = sorted({f.check_id for f in result.findings if f.target != "*fleet*"})
    table = Table(title=title, show_lines=False)
    table.add_column("target")
    table.add_column("status")
    for cid in ids:
        table.add_column(cid.removeprefix("OOB-"), justify="center")
    rank = {"FAIL": 4, "ERROR": 3, "MUTED": 2, "PASS": 1, "NOT_APPLICABLE": 0}
    style = {"FAIL": "bold red", "ERROR": "magenta", "PASS": "green", "NOT_APPLICABLE": "dim", "MUTED": "yellow"}
    for t in sorted(result.targets, key=lambda r: r.name):
        cells = []
        for cid in ids:
            sts = [f.status.value for f in t.findings if f.check_id == cid]
            worst = max(sts, key=lambda s: rank[s]) if sts else "-"
            cells.append(f"[{style.get(worst, '')}]{'N/A' if worst == 'NOT_APPLICABLE' else worst}[/]")
        table.add_row(t.name, t.status, *cells)
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
    bad = sum(1 for t in result.targets if t.status != "audited")
    line = {"sweep": result.sweep_id, "status": result.status, "targets": len(result.targets),
            "unaudited": bad, **{k.lower(): v for k, v in sorted(counts.items())}}
    if reports:
        line["report"] = str(reports.get("html", ""))
    return json.dumps(line, separators=(",", ":"))


def run_sweep(inventory_path: Path, store: Store, opts: SweepOptions, *, quiet: bool) -> SweepResult:
    try:
        inv = load_inventory(inventory_path)
    except SourceError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        opts.check_ids and select_checks(opts.check_ids)
    except ValueError as exc:
        raise _bad_input(str(exc)) from None
    sweep = Sweep(store, inv, opts)
    if quiet or not err.is_terminal:
        return asyncio.run(sweep.run())
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=err, transient=True) as bar:
        task = bar.add_task("", total=len(inv))
        return asyncio.run(sweep.run(lambda r: bar.update(task, advance=1, description=r.name)))


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
    formats: Annotated[str, typer.Option("--format", help="Report formats, comma separated.")] = "html,md,json",
) -> None:
    """Sweep every BMC in an inventory, store facts and findings, write reports."""
    sev = _severity(fail_on)
    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    if any(f not in FORMATS for f in fmts):
        raise typer.BadParameter(f"formats are {', '.join(FORMATS)}")
    store = _open_store(db)
    opts = SweepOptions(concurrency=concurrency, target_deadline=deadline, request_timeout=timeout,
                        credential_tests=not no_credential_tests, assume_lockout=assume_lockout, check_ids=check)
    try:
        result = run_sweep(inventory, store, opts, quiet=quiet)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: the sweep is marked interrupted; finished targets are kept[/]")
        raise typer.Exit(EXIT_INTERRUPTED) from None
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
    sid = store.resolve_sweep_id(sweep_id)
    if sid is None:
        raise _bad_input(f"no single sweep matches {sweep_id!r} in {store.url}")
    text = render(build_model(store, sid), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


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


def main() -> None:
    # The registry must be loaded before options that name checks are validated.
    assert REGISTRY
    app()


if __name__ == "__main__":
    main()
