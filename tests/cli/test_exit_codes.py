"""Each exit code of `psd2-harness run`, produced for real and asserted (README, issue 2).

0 every case passed; 1 a case failed (a finding); 2 usage or configuration error;
3 broken (the target cannot be reached) and nothing failed; 4 a required case not testable.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import run_pytest
from tests.cli.conftest import (
    TINY_CASES,
    assert_clean_usage_error,
    harness_subprocess,
    invoke,
    line_of,
    load_json,
    only_run_dir,
    run_dirs,
    verdicts,
)


def test_exit_0_every_case_passes_on_the_reference(tiny_suite: Path, tmp_path: Path) -> None:
    code = run_pytest([str(tiny_suite)], target_name="reference", report_dir=str(tmp_path / "reports"))
    assert code == 0
    run_dir = only_run_dir(tmp_path / "reports")
    assert verdicts(run_dir) == {case: "passed" for case in TINY_CASES}
    assert load_json(run_dir / "summary.json")["exit_code"] == 0


def test_exit_1_when_a_defect_of_the_reference_is_caught(tiny_suite: Path, tmp_path: Path) -> None:
    result = invoke("run", "--report-dir", "reports", "--defect", "stp-session-never-idles", str(tiny_suite))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    run_dir = only_run_dir(tmp_path / "reports")
    # the defect breaks STP-7 only: exactly the idle case fails, the login case still passes
    assert verdicts(run_dir) == {"CLI-idle-above-limit": "failed", "CLI-login": "passed"}
    # the finding names the rule, the case's file:line and the mismatch
    output = result.output
    assert "rule STP-7" in output
    step_line = line_of(tiny_suite.read_text(), "request: listManagedAccounts", occurrence=2)
    assert f"tiny.yaml:{step_line}:" in output
    assert "status: expected 401, got 200" in output
    assert load_json(run_dir / "manifest.json")["exit_code"] == 1


def test_exit_1_when_the_reference_violates_an_expectation(tiny_suite: Path, tmp_path: Path) -> None:
    """A compliant bank, a suite that expects what the bank does not do: still a failure, exit 1."""
    suite = tmp_path / "wrong.yaml"
    suite.write_text(
        tiny_suite.read_text().replace(
            "expect: {status: 200}\n  - id: CLI-idle", "expect: {status: 403}\n  - id: CLI-idle"
        )
    )
    assert suite.read_text() != tiny_suite.read_text()
    code = run_pytest([str(suite)], target_name="reference", report_dir=str(tmp_path / "reports"))
    assert code == 1
    assert verdicts(only_run_dir(tmp_path / "reports")) == {"CLI-login": "failed", "CLI-idle-above-limit": "passed"}


@pytest.mark.parametrize(
    "args",
    [
        ["--defect", "no-such-defect"],
        ["-k", "no_case_has_this_name"],
        ["--regime", "eu-1999"],
        ["--target", "does-not-exist.yaml"],
    ],
    ids=["unknown-defect", "nothing-selected", "unknown-regime", "missing-target"],
)
def test_exit_2_on_usage_errors(args: list[str], tiny_suite: Path, tmp_path: Path) -> None:
    result = invoke("run", "--report-dir", "reports", *args, str(tiny_suite))
    output = assert_clean_usage_error(result)
    assert output.strip(), "a usage error says what is wrong"
    # no run was reported as passed: either no run folder, or one that says nothing ran
    for run_dir in run_dirs(tmp_path / "reports") if (tmp_path / "reports").exists() else []:
        assert not (run_dir / "summary.json").exists() or load_json(run_dir / "summary.json")["counts"]["passed"] == 0


def test_exit_2_for_an_unknown_option_is_clicks_usage_error() -> None:
    result = invoke("run", "--no-such-option")
    assert_clean_usage_error(result)


def test_exit_3_when_the_target_is_unreachable(tiny_suite: Path, closed_port_target: Path, tmp_path: Path) -> None:
    code = run_pytest([str(tiny_suite)], target_name=str(closed_port_target), report_dir=str(tmp_path / "reports"))
    assert code == 3
    run_dir = only_run_dir(tmp_path / "reports")
    assert run_dir.name.endswith("-closed")
    assert verdicts(run_dir) == {case: "broken" for case in TINY_CASES}
    summary = load_json(run_dir / "summary.json")
    assert all("cannot reach the target" in c["reason"] for c in summary["cases"]), summary["cases"]


def test_exit_4_when_the_target_has_no_sandbox(tiny_suite: Path, no_sandbox_target: Path, tmp_path: Path) -> None:
    code = run_pytest([str(tiny_suite)], target_name=str(no_sandbox_target), report_dir=str(tmp_path / "reports"))
    assert code == 4
    run_dir = only_run_dir(tmp_path / "reports")
    assert verdicts(run_dir) == {case: "not testable" for case in TINY_CASES}
    summary = load_json(run_dir / "summary.json")
    assert {n["id"] for n in summary["not_testable"]} == set(TINY_CASES)
    assert all("sandbox" in n["reason"] for n in summary["not_testable"])
    assert "## Not testable" in (run_dir / "summary.md").read_text()


def test_exit_codes_end_to_end_in_a_fresh_process(tiny_suite: Path, closed_port_target: Path, tmp_path: Path) -> None:
    """The console entry point itself: sys.exit carries the code out of the process."""
    broken = harness_subprocess(
        "run", "--target", closed_port_target.name, "--report-dir", "out", tiny_suite.name, cwd=tmp_path
    )
    assert broken.returncode == 3, broken.stdout + broken.stderr
    usage = harness_subprocess("run", "--target", "missing.yaml", tiny_suite.name, cwd=tmp_path)
    assert usage.returncode == 2
    assert "missing.yaml" in usage.stderr and "Traceback" not in usage.stdout + usage.stderr
