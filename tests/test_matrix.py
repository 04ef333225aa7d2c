"""The defect matrix as part of the test command: every bundled case can fail, every defect
is caught by a case of its own rule, and nothing fails on the compliant reference bank.

The full matrix takes a while (about 80 bank runs); it runs once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness import matrix
from harness.catalogue import catalogue
from harness.paths import suites_dir
from harness.reference.defects import all_defects


@pytest.fixture(scope="module")
def full() -> matrix.Matrix:
    return matrix.build([str(suites_dir())], workers=0)


def test_the_bundled_matrix_has_no_gap(full: matrix.Matrix) -> None:
    assert full.gaps() == []


def test_every_defect_ran_and_every_rule_with_a_defect_has_cases(full: matrix.Matrix) -> None:
    assert set(full.runs) == {d.name for d in all_defects()}
    assert full.complete
    covered = {rid for reqs in full.cases.values() for rid in reqs}
    assert {d.rule for d in all_defects()} <= covered
    assert set(catalogue()) == covered  # every rule of the contract has at least one case


def test_every_case_passes_on_the_compliant_bank(full: matrix.Matrix) -> None:
    assert set(full.compliant.verdicts) == set(full.cases)
    assert set(full.compliant.verdicts.values()) == {"passed"}


BAD_SUITE = """family: stepup
title: a case that is wrong about the bank
cases:
  - id: STP-7-wrong-about-the-bank
    title: expects 418 where the bank rightly answers 201
    requirements: [STP-7]
    severity: critical
    steps:
      - request: createSandboxPsu
        expect: {status: 418}
"""


def test_the_command_names_each_gap_and_exits_1(tmp_path: Path) -> None:
    suite = tmp_path / "bad.yaml"
    suite.write_text(BAD_SUITE, encoding="utf-8")
    from harness.cli import main

    result = CliRunner().invoke(main, ["matrix", str(suite), "--defect", "stp-session-never-idles", "-n", "1"])
    assert result.exit_code == 1, result.output
    assert "STP-7-wrong-about-the-bank is failed on the compliant bank" in result.output
    assert "defect stp-session-never-idles (STP-7) is caught by no failing case of its rule" in result.output


def test_an_unknown_defect_is_a_usage_error() -> None:
    from harness.cli import main

    result = CliRunner().invoke(main, ["matrix", "--defect", "no-such-defect"])
    assert result.exit_code == 2
    assert "unknown defect" in result.output
