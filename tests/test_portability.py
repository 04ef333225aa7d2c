"""The second dialect: the bundled suites check the rules, not the reference bank's choices.

`reference-alt` serves the same rules with every choice the contract leaves open made
otherwise (harness/reference/alt.py), described by its target file alone. Every bundled
case must give the same verdict on both dialects, the defect matrix must hold on alt too,
and `doctor` must pass on it and name exactly the mapping a broken copy lacks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import matrix
from harness.doctor import diagnose
from harness.loader import load_suites
from harness.paths import suites_dir
from harness.target import BUILTIN, load_target

SUITES = [str(suites_dir())]


def test_every_bundled_case_gives_the_same_verdict_on_both_dialects() -> None:
    reference = matrix._run(matrix.COMPLIANT, SUITES, None, "reference")
    alt = matrix._run(matrix.COMPLIANT, SUITES, None, "reference-alt")
    differ = {
        case: (verdict, alt.verdicts.get(case), alt.reasons.get(case))
        for case, verdict in reference.verdicts.items()
        if alt.verdicts.get(case) != verdict
    }
    assert not differ, differ
    assert set(alt.verdicts.values()) == {"passed"}


@pytest.fixture(scope="module")
def alt_matrix() -> matrix.Matrix:
    return matrix.build(SUITES, workers=0, target="reference-alt")


def test_the_defect_matrix_holds_on_the_second_dialect(alt_matrix: matrix.Matrix) -> None:
    assert alt_matrix.complete
    assert alt_matrix.gaps() == []


def test_doctor_passes_on_the_second_dialect() -> None:
    report = diagnose(load_target("reference-alt"), load_suites(SUITES))
    bad = [c for c in report.checks if c.status not in ("ok",)]
    assert report.exit_code == 0, [f"{c.status} {c.family}: {c.what}" for c in bad]
    families = {c.family for c in report.checks if c.what.startswith("flow ") and c.status == "ok"}
    assert families == {"escalation", "workflow", "stepup", "dedicated"}, report.checks


def test_doctor_names_exactly_the_mapping_a_copy_lacks(tmp_path: Path) -> None:
    text = BUILTIN["reference-alt"].read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if re.fullmatch(r"\s+api_key: /\S+", line))
    pointer = line.split(": ", 1)[1]
    copy = tmp_path / "alt-copy.yaml"
    copy.write_text(text.replace(line + "\n", ""), encoding="utf-8")
    for schema in BUILTIN["reference-alt"].parent.glob("reference-alt*.yaml"):
        if schema != BUILTIN["reference-alt"]:
            (tmp_path / schema.name).write_text(schema.read_text(encoding="utf-8"), encoding="utf-8")
    report = diagnose(load_target(copy, allow_app=True), load_suites(SUITES))
    bad = [c for c in report.checks if c.status not in ("ok", "skipped")]
    assert report.exit_code == 2
    assert len(bad) == 1, [f"{c.status} {c.family}: {c.what}" for c in bad]
    assert bad[0].family == "stepup" and bad[0].what.startswith("fact api_key does not resolve at /apiKey")
    assert f"api_key: {pointer}" in bad[0].fix, bad[0].fix
