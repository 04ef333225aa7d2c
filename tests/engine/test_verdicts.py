"""Verdicts other than passed and failed: broken (the target cannot be tested) and not
testable (a capability is missing), each with its reason, never passed; and exit codes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.engine.conftest import RunOutcome, in_process_target

REQUEST_ONLY = """\
family: stepup
title: Requests only
cases:
  - id: plain-request
    title: a request needing nothing of the target
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /echo, query: {q: "1"}, expect: {status: 200, json: {/query/q: "1"}}}
"""

BODIES = """\
family: stepup
title: Answers that are not JSON
cases:
  - id: html-where-json-needed
    title: HTML where the case needs JSON
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /garbage, expect: {status: 200, json: {/ok: true}}}
  - id: broken-json-where-json-needed
    title: an unterminated JSON document
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /bad-json, expect: {present: [/unterminated]}}
  - id: broken-json-for-a-capture
    title: a capture from a body that is not JSON
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /garbage, capture: {value: /ok}}
  - id: html-where-only-status-matters
    title: HTML is fine when only the status is checked
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /garbage, expect: {status: 200, headers_present: [content-type]}}
  - id: html-with-a-wrong-status
    title: a wrong status is a finding even when the body is not JSON
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /garbage, expect: {status: 201, json: {/ok: true}}}
"""

CAPABILITIES = """\
family: stepup
title: Cases needing capabilities
flows:
  wait:
    steps:
      - advance: 1s
cases:
  - id: needs-sandbox
    title: creates a PSU
    requirements: [SBX-1]
    severity: major
    steps:
      - sandbox: new_psu
      - {method: GET, url: /echo, expect: {status: 200}}
  - id: needs-clock
    title: moves the clock
    requirements: [SBX-3]
    severity: major
    steps:
      - {method: GET, url: /echo, expect: {status: 200}}
      - advance: 1d
  - id: needs-clock-through-a-flow
    title: moves the clock inside a flow
    requirements: [SBX-3]
    severity: warning
    steps:
      - flow: wait
      - {method: GET, url: /echo, expect: {status: 200}}
  - id: needs-otp
    title: reads an OTP
    requirements: [STP-4]
    severity: major
    steps:
      - otp: {to: "+4915550000001"}
        role: check
  - id: needs-sandbox-operation
    title: calls a sandbox operation by operationId
    requirements: [SBX-3]
    severity: major
    steps:
      - {request: getBankClock, expect: {status: 200}}
  - id: needs-nothing
    title: a plain request
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /echo, expect: {status: 200}}
"""

OTP = """\
family: stepup
title: OTP sources
cases:
  - id: otp-code-is-used
    title: the code read is the one the OTP source gives
    requirements: [STP-4]
    severity: major
    steps:
      - otp: {to: "+4915550000001", channel: sms}
      - {method: POST, url: /reflect, json: {code: "${otp}"}, expect: {json: {/code: "424242"}}}
"""

CLOCK = """\
family: stepup
title: A clock move the sandbox refuses
cases:
  - id: move-then-use
    title: the token is used after a move below the idle limit
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        capture: {token: /token}
      - advance: 4m59s
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200}}
"""


def _not_testable(outcome: RunOutcome, case_id: str, *phrases: str) -> None:
    case = outcome[case_id]
    assert case.verdict == "not testable", (case_id, case)
    for phrase in phrases:
        assert phrase in case.reason, (case_id, case.reason)
    assert not case.reason.startswith("not testable: "), case.reason


def test_refused_connection_is_broken(run_suite: Callable[..., RunOutcome], closed_port: int) -> None:
    target = {
        "name": "down",
        "family": "stepup",
        "base_url": f"http://127.0.0.1:{closed_port}",
        "timeouts": {"connect": 2, "read": 2},
    }
    outcome = run_suite(REQUEST_ONLY, target)
    case = outcome["plain-request"]
    assert case.verdict == "broken"
    assert case.reason.startswith("target fault: cannot reach the target (ConnectError"), case.reason
    assert f"GET http://127.0.0.1:{closed_port}/echo?q=1" in case.reason
    assert "(step 1: GET /echo)" in case.text
    assert outcome.code == 3
    assert outcome.summary["exit_code"] == 3


def test_answers_that_are_not_json(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(BODIES)
    assert outcome.verdicts() == {
        "html-where-json-needed": "broken",
        "broken-json-where-json-needed": "broken",
        "broken-json-for-a-capture": "broken",
        "html-where-only-status-matters": "passed",
        "html-with-a-wrong-status": "failed",
    }
    for case_id in ("html-where-json-needed", "broken-json-where-json-needed"):
        text = outcome[case_id].text
        assert "the answer is not JSON, so its content cannot be checked" in text, text
        assert "came back: 200" in text
    assert "Service temporarily unavailable" in outcome["html-where-json-needed"].text
    assert '{"unterminated": ' in outcome["broken-json-where-json-needed"].text
    capture = outcome["broken-json-for-a-capture"]
    assert "the answer is not JSON, so 'value' cannot be captured" in capture.text
    assert "sent: GET http://fixture.in-process/garbage" in capture.text and "came back: 200" in capture.text
    wrong = outcome["html-with-a-wrong-status"].text
    assert "- status: expected 201, got 200" in wrong
    assert "- body: expected a JSON document, got a body that is not JSON" in wrong
    assert outcome.code == 1  # a failure outweighs the broken cases


def test_missing_capabilities_are_not_testable(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(CAPABILITIES, in_process_target(sandbox="none", clock="none", otp="none"))
    _not_testable(outcome, "needs-sandbox", "sandbox", "(sandbox: none)")
    _not_testable(outcome, "needs-clock", "clock", "(clock: none)")
    _not_testable(outcome, "needs-clock-through-a-flow", "(clock: none)")
    _not_testable(outcome, "needs-otp", "OTP", "(otp: none)")
    _not_testable(outcome, "needs-sandbox-operation", "(sandbox: none)")
    assert outcome["needs-nothing"].verdict == "passed"
    assert outcome.code == 4
    assert {n["id"] for n in outcome.summary["not_testable"]} == {
        "needs-sandbox",
        "needs-clock",
        "needs-clock-through-a-flow",
        "needs-otp",
        "needs-sandbox-operation",
    }


def test_each_capability_alone(run_suite: Callable[..., RunOutcome]) -> None:
    """With only the clock missing, only the clock cases are not testable; the rest runs."""
    outcome = run_suite(CAPABILITIES, in_process_target(clock="none"), keyword="not otp")
    assert outcome.verdicts() == {
        "needs-sandbox": "passed",
        "needs-clock": "not testable",
        "needs-clock-through-a-flow": "not testable",
        "needs-sandbox-operation": "passed",
        "needs-nothing": "passed",
    }


def test_otp_from_the_sandbox_without_a_sandbox(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(OTP, in_process_target(sandbox="none", otp="sandbox"))
    _not_testable(outcome, "otp-code-is-used", "sandbox inbox", "no sandbox plane")


def test_fixed_otp(run_suite: Callable[..., RunOutcome]) -> None:
    assert run_suite(OTP, in_process_target(otp={"fixed": "424242"})).verdicts() == {"otp-code-is-used": "passed"}
    other = run_suite(OTP, in_process_target(otp={"fixed": "515151"}))
    assert other.verdicts() == {"otp-code-is-used": "failed"}
    assert '- /code: expected "424242", got ' in other["otp-code-is-used"].text


def test_prompt_otp_without_a_terminal(run_suite: Callable[..., RunOutcome], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    outcome = run_suite(OTP, in_process_target(otp="prompt"))
    _not_testable(outcome, "otp-code-is-used", "prompt", "no person is at a terminal")
    assert outcome.code == 4


def test_sandbox_that_creates_no_psu_is_broken(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(CAPABILITIES, in_process_target(sandbox={"path": "/no-sandbox-here"}))
    case = outcome["needs-sandbox"]
    assert case.verdict == "broken"
    assert "the sandbox did not create a PSU (SBX-1): 404" in case.text
    assert outcome["needs-nothing"].verdict == "passed"


def test_exit_code_zero_when_all_pass(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(REQUEST_ONLY)
    assert outcome.verdicts() == {"plain-request": "passed"}
    assert outcome.code == 0
    manifest: dict[str, Any] = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["exit_code"] == 0 and manifest["counts"]["passed"] == 1


@pytest.mark.parametrize("clock, operation", [("per-psu", "advancePsuClock"), ("bank-wide", "advanceBankClock")])
def test_a_clock_move_the_sandbox_refuses_is_broken(
    run_suite: Callable[..., RunOutcome], clock: str, operation: str
) -> None:
    """Time that did not move must not pass a case that relies on it having moved."""
    target = in_process_target(clock=clock, operations={operation: {"path": "/__sandbox/no-clock-here"}})
    outcome = run_suite(CLOCK, target)
    case = outcome["move-then-use"]
    assert case.verdict == "broken", case
    assert "(step 3: advance the clock by 4m59s)" in case.text
    assert "the sandbox did not move the clock (SBX-3)" in case.text
    assert "404" in case.text
    assert "/__sandbox/no-clock-here" in case.text
    assert outcome.code == 3
