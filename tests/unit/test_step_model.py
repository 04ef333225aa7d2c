"""The loader builds one typed step per written step, and the engine has a function for each kind."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from harness import engine
from harness.captures import Header
from harness.errors import ConfigErrors
from harness.loader import build_suite
from harness.model import STEP_KINDS, Advance, FlowCall, NewPsu, Poll, ReadOtp, Repeat, Request
from harness.yamlsource import parse_document

SUITE = """\
family: stepup
title: one of each step kind
flows:
  login:
    args: {who: psu}
    steps:
      - request: loginWithPassword
        json: {email: "${args.who.email}", password: "${args.who.password}"}
        capture: {token: /token, rid: {header: X-Request-ID}}
cases:
  - id: kinds
    title: every kind
    requirements: [STP-1]
    severity: major
    steps:
      - sandbox: new_psu
        as: me
      - flow: login
        with: {who: "${me}"}
      - advance: [1m, 1s]
      - otp: {to: "${me.phone}", wrong: true}
        as: bad
      - repeat:
          times: 2
          index: i
          steps:
            - request: listManagedAccounts
              bearer: ${token}
      - poll:
          attempts: 3
          steps:
            - method: get
              url: /managed_accounts
              bearer: ${token}
          until: {status: 200}
"""


def _suite(text: str = SUITE):  # type: ignore[no-untyped-def]
    return build_suite(parse_document(text, Path("kinds.yaml")))


def test_each_written_step_becomes_its_kind() -> None:
    steps = _suite().cases[0].steps
    assert [type(s) for s in steps] == [NewPsu, FlowCall, Advance, ReadOtp, Repeat, Poll]
    psu, call, advance, otp, repeat, poll = steps
    assert isinstance(psu, NewPsu) and psu.save_as == "me"
    assert isinstance(call, FlowCall) and call.flow == "login" and call.args == {"who": "${me}"}
    assert isinstance(advance, Advance) and advance.written() == "1m + 1s"
    assert isinstance(otp, ReadOtp) and otp.wrong and otp.save_as == "bad" and otp.channel is None
    assert isinstance(repeat, Repeat) and repeat.index == "i" and [type(s) for s in repeat.body] == [Request]
    assert isinstance(poll, Poll) and poll.attempts == 3 and poll.until.status == 200
    inner = poll.body[0]
    assert isinstance(inner, Request) and inner.operation is None and inner.describe() == "GET /managed_accounts"
    login = _suite().flows["login"].steps[0]
    assert isinstance(login, Request) and login.operation == "loginWithPassword" and login.has_json
    assert login.capture["rid"] == Header("X-Request-ID")


def test_roles_come_from_the_kind_unless_written() -> None:
    psu, call, advance, otp, repeat, poll = _suite().cases[0].steps
    assert [s.role_of(None) for s in (psu, call, advance, otp, repeat, poll)] == [
        "setup", "setup", "setup", "setup", "check", "check",
    ]  # fmt: skip
    assert call.passes_on(None) == "setup" and repeat.passes_on(None) is None and repeat.passes_on("setup") == "setup"


def test_an_ambiguous_capture_is_refused_at_load_with_its_line() -> None:
    text = SUITE.replace("rid: {header: X-Request-ID}", "rid: {header: X-Request-ID, json: /rid}")
    with pytest.raises(ConfigErrors) as err:
        _suite(text)
    assert "kinds.yaml:9:" in str(err.value) and "capture 'rid': a capture takes exactly one of" in str(err.value)


def test_the_engine_runs_every_kind() -> None:
    source = inspect.getsource(engine.CaseRun._run_step)
    for kind in STEP_KINDS:
        assert f"case {kind.__name__}():" in source, f"the engine has no function for {kind.__name__}"
