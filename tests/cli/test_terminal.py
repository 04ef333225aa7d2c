"""What a person reads in the terminal and gets as an exit code: the harness's own words,
never pytest's FAILED or SKIPPED for a broken or not-testable case."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import run_pytest
from tests.cli.conftest import assert_clean_usage_error, invoke


def test_a_bank_that_is_down_reads_broken_never_failed(
    tiny_suite: Path, closed_port_target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # past run's preflight (which stops at once): every case meets the closed port
    code = run_pytest([str(tiny_suite)], target_name=str(closed_port_target), report_dir="r", allure=False)
    out = capsys.readouterr().out
    assert code == 3
    assert "broken" in out and "exit 3: broken" in out and "summary.html" in out
    assert "FAILED" not in out and " failed," not in out and "F" not in out.splitlines()[0]
    assert "2 x target fault: cannot reach the target" in out  # identical reasons folded into one line


def test_a_not_testable_run_says_so_with_the_reason_and_never_skipped(
    tiny_suite: Path, no_sandbox_target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_pytest([str(tiny_suite)], target_name=str(no_sandbox_target), report_dir="r", allure=False)
    out = capsys.readouterr().out
    assert code == 4
    assert "not testable:" in out and "no sandbox plane" in out and "exit 4: incomplete" in out
    assert "SKIPPED" not in out


def test_a_bad_k_expression_is_a_usage_error_with_no_run_folder(tiny_suite: Path, tmp_path: Path) -> None:
    result = invoke("run", "--report-dir", "r", "-k", "and or", tiny_suite.name)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_an_unknown_requirement_is_named_and_leaves_no_folder(tiny_suite: Path, tmp_path: Path) -> None:
    output = assert_clean_usage_error(invoke("run", "--report-dir", "r", "--requirement", "NOPE-1", tiny_suite.name))
    assert "--requirement NOPE-1: no such requirement" in output
    assert not (tmp_path / "r").exists()


def test_a_selection_that_matches_nothing_leaves_no_folder(tiny_suite: Path, tmp_path: Path) -> None:
    result = invoke("run", "--report-dir", "r", "--requirement", "DED-5", tiny_suite.name)
    assert result.exit_code == 2 and "no case matched the selection" in result.output, result.output
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
