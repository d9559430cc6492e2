"""``python -m mock_bmc``: serve a fleet of mock BMCs until SIGINT/SIGTERM.

Examples::

    python -m mock_bmc --profile hardened --count 3
    python -m mock_bmc --profile hardened:8 --profile factory-default:2 --profile fault-hang:1 \\
        --base-port 20000 --emit-inventory /tmp/lab.yaml
    MOCKPW=s3cret python -m mock_bmc --profile hgx-h100 --auditor-password-env MOCKPW
    curl -k -u auditor:$MOCKPW https://127.0.0.1:20000/redfish/v1/Systems

stdout gets one line per BMC (``<name> <https url>``), in fleet order, once every
listener is bound; everything else goes to stderr.  The auditor password is never
printed: pass it in with ``--auditor-password-env`` or read it from the
``--emit-inventory`` secret file.

Exit codes: 0 stopped cleanly, 1 runtime failure (e.g. a port in use), 2 bad usage
(unknown profile, invalid profile file, non-loopback address without
``--allow-non-loopback``, missing password variable).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys

from .fleet import Fleet, FleetSpec, GroupSpec
from .net import NonLoopbackBindError
from .profiles import ProfileError, list_profiles, load_profile

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE = 0, 1, 2
_COUNT_SUFFIX = re.compile(r"^(?P<ref>.+):(?P<count>\d+)$")
log = logging.getLogger("mock_bmc")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mock_bmc",
        description="Serve a fleet of mock BMCs (Redfish over HTTPS) on loopback.",
    )
    p.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="NAME[:COUNT]",
        help="built-in profile (repeatable for mixed fleets); COUNT defaults to --count",
    )
    p.add_argument(
        "--profile-file",
        action="append",
        default=[],
        metavar="PATH[:COUNT]",
        help="profile YAML file (repeatable); COUNT defaults to --count",
    )
    p.add_argument("--count", type=int, default=1, metavar="N", help="BMCs per profile without COUNT (default 1)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument(
        "--base-port",
        type=int,
        default=20000,
        metavar="P",
        help="BMC i uses P+4i (https), P+4i+1 (http), P+4i+2 (ipmi), P+4i+3 (ssh); 0 = ephemeral (default 20000)",
    )
    p.add_argument("--latency-ms", type=int, default=0, metavar="MS", help="extra latency on every HTTP response")
    p.add_argument("--jitter-ms", type=int, default=0, metavar="MS",
                   help="plus a uniform random delay in [0, MS) per response")
    p.add_argument(
        "--emit-inventory", metavar="FILE", help="write the oobaudit inventory to FILE and the password to FILE.secret"
    )
    p.add_argument("--site", default="mock", help="inventory site name (default mock)")
    p.add_argument("--rack", default="rack-1", help="inventory rack name (default rack-1)")
    p.add_argument("--seed", default="oobaudit-mock", help="identity seed: same seed, same UUIDs/serials/EC keys")
    p.add_argument("--auditor-user", default="auditor", help="auditor account name (default auditor)")
    p.add_argument(
        "--auditor-password-env",
        metavar="NAME",
        help="read the auditor password from environment variable NAME (default: random secret)",
    )
    p.add_argument(
        "--key-scope",
        choices=("auto", "bmc", "fleet"),
        help="override every profile's certificate.key_scope (fleet = one shared TLS key)",
    )
    p.add_argument("--allow-non-loopback", action="store_true", help="allow binding a non-loopback address (dangerous)")
    p.add_argument("--list-profiles", action="store_true", help="list built-in profiles and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO level to stderr")
    return p


def _groups(args: argparse.Namespace) -> list[GroupSpec]:
    refs: list[str] = []
    refs += args.profile
    refs += args.profile_file
    groups = []
    for ref in refs:
        match = _COUNT_SUFFIX.match(ref)
        name, count = (match["ref"], int(match["count"])) if match else (ref, args.count)
        groups.append(GroupSpec(load_profile(name), count=count, site=args.site, rack=args.rack))
    return groups


async def _serve(spec: FleetSpec, inventory: str | None) -> int:
    fleet = Fleet(spec)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await fleet.start()
    try:
        if inventory:
            secret = fleet.write_inventory(inventory)
            print(f"mock_bmc: inventory {os.path.abspath(inventory)} (password in {secret})", file=sys.stderr)
        for bmc in fleet.bmcs:
            print(f"{bmc.name} {bmc.https_url}")
        sys.stdout.flush()
        if not inventory and not spec.auditor_password:
            print(
                "mock_bmc: the auditor password is a random secret that is not shown; "
                "use --auditor-password-env or --emit-inventory to know it",
                file=sys.stderr,
            )
        print(f"mock_bmc: serving {len(fleet.bmcs)} BMCs; stop with Ctrl-C or SIGTERM", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await fleet.stop()
    print("mock_bmc: stopped", file=sys.stderr, flush=True)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    if args.list_profiles:
        for name in list_profiles():
            print(f"{name}\t{load_profile(name).description}")
        return EXIT_OK
    if not args.profile and not args.profile_file:
        print("mock_bmc: give at least one --profile or --profile-file", file=sys.stderr)
        return EXIT_USAGE
    password = None
    if args.auditor_password_env:
        password = os.environ.get(args.auditor_password_env)
        if not password:
            print(f"mock_bmc: environment variable {args.auditor_password_env} is unset or empty", file=sys.stderr)
            return EXIT_USAGE
    try:
        spec = FleetSpec(
            groups=_groups(args),
            host=args.host,
            base_port=args.base_port,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            seed=args.seed,
            auditor_user=args.auditor_user,
            auditor_password=password,
            allow_non_loopback=args.allow_non_loopback,
            key_scope=args.key_scope,
        )
    except (ProfileError, ValueError) as exc:
        print(f"mock_bmc: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return asyncio.run(_serve(spec, args.emit_inventory))
    except NonLoopbackBindError as exc:
        print(f"mock_bmc: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError) as exc:
        print(f"mock_bmc: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
