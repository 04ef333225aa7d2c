"""`run` is a sealed pytest session: nothing from outside the harness changes what runs or
how it is judged (a conftest.py beside the suites, PYTEST_ADDOPTS, auto-loaded plugins),
and the manifest records the exact pytest arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import run_pytest
from harness.paths import suites_dir


def test_outside_settings_do_not_reach_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    source = suites_dir() / "dedicated" / "consent.yaml"
    (suites / "consent.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (suites / "conftest.py").write_text(
        "import pytest\n\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    report = yield\n    report.outcome = 'passed'\n    return report\n"
        "raise RuntimeError('a conftest.py beside the suites was loaded')\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PYTEST_ADDOPTS", "--deselect nothing -k nothing-matches-this")
    code = run_pytest(
        [str(suites)],
        target_name="reference",
        report_dir=str(tmp_path / "r"),
        allure=False,
        defects=("ded-authorize-ignores-secret",),
    )
    run_dir = next((tmp_path / "r").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert code == 1 and summary["counts"]["failed"] >= 1  # the defect is found: nothing turned it green
    assert summary["counts"]["passed"] + summary["counts"]["failed"] == len(summary["cases"]) > 1
    assert "--noconftest" in manifest["pytest_args"] and str(suites) in manifest["pytest_args"]
    assert not any("nothing-matches-this" in a for a in manifest["pytest_args"])
