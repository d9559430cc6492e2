"""Peers shared by the integration tests, started once per session."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..helpers import free_port, self_signed, wait_port

MOCKUP = Path(__file__).resolve().parents[3] / "shared" / "redfish-mockups" / "public-rackmount1"


@pytest.fixture(scope="session")
def sushy_static_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """DMTF's public-rackmount1 mockup served over HTTPS on loopback by a third-party server
    (sushy-static from sushy-tools); yields its port."""
    exe = shutil.which("sushy-static")
    if exe is None or not MOCKUP.is_dir():
        pytest.skip("sushy-static (PyPI sushy-tools) or ../shared/redfish-mockups missing")
    d = tmp_path_factory.mktemp("sushy")
    cert, key = self_signed(d)
    port = free_port()
    proc = subprocess.Popen([exe, "-m", str(MOCKUP), "-i", "127.0.0.1", "-p", str(port), "-c", str(cert),
                             "-k", str(key)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def sushy_inventory(path: Path, https_port: int, password_env: str, http_port: int | None = None) -> Path:
    """An inventory naming the session's sushy-static server (the DMTF mockup's one system)."""
    ports = f"https: {https_port}" + (f", http: {http_port}" if http_port else "")
    path.write_text(f"""\
version: 1
defaults:
  credentials: {{username: admin, password: env:{password_env}}}
sites:
  - name: dmtf
    racks:
      - name: mockup
        hosts:
          - {{name: rackmount1, address: 127.0.0.1, ports: {{{ports}}}}}
""")
    return path
