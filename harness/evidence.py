"""Evidence: every exchange, in order, redacted, attached to the allure step it belongs to.

Built only when allure is active (attachments nobody reads cost real time per step), and
redacted before it is serialised: nothing unredacted ever reaches a file.
"""

from __future__ import annotations

import json
import json.encoder
from dataclasses import dataclass
from typing import Any

import httpx

from harness.jsonpointer import MISSING
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
        indented_json(record(exchange, redactor)),  # indented for a person reading the attachment
        name=name,
        attachment_type=allure.attachment_type.JSON,
    )


# -- indented JSON at C speed ---------------------------------------------------------------

_CONTAINERS = (dict, list, tuple)
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_c_string = getattr(json.encoder, "c_encode_basestring", None)
_c_scalar = _c_encoder(None, None, _c_string, None, ": ", ", ", False, False, True) if _c_encoder else None
_c_flat: list[Any] = []
"""By depth: C encoders whose item separator is a comma, a newline and the next level's indent."""


def indented_json(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, the same text, in about half the time.

    `indent` makes json use its pure-Python encoder (until Python 3.13), a generator per node
    and most of an attachment's cost. Here only the containers that hold containers are walked
    in Python; each container of plain values (headers, a transaction, a list of ids) is one
    call of the C encoder, whose item separator carries the newline and the indent."""
    if _c_scalar is None:
        return json.dumps(value, ensure_ascii=False, indent=2)
    out: list[str] = []
    _indent(value, 0, out)
    return "".join(out)


def _flat_encoder(depth: int) -> Any:
    assert _c_encoder is not None
    while len(_c_flat) <= depth:
        separator = ",\n" + "  " * (len(_c_flat) + 1)
        _c_flat.append(_c_encoder(None, None, _c_string, None, ": ", separator, False, False, True))
    return _c_flat[depth]


def _indent(value: Any, depth: int, out: list[str]) -> None:
    assert _c_scalar is not None and _c_string is not None
    is_dict = isinstance(value, dict)
    if not (is_dict or isinstance(value, (list, tuple))):
        out += _c_scalar(value, 0)
        return
    if not value:
        out.append("{}" if is_dict else "[]")
        return
    inner = "\n" + "  " * (depth + 1)
    for item in value.values() if is_dict else value:
        if isinstance(item, _CONTAINERS):
            break
    else:  # plain values only
        text = "".join(_flat_encoder(depth)(value, 0))
        out += (text[0], inner, text[1:-1], inner[:-2], text[-1])
        return
    separator = inner
    if is_dict:
        out.append("{")
        for key, item in value.items():
            # a key that is no string is written as json writes it (True -> "true", 1 -> "1")
            name = _c_string(key) if isinstance(key, str) else "".join(_c_scalar({key: 0}, 0))[1:-4]
            out += (separator, name, ": ")
            separator = "," + inner
            _indent(item, depth + 1, out)
        out.append(inner[:-2] + "}")
    else:
        out.append("[")
        for item in value:
            out.append(separator)
            separator = "," + inner
            _indent(item, depth + 1, out)
        out.append(inner[:-2] + "]")
