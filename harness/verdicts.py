"""Verdicts and the exit code they add up to (documented in the README and `run --help`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED = "passed", "failed", "broken", "not testable", "skipped"
VERDICTS = (PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BROKEN, EXIT_INCOMPLETE = 0, 1, 2, 3, 4
NOT_TESTABLE_PREFIX = "not testable: "
FINDING_LIMIT = 4096
"""Characters of a finding kept for the summaries (the rest is in the Allure evidence)."""

EXIT_CODES_HELP = """\b
Exit codes:
  0  every selected case passed
  1  at least one case failed: the bank is non-compliant
  2  usage or configuration error (bad suite, bad target file, nothing selected)
  3  broken: the target was unreachable or answered garbage, or the harness
     failed, and no case failed; also when the redaction canary finds a
     secret in the run folder (whatever the verdicts)
  4  incomplete: a required case was not testable (capability missing)"""


@dataclass
class CaseResult:
    case_id: str
    verdict: str
    requirements: tuple[str, ...] = ()
    severity: str = "major"
    reason: str = ""
    suite: str = ""
    duration: float = 0.0
    title: str = ""
    family: str = ""
    requests: int = 0
    finding: str = ""
    """A failed or broken case's whole finding (rule, where, sent, came back, every mismatch),
    redacted and cut at `FINDING_LIMIT`; empty otherwise."""
    extra: dict = field(default_factory=dict)


def exit_code(results: Iterable[CaseResult]) -> int:
    results = list(results)
    verdicts = {r.verdict for r in results}
    if FAILED in verdicts:
        return EXIT_FAILED
    if BROKEN in verdicts:
        return EXIT_BROKEN
    if any(r.verdict == NOT_TESTABLE and r.severity != "warning" for r in results):
        return EXIT_INCOMPLETE
    if not any(r.verdict == PASSED for r in results) and not any(r.verdict == NOT_TESTABLE for r in results):
        return EXIT_USAGE
    return EXIT_OK
