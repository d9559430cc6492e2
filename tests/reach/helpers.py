"""Running the reach / discover commands as a user would, and reading what they stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def oobaudit_cmd() -> list[str]:
    """``python -m oobaudit`` once cli.py registers the reach commands, else the reach_cli entry point.

    (Read from cli.py's source: ``invoke`` below registers them in this process only.)"""
    import oobaudit.cli

    if "reach_cli" in Path(oobaudit.cli.__file__).read_text():
        return [sys.executable, "-m", "oobaudit"]
    return [sys.executable, "-m", "oobaudit.reach_cli"]


FAST = ["--rate", "2000", "--retries", "1", "--wait", "0.4", "--format", "json", "-q"]


def invoke(*args: str):
    """Run the CLI in-process (for refusals that never reach the network)."""
    from typer.testing import CliRunner

    from oobaudit.cli import app
    from oobaudit.reach_cli import register

    if not any(c.name == "reach" for c in app.registered_commands):
        register(app)
    return CliRunner().invoke(app, list(args))


def report(out_dir: Path) -> dict:
    return json.loads((out_dir / "report.json").read_text())


def findings(rep: dict, check_id: str, status: str | None = None) -> list[dict]:
    return [f for f in rep["findings"] if f["check_id"] == check_id and (status is None or f["status"] == status)]
