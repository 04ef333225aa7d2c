"""The code stays lint- and type-clean: `ruff check` and `mypy` run as part of the tests.

`ruff format --check` keeps one layout. All read their settings from pyproject.toml
([tool.ruff], [tool.mypy]) and come with the `dev` extra (`pip install -e .[dev]`).
Without it the tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(module: str) -> list[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e .[dev])")
    return [sys.executable, "-m", module]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_ruff_check_is_clean() -> None:
    proc = _run(_tool("ruff") + ["check", "--output-format", "concise", "harness", "tests", "bench"])
    assert proc.returncode == 0, f"ruff check found problems:\n{proc.stdout}{proc.stderr}"


def test_ruff_format_is_clean() -> None:
    proc = _run(_tool("ruff") + ["format", "--check", "harness", "tests", "bench"])
    assert proc.returncode == 0, f"ruff format would change files (run ruff format):\n{proc.stdout}{proc.stderr}"


def test_mypy_is_clean() -> None:
    proc = _run(_tool("mypy"))  # files and settings: [tool.mypy] in pyproject.toml (the harness package)
    assert proc.returncode == 0, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
