"""A pytest plugin for the canary test: writes a registered secret into the run folder raw,
bypassing the redactor, as a careless custom hook might. Active only with PSD2_REPORT_TEST_LEAK."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_runtest_teardown(item: pytest.Item) -> None:
    run_dir = item.config.getoption("harness_run_dir", None)
    if run_dir and os.environ.get("PSD2_REPORT_TEST_LEAK"):
        dump = Path(run_dir) / "allure-results" / "raw-dump.txt"
        dump.write_text(f"{item.name}: api key {os.environ['PSD2_REPORT_TEST_SECRET']}\n", encoding="utf-8")
