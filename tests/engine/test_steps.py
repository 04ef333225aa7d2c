"""Every step kind of the suite language, passing and failing, in one run of one suite.

Failing cases are written to fail against the (compliant) fixture app, and each test
reads the finding the engine wrote: the rule, where in the suite, what was sent, what
came back and the mismatch with its JSON Pointer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.catalogue import catalogue
from harness.yamlsource import display_path
from tests.engine.conftest import RunOutcome, line_of, run_suite_in

SUITE = """\
family: stepup
title: Engine step kinds against the fixture app
parameters:
  times: 3
flows:
  login:
    args: [who]
    steps:
      - method: POST
        url: /login
        json:
          username: ${args.who.email}
          password: ${args.who.password}
        expect: {status: 200}
        capture: {token: /token, subject: {jwt: /idToken, claim: sub}}
  login_with:
    args: [who, password]
    steps:
      - title: marker-flow-login-step
        method: POST
        url: /login
        json:
          username: ${args.who.email}
          password: ${args.password}
        expect: {status: 200}
        capture: {token: /token}
cases:
  # -- request by method + url ---------------------------------------------------------
  - id: request-fields-pass
    title: path, query, json, headers and bearer are sent as written
    requirements: [STP-1]
    severity: major
    steps:
      - method: post
        url: /echo
        query: {a: 1, flag: true, empty: null}
        headers: {X-Channel: web, X-Count: 7}
        bearer: abc-bearer-value
        json: {amount: 12.5, nested: {k: v}, list: [1, 2]}
        expect:
          status: 200
          json:
            /method: POST
            /path: /echo
            /query: {a: "1", flag: "true", empty: ""}
            /headers/x-channel: web
            /headers/x-count: "7"
            /headers/authorization: Bearer abc-bearer-value
            /headers/content-type: application/json
            /json: {amount: 12.5, nested: {k: v}, list: [1, 2]}
            /form: null
      - method: GET
        url: /items/{itemId}
        path: {itemId: item-42}
        expect: {status: 200, json: {/id: item-42}}
  - id: request-form-pass
    title: a form is sent form-encoded, lists space-joined
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /echo
        form: {grant_type: authorization_code, scope: [read, write], remember: false}
        expect:
          status: 200
          json:
            /form: {grant_type: authorization_code, scope: read write, remember: "false"}
            /json: null
            /headers/content-type: application/x-www-form-urlencoded
  - id: request-redirect-not-followed-pass
    title: redirects are not followed unless asked
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /redirect
        query: {code: abc123, state: s-1}
        expect: {status: 302, headers: {location: /landing?code=abc123&state=s-1}}
  - id: request-redirect-followed-pass
    title: follow_redirects follows to the landing page
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /redirect
        query: {code: abc123, state: s-1}
        follow_redirects: true
        expect: {status: 200, json: {/landed: true, /query: {code: abc123, state: s-1}}}
  - id: request-absolute-url-pass
    title: a URL from an earlier answer, relative or absolute, is used as it is
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /redirect
        query: {code: abc123, state: s-2}
        expect: {status: 302}
        capture: {next: {header: Location}}
      - method: GET
        url: ${next}
        expect: {status: 200, json: {/landed: true, /query/state: s-2}}
      - method: POST
        url: /reflect
        json: {next: "http://fixture.in-process/landing?state=s-3"}
        capture: {absolute: /next}
      - method: GET
        url: ${absolute}
        expect: {status: 200, json: {/landed: true, /query/state: s-3}}
  - id: request-fail
    title: a wrong value at a pointer is a finding
    requirements: [STP-4]
    severity: major
    steps:
      - title: marker-request-fail-step
        method: GET
        url: /echo
        query: {a: 1}
        expect: {json: {/query/a: "2"}}
  # -- advance ------------------------------------------------------------------------
  - id: advance-summed-below-limit-pass
    title: idle one second below the limit, the token still works
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: ["${regime.session_idle}", -1s]
      - method: GET
        url: /me
        bearer: ${token}
        expect: {status: 200}
  - id: advance-summed-above-limit-pass
    title: idle one second above the limit, the token is refused
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: ["${regime.session_idle}", 1s]
      - method: GET
        url: /me
        bearer: ${token}
        expect: {status: 401, json: {/code: UNAUTHORIZED}}
  - id: advance-duration-pass
    title: a single duration moves the clock, activity restarts the idle time
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: 4m59s
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200}}
      - advance: 4m59s
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200}}
      - advance: 301
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 401}}
  - id: advance-every-psu-pass
    title: a move advances every PSU the case created
    requirements: [SBX-3]
    severity: major
    steps:
      - sandbox: new_psu
      - sandbox: new_psu
        as: other
      - flow: login
        with: {who: "${psu}"}
      - flow: login
        with: {who: "${other}"}
        as: second
      - advance: 5m1s
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 401}}
      - {method: GET, url: /me, bearer: "${second.token}", expect: {status: 401}}
  - id: advance-fail
    title: after the move the token is expired (the case expects otherwise)
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: [4m, 1m, 1s]
      - title: marker-advance-fail-step
        method: GET
        url: /me
        bearer: ${token}
        expect: {status: 200}
  # -- flow ---------------------------------------------------------------------------
  - id: flow-exports-pass
    title: a flow's captures are visible to the caller
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - method: GET
        url: /me
        bearer: ${token}
        expect: {status: 200, json: {/username: "${psu.email}", /psuId: "${subject}"}}
  - id: flow-as-pass
    title: with `as`, a flow's captures live under that name
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
        as: alice
      - flow: login
        with: {who: "${alice}"}
        as: first
      - method: GET
        url: /me
        bearer: ${first.token}
        expect: {status: 200, json: {/psuId: "${alice.psu_id}", /username: "${alice.email}"}}
  - id: flow-fail
    title: a failure inside a flow points at the flow's step
    requirements: [STP-10]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login_with
        role: check
        with: {who: "${psu}", password: not-the-password}
  # -- sandbox ------------------------------------------------------------------------
  - id: sandbox-pass
    title: a new PSU is created through the sandbox plane and has its own clock
    requirements: [SBX-1]
    severity: major
    steps:
      - sandbox: new_psu
        as: bob
      - request: getPsuClock
        path: {psuId: "${bob.psu_id}"}
        expect:
          status: 200
          schema: sandbox.openapi.yaml#/components/schemas/Clock
      - method: POST
        url: /login
        json: {username: "${bob.email}", password: "${bob.password}"}
        headers: {api-key: "${bob.api_key}"}
        expect: {status: 200, json: {/psuId: "${bob.psu_id}"}}
  - id: sandbox-fail
    title: the sandbox PSU is not the one the case expects
    requirements: [SBX-1]
    severity: major
    steps:
      - sandbox: new_psu
      - request: getPsuClock
        path: {psuId: no-such-psu}
        expect: {status: 200}
  # -- otp ----------------------------------------------------------------------------
  - id: otp-pass
    title: the latest OTP from the sandbox inbox verifies
    requirements: [STP-4]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - {method: POST, url: /otp/send, bearer: "${token}", json: {channel: sms}, expect: {status: 202}}
      - {method: POST, url: /otp/send, bearer: "${token}", json: {channel: email}, expect: {status: 202}}
      - {method: POST, url: /otp/send, bearer: "${token}", json: {channel: sms}, expect: {status: 202}}
      - otp: {to: "${psu.phone}", channel: sms}
      - method: POST
        url: /otp/verify
        bearer: ${token}
        json: {code: "${otp}"}
        expect: {status: 200, json: {/verified: true}}
  - id: otp-as-pass
    title: an OTP by email, read under another name
    requirements: [STP-4]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - {method: POST, url: /otp/send, bearer: "${token}", json: {channel: email}, expect: {status: 202}}
      - otp: {to: "${psu.email}"}
        as: mailed
      - method: POST
        url: /otp/verify
        bearer: ${token}
        json: {code: "${mailed}"}
        expect: {status: 200}
  - id: otp-fail
    title: no OTP was sent, so there is none to read
    requirements: [STP-4]
    severity: major
    steps:
      - sandbox: new_psu
      - title: marker-otp-fail-step
        role: check
        otp: {to: "${psu.phone}", channel: sms}
  # -- repeat -------------------------------------------------------------------------
  - id: repeat-pass
    title: the steps run N times with the index counting from 0
    requirements: [STP-9]
    severity: major
    steps:
      - repeat:
          times: ${params.times}
          index: i
          steps:
            - method: POST
              url: /reflect
              json: {n: "${i}"}
              expect: {json: {/n: "${i}"}}
              capture: {last: /n}
      - method: POST
        url: /reflect
        json: {n: "${last}"}
        expect: {json: {/n: 2}}
  - id: repeat-fail
    title: the second repetition differs from what the case expects
    requirements: [STP-9]
    severity: major
    steps:
      - repeat:
          times: 3
          index: i
          steps:
            - title: marker-repeat-fail-step
              method: POST
              url: /reflect
              json: {n: "${i}"}
              expect: {json: {/n: 0}}
  # -- poll ---------------------------------------------------------------------------
  - id: poll-until-pass
    title: the job is done after a few attempts
    requirements: [STP-2]
    severity: minor
    steps:
      - {method: POST, url: /jobs, json: {after: 2}, expect: {status: 201}, capture: {job: /jobId}}
      - poll:
          attempts: 5
          interval: 1s
          steps:
            - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}, expect: {status: 200}}
          until: {json: {/state: done}}
          halt: {json: {/state: failed}}
      - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}, expect: {json: {/polls: 4}}}
  - id: poll-halt-fail
    title: the job fails, and polling stops at once
    requirements: [STP-2]
    severity: minor
    steps:
      - {method: POST, url: /jobs, json: {after: 1, outcome: failed}, capture: {job: /jobId}}
      - title: marker-poll-halt-step
        poll:
          attempts: 5
          interval: 2s
          steps:
            - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}}
          until: {json: {/state: done}}
          halt: {json: {/state: failed}}
  - id: poll-never-fail
    title: the job is never done within the attempts
    requirements: [STP-2]
    severity: minor
    steps:
      - {method: POST, url: /jobs, json: {after: 10}, capture: {job: /jobId}}
      - title: marker-poll-never-step
        poll:
          attempts: 3
          interval: 3s
          steps:
            - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}}
          until: {json: {/state: done}}
"""

PASSING = [
    "request-fields-pass",
    "request-form-pass",
    "request-redirect-not-followed-pass",
    "request-redirect-followed-pass",
    "request-absolute-url-pass",
    "advance-summed-below-limit-pass",
    "advance-summed-above-limit-pass",
    "advance-duration-pass",
    "advance-every-psu-pass",
    "flow-exports-pass",
    "flow-as-pass",
    "sandbox-pass",
    "otp-pass",
    "otp-as-pass",
    "repeat-pass",
    "poll-until-pass",
]
FAILING = [
    "request-fail",
    "advance-fail",
    "flow-fail",
    "sandbox-fail",
    "otp-fail",
    "repeat-fail",
    "poll-halt-fail",
    "poll-never-fail",
]


@pytest.fixture(scope="module")
def sleeps() -> list[float]:
    return []


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, sleeps: list[float]) -> Iterator[RunOutcome]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("harness.engine._sleep", sleeps.append)  # record, never wait
        yield run_suite_in(tmp_path_factory.mktemp("steps"), SUITE, allure=True)


def _where(outcome: RunOutcome, marker: str) -> str:
    assert outcome.suite_file is not None
    return f"at {display_path(outcome.suite_file)}:{line_of(outcome.suite_file, marker)}:"


def test_every_case_has_its_verdict(outcome: RunOutcome) -> None:
    assert outcome.verdicts() == {**{c: "passed" for c in PASSING}, **{c: "failed" for c in FAILING}}
    assert outcome.code == 1
    assert outcome.summary["counts"]["passed"] == len(PASSING)


def test_a_failed_case_names_its_rule(outcome: RunOutcome) -> None:
    for case_id in FAILING:
        text = outcome[case_id].text
        rid = {
            "request-fail": "STP-4",
            "advance-fail": "STP-7",
            "flow-fail": "STP-10",
            "sandbox-fail": "SBX-1",
            "otp-fail": "STP-4",
            "repeat-fail": "STP-9",
            "poll-halt-fail": "STP-2",
            "poll-never-fail": "STP-2",
        }
        assert f"rule {rid[case_id]}: {catalogue()[rid[case_id]].title}" in text, (case_id, text)
        assert outcome[case_id].reason.startswith(case_id + ":"), outcome[case_id].reason


def test_request_failure_shows_what_was_sent_and_what_came_back(outcome: RunOutcome) -> None:
    text = outcome["request-fail"].text
    assert _where(outcome, "marker-request-fail-step") in text
    assert "(step 1: marker-request-fail-step)" in text
    assert "sent: GET http://fixture.in-process/echo?a=1" in text
    assert "came back: 200" in text
    assert '- /query/a: expected "2", got "1"' in text
    assert '"query": {"a": "1"}' in text  # the body as it came back


def test_advance_failure(outcome: RunOutcome) -> None:
    text = outcome["advance-fail"].text
    assert _where(outcome, "marker-advance-fail-step") in text
    assert "sent: GET http://fixture.in-process/me" in text
    assert "came back: 401" in text
    assert "- status: expected 200, got 401" in text
    assert '"code": "UNAUTHORIZED"' in text


def test_flow_failure_points_into_the_flow(outcome: RunOutcome) -> None:
    text = outcome["flow-fail"].text
    assert _where(outcome, "marker-flow-login-step") in text
    assert "sent: POST http://fixture.in-process/login" in text
    assert "- status: expected 200, got 401" in text
    assert "BAD_CREDENTIALS" in text


def test_sandbox_operation_by_operation_id(outcome: RunOutcome) -> None:
    text = outcome["sandbox-fail"].text
    assert "sent: GET http://fixture.in-process/__sandbox/psus/no-such-psu/clock" in text
    assert "came back: 404" in text
    assert "- status: expected 200, got 404" in text


def test_otp_with_an_empty_inbox_is_a_finding(outcome: RunOutcome) -> None:
    text = outcome["otp-fail"].text
    assert "the bank sent no OTP where the flow needs one" in text
    assert _where(outcome, "marker-otp-fail-step") in text
    assert "sent: GET http://fixture.in-process/__sandbox/messages?to=%2B4915550" in text
    assert "- inbox of +4915550" in text and "expected an OTP by sms, got no message" in text


def test_repeat_failure_names_the_iteration_value(outcome: RunOutcome) -> None:
    text = outcome["repeat-fail"].text
    assert _where(outcome, "marker-repeat-fail-step") in text
    assert "- /n: expected 0, got 1" in text  # the second repetition (index 1) is the first to fail
    assert 'body: {"n": 1}' in text


def test_poll_halt(outcome: RunOutcome) -> None:
    text = outcome["poll-halt-fail"].text
    assert "polling reached its halt condition" in text
    assert _where(outcome, "marker-poll-halt-step") in text
    assert "halt at attempt 2" in text
    assert '"state": "failed"' in text


def test_poll_never_met_shows_its_history(outcome: RunOutcome) -> None:
    text = outcome["poll-never-fail"].text
    assert _where(outcome, "marker-poll-never-step") in text
    assert "- until: expected the until condition within 3 attempts, got never met" in text
    history = text.split("never met (last: ", 1)[1].split("\n")[0]
    assert history.count('"state": "pending"') == 3, history
    for polls in (1, 2, 3):
        assert f'"polls": {polls}' in history


def test_poll_sleeps_only_between_attempts(outcome: RunOutcome, sleeps: list[float]) -> None:
    # until met on attempt 3 (interval 1s): 2 sleeps; halt on attempt 2 (2s): 1 sleep;
    # never met in 3 attempts (3s): 2 sleeps, none after the last attempt; nothing else sleeps
    assert sorted(sleeps) == [1, 1, 2, 3, 3]


def test_evidence_was_written(outcome: RunOutcome) -> None:
    results = list((outcome.run_dir / "allure-results").glob("*-result.json"))
    assert len(results) == len(PASSING) + len(FAILING)
    attachments = list((outcome.run_dir / "allure-results").glob("*-attachment*"))
    assert attachments, "every exchange is recorded as an attachment"
