"""A throw-away PostgreSQL server for tests: initdb in a temp dir, loopback port, trust auth.

Started once per session by the ``postgres_url`` fixture (tests/conftest.py); skipped with
a reason where the Debian ``postgresql`` package or psycopg is missing or it cannot start.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .helpers import free_port


class PgUnavailable(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or ([shutil.which(name)] if shutil.which(name)
                                                                        else [])
    if not found:
        raise PgUnavailable(f"{name} not found (Debian package postgresql)")
    return found[-1]


def _as_pg(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the 'postgres' system user when we are root.
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            raise PgUnavailable("running as root without runuser")
        return [runuser, "-u", "postgres", "--", *cmd]
    return cmd


class PgServer:
    def __init__(self) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise PgUnavailable("psycopg is not installed") from exc
        # Not under pytest's 0700 root-owned tmp: the 'postgres' user must be able to reach it.
        base = Path(tempfile.mkdtemp(prefix="oobaudit-pg-"))
        self.base = base
        self.dir = base / "pgdata"
        self.sock = base / "pgsock"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = base / "pg.log"

    def start(self) -> str:
        self.sock.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.sock, "postgres")
        p = subprocess.run(_as_pg([_bin("initdb"), "-D", str(self.dir), "-A", "trust", "-U", "oobaudit",
                                   "--no-sync", "-E", "UTF8"]), capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise PgUnavailable(f"initdb failed: {p.stderr.strip()[-300:]}")
        self.proc = subprocess.Popen(
            _as_pg([_bin("postgres"), "-D", str(self.dir), "-k", str(self.sock), "-h", "127.0.0.1", "-p",
                    str(self.port), "-c", "fsync=off", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))  # noqa: SIM115 - lives as long as the server
        import psycopg

        end = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"host=127.0.0.1 port={self.port} user=oobaudit dbname=postgres",
                                     autocommit=True) as c:
                    c.execute("CREATE DATABASE oobaudit")
                break
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise PgUnavailable(f"postgres did not start: {self.log.read_text()[-300:]}") from None
                time.sleep(0.2)
        return f"postgresql+psycopg://oobaudit@127.0.0.1:{self.port}/oobaudit"

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=oobaudit dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://oobaudit@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)
