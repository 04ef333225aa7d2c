"""Every expectation of the suite language, holding and not holding, in one run.

`/reflect` answers the JSON body it was sent (with `?status=`), so each case states the
answer and what it expects of it; the findings are checked mismatch by mismatch.
"""

from __future__ import annotations

import pytest

from harness.catalogue import catalogue
from harness.yamlsource import display_path
from tests.engine.conftest import RunOutcome, line_of, run_suite_in

SUITE = """\
family: stepup
title: Engine expectations against the fixture app
cases:
  # -- status -------------------------------------------------------------------------
  - id: status-code-pass
    title: a status code
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/201, expect: {status: 201}}
  - id: status-list-pass
    title: one of a list of codes
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/404, expect: {status: [403, 404]}}
  - id: status-class-pass
    title: a class of codes
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/409, expect: {status: 4xx}}
      - {method: GET, url: /status/409, expect: {status: [2xx, 409]}}
  - id: status-code-fail
    title: a wrong code
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/503, expect: {status: 200}}
  - id: status-list-fail
    title: none of a list
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/503, expect: {status: [200, 201]}}
  - id: status-class-fail
    title: the wrong class
    requirements: [STP-1]
    severity: major
    steps:
      - {method: GET, url: /status/200, expect: {status: 4xx}}
  # -- headers ------------------------------------------------------------------------
  - id: headers-pass
    title: exact values (any case of the name), presence and absence
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /headers
        expect:
          headers: {Cache-Control: no-store, x-fixture: "yes"}
          headers_present: [X-Request-Id, content-type]
          headers_absent: [X-Powered-By, Set-Cookie]
  - id: headers-fail
    title: a wrong value, a missing header and one that should be absent
    requirements: [STP-1]
    severity: major
    steps:
      - method: GET
        url: /headers
        expect:
          headers: {Cache-Control: no-cache, X-Not-There: anything}
          headers_present: [X-Missing]
          headers_absent: [X-Fixture]
  # -- json ---------------------------------------------------------------------------
  - id: json-pass
    title: objects as a subset, lists and scalars exactly, and captured values
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {a: {b: 1, c: [1, {d: 2, e: 3}], f: null}, s: hello, n: 2.0, t: true}
        expect:
          json:
            "": {s: hello}
            /a: {b: 1}
            /a/c: [1, {d: 2}]
            /a/c/1/e: 3
            /a/f: null
            /s: hello
            /n: 2
            /t: true
        capture: {word: /s, inner: /a}
      - method: POST
        url: /reflect
        json: {copy: "${word}", nested: "${inner}"}
        expect:
          json:
            /copy: ${word}
            /nested: ${inner}
            /nested/c/0: 1
  - id: json-fail
    title: every wrong value is reported with its pointer
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {a: {b: 1, c: [1, 2]}, s: hello, t: true, other: different}
        capture: {word: /other}
      - title: marker-json-fail-step
        method: POST
        url: /reflect
        json: {a: {b: 1, c: [1, 2]}, s: hello, t: true, n: "1"}
        expect:
          json:
            /a: {b: 2, missing: 1}
            /a/c: [1]
            /s: ${word}
            /t: "true"
            /n: 1
            /gone: 0
  # -- present / absent -----------------------------------------------------------------
  - id: presence-pass
    title: pointers that must and must not exist
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {a: {b: null}, list: [x]}
        expect: {present: [/a, /a/b, /list/0], absent: [/z, /a/c, /list/1]}
  - id: presence-fail
    title: a missing pointer and one that should be absent
    requirements: [STP-1]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {a: {b: 1}, plainField: visible}
        expect: {present: [/a/nope, /list/0], absent: [/plainField]}
  # -- schema ---------------------------------------------------------------------------
  - id: schema-pass
    title: the body conforms to a schema of specs/
    requirements: [SBX-3]
    severity: major
    steps:
      - sandbox: new_psu
      - request: getPsuClock
        path: {psuId: "${psu.psu_id}"}
        expect: {status: 200, schema: sandbox.openapi.yaml#/components/schemas/Clock}
      - method: POST
        url: /reflect
        json: {code: SANDBOX_ERROR, message: fine}
        expect: {schema: sandbox.openapi.yaml#/components/schemas/SandboxError}
  - id: schema-fail
    title: each schema violation is reported at its pointer
    requirements: [SBX-2]
    severity: major
    steps:
      - method: POST
        url: /reflect
        json: {messages: [{channel: sms, to: x, code: "123456", sentAt: now}, {channel: fax, to: 5, code: "1"}]}
        expect: {schema: sandbox.openapi.yaml#/components/schemas/Messages}
  # -- same_as --------------------------------------------------------------------------
  - id: same-as-pass
    title: the same answer but for the volatile fields (Art. 4(3)(a) oracle)
    requirements: [ESC-9]
    severity: major
    steps:
      - {method: GET, url: /volatile, as: first}
      - method: GET
        url: /volatile
        expect: {same_as: {response: first, ignore: [/requestId, /issuedAt]}}
  - id: same-as-volatile-fail
    title: without ignoring them, the volatile fields differ
    requirements: [ESC-9]
    severity: major
    steps:
      - {method: GET, url: /volatile, as: first}
      - {method: GET, url: /volatile, expect: {same_as: {response: first}}}
  - id: same-as-body-fail
    title: a different body reveals which element was wrong
    requirements: [ESC-9]
    severity: major
    steps:
      - {method: GET, url: /volatile, as: first}
      - method: GET
        url: /volatile
        query: {variant: "2"}
        expect: {same_as: {response: first, ignore: [/requestId, /issuedAt]}}
  - id: same-as-status-fail
    title: a different status
    requirements: [ESC-9]
    severity: major
    steps:
      - {method: GET, url: /volatile, as: first}
      - method: GET
        url: /volatile
        query: {variant: status}
        expect: {same_as: {response: first, ignore: [/requestId, /issuedAt]}}
  # -- unique ---------------------------------------------------------------------------
  - id: unique-pass
    title: a value differs from an earlier capture
    requirements: [ESC-1]
    severity: major
    steps:
      - {method: GET, url: /volatile, capture: {rid: /requestId}}
      - {method: GET, url: /volatile, expect: {unique: {/requestId: rid}}}
  - id: unique-fail
    title: the same value twice
    requirements: [ESC-1]
    severity: major
    steps:
      - {method: GET, url: /items/same-item, capture: {itemid: /id}}
      - {method: GET, url: /items/same-item, expect: {unique: {/id: itemid, /nothing: itemid}}}
  # -- several at once ------------------------------------------------------------------
  - id: many-fail
    title: every failed expectation of one step is reported
    requirements: [STP-7]
    severity: critical
    steps:
      - title: marker-many-fail-step
        method: POST
        url: /reflect
        query: {status: "418"}
        json: {now: 5, extra: here}
        expect:
          status: 200
          headers: {content-type: text/plain}
          headers_absent: [content-length]
          json: {/extra: there}
          present: [/missing]
          absent: [/extra]
          schema: sandbox.openapi.yaml#/components/schemas/Clock
  # -- numeric bounds -------------------------------------------------------------------
  - id: bounds-pass
    title: at most a regime limit, at least a captured value, bounds met exactly
    requirements: [STP-7]
    severity: critical
    steps:
      - method: POST
        url: /reflect
        json: {floor: 3}
        capture: {floor: /floor}
      - method: POST
        url: /reflect
        json: {lifetime: 300, count: 3}
        expect:
          at_most: {/lifetime: "${regime.session_idle}", /count: 3}
          at_least: {/lifetime: 1, /count: "${floor}"}
  - id: bounds-fail
    title: over a cap, under a floor, not a number, absent
    requirements: [STP-7]
    severity: critical
    steps:
      - method: POST
        url: /reflect
        json: {lifetime: 301, count: 2, text: "300"}
        expect:
          at_most: {/lifetime: "${regime.session_idle}", /text: 500}
          at_least: {/count: 3, /missing: 1}
"""

PASSING = [
    "status-code-pass",
    "status-list-pass",
    "status-class-pass",
    "headers-pass",
    "json-pass",
    "presence-pass",
    "schema-pass",
    "same-as-pass",
    "unique-pass",
    "bounds-pass",
]
FAILING = [
    "status-code-fail",
    "status-list-fail",
    "status-class-fail",
    "headers-fail",
    "json-fail",
    "presence-fail",
    "schema-fail",
    "same-as-volatile-fail",
    "same-as-body-fail",
    "same-as-status-fail",
    "unique-fail",
    "many-fail",
    "bounds-fail",
]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return run_suite_in(tmp_path_factory.mktemp("expect"), SUITE)


def mismatches(outcome: RunOutcome, case_id: str) -> list[str]:
    """The `- ...` lines of a finding: one per mismatch."""
    return [line.strip()[2:] for line in outcome[case_id].text.splitlines() if line.startswith("  - ")]


def test_every_case_has_its_verdict(outcome: RunOutcome) -> None:
    assert outcome.verdicts() == {**{c: "passed" for c in PASSING}, **{c: "failed" for c in FAILING}}
    assert outcome.code == 1


def test_status(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "status-code-fail") == ["status: expected 200, got 503"]
    assert mismatches(outcome, "status-list-fail") == ["status: expected 200 or 201, got 503"]
    assert mismatches(outcome, "status-class-fail") == ["status: expected 4xx, got 200"]
    text = outcome["status-code-fail"].text
    assert "sent: GET http://fixture.in-process/status/503" in text and "came back: 503" in text
    assert 'body: {"status": 503}' in text


def test_headers(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "headers-fail") == [
        'header Cache-Control: expected "no-cache", got "no-store"',
        'header X-Not-There: expected "anything", got no such header',
        "header X-Missing: expected present, got no such header",
        'header X-Fixture: expected absent, got "yes"',
    ]


def test_json(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "json-fail") == [
        "/a/b: expected 2, got 1",
        "/a/missing: expected 1, got nothing (absent)",
        "/a/c: expected [1], got [1, 2]",
        '/s: expected "different", got "hello"',  # compared with the capture of an earlier answer
        '/t: expected "true", got true',
        '/n: expected 1, got "1"',
        "/gone: expected 0, got nothing (absent)",
    ]


def test_presence(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "presence-fail") == [
        "/a/nope: expected a value, got nothing (absent)",
        "/list/0: expected a value, got nothing (absent)",
        '/plainField: expected nothing (absent), got "visible"',
    ]


def test_schema(outcome: RunOutcome) -> None:
    found = mismatches(outcome, "schema-fail")
    ref = "does not conform to sandbox.openapi.yaml#/components/schemas/Messages"
    assert f"/messages/1: {ref}: 'sentAt' is a required property" in found
    assert any(m.startswith(f"/messages/1/channel: {ref}: 'fax' is not one of") for m in found), found
    assert f"/messages/1/to: {ref}: 5 is not of type 'string'" in found
    assert f"/messages/1/code: {ref}: '1' does not match '^[0-9]{{6}}$'" in found
    assert not any(m.startswith("/messages/0") for m in found), found


def test_same_as(outcome: RunOutcome) -> None:
    volatile = mismatches(outcome, "same-as-volatile-fail")
    assert [m.split(":")[0] for m in volatile] == ["/issuedAt", "/requestId"]
    assert all("(as in response 'first')" in m for m in volatile)
    assert mismatches(outcome, "same-as-body-fail") == ["/result/items/1: expected 2 (as in response 'first'), got 3"]
    assert mismatches(outcome, "same-as-status-fail") == [
        "status: expected the same as response 'first' (403), got 404"
    ]


def test_unique(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "unique-fail") == [
        '/id: expected a value different from itemid ("same-item"), got the same value',
        "/nothing: expected a value different from itemid, got nothing (absent)",
    ]


def test_every_failed_expectation_of_a_step_is_reported(outcome: RunOutcome) -> None:
    text = outcome["many-fail"].text
    suite = outcome.suite_file
    assert suite is not None
    assert text.splitlines()[0] == "many-fail: the bank did not do what the rule says"
    assert f"rule STP-7: {catalogue()['STP-7'].title}" in text
    assert f"at {display_path(suite)}:{line_of(suite, 'marker-many-fail-step')}:" in text
    assert "(step 1: marker-many-fail-step)" in text
    assert "sent: POST http://fixture.in-process/reflect?status=418" in text
    assert "came back: 418" in text
    found = mismatches(outcome, "many-fail")
    clock = "does not conform to sandbox.openapi.yaml#/components/schemas/Clock"
    assert found == [
        "status: expected 200, got 418",
        'header content-type: expected "text/plain", got "application/json"',
        'header content-length: expected absent, got "24"',
        '/extra: expected "there", got "here"',
        "/missing: expected a value, got nothing (absent)",
        '/extra: expected nothing (absent), got "here"',
        f"/now: {clock}: 5 is not of type 'string'",
    ]
    assert 'body: {"extra": "here", "now": 5}' in text


def test_bounds(outcome: RunOutcome) -> None:
    assert mismatches(outcome, "bounds-fail") == [
        "/lifetime: expected at most 300, got 301",
        '/text: expected a number at most 500, got "300"',
        "/count: expected at least 3, got 2",
        "/missing: expected a number at least 1, got nothing (absent)",
    ]
