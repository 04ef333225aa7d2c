"""A tiny Starlette app for the redaction tests: it mints tokens and echoes what it was sent.

`POST /mint` answers a fresh random token (with `+`, `/` and `=`, so its URL-encoded forms
differ from the raw one). `/echo` answers what it received (api-key header, query, form,
JSON body) and the last minted token, in the body and in a response header. `/redirect`
answers 302 with the token in the Location path, query and fragment. Everything the app received
or minted is kept in `SEEN`/`MINTED`, so a test can prove the secrets really travelled.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SEEN: list[dict[str, Any]] = []
MINTED: list[str] = []


def reset() -> None:
    SEEN.clear()
    MINTED.clear()


def _token() -> str:
    while True:
        token = base64.b64encode(os.urandom(24)).decode()
        if "+" in token and "/" in token:
            return "tk" + token


async def mint(request: Request) -> JSONResponse:
    token = _token()
    MINTED.append(token)
    return JSONResponse({"token": token, "token_type": "Bearer"})


async def echo(request: Request) -> JSONResponse:
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    form = dict(parse_qsl(raw.decode())) if "x-www-form-urlencoded" in ctype else None
    body = json.loads(raw) if "json" in ctype and raw else None
    seen = {"api_key": request.headers.get("api-key"), "query": dict(request.query_params), "form": form, "json": body}
    SEEN.append(seen)
    last = MINTED[-1] if MINTED else None
    return JSONResponse(
        {"seen": seen, "echo": last, "note": f"your credential was {last}"},
        headers={"X-Echo-Key": request.headers.get("api-key", ""), "X-Echo-Ref": last or ""},
    )


async def redirect(request: Request) -> Response:
    last = MINTED[-1] if MINTED else ""
    # the token in the path (percent-encoded), in the query (form-encoded, and raw as a careless
    # bank would put it), and in the fragment (as an OAuth implicit grant does)
    location = (
        f"https://tpp.example/callback/{quote(last, safe='')}?"
        + urlencode({"ref": last, "state": "s1"})
        + f"&raw={last}#access_token={quote(last, safe='')}&token_type=Bearer"
    )
    return Response(status_code=302, headers={"Location": location})


app = Starlette(
    routes=[
        Route("/mint", mint, methods=["POST"]),
        Route("/echo", echo, methods=["GET", "POST"]),
        Route("/redirect", redirect, methods=["GET"]),
    ]
)
