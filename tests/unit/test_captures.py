"""Each capture kind reads its value, and says where it looked when the value is not there.

The written forms are turned into capture classes once (`harness.captures.build`); the
engine-level behaviour (a capture used in a later request) is in tests/engine."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from harness import captures, jsonpointer
from harness.captures import BodyValue, Date, Header, JwtClaims, LocationQuery, Status, UrlQuery


@dataclass
class Answer:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = jsonpointer.MISSING


@dataclass
class Wiring:
    pointers: dict[str, str] = field(default_factory=dict)
    url_params: dict[str, str] = field(default_factory=dict)

    def pointer(self, pointer: str) -> str:
        return self.pointers.get(pointer, pointer)


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("/token", BodyValue),
        ({"json": "/token"}, BodyValue),
        ({"header": "X-Request-ID"}, Header),
        ({"location_query": "code"}, LocationQuery),
        ({"url_query": {"json": "/redirectUrl", "param": "requestId"}}, UrlQuery),
        ({"date": "/bookedAt", "shift": "-1d"}, Date),
        ({"jwt": "/idToken", "claim": "exp", "minus": "iat"}, JwtClaims),
        ({"status": True}, Status),
    ],
)
def test_each_written_form_builds_its_kind(written: Any, kind: type) -> None:
    assert type(captures.build(written)) is kind


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ({"json": "/a", "header": "X-A"}, "exactly one of"),
        ({"header": "X-A", "shift": "1d"}, "shift do(es) not belong to a header capture"),
        ({"jwt": "/t", "minus": "iat"}, "needs the claim it subtracts from"),
    ],
)
def test_an_ambiguous_form_is_refused_with_the_reason(written: Any, message: str) -> None:
    built = captures.build(written)
    assert isinstance(built, str) and message in built


def test_values_are_read_where_the_bank_puts_them() -> None:
    wiring = Wiring(pointers={"/token": "/data/accessToken"}, url_params={"requestId": "rid"})
    answer = Answer(
        status=201,
        headers=httpx.Headers({"x-request-id": "r-1", "location": "https://tpp.example/cb?code=a&code=b"}),
        body={
            "data": {"accessToken": "t-1"},
            "redirectUrl": "https://bank.example/auth?rid=42",
            "bookedAt": "2026-01-01T23:30:00-02:00",
            "idToken": _jwt({"exp": 1300, "iat": 1000, "sub": "psu-1"}),
        },
    )
    assert BodyValue("/token").read(answer, wiring) == "t-1"
    assert Header("X-Request-ID").read(answer, wiring) == "r-1"
    assert LocationQuery("code").read(answer, wiring) == "b"  # the last of a repeated parameter
    assert UrlQuery("/redirectUrl", "requestId").read(answer, wiring) == "42"
    assert Date("/bookedAt").read(answer, wiring) == "2026-01-02"  # the UTC date
    assert Date("/bookedAt", "-1d").read(answer, wiring) == "2026-01-01"
    assert JwtClaims("/idToken", "exp", "iat").read(answer, wiring) == 300
    assert JwtClaims("/idToken", "sub").read(answer, wiring) == "psu-1"
    assert JwtClaims("/idToken").read(answer, wiring) == {"exp": 1300, "iat": 1000, "sub": "psu-1"}
    assert Status().read(answer, wiring) == 201


@pytest.mark.parametrize(
    ("capture", "described"),
    [
        (BodyValue("/b/c"), "/b/c"),
        (Header("X-Absent"), "header X-Absent"),
        (LocationQuery("code"), "location_query code"),
        (UrlQuery("/callback", "requestId"), "url_query json /callback, param requestId"),
        (Date("/at", "-1d"), "date /at, shift -1d"),
        (JwtClaims("/notAJwt", "sub"), "jwt /notAJwt, claim sub"),
    ],
)
def test_a_missing_value_reads_as_missing_and_says_where(capture: captures.Capture, described: str) -> None:
    answer = Answer(body={"notAJwt": "abc", "at": "not a date", "callback": 7})
    assert capture.read(answer, Wiring()) is jsonpointer.MISSING
    assert capture.describe() == described


def test_only_body_captures_make_an_unparseable_answer_broken() -> None:
    assert BodyValue("/a").reads_body and JwtClaims("/t").reads_body and UrlQuery("/u", "p").reads_body
    assert not (Header("X").reads_body or LocationQuery("c").reads_body or Status().reads_body)
