"""The capture kinds of the suite language, one class each, with the one function that reads it.

A capture names a value of an answer that later steps use (`capture: {token: /token}`).
The loader turns each written form into one of these classes once; the engine only calls
`read`. A value that is not there reads as `jsonpointer.MISSING`, which the engine turns
into a finding (or, where the answer is no JSON at all, a broken verdict: see `reads_body`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, TypeGuard
from urllib.parse import parse_qs, urlsplit

from harness import jsonpointer
from harness.durations import parse_duration

KIND_KEYS = ("json", "header", "location_query", "url_query", "date", "jwt", "status")
"""The keys that say a written capture's kind (the suite schema lists each one's fields)."""


class Wiring(Protocol):
    """What a capture needs of the target: its spelling of pointers and URL parameters."""

    @property
    def url_params(self) -> Mapping[str, str]: ...

    def pointer(self, pointer: str) -> str: ...


class Answer(Protocol):
    """What a capture reads: the answer's parsed body (or MISSING), its headers and status."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Capture:
    """The base of every capture kind."""

    reads_body: ClassVar[bool] = True
    """Whether its value comes from the JSON body (an unparseable body then breaks the case)."""

    def read(self, answer: Answer, wiring: Wiring) -> Any:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class BodyValue(Capture):
    """`/pointer` or `{json: /pointer}`: the value at a JSON Pointer of the body."""

    pointer: str

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        return jsonpointer.resolve(answer.body, wiring.pointer(self.pointer))

    def describe(self) -> str:
        return self.pointer or "/"


@dataclass(frozen=True, slots=True)
class Header(Capture):
    """`{header: NAME}`: a response header."""

    reads_body: ClassVar[bool] = False
    name: str

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        value = answer.headers.get(self.name)
        return jsonpointer.MISSING if value is None else value

    def describe(self) -> str:
        return f"header {self.name}"


@dataclass(frozen=True, slots=True)
class LocationQuery(Capture):
    """`{location_query: PARAM}`: a query parameter of the Location header (a redirect)."""

    reads_body: ClassVar[bool] = False
    param: str

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        location = answer.headers.get("location")
        if not location:
            return jsonpointer.MISSING
        return _last_param(location, wiring.url_params.get(self.param, self.param))

    def describe(self) -> str:
        return f"location_query {self.param}"


@dataclass(frozen=True, slots=True)
class UrlQuery(Capture):
    """`{url_query: {json: /pointer, param: NAME}}`: a query parameter of a URL in the body."""

    pointer: str
    param: str

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        url = jsonpointer.resolve(answer.body, wiring.pointer(self.pointer))
        if not isinstance(url, str):
            return jsonpointer.MISSING
        return _last_param(url, wiring.url_params.get(self.param, self.param))

    def describe(self) -> str:
        return f"url_query json {self.pointer}, param {self.param}"


@dataclass(frozen=True, slots=True)
class Date(Capture):
    """`{date: /pointer, shift: 1d}`: the UTC calendar date of a date or timestamp in the body,
    moved by `shift` (a bank's booking dates are dates; its clock is a timestamp)."""

    pointer: str
    shift: Any = 0

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        value = jsonpointer.resolve(answer.body, wiring.pointer(self.pointer))
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            return jsonpointer.MISSING
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return (moment + timedelta(seconds=parse_duration(self.shift))).date().isoformat()

    def describe(self) -> str:
        return f"date {self.pointer}" + (f", shift {self.shift}" if self.shift else "")


@dataclass(frozen=True, slots=True)
class JwtClaims(Capture):
    """`{jwt: /pointer, claim: NAME, minus: NAME}`: the claims of a JWT in the body (unverified:
    the harness reads what the bank promised, it does not trust it), one claim, or the span
    between two numeric claims (`exp` minus `iat`: a token's lifetime)."""

    pointer: str
    claim: str | None = None
    minus: str | None = None

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        claims = _jwt_claims(jsonpointer.resolve(answer.body, wiring.pointer(self.pointer)))
        if claims is None:
            return jsonpointer.MISSING
        if self.minus is not None:
            a, b = claims.get(self.claim or ""), claims.get(self.minus)
            return a - b if _is_number(a) and _is_number(b) else jsonpointer.MISSING
        if self.claim is not None:
            return claims.get(self.claim, jsonpointer.MISSING)
        return claims

    def describe(self) -> str:
        parts = [f"jwt {self.pointer}"]
        if self.claim is not None:
            parts.append(f"claim {self.claim}")
        if self.minus is not None:
            parts.append(f"minus {self.minus}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Status(Capture):
    """`{status: true}`: the status code."""

    reads_body: ClassVar[bool] = False

    def read(self, answer: Answer, wiring: Wiring) -> Any:
        return answer.status

    def describe(self) -> str:
        return "status"


def build(written: Any) -> Capture | str:
    """The capture a schema-valid written form means, or a message saying why it means none."""
    if isinstance(written, str):
        return BodyValue(written)
    kinds = [k for k in KIND_KEYS if k in written]
    if len(kinds) != 1:
        return f"a capture takes exactly one of {', '.join(KIND_KEYS)}; found: {', '.join(kinds) or 'none'}"
    kind = kinds[0]
    stray = sorted(set(written) - {kind} - _OPTIONS.get(kind, set()))
    if stray:
        return f"{', '.join(stray)} do(es) not belong to a {kind} capture"
    if kind == "json":
        return BodyValue(written["json"])
    if kind == "header":
        return Header(written["header"])
    if kind == "location_query":
        return LocationQuery(written["location_query"])
    if kind == "url_query":
        return UrlQuery(written["url_query"]["json"], written["url_query"]["param"])
    if kind == "date":
        return Date(written["date"], written.get("shift", 0))
    if kind == "jwt":
        if "minus" in written and "claim" not in written:
            return "a jwt capture with minus needs the claim it subtracts from (e.g. claim: exp, minus: iat)"
        return JwtClaims(written["jwt"], written.get("claim"), written.get("minus"))
    return Status()  # `status: true`, the schema's only form


_OPTIONS = {"date": {"shift"}, "jwt": {"claim", "minus"}}


def _last_param(url: str, param: str) -> Any:
    values = parse_qs(urlsplit(url).query, keep_blank_values=True).get(param)
    return values[-1] if values else jsonpointer.MISSING


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number (a bool is no number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _jwt_claims(token: Any) -> dict[str, Any] | None:
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None
