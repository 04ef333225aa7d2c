"""One runner: a case in, its `CaseResult` out. The pytest plugin and the defect matrix both
run cases here, so a case means the same verdict whichever of them runs it.

`open_context` is the one place a session's `RunContext` (client, clock driver, redactor,
regime) is built; `run_case` runs one case in it; `conclude` turns how a case ended (an
exception or none) into its result, with its finding redacted before anything keeps it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable

from harness.clocks import make_clock
from harness.engine import CaseRun, RunContext
from harness.errors import NonCompliance, TargetFault
from harness.model import Case, Suite
from harness.redaction import Redactor
from harness.regime import load_regime
from harness.target import Target
from harness.verdicts import BROKEN, FAILED, FINDING_LIMIT, CaseResult, classify

_perf = time.perf_counter  # kept before any clock freeze: durations stay real


def open_context(
    target: Target, *, defects: Iterable[str] = (), evidence: bool = False, redactor: Redactor | None = None
) -> RunContext:
    """A session's context: one client for the target (started with `defects` when the target
    is an in-process app factory), its clock driver and its regime."""
    return RunContext(
        target=target,
        client=target.build_client(list(defects)),
        clock=make_clock(target.clock),
        redactor=redactor if redactor is not None else Redactor(target.secrets),
        regime=load_regime(target.regime),
        evidence=evidence,
    )


def run_case(ctx: RunContext, suite: Suite, case: Case) -> CaseResult:
    """Run one case; every way it can end (but an interrupt) is a verdict, never an exception."""
    started = _perf()
    run = CaseRun(ctx, suite, case)
    ended: Exception | None = None
    try:
        run.run()
    except Exception as exc:  # classified: a harness bug is a broken verdict, with its traceback
        ended = exc
    return conclude(suite, case, ended, ctx.redactor, requests=run.requests, duration=_perf() - started)


def conclude(
    suite: Suite,
    case: Case,
    exc: BaseException | None,
    redactor: Redactor,
    *,
    requests: int = 0,
    duration: float = 0.0,
) -> CaseResult:
    """The result of a case that ended with `exc` (None: every step ran and every expectation
    held). Also for a case that never ran (a deadline passed, a fixture failed)."""
    verdict, reason = classify(exc)
    finding = ""
    if verdict in (FAILED, BROKEN) and exc is not None:
        finding = _finding(exc, redactor)
    return CaseResult(
        case_id=case.id,
        verdict=verdict,
        requirements=case.requirements,
        severity=case.severity,
        reason=redactor.text(reason)[:500],
        suite=str(suite.path),
        duration=duration,
        title=case.title,
        family=suite.family,
        requests=requests,
        finding=finding,
        exception=exc,
    )


def _finding(exc: BaseException, redactor: Redactor) -> str:
    """The whole finding for the summaries: the text the engine raised, or a harness fault's
    traceback; redacted, then cut (a cut before redaction could leave a secret's head)."""
    if isinstance(exc, (NonCompliance, TargetFault)):
        text = str(exc)
    else:
        text = "harness fault:\n" + "".join(traceback.format_exception(exc, limit=-5))
    text = redactor.text(text.strip("\n"))
    if len(text) > FINDING_LIMIT:
        text = (
            text[:FINDING_LIMIT] + f"\n... (cut at {FINDING_LIMIT} of {len(text)} characters; "
            "the whole text is in the Allure evidence)"
        )
    return text
