"""Verdicts and the exit code they add up to (documented in the README and `run --help`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """How a case ended. A string enum: it is written as its value in every output."""

    PASSED = "passed"
    FAILED = "failed"
    BROKEN = "broken"
    NOT_TESTABLE = "not testable"
    SKIPPED = "skipped"


PASSED, FAILED, BROKEN, NOT_TESTABLE, SKIPPED = (
    Verdict.PASSED,
    Verdict.FAILED,
    Verdict.BROKEN,
    Verdict.NOT_TESTABLE,
    Verdict.SKIPPED,
)
VERDICTS = tuple(Verdict)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BROKEN, EXIT_INCOMPLETE = 0, 1, 2, 3, 4
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
    """One case's result: what the summaries, JUnit, the terminal and the matrix read.

    Built once, where the case ends (`harness.runner.conclude`), and carried as this value:
    on a pytest report as `to_dict()` (pytest-xdist ships a report's attributes from a
    worker as plain data) and read back with `from_dict`, never parsed from text."""

    case_id: str
    verdict: Verdict
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
    exception: BaseException | None = field(default=None, compare=False, repr=False)
    """How the case ended, for pytest and allure to file (failed or broken); not carried on."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "exception"} | {
            "verdict": str(self.verdict),
            "requirements": list(self.requirements),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CaseResult:
        known = {f.name for f in fields(cls)} - {"exception"}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**values | {"verdict": Verdict(data["verdict"]), "requirements": tuple(data["requirements"])})


def classify(exc: BaseException | None) -> tuple[Verdict, str]:
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
