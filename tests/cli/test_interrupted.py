"""Ctrl-C in the middle of a run: the run is marked interrupted everywhere, the case cut short
is never passed, and report.html is not built as if the run were complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SUITE = """\
family: stepup
title: A slow case
cases:
  - id: quick
    title: answers at once
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /echo, expect: {status: 200}}
  - id: slow
    title: polls for a while
    requirements: [STP-1]
    severity: major
    steps:
      - poll:
          attempts: 20
          interval: 1s
          steps: [{method: GET, url: /echo}]
          until: {status: 201}
"""


def test_an_interrupted_run_is_marked_and_never_reads_passed(tmp_path: Path) -> None:
    (tmp_path / "slow.yaml").write_text(SUITE, encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        "name: fixture\nfamily: stepup\napp: tests.engine.fixture_app:create_app\n"
        "factory: true\nsandbox: none\nclock: none\notp: none\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "--allow-app", "--target", "t.yaml", "--report-dir", "r", "slow.yaml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    time.sleep(3.0)  # the quick case is done, the slow one is polling
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 3, out
    run_dir = next((tmp_path / "r").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert manifest["interrupted"] is True and summary["interrupted"] is True and manifest["exit_code"] == 3
    assert {c["id"]: c["verdict"] for c in summary["cases"]} == {"quick": "passed"}
    assert "Interrupted" in (run_dir / "summary.html").read_text()
    assert "Interrupted" in (run_dir / "summary.md").read_text()
    statuses = {
        json.loads(p.read_text())["name"].split(": ")[0]: json.loads(p.read_text())["status"]
        for p in (run_dir / "allure-results").glob("*-result.json")
    }
    assert statuses.get("quick") == "passed" and statuses.get("slow", "broken") == "broken", statuses
    from harness.audit import write_allure_html

    assert write_allure_html(run_dir) == 2
