"""A case starts with no cookies: what an earlier case's answers set never reaches it.

The session shares one httpx client (one connection pool for the target). Its cookie jar
would otherwise carry a bank's cookies from case to case, and a case would be judged with a
session it never opened: a bank that authenticates by a session cookie would seem to accept a
request sent without a token. Within one case cookies persist, as a PSU's browser keeps them
through a redirect.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.engine.conftest import RunOutcome

SUITE = """\
family: stepup
title: Cookies stay within their case
cases:
  - id: sets-a-cookie
    title: a cookie the bank sets is sent back within the case
    requirements: [STP-1]
    severity: minor
    steps:
      - method: GET
        url: /cookie
        expect: {status: 200}
      - method: GET
        url: /echo
        expect: {status: 200, json: {/headers/cookie: affinity=node-7}}
  - id: starts-without-cookies
    title: the next case sends no cookie
    requirements: [STP-1]
    severity: minor
    steps:
      - method: GET
        url: /echo
        expect: {status: 200, absent: [/headers/cookie]}
"""


def test_cookies_do_not_cross_cases(run_suite: Callable[..., RunOutcome]) -> None:
    outcome = run_suite(SUITE)
    assert outcome.verdicts() == {"sets-a-cookie": "passed", "starts-without-cookies": "passed"}, outcome[
        "starts-without-cookies"
    ].text
