"""Verdicts and the exit code they add up to (documented in the README and `run --help`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def classify(exc: BaseException | None) -> tuple[str, str]:
    """The verdict and its one-line reason for how a case ended: `None` (every step ran and
    every expectation held) is passed. The one place exceptions become verdicts: the pytest
    plugin and the defect matrix both ask here."""
    from harness.errors import NonCompliance, NotTestable, PreconditionNotMet, TargetFault

    if exc is None:
        return PASSED, ""
    if isinstance(exc, NonCompliance):
        return FAILED, finding_reason(str(exc))
    if isinstance(exc, NotTestable):
        return NOT_TESTABLE, str(exc)
    if isinstance(exc, PreconditionNotMet):  # its first line names the step and what came back
        return BROKEN, str(exc).strip().splitlines()[0]
    kind = "target fault" if isinstance(exc, TargetFault) else "harness fault"
    lines = str(exc).strip().splitlines()
    last = lines[-1].strip() if lines else exc.__class__.__name__
    return BROKEN, f"{kind}: " + (last if isinstance(exc, TargetFault) else f"{exc.__class__.__name__}: {last}")


def finding_reason(finding: str) -> str:
    """One line of a finding: where in the suite, and the first thing the bank did otherwise."""
    lines = finding.splitlines() or [""]
    where = next((ln.strip().split(" (step")[0] for ln in lines if ln.strip().startswith("at ")), "")
    first = next((ln.strip()[2:] for ln in lines if ln.strip().startswith("- ")), "")
    if not first:
        return lines[0]
    case_id = lines[0].split(": ", 1)[0]
    return f"{case_id}: " + "; ".join(part for part in (where, first) if part)


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
