"""Captures (JSON Pointer, header, location_query, url_query, JWT claim, status) and values
(${psu.x}, captured, ${regime.x}, ${params.x}, ${env:NAME}), found and not found.

Each captured value is sent back to `/reflect` and compared with what it must be, so a
capture that took the wrong thing fails the case.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.conftest import RunOutcome, in_process_target, run_suite_in

ENV_NAME = "ENGINE_FIXTURE_CHANNEL"
ENV_VALUE = "web-portal-7"

SUITE = """\
family: stepup
title: Engine captures and values against the fixture app
parameters:
  channel: {name: branch, floor: 3}
cases:
  # -- captures ---------------------------------------------------------------------------
  - id: capture-pointer-pass
    title: a JSON Pointer capture is used as a bearer token
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        capture: {token: /token, who: /psuId}
      - method: GET
        url: /me
        bearer: ${token}
        expect: {status: 200, json: {/psuId: "${who}"}}
  - id: capture-header-and-location-pass
    title: a header, a query parameter of the Location, and the status
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /redirect
        query: {code: abc123, state: s-9}
        capture:
          where: {header: location}
          code: {location_query: code}
          state: {location_query: state}
          first_status: {status: true}
      - method: POST
        url: /reflect
        json: {where: "${where}", state: "${state}", status: "${first_status}", code: "${code}"}
        expect:
          json: {/where: /landing?code=abc123&state=s-9, /state: s-9, /status: 302, /code: abc123}
  - id: capture-jwt-and-url-pass
    title: a JWT claim and a query parameter of a URL in the body
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        capture:
          subject: {jwt: /idToken, claim: sub}
          scope: {jwt: /idToken, claim: scope}
          claims: {jwt: /idToken}
      - method: POST
        url: /reflect
        json:
          subject: ${subject}
          scope: ${scope}
          lifetime: ${claims.exp}
          callback: https://tpp.example/cb?requestId=r-778899&x=1
        expect: {json: {/subject: "${psu.psu_id}", /scope: accounts}, present: [/lifetime]}
        capture: {rq: {url_query: {json: /callback, param: requestId}}}
      - {method: POST, url: /reflect, json: {rq: "${rq}"}, expect: {json: {/rq: r-778899}}}
  - id: capture-pointer-fail
    title: a pointer that finds nothing
    requirements: [STP-1]
    severity: major
    steps:
      - {method: POST, url: /reflect, json: {a: 1}, capture: {found: /a, nothing: /b/c}}
  - id: capture-header-fail
    title: a header that is not there
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /headers, capture: {nothing: {header: X-Absent}}}
  - id: capture-location-fail
    title: no Location header to take a query parameter from
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /headers, capture: {nothing: {location_query: code}}}
  - id: capture-location-param-fail
    title: a Location without the parameter
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /redirect, query: {state: s}, capture: {nothing: {location_query: code}}}
  - id: capture-jwt-claim-fail
    title: a JWT without the claim
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        capture: {nothing: {jwt: /idToken, claim: nonce}}
  - id: capture-jwt-not-a-jwt-fail
    title: a value that is not a JWT
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        capture: {nothing: {jwt: /notAJwt, claim: sub}}
  - id: capture-url-query-fail
    title: a URL in the body without the parameter
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {callback: "https://tpp.example/cb?x=1"}
        capture: {nothing: {url_query: {json: /callback, param: requestId}}}
  # -- values -----------------------------------------------------------------------------
  - id: values-pass
    title: PSU, regime, parameter and environment values keep their types
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - method: POST
        url: /echo
        headers: {X-Channel: "${env:ENGINE_FIXTURE_CHANNEL}"}
        json:
          user: ${psu.email}
          tag: ${psu.enrolled_channel}
          idle: ${regime.session_idle}
          attempts: ${regime.max_failed_attempts}
          channel: ${params.channel}
          floor: ${params.channel.floor}
          env: ${env:ENGINE_FIXTURE_CHANNEL}
        expect:
          json:
            /headers/x-channel: web-portal-7
            /json/user: ${psu.email}
            /json/tag: fixture
            /json/idle: 300
            /json/attempts: 5
            /json/channel: {name: branch, floor: 3}
            /json/floor: 3
            /json/env: ${env:ENGINE_FIXTURE_CHANNEL}
      - method: POST
        url: /reflect
        json: {renewal: "${regime.sca_renewal}"}
        expect: {json: {/renewal: 15552000}}
  - id: values-env-fail
    title: an environment value that differs from what the bank echoes
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {env: "${env:ENGINE_FIXTURE_CHANNEL}"}
        expect: {json: {/env: web-portal-8}}
  - id: values-psu-fail
    title: a PSU value that differs from what the bank answers
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
      - sandbox: new_psu
        as: other
      - method: POST
        url: /login
        json: {username: "${psu.email}", password: "${psu.password}"}
        expect: {json: {/psuId: "${other.psu_id}"}}
"""

PASSING = ["capture-pointer-pass", "capture-header-and-location-pass", "capture-jwt-and-url-pass", "values-pass"]
CAPTURE_FAILS = {
    "capture-pointer-fail": "- /b/c: expected a value (captured as 'nothing'), got nothing (absent)",
    "capture-header-fail": "- header X-Absent: expected a value (captured as 'nothing'), got nothing (absent)",
    "capture-location-fail": "- location_query code: expected a value (captured as 'nothing'), got nothing (absent)",
    "capture-location-param-fail": (
        "- location_query code: expected a value (captured as 'nothing'), got nothing (absent)"
    ),
    "capture-jwt-claim-fail": "- jwt /idToken, claim nonce: expected a value (captured as 'nothing'), got nothing",
    "capture-jwt-not-a-jwt-fail": "- jwt /notAJwt, claim sub: expected a value (captured as 'nothing'), got nothing",
    "capture-url-query-fail": (
        "- url_query json /callback, param requestId: expected a value (captured as 'nothing'), got nothing (absent)"
    ),
}


@pytest.fixture(scope="module")
def env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_NAME, ENV_VALUE)
        yield


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, env: None) -> RunOutcome:
    return run_suite_in(tmp_path_factory.mktemp("captures"), SUITE)


def test_every_case_has_its_verdict(outcome: RunOutcome) -> None:
    expected = {
        **{c: "passed" for c in PASSING},
        **{c: "failed" for c in CAPTURE_FAILS},
        "values-env-fail": "failed",
        "values-psu-fail": "failed",
    }
    assert outcome.verdicts() == expected
    assert outcome.code == 1


@pytest.mark.parametrize("case_id", sorted(CAPTURE_FAILS))
def test_a_capture_that_finds_nothing_is_a_finding(outcome: RunOutcome, case_id: str) -> None:
    text = outcome[case_id].text
    assert text.startswith(f"{case_id}: the bank did not do what the rule says"), text
    assert CAPTURE_FAILS[case_id] in text, text
    assert "sent: " in text and "came back: " in text


def test_env_value_in_a_finding(outcome: RunOutcome) -> None:
    text = outcome["values-env-fail"].text
    assert '- /env: expected "web-portal-8", got "web-portal-7"' in text
    assert "sent: POST http://fixture.in-process/reflect" in text


def test_psu_value_in_a_finding(outcome: RunOutcome) -> None:
    text = outcome["values-psu-fail"].text
    line = next(line for line in text.splitlines() if line.startswith("  - /psuId: expected "))
    expected, got = line.split(": expected ", 1)[1].split(", got ")
    assert expected != got and expected.startswith('"psu-') and got.startswith('"psu-'), line


def test_regime_values_follow_the_target_regime(tmp_path_factory: pytest.TempPathFactory, env: None) -> None:
    """Under eu-2019 the SCA renewal is 90 days: the same suite's 180-day check fails."""
    outcome = run_suite_in(
        tmp_path_factory.mktemp("regime"), SUITE, in_process_target(regime="eu-2019"), keyword="values-pass"
    )
    assert outcome.verdicts() == {"values-pass": "failed"}
    assert "- /renewal: expected 15552000, got 7776000" in outcome["values-pass"].text
