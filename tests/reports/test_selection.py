"""`verify` checks that every case the session selected has a result: a case whose result
was removed everywhere (summary, JUnit, Allure) and SHA256SUMS recomputed is still caught."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness import integrity
from harness.audit import verify_run_dir
from harness.cli import run_pytest
from harness.paths import suites_dir


def test_a_selected_case_without_a_result_is_altered(tmp_path: Path, capsys: object) -> None:
    assert (
        run_pytest([str(suites_dir() / "dedicated" / "tokens.yaml")], target_name="reference", report_dir=str(tmp_path))
        == 0
    )
    run_dir = next(tmp_path.iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    gone = manifest["selected_cases"][0]
    # remove the case's result from every raw and derived file, then recompute the sums
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["cases"] = [c for c in summary["cases"] if c["id"] != gone]
    summary["counts"]["passed"] -= 1
    for row in summary["requirements"]:
        row["cases"] = [c for c in row["cases"] if c["id"] != gone]
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest["counts"] = summary["counts"]
    (run_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    tree = ET.parse(run_dir / "junit.xml")
    for suite in tree.getroot().iter("testsuite"):
        for case in list(suite):
            if case.get("name") == gone:
                suite.remove(case)
    tree.write(run_dir / "junit.xml")
    for path in (run_dir / "allure-results").glob("*-result.json"):
        if json.loads(path.read_text())["name"].split(": ")[0] == gone:
            path.unlink()
    integrity.write_sums(run_dir)
    assert verify_run_dir(run_dir) == 1
    assert f"selected case(s) have no result (e.g. {gone}" in capsys.readouterr().out  # type: ignore[attr-defined]
