"""Setup versus check: a precondition that does not hold makes a case broken, never failed.

Creating a PSU, logging in, consenting are what a case needs to reach its rule. When one of
them does not work the case could not test its rule: that is *broken* (exit 3), with the
step and what came back. Only a check of the case's own requirements makes it *failed*
(exit 1). A case with no check is refused at load (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable

from tests.engine.conftest import RunOutcome, line_of

ROLES = """\
family: stepup
title: Preconditions and checks
cases:
  - id: precondition-answers-500
    title: a setup request that answers 500 breaks the case
    requirements: [STP-1]
    severity: major
    steps:
      - title: marker-setup-500
        role: setup
        method: GET
        url: /status/500
        expect: {status: 200}
      - {method: GET, url: /echo, expect: {status: 200}}
  - id: precondition-in-a-flow-fails
    title: a login that fails inside a flow (setup by default) breaks the case
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: wrong_login
        with: {who: "${psu}"}
      - {method: GET, url: /echo, expect: {status: 200}}
"""

FLOWS = """\
flows:
  wrong_login:
    args: {who: psu}
    exports: []
    steps:
      - title: marker-wrong-login
        method: POST
        url: /login
        json: {username: "${args.who.email}", password: not-the-password}
        expect: {status: 200}
"""

CHECKS = """\
family: stepup
title: Checks
cases:
  - id: check-fails
    title: a check of the case's requirement that does not hold is a finding
    requirements: [STP-1]
    severity: major
    steps:
      - role: setup
        method: GET
        url: /echo
        expect: {status: 200}
      - title: marker-check
        method: GET
        url: /status/500
        expect: {status: 401}
  - id: check-flow-fails
    title: the same failing login, called as the check, is a finding
    requirements: [STP-10]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: wrong_login
        role: check
        with: {who: "${psu}"}
"""


def test_a_failing_precondition_is_broken_with_the_step_named(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(ROLES + FLOWS)
    assert outcome.verdicts() == {"precondition-answers-500": "broken", "precondition-in-a-flow-fails": "broken"}
    assert outcome.code == 3
    text = outcome["precondition-answers-500"].text
    line = line_of(outcome.suite_file, "marker-setup-500")
    assert "precondition not met: marker-setup-500 at " in text and f"suite.yaml:{line}:" in text, text
    assert "500" in text
    flow_text = outcome["precondition-in-a-flow-fails"].text
    assert "precondition not met: marker-wrong-login" in flow_text and "401" in flow_text, flow_text
    assert "rule STP-1" not in flow_text  # it never reached its rule


def test_a_failing_check_is_failed(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(CHECKS + FLOWS)
    assert outcome.verdicts() == {"check-fails": "failed", "check-flow-fails": "failed"}
    assert outcome.code == 1
    assert "rule STP-1" in outcome["check-fails"].text and "expected 401, got 500" in outcome["check-fails"].text


def test_a_case_with_no_check_is_refused_at_load(run_suite: Callable[..., RunOutcome]) -> None:
    suite = """\
family: stepup
title: A case that only prepares
cases:
  - id: nothing-checked
    title: every step is a precondition
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - role: setup
        method: GET
        url: /echo
        expect: {status: 200}
"""
    from click.testing import CliRunner

    from harness.cli import main

    outcome = run_suite(suite)
    assert outcome.code == 2 and not outcome.cases
    path = outcome.suite_file
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "case 'nothing-checked' has no check" in result.output and f"{path.name}:9:" in result.output, result.output
