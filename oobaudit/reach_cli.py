"""``oobaudit reach`` and ``oobaudit discover``: wiring only (logic in collectors/reach*.py).

Registered on the main app by ``cli.py`` with ``register(app)``.  Exit codes are the
sweep's (0 clean, 1 FAIL at or above --fail-on, 3 some target or address could not
be probed, 4 bad input, 130 interrupted) plus:

  5  no raw-socket permission (not root and no CAP_NET_RAW): nothing was probed and
     nothing was stored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .checks import net as _net  # noqa: F401  (registers OOB-NET-001..003 for every command)

EXIT_NO_RAW_SOCKET = 5

_ReachHelp = "Probe every inventory BMC from this host (a vantage point) and judge OOB separation."
_DiscoverHelp = "ASF presence ping sweep of the management ranges: report BMCs the inventory does not list."


def _ports(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    from .collectors.reach_wire import parse_ports

    try:
        return parse_ports(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--ports") from None


def _formats(formats: str) -> tuple[str, ...]:
    from .report import FORMATS

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not fmts or any(f not in FORMATS for f in fmts):
        raise typer.BadParameter(f"formats are {', '.join(FORMATS)}", param_hint="--format")
    return fmts


def _load(inventory: Path):
    from .cli import EXIT_BAD_INPUT
    from .inventory import load_inventory
    from .yamlsrc import SourceError

    try:
        return load_inventory(inventory)
    except SourceError as exc:
        for issue in exc.issues:
            typer.echo(str(issue), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OSError as exc:
        typer.echo(f"error: cannot read inventory {inventory}: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _open_prober(opts, avoid_ports=()):
    """Open the raw sockets first: without permission, exit 5 before any store or sweep exists."""
    from .cli import EXIT_BAD_INPUT, err

    try:
        from .collectors.reach import Prober, RawSocketPermissionError
    except ImportError as exc:  # scapy missing
        err.print(f"[bold red]error:[/] the reach probes need scapy: {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        return Prober(opts, avoid_ports)
    except RawSocketPermissionError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_NO_RAW_SOCKET) from None
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@contextmanager
def _probe_errors(interrupted: str) -> Iterator[None]:
    """Ctrl-C and socket errors during a probe run become a message and the documented exit code."""
    from .cli import EXIT_INTERRUPTED, EXIT_UNAUDITED, err

    try:
        yield
    except KeyboardInterrupt:
        err.print(f"[yellow]interrupted: {interrupted}[/]")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except OSError as exc:
        err.print(f"[bold red]error:[/] probing failed: {exc}", highlight=False)
        raise typer.Exit(EXIT_UNAUDITED) from None


def _finish(result, store, out_dir: Path | None, fmts: tuple[str, ...], fail_on, quiet: bool, title: str) -> None:
    from .cli import exit_code, one_line, out, summary_table
    from .collectors.reach_sweep import findings_lines
    from .report import build_model, write_reports

    reports = write_reports(build_model(store, result.sweep_id), out_dir or Path("reports") / result.sweep_id, fmts)
    if not quiet:
        out.print(summary_table(result, title=title))
        for line in findings_lines(result.findings):
            out.print(line, highlight=False, markup=False)
        out.print(f"sweep [bold]{result.sweep_id}[/] {result.status}; reports: {reports.get('html') or reports}")
    out.print(one_line(result, reports), highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code(result, fail_on))


def reach(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory YAML file.")],
    vantage: Annotated[str, typer.Option("--vantage", help="The inventory vantage point this host stands for.")],
    iface: Annotated[str | None, typer.Option("--iface", help="Send and listen on this interface only.")] = None,
    ports: Annotated[str | None, typer.Option(
        "--ports", help="TCP ports to SYN-probe, e.g. 22,443,5120-5123 (default: the usual BMC ports; each "
                        "target's https/http/ssh ports are always added).")] = None,
    rate: Annotated[float, typer.Option("--rate", min=1, max=20000, help="Packets per second, hard cap.")] = 200.0,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, help="Re-sends of an unanswered probe.")] = 2,
    wait: Annotated[float, typer.Option("--wait", min=0.05, max=30, help="Seconds to wait for each answer.")] = 1.0,
    host_timeout: Annotated[float, typer.Option("--host-timeout", min=1, help="Per-BMC deadline (s).")] = 60.0,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Deadline of the whole run (s).")] = 900.0,
    db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL (default: $OOBAUDIT_DB or "
                                           "~/.local/share/oobaudit/oobaudit.db)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report directory (default reports/<sweep id>).")]
    = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a FAIL at or above this severity exists.")] = "low",
    formats: Annotated[str, typer.Option("--format", help="Report formats, comma separated.")] = "html,md,json",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only a one-line JSON summary.")] = False,
    baseline: Annotated[list[Path] | None, typer.Option(
        "--baseline", help="Signed baseline (its ipmi_allowed decides whether 623/udp must answer).")] = None,
    trusted_keys: Annotated[list[Path] | None, typer.Option("--trusted-keys", help="Directory of trusted keys.")]
    = None,
    allow_unsigned: Annotated[bool, typer.Option("--allow-unsigned")] = False,
) -> None:
    """Probe every inventory BMC from this host (a vantage point) and judge OOB separation.

    TCP SYN to the BMC ports, an ASF presence ping to 623/udp, an SNMP get to 161/udp and an
    ICMP echo per BMC; OOB-NET-001 (non-management vantage: everything dark) or OOB-NET-002
    (management vantage: the BMC answers).  Needs root or CAP_NET_RAW (exit 5 otherwise)."""
    from .cli import _bad_input, _open_store, _severity, load_baseline
    from .collectors.reach import ProbeOptions

    sev = _severity(fail_on)
    fmts = _formats(formats)
    tcp_ports = _ports(ports)
    inv = _load(inventory)
    vp = inv.vantage(vantage)
    if vp is None:
        names = ", ".join(v.name for v in inv.vantage_points) or "none declared (add vantage_points:)"
        raise _bad_input(f"vantage point {vantage!r} is not in {inventory} (known: {names})")
    if not inv.targets:
        raise _bad_input(f"{inventory} lists no BMC")
    opts = ProbeOptions(rate=rate, retries=retries, wait=wait, host_timeout=host_timeout, total_timeout=timeout,
                        iface=iface)
    prober = _open_prober(opts, avoid_ports=tcp_ports or ())
    try:
        from .collectors.reach_sweep import ReachRun, run_reach

        store = _open_store(db)
        vbs = tuple(load_baseline(b, trusted_keys, store, allow_unsigned=allow_unsigned) for b in baseline or [])
        with _probe_errors("the sweep is marked interrupted; finished targets are kept"):
            result = run_reach(store, prober, ReachRun(inv, vp, tcp_ports, iface, vbs))
    finally:
        prober.close()
    _finish(result, store, out_dir, fmts, sev, quiet, f"oobaudit reach from {vp.name} (zone {vp.zone})")


def discover(
    inventory: Annotated[Path, typer.Option("--inventory", "-i", help="Inventory YAML file.")],
    ranges: Annotated[str | None, typer.Option(
        "--ranges", help="CIDRs to sweep, comma separated (default: the inventory's management_networks).")] = None,
    tcp: Annotated[bool, typer.Option("--tcp", help="Also SYN-probe 443/tcp and 623/tcp.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Allow more than 65,536 addresses.")] = False,
    rate: Annotated[float, typer.Option("--rate", min=1, max=20000, help="Packets per second, hard cap.")] = 200.0,
    retries: Annotated[int, typer.Option("--retries", min=0, max=10, help="Re-sends of an unanswered probe.")] = 1,
    wait: Annotated[float, typer.Option("--wait", min=0.05, max=30, help="Seconds to wait for each answer.")] = 1.0,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Deadline of the whole run (s).")] = 3600.0,
    iface: Annotated[str | None, typer.Option("--iface", help="Send and listen on this interface only.")] = None,
    vantage: Annotated[str | None, typer.Option("--vantage", help="Vantage point name, recorded.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Report directory (default reports/<sweep id>).")]
    = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 when a FAIL at or above this severity exists.")] = "low",
    formats: Annotated[str, typer.Option("--format", help="Report formats, comma separated.")] = "html,md,json",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only a one-line JSON summary.")] = False,
) -> None:
    """ASF presence ping sweep of the management ranges: report BMCs the inventory does not list.

    OOB-NET-003 FAILs every address answering like a BMC (ASF pong; with --tcp also an open
    443/623) that is not an inventory BMC.  More than 65,536 addresses need --force.  Needs
    root or CAP_NET_RAW (exit 5 otherwise)."""
    from .cli import _bad_input, _open_store, _severity
    from .collectors.reach import ProbeOptions
    from .collectors.reach_wire import DISCOVERY_MAX_ADDRESSES, count_addresses

    sev = _severity(fail_on)
    fmts = _formats(formats)
    inv = _load(inventory)
    if vantage is not None and inv.vantage(vantage) is None:
        raise _bad_input(f"vantage point {vantage!r} is not in {inventory}")
    nets: list = []
    if ranges:
        for part in (p.strip() for p in ranges.split(",") if p.strip()):
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise _bad_input(f"--ranges: {exc}") from None
    else:
        nets = list(inv.management_networks)
    if not nets:
        raise _bad_input(f"nothing to sweep: give --ranges or declare management_networks in {inventory}")
    v6 = [str(n) for n in nets if n.version != 4]
    if v6:
        raise _bad_input(f"IPv6 ranges are not swept yet (IPv4 ASF pings only): {', '.join(v6)}")
    total = count_addresses(nets)
    if total > DISCOVERY_MAX_ADDRESSES and not force:
        raise _bad_input(f"the ranges hold {total:,} addresses, more than a /16 ({DISCOVERY_MAX_ADDRESSES:,}); "
                         "narrow them or pass --force")
    opts = ProbeOptions(rate=rate, retries=retries, wait=wait, host_timeout=max(60.0, wait * (retries + 2) * 4),
                        total_timeout=timeout, iface=iface)
    prober = _open_prober(opts)
    try:
        from .collectors.reach_sweep import DiscoverRun, run_discover

        store = _open_store(db)
        with _probe_errors("the discovery sweep is marked interrupted"):
            result = run_discover(store, prober, DiscoverRun(inv, nets, tcp, iface, vantage))
    finally:
        prober.close()
    _finish(result, store, out_dir, fmts, sev, quiet, "oobaudit discover")


def register(app: typer.Typer) -> None:
    """Add ``oobaudit reach`` and ``oobaudit discover`` to the main app."""
    app.command("reach", help=reach.__doc__, short_help=_ReachHelp)(reach)
    app.command("discover", help=discover.__doc__, short_help=_DiscoverHelp)(discover)


def main() -> None:
    """``python -m oobaudit.reach_cli``: the main app with these commands (until cli.py registers them)."""
    from .cli import app
    from .cli import main as cli_main

    if not any(c.name == "reach" for c in app.registered_commands):
        register(app)
    cli_main()


if __name__ == "__main__":
    main()
