"""Runs for the report tests: a small stepup suite against the built-in reference bank.

One run per session (copied before a test changes anything), with a defect that makes one
case fail, so the results hold a passed and a failed case with their evidence.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.paths import suites_dir

DEFECT = "stp-session-never-idles"  # STP-7: the token never expires for inactivity


@dataclass
class Run:
    code: int
    run_dir: Path
    suite: Path
    output: str

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "summary.json").read_text(encoding="utf-8"))

    def results(self) -> list[dict]:
        return [
            json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((self.run_dir / "allure-results").glob("*-result.json"))
        ]


def only_run_dir(report_dir: Path) -> Path:
    dirs = [p for p in report_dir.iterdir() if p.is_dir()]
    assert len(dirs) == 1, dirs
    return dirs[0]


def run_suite(
    tmp: Path, capfd: pytest.CaptureFixture[str] | None = None, *, target: str = "reference", **kwargs
) -> Run:
    from harness.cli import run_pytest

    suite = tmp / "session.yaml"
    if not suite.exists():
        shutil.copyfile(suites_dir() / "stepup" / "session.yaml", suite)
    report_dir = tmp / "reports"
    code = run_pytest([str(suite)], target_name=target, report_dir=str(report_dir), **kwargs)
    output = ""
    if capfd is not None:
        out, err = capfd.readouterr()
        output = out + err
    return Run(code=code, run_dir=only_run_dir(report_dir), suite=suite, output=output)


@pytest.fixture(scope="session")
def defect_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Run once, with report.html when Node.js is there: do not modify, copy (`copy_run`)."""
    tmp = tmp_path_factory.mktemp("defect-run")
    return run_suite(tmp, defects=(DEFECT,), html=shutil.which("node") is not None)


@pytest.fixture
def copy_run(defect_run: Run, tmp_path: Path) -> Path:
    """A private copy of the session's run folder, free to alter."""
    dest = tmp_path / defect_run.run_dir.name
    shutil.copytree(defect_run.run_dir, dest)
    return dest
