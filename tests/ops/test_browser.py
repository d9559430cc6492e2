"""The HTML reports in a real browser: headless Chromium renders them, and the counts the
page shows (summary cards with data-count) match the JSON report of the same data.

Needs Debian's ``chromium`` (skips with a reason otherwise).  No network: the reports are
self-contained and Chromium's background networking is off.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from oobaudit.report.drift import compute_drift, write_drift_reports

from .conftest import run_handover

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian: apt-get install "
                                "chromium)")


def browser(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def dump_dom(path: Path, profile: Path) -> str:
    p = browser(path.resolve().as_uri(), profile, "--dump-dom")
    assert p.returncode == 0 and "<html" in p.stdout, p.stderr[-2000:]
    return p.stdout


class Counts(HTMLParser):
    """Every element with data-count -> the text the page shows inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, str] = {}
        self._open: list[str | None] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._open.append(a.get("data-count"))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        key = self._open[-1] if self._open else None
        if key is not None and data.strip():
            self.counts[key] = self.counts.get(key, "") + data.strip()


def shown(dom: str) -> dict[str, int]:
    parser = Counts()
    parser.feed(dom)
    return {k: int(v) for k, v in parser.counts.items()}


def test_sweep_report_counts_match_json(waived_sweep, tmp_path):
    data = json.loads(waived_sweep.reports["json"].read_text())
    counts = shown(dump_dom(waived_sweep.reports["html"], tmp_path / "profile"))
    assert counts == {"targets": data["summary"]["targets"], **data["summary"]["findings_by_status"]}
    assert counts["MUTED"] == 1 and counts["FAIL"] >= 1 and counts["PASS"] > 0


def test_drift_and_handover_reports_counts_match_json(drift_env, rack_env, ops_app, tmp_path):
    rep = compute_drift(drift_env.store, drift_env.old.sweep_id, drift_env.new.sweep_id)
    files = write_drift_reports(rep, tmp_path / "drift")
    counts = shown(dump_dom(files["html"], tmp_path / "profile"))
    summary = json.loads(files["json"].read_text())["summary"]
    assert counts == {k: summary[k] for k in counts} and len(counts) == 8
    assert counts["identity"] == 4 and counts["targets_removed"] == 1
    handover = tmp_path / "handover"
    rack_env.rest()
    res = run_handover(ops_app, rack_env.stale, handover)
    assert res.exit_code == 1, res.output  # the stale rack
    data = json.loads((handover / "handover.json").read_text())
    counts = shown(dump_dom(handover / "handover.html", tmp_path / "profile"))
    assert counts == {k: data["summary"][k] for k in ("hosts", "passed", "failed", "rack_reasons")}


def test_report_renders_to_a_screenshot(waived_sweep, tmp_path):
    png = tmp_path / "report.png"
    p = browser(waived_sweep.reports["html"].resolve().as_uri(), tmp_path / "profile",
                f"--screenshot={png}", "--window-size=1280,2000", "--hide-scrollbars")
    assert p.returncode == 0, p.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
