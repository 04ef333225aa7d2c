"""One runner: `harness.runner.run_case` gives the verdict the plugin reports, as a value.

The plugin and the matrix both call it; here it runs directly against the reference bank,
and its result survives the trip a pytest-xdist report makes (plain data and back)."""

from __future__ import annotations

from pathlib import Path

from harness.loader import build_suite
from harness.runner import open_context, run_case
from harness.target import load_target
from harness.verdicts import BROKEN, FAILED, NOT_TESTABLE, PASSED, CaseResult, Verdict
from harness.yamlsource import parse_document

SUITE = """\
family: stepup
title: the runner's verdicts
cases:
  - id: runner-pass
    title: a new PSU can list its accounts
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login
        with: {psu: "${psu}"}
      - request: listManagedAccounts
        headers: {api-key: "${psu.api_key}"}
        bearer: ${token}
        expect: {status: 200}
  - id: runner-fail
    title: a request without a token is let in (it is not)
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - request: listManagedAccounts
        headers: {api-key: "${psu.api_key}"}
        expect: {status: 200}
  - id: runner-not-testable
    title: needs an OTP source
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - otp: {to: "${psu.phone}"}
      - request: listManagedAccounts
        expect: {status: 401}
"""


def _suite():  # type: ignore[no-untyped-def]
    return build_suite(parse_document(SUITE, Path("runner.yaml")))


def test_run_case_gives_each_verdict_as_a_value() -> None:
    suite = _suite()
    ctx = open_context(load_target("reference"))
    try:
        results = {case.id: run_case(ctx, suite, case) for case in suite.cases[:2]}
    finally:
        ctx.client.close()
    passed, failed = results["runner-pass"], results["runner-fail"]
    assert passed.verdict is PASSED and passed.exception is None and passed.requests >= 3 and not passed.finding
    assert failed.verdict is FAILED and failed.reason.startswith("runner-fail: at runner.yaml:")
    assert "rule STP-1" in failed.finding and "came back: 401" in failed.finding
    assert failed.family == "stepup" and failed.requirements == ("STP-1",)


def test_a_missing_capability_is_not_testable_and_a_harness_bug_is_broken() -> None:
    suite = _suite()
    target = load_target("reference")
    target.otp = None  # type: ignore[assignment]
    ctx = open_context(target)
    try:
        assert run_case(ctx, suite, suite.cases[2]).verdict is NOT_TESTABLE
        ctx.clock = None  # type: ignore[assignment]  # a bug of the harness's own
        broken = run_case(ctx, suite, suite.cases[0])
    finally:
        ctx.client.close()
    assert broken.verdict is BROKEN and broken.reason.startswith("harness fault: AttributeError")
    assert broken.finding.startswith("harness fault:\n") and "Traceback" in broken.finding


def test_a_result_survives_the_trip_of_a_report() -> None:
    result = CaseResult("c", FAILED, requirements=("STP-1", "STP-2"), finding="f", requests=3, duration=0.5)
    back = CaseResult.from_dict(result.to_dict())
    assert back == result and isinstance(back.verdict, Verdict) and back.requirements == ("STP-1", "STP-2")
    assert result.to_dict()["verdict"] == "failed" and "exception" not in result.to_dict()
