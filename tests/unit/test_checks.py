"""harness.checks: each expectation is a plain check returning every mismatch, never raising."""

from __future__ import annotations

from typing import Any

import pytest

from harness.checks import (
    Mismatch,
    Observed,
    SchemaRefError,
    check_headers,
    check_json,
    check_presence,
    check_same_as,
    check_schema,
    check_status,
    check_unique,
    load_schema_ref,
    run_checks,
    status_matches,
    subset_mismatches,
)
from harness.jsonpointer import MISSING
from harness.model import Expectation

ERROR_REF = "stepup.openapi.yaml#/components/schemas/Error"


def observed(
    body: Any = MISSING,
    status: int = 200,
    headers: dict[str, str] | None = None,
    text: str = "",
    captures: dict[str, Any] | None = None,
    responses: dict[str, Observed] | None = None,
) -> Observed:
    return Observed(
        status=status, headers=headers or {}, body=body, text=text, captures=captures or {}, responses=responses or {}
    )


@pytest.mark.parametrize(
    "expected,status,ok",
    [
        (200, 200, True),
        (200, 201, False),
        ([401, 403], 403, True),
        ([401, 403], 404, False),
        ("4xx", 404, True),
        ("4xx", 500, False),
        (["2xx", 302], 302, True),
        ("2xx", 204, True),
        ("20x", 200, False),
    ],
)
def test_status_matches(expected: Any, status: int, ok: bool) -> None:
    assert status_matches(expected, status) is ok


def test_status_mismatch_text() -> None:
    [m] = check_status(Expectation(status=[401, 403]), observed(status=200))
    assert str(m) == "status: expected 401 or 403, got 200"
    assert check_status(Expectation(), observed(status=500)) == []


def test_headers_case_insensitive_present_absent() -> None:
    exp = Expectation(
        headers={"Content-Type": "application/json"}, headers_present=["location"], headers_absent=["X-Debug", "Server"]
    )
    obs = observed(headers={"content-type": "application/json", "server": "bank/1.0"})
    found = check_headers(exp, obs, {})
    assert [str(m) for m in found] == [
        "header location: expected present, got no such header",
        'header Server: expected absent, got "bank/1.0"',
    ]
    # resolved values (from ${...}) take the place of the raw ones
    assert check_headers(exp, obs, {"headers": {"content-type": "text/plain"}})[0].where == "header content-type"


@pytest.mark.parametrize(
    "expected,actual,mismatches",
    [
        ({"a": 1}, {"a": 1, "b": 2}, []),  # objects: a subset
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 3}}, []),
        ({"a": 1}, {"b": 1}, ["/a: expected 1, got nothing (absent)"]),
        ([1, 2], [1, 2, 3], ["/: expected [1, 2], got [1, 2, 3]"]),  # lists: exactly
        ([{"id": 1}], [{"id": 1, "x": 2}], []),  # each element a subset
        (1, 1.0, []),
        (1, True, ["/: expected 1, got true"]),
        ("1", 1, ['/: expected "1", got 1']),
        (None, None, []),
        (None, MISSING, ["/: expected null, got nothing (absent)"]),
        ({"a": 1}, [1], ["/: expected an object, got [1]"]),
    ],
)
def test_subset_semantics(expected: Any, actual: Any, mismatches: list[str]) -> None:
    assert [str(m) for m in subset_mismatches(expected, actual, "")] == mismatches


def test_json_reports_every_mismatch_with_its_pointer() -> None:
    exp = Expectation(json={"/result/outcome": "OK", "/items/0/id": 7, "/n": 1})
    obs = observed({"result": {"outcome": "KO"}, "items": [{"id": 8}], "n": 1})
    assert [(m.where, m.expected, m.actual) for m in check_json(exp, obs, {})] == [
        ("/result/outcome", '"OK"', '"KO"'),
        ("/items/0/id", "7", "8"),
    ]


def test_presence_and_absence() -> None:
    exp = Expectation(present=["/a", "/z"], absent=["/b", "/y"])
    found = check_presence(exp, observed({"a": None, "b": {"k": 1}}))
    assert [str(m) for m in found] == [
        "/z: expected a value, got nothing (absent)",
        '/b: expected nothing (absent), got {"k": 1}',
    ]


def test_schema_by_reference_into_specs() -> None:
    exp = Expectation(schema=ERROR_REF)
    good = load_schema_ref(ERROR_REF)
    assert isinstance(good, dict)
    assert check_schema(exp, observed({"errorCode": "TOKEN_INVALID", "message": "no"})) == []
    found = check_schema(exp, observed({"message": 3}))
    assert found and all(m.check == "schema" and m.expected == ERROR_REF for m in found)
    assert any("errorCode" in m.actual for m in found)


@pytest.mark.parametrize(
    "ref",
    [
        "nothere.yaml#/x",
        "stepup.openapi.yaml#/components/schemas/Nope",
        "../pyproject.toml#/project",
        "stepup.openapi.yaml#/info/title",
    ],
)
def test_bad_schema_references(ref: str) -> None:
    with pytest.raises(SchemaRefError):
        load_schema_ref(ref)


def test_same_as_ignores_the_volatile_fields_only() -> None:
    first = observed({"error": "INVALID", "requestId": "r1", "detail": {"at": 1, "why": "x"}}, status=401)
    exp = Expectation(same_as={"response": "first", "ignore": ["/requestId", "/detail/at"]})
    same = observed(
        {"error": "INVALID", "requestId": "r2", "detail": {"at": 2, "why": "x"}}, status=401, responses={"first": first}
    )
    assert check_same_as(exp, same) == []
    other = observed(
        {"error": "UNKNOWN_USER", "requestId": "r3", "detail": {"at": 2, "why": "x"}, "extra": 1},
        status=404,
        responses={"first": first},
    )
    found = {m.where: m for m in check_same_as(exp, other)}
    assert set(found) == {"status", "/error", "/extra"}
    assert found["/error"].actual == '"UNKNOWN_USER"'


def test_same_as_on_text_bodies() -> None:
    first = observed(text="denied", status=403)
    exp = Expectation(same_as={"response": "first"})
    assert check_same_as(exp, observed(text="denied", status=403, responses={"first": first})) == []
    [m] = check_same_as(exp, observed(text="no such user", status=403, responses={"first": first}))
    assert m.where == "body"


def test_unique() -> None:
    exp = Expectation(unique={"/requestId": "earlier"})
    assert check_unique(exp, observed({"requestId": "b"}, captures={"earlier": "a"})) == []
    assert "the same value" in str(check_unique(exp, observed({"requestId": "a"}, captures={"earlier": "a"}))[0])
    assert "nothing (absent)" in str(check_unique(exp, observed({}, captures={"earlier": "a"}))[0])


def test_run_checks_collects_every_kind_at_once() -> None:
    exp = Expectation(status=200, headers_present=["Location"], json={"/a": 1}, absent=["/secret"], schema=ERROR_REF)
    found = run_checks(exp, observed({"a": 2, "secret": "s"}, status=500), {})
    assert {m.check for m in found} == {"status", "headers", "json", "absent", "schema"}
    assert all(isinstance(m, Mismatch) for m in found)


def test_long_values_are_shortened_in_messages() -> None:
    [m] = check_json(Expectation(json={"/t": "x"}), observed({"t": "y" * 500}), {})
    assert len(m.actual) <= 120 and m.actual.endswith("...")


def test_unique_against_every_capture_of_a_list() -> None:
    from harness.checks import Observed, check_unique
    from harness.model import Expectation

    obs = Observed(status=200, headers={}, body={"id": "a"}, text="", captures={"x": "b", "y": "a"}, responses={})
    found = check_unique(Expectation(unique={"/id": ["x", "y"]}), obs)
    assert [m.expected for m in found] == ['a value different from y ("a")']  # alternating ids are caught
    assert not check_unique(Expectation(unique={"/id": ["x"]}), obs)
