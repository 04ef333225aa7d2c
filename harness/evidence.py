"""Evidence: every exchange, in order, redacted, attached to the allure step it belongs to.

Built only when allure is active (attachments nobody reads cost real time per step), and
redacted before it is serialised: nothing unredacted ever reaches a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from harness.redaction import Redactor

BODY_LIMIT = 64 * 1024


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response | None
    elapsed_ms: float
    clock: str
    body: Any
    """The parsed JSON body of the response, or MISSING."""


def _request_body(request: httpx.Request, redactor: Redactor) -> Any:
    content = request.content
    if not content:
        return None
    ctype = request.headers.get("content-type", "")
    text = content.decode("utf-8", "replace")
    if "json" in ctype:
        try:
            return redactor.json(json.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in ctype:
        from urllib.parse import parse_qsl

        return redactor.form(dict(parse_qsl(text, keep_blank_values=True)))
    return _cut(redactor.text(text))


def _cut(redacted: str) -> str:
    """Cut only after redaction: a secret that straddled the cut would leave its head behind."""
    return redacted if len(redacted) <= BODY_LIMIT else redacted[:BODY_LIMIT] + f"... ({len(redacted)} characters)"


def _response_body(exchange: Exchange, redactor: Redactor) -> Any:
    from harness.jsonpointer import MISSING

    if exchange.body is not MISSING:
        return redactor.json(exchange.body)
    assert exchange.response is not None
    text = exchange.response.text
    return _cut(redactor.text(text))


def record(exchange: Exchange, redactor: Redactor) -> dict[str, Any]:
    """The redacted, JSON-ready form of one exchange."""
    request = exchange.request
    out: dict[str, Any] = {
        "request": {
            "method": request.method,
            "url": redactor.url(str(request.url)),
            "headers": redactor.headers(request.headers.multi_items()),
            "body": _request_body(request, redactor),
        },
        "elapsed_ms": round(exchange.elapsed_ms, 3),
        "target_clock": exchange.clock,
    }
    if exchange.response is not None:
        out["response"] = {
            "status": exchange.response.status_code,
            "headers": redactor.headers(exchange.response.headers.multi_items()),
            "body": _response_body(exchange, redactor),
        }
    return out


def attach(exchange: Exchange, redactor: Redactor, name: str = "exchange") -> None:
    import allure

    allure.attach(
        # indented for a person reading the attachment (the pure-Python encoder: ~40 us an exchange)
        json.dumps(record(exchange, redactor), ensure_ascii=False, indent=2),
        name=name,
        attachment_type=allure.attachment_type.JSON,
    )
