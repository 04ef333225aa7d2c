"""What a person sees in the terminal: the harness's verdicts in its own words.

pytest knows passed, failed and skipped; a conformance run knows passed, failed (a finding),
broken (the bank could not be tested), not testable (a capability is missing) and skipped
(deselected). A bank that is down must never read as "27 failed". Through pytest's public
hooks this plugin gives each case its verdict letter and word (`.` `F` `B` `N`), and ends
the run with a table of verdicts, each distinct reason once with its count, the exit code
and what it means, and where summary.html is.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from harness.verdicts import BROKEN, FAILED, NOT_TESTABLE, PASSED, SKIPPED

LETTERS = {
    PASSED: (".", "PASSED"),
    FAILED: ("F", "FAILED"),
    BROKEN: ("B", "BROKEN"),
    NOT_TESTABLE: ("N", "NOT TESTABLE"),
}

EXIT_MEANINGS = {
    0: "every selected case passed",
    1: "at least one case failed: the bank is non-compliant",
    2: "usage or configuration error",
    3: "broken: the bank could not be tested (or a harness fault, or a secret in the run folder); no finding",
    4: "incomplete: a required case was not testable",
}


class VerdictReporter:
    """Registered by the harness plugin when a run folder is given (the `run` command)."""

    def __init__(self, config: pytest.Config, session: Any) -> None:
        self.config = config
        self.session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport, config: pytest.Config) -> Any:
        result = getattr(report, "harness_result", None)
        verdict = result["verdict"] if result is not None else None
        if verdict in LETTERS and report.when in ("call", "setup"):
            letter, word = LETTERS[verdict]
            return verdict, letter, word
        if verdict is None and report.when in ("setup", "teardown") and report.passed:
            return None
        return None

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        results = list(self.session.results.values())
        if not results:
            return
        tr = terminalreporter
        counts = Counter(r.verdict for r in results)
        deselected = len(tr.stats.get("deselected", []))
        tr.section("psd2-harness verdicts", sep="=", bold=True)
        width = max(len(v) for v in (PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED))
        for verdict in (PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED):
            n = counts.get(verdict, 0) + (deselected if verdict == SKIPPED else 0)
            tr.write_line(f"  {verdict:<{width}}  {n:>4}")
        for verdict, title in ((FAILED, "findings"), (BROKEN, "broken"), (NOT_TESTABLE, "not testable")):
            reasons = Counter(r.reason for r in results if r.verdict == verdict)
            if not reasons:
                continue
            tr.write_line(f"{title}:")
            for reason, n in reasons.most_common():
                cases = sorted(r.case_id for r in results if r.verdict == verdict and r.reason == reason)
                shown = cases[0] if n == 1 else f"{n} cases, e.g. {cases[0]}"
                tr.write_line(f"  {'' if n == 1 else f'{n} x '}{reason}  [{shown}]")
        code = self.config.stash.get(EXIT_KEY, exitstatus)
        tr.write_line(f"exit {code}: {EXIT_MEANINGS.get(code, '')}")
        run_dir = self.config.getoption("harness_run_dir")
        if run_dir:
            tr.write_line(f"open first: {run_dir}/summary.html")


EXIT_KEY = pytest.StashKey[int]()
"""The harness exit code, set by the plugin at session finish for the closing lines."""
