"""`--help` documents the exit codes; `list` prints the cases; both start without the heavy stack.

The front end imports pytest, httpx, Starlette and allure only inside the commands that
run something, so `--help` and `list` answer at once (checked with `python -X importtime`,
which is deterministic where a stopwatch on a shared CI machine is not).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import assert_clean_usage_error, invoke

HEAVY = (
    "pytest",
    "_pytest",
    "httpx",
    "httpcore",
    "starlette",
    "uvicorn",
    "allure",
    "allure_commons",
    "allure_pytest",
    "freezegun",
    "anyio",
    "harness.engine",
    "harness.reference",
)

EXIT_CODE_WORDS = {0: "passed", 1: "failed", 2: "usage", 3: "broken", 4: "not testable"}


def exit_code_lines(text: str, heading: str) -> dict[int, str]:
    """The `N  meaning` lines of the exit-code block that follows `heading`."""
    assert heading in text, text
    block = text.split(heading, 1)[1]
    out: dict[int, str] = {}
    current = None
    for line in block.splitlines()[1:]:
        match = re.match(r"^\s+(\d)\s{2,}(\S.*)$", line)
        if match:
            current = int(match.group(1))
            out[current] = match.group(2)
        elif line.strip() and current is not None and re.match(r"^\s{6,}\S", line):
            out[current] += " " + line.strip()  # a wrapped continuation
        else:
            if out:
                break
    return out


@pytest.mark.parametrize(
    "args,heading", [(["--help"], "Exit codes of run:"), (["run", "--help"], "Exit codes:")], ids=["main", "run"]
)
def test_help_documents_every_exit_code(args: list[str], heading: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    codes = exit_code_lines(result.output, heading)
    assert sorted(codes) == [0, 1, 2, 3, 4], codes
    for code, word in EXIT_CODE_WORDS.items():
        assert word in codes[code], (code, codes[code])


def test_run_help_examples_name_real_defects() -> None:
    from harness.reference.defects import all_defects

    text = invoke("run", "--help").output
    named = re.findall(r"--defect ([a-z0-9-]+)", text)
    assert named, "run --help shows a --defect example"
    known = {d.name for d in all_defects()}
    assert set(named) <= known, set(named) - known


def test_validate_help_documents_its_exit_codes() -> None:
    text = invoke("validate", "--help").output
    assert "Exit 0" in text and "2 otherwise" in text


def test_list_prints_each_case_with_requirements_and_needs(tiny_suite: Path) -> None:
    result = invoke("list", tiny_suite.name)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip()]
    header, lines = rows[0], {line.split()[0]: line for line in rows[1:]}
    assert header.split() == ["CASE", "FAMILY", "REQUIREMENTS", "NEEDS", "TITLE"]
    assert set(lines) == {"CLI-login", "CLI-idle-above-limit"}
    login, idle = lines["CLI-login"], lines["CLI-idle-above-limit"]
    assert " stepup " in login and " STP-1 " in login and " fresh_psu " in login
    assert "A fresh PSU logs in and lists its accounts" in login
    assert " STP-7 " in idle and " clock,fresh_psu " in idle  # inferred from advance and sandbox steps
    # an aligned table: every column starts where its header does
    for column in ("FAMILY", "REQUIREMENTS", "NEEDS", "TITLE"):
        start = header.index(column)
        assert all(line[start - 2 : start] == "  " and line[start] != " " for line in lines.values()), column


def test_list_by_requirement(tiny_suite: Path) -> None:
    result = invoke("list", "--requirements", tiny_suite.name)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = {line.split()[0]: lines[i + 2].strip() for i, line in enumerate(lines[:-2]) if not line.startswith(" ")}
    cites = {line.split()[0]: lines[i + 1].strip() for i, line in enumerate(lines[:-1]) if not line.startswith(" ")}
    assert row["STP-7"] == "cases: CLI-idle-above-limit"
    assert row["STP-1"] == "cases: CLI-login"
    assert row["STP-2"] == "cases: NO CASE"
    assert cites["STP-7"].startswith("citations: RTS (EU) 2018/389") and "Art. 4(3)(d)" in cites["STP-7"]
    assert cites["SBX-1"] == "citations: none (convention)"


def test_list_of_a_bad_suite_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("family: stepup\ntitle: x\ncases: 3\n", encoding="utf-8")
    output = assert_clean_usage_error(invoke("list", "bad.yaml"))
    assert "bad.yaml:3:" in output


def _imported(args: list[str], cwd: Path) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "harness.cli" in names, "importtime output was parsed"
    return names


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "import harness.cli"],
        ["-m", "harness", "--help"],
        ["-m", "harness", "run", "--help"],
        ["-m", "harness", "list", "tiny.yaml"],
    ],
    ids=["import", "help", "run-help", "list"],
)
def test_help_and_list_do_not_import_the_run_stack(args: list[str], tiny_suite: Path, tmp_path: Path) -> None:
    names = _imported(args, tmp_path)
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY or n.startswith(HEAVY[-2:]))
    assert heavy == []
