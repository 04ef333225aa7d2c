"""The bundled suites as a bank would run them: every case passes on the reference bank,
the same verdicts with the freezegun clock driver and over HTTP against `psd2-harness
serve`, and a target without a sandbox plane gets "not testable" (exit 4), never a pass.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.catalogue import catalogue
from harness.cli import main, run_pytest
from harness.loader import load_suites
from harness.paths import suites_dir
from harness.target import BUILTIN
from tests.reference.test_served import _free_port

ROOT = Path(__file__).resolve().parent.parent


def _verdicts(tmp: Path, target: str, workers: int = 0) -> tuple[int, dict[str, str], dict]:
    code = run_pytest([str(suites_dir())], target_name=target, report_dir=str(tmp), allure=False, workers=workers)
    summary = json.loads(next(tmp.glob("*/summary.json")).read_text())
    return code, {c["id"]: c["verdict"] for c in summary["cases"]}, summary


def _all_case_ids() -> set[str]:
    return {case.id for suite in load_suites([suites_dir()]) for case in suite.cases}


def _reference_variant(tmp: Path, name: str, **changes: str) -> str:
    text = BUILTIN["reference"].read_text(encoding="utf-8").replace("name: reference", f"name: {name}")
    for key, value in changes.items():
        text = re.sub(rf"^{key}:.*$", f"{key}: {value}", text, flags=re.M)
    path = tmp / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def reference_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    code, verdicts, summary = _verdicts(tmp_path_factory.mktemp("reference"), "reference")
    assert code == 0, {c: v for c, v in verdicts.items() if v != "passed"}
    assert summary["requirements_without_cases"] == []
    return verdicts


def test_every_bundled_case_passes_on_the_reference_bank(reference_verdicts: dict[str, str]) -> None:
    assert set(reference_verdicts) == _all_case_ids()
    assert set(reference_verdicts.values()) == {"passed"}


def test_freezegun_clock_gives_the_same_verdicts(tmp_path: Path, reference_verdicts: dict[str, str]) -> None:
    target = _reference_variant(tmp_path, "reference-freezegun", clock="freezegun")
    code, verdicts, _ = _verdicts(tmp_path, target)
    assert (code, verdicts) == (0, reference_verdicts)


@pytest.fixture
def served() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert "reference bank" in proc.stdout.readline()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_over_http_against_serve_gives_the_same_verdicts(
    tmp_path: Path, served: str, reference_verdicts: dict[str, str]
) -> None:
    target = tmp_path / "served.yaml"
    target.write_text(
        "name: reference-served\n"
        f"base_url: {served}\n"
        "families: {escalation: {base_path: /escalation}, workflow: {base_path: /workflow},\n"
        "           stepup: {base_path: /stepup}, dedicated: {base_path: /dedicated}}\n"
        "sandbox: {path: /__sandbox}\nclock: per-psu\notp: sandbox\n",
        encoding="utf-8",
    )
    code, verdicts, _ = _verdicts(tmp_path, str(target))
    assert (code, verdicts) == (0, reference_verdicts)


def test_without_a_sandbox_plane_every_case_is_not_testable_and_exit_4(tmp_path: Path) -> None:
    target = _reference_variant(tmp_path, "reference-no-sandbox", sandbox="none")
    code, verdicts, summary = _verdicts(tmp_path, target)
    assert code == 4
    assert set(verdicts) == _all_case_ids()
    assert set(verdicts.values()) == {"not testable"}  # every bundled case needs a fresh PSU: none passes
    assert all("sandbox" in item["reason"] for item in summary["not_testable"])


def test_list_requirements_shows_every_requirement_with_its_cases() -> None:
    result = CliRunner().invoke(main, ["list", "--requirements"])
    assert result.exit_code == 0, result.output
    assert "NO CASE" not in result.output
    for rid in catalogue():
        assert re.search(rf"^{re.escape(rid)}\s", result.output, flags=re.M), rid


def _served_example(tmp_path: Path, served: str, **changes: str) -> Path:
    """examples/served-reference.yaml (the README's worked target) pointed at this test's port."""
    text = (ROOT / "examples" / "served-reference.yaml").read_text(encoding="utf-8")
    text = text.replace("base_url: http://127.0.0.1:8000", f"base_url: {served}")
    for key, value in changes.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, flags=re.M)
    target = tmp_path / "served-example.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def test_the_readme_served_target_passes_doctor(tmp_path: Path, served: str) -> None:
    from harness.doctor import diagnose
    from harness.loader import load_suites
    from harness.paths import suites_dir
    from harness.target import load_target

    report = diagnose(load_target(_served_example(tmp_path, served)), load_suites([str(suites_dir())]))
    assert report.exit_code == 0, [f"{c.status} {c.family}: {c.what}" for c in report.checks if c.status != "ok"]


def test_a_bank_wide_clock_with_two_workers_gives_no_false_verdict(
    tmp_path: Path, served: str, reference_verdicts: dict[str, str]
) -> None:
    """Every jump of the one clock lands on every case beside it: with a bank-wide clock the
    cases run on one worker, so `-n 2` gives the serial verdicts."""
    target = _served_example(tmp_path, served, clock="bank-wide")
    code, verdicts, _ = _verdicts(tmp_path, str(target), workers=2)
    assert (code, verdicts) == (0, reference_verdicts)
