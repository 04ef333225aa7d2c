"""The same suite gives the same verdicts and findings whatever carries the requests and
moves the time: in process or over a real socket (uvicorn on 127.0.0.1), with the
sandbox's per-PSU clocks, its bank-wide clock, or freezegun (in process only).

The time cases pass only when the bank's time really moved by what the suite says (a
token idle 1 s below the limit still works, 1 s above it is refused), so equal verdicts
mean each clock driver moved the bank's time the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import RunOutcome, in_process_target, run_suite_in, write_target

SUITE = """\
family: stepup
title: One suite, every transport and clock
flows:
  login:
    args: [who]
    steps:
      - method: POST
        url: /login
        json: {username: "${args.who.email}", password: "${args.who.password}"}
        expect: {status: 200}
        capture: {token: /token}
cases:
  - id: idle-below-limit
    title: idle one second below the limit
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: ["${regime.session_idle}", -1s]
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200}}
  - id: idle-above-limit
    title: idle one second above the limit
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: ["${regime.session_idle}", 1s]
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 401}}
  - id: idle-after-180-days
    title: a long move
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: ${regime.sca_renewal}
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 401}}
  - id: two-psus
    title: a move advances both PSUs of the case
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
      - advance: 3m
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200}}
      - advance: 5m1s
      - {method: GET, url: /me, bearer: "${second.token}", expect: {status: 401}}
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 401}}
  - id: idle-expected-alive
    title: fails everywhere the same way
    requirements: [STP-7]
    severity: critical
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - advance: 5m1s
      - {method: GET, url: /me, bearer: "${token}", expect: {status: 200, json: {/username: "${psu.email}"}}}
  - id: otp-and-repeat
    title: OTPs from the inbox, in a loop
    requirements: [STP-4]
    severity: major
    steps:
      - sandbox: new_psu
      - flow: login
        with: {who: "${psu}"}
      - repeat:
          times: 2
          index: i
          steps:
            - {method: POST, url: /otp/send, bearer: "${token}", json: {channel: sms}, expect: {status: 202}}
            - otp: {to: "${psu.phone}", channel: sms}
            - {method: POST, url: /otp/verify, bearer: "${token}", json: {code: "${otp}"}, expect: {status: 200}}
  - id: poll-done
    title: polling until done
    requirements: [STP-2]
    severity: minor
    steps:
      - {method: POST, url: /jobs, json: {after: 2}, capture: {job: /jobId}}
      - poll:
          attempts: 4
          interval: 0
          steps:
            - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}}
          until: {json: {/state: done}}
  - id: poll-never
    title: polling in vain
    requirements: [STP-2]
    severity: minor
    steps:
      - {method: POST, url: /jobs, json: {after: 9}, capture: {job: /jobId}}
      - poll:
          attempts: 2
          interval: 0
          steps:
            - {method: GET, url: "/jobs/{id}", path: {id: "${job}"}}
          until: {json: {/state: done}}
"""

EXPECTED = {
    "idle-below-limit": "passed",
    "idle-above-limit": "passed",
    "idle-after-180-days": "passed",
    "two-psus": "passed",
    "idle-expected-alive": "failed",
    "otp-and-repeat": "passed",
    "poll-done": "passed",
    "poll-never": "failed",
}


def _findings(outcome: RunOutcome) -> dict[str, list[str]]:
    """The mismatch lines of each failed case, the parts that do not depend on the transport."""
    out = {}
    for case_id, case in outcome.cases.items():
        if case.verdict == "failed":
            lines = [line.strip() for line in case.text.splitlines() if line.startswith("  - ")]
            out[case_id] = [line.split(" (last: ")[0] for line in lines]
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("equivalence")


@pytest.fixture(scope="module")
def in_process(workdir: Path) -> RunOutcome:
    return run_suite_in(workdir, SUITE, in_process_target())


def _socket_target(base_url: str, **overrides: Any) -> dict[str, Any]:
    target = {
        "name": "fixture-live",
        "family": "stepup",
        "base_url": base_url,
        "sandbox": {"path": "/__sandbox"},
        "clock": "per-psu",
        "otp": "sandbox",
    }
    target.update(overrides)
    return target


def test_in_process_per_psu_clock(in_process: RunOutcome) -> None:
    assert in_process.verdicts() == EXPECTED
    assert in_process.summary["target"]["clock"] == "per-psu"
    findings = _findings(in_process)
    assert findings.keys() == {"idle-expected-alive", "poll-never"}
    status, username = findings["idle-expected-alive"]
    assert status == "- status: expected 200, got 401"
    assert username.startswith('- /username: expected "user') and username.endswith(", got nothing (absent)")
    assert findings["poll-never"] == ["- until: expected the until condition within 2 attempts, got never met"]


@pytest.mark.parametrize("clock", ["freezegun", "bank-wide"])
def test_in_process_other_clocks(workdir: Path, in_process: RunOutcome, clock: str) -> None:
    outcome = run_suite_in(workdir, SUITE, in_process_target(clock=clock))
    assert outcome.summary["target"]["clock"] == clock
    assert outcome.verdicts() == EXPECTED
    assert _findings(outcome).keys() == _findings(in_process).keys()
    assert _findings(outcome)["poll-never"] == _findings(in_process)["poll-never"]
    assert _findings(outcome)["idle-expected-alive"][0] == "- status: expected 200, got 401"


@pytest.mark.parametrize("clock", ["per-psu", "bank-wide"])
def test_over_a_socket(workdir: Path, in_process: RunOutcome, live_app: str, clock: str) -> None:
    outcome = run_suite_in(workdir, SUITE, _socket_target(live_app, clock=clock))
    assert outcome.verdicts() == EXPECTED
    assert _findings(outcome)["poll-never"] == _findings(in_process)["poll-never"]
    assert _findings(outcome)["idle-expected-alive"][0] == "- status: expected 200, got 401"
    assert f"sent: GET {live_app}/me" in outcome["idle-expected-alive"].text


def test_freezegun_needs_an_in_process_app(tmp_path: Path, live_app: str) -> None:
    """freezegun cannot move a remote bank's time: such a target file is refused."""
    from harness.errors import ConfigError
    from harness.target import load_target

    path = write_target(tmp_path, _socket_target(live_app, clock="freezegun"))
    with pytest.raises(ConfigError, match="freezegun only works for an in-process app"):
        load_target(path)
