"""A small bank of the engine tests' own, independent of the reference bank.

It answers just enough for every step kind, expectation and capture of the suite
language to pass and to fail on purpose:

- a sandbox plane following `specs/sandbox.openapi.yaml` (fresh PSUs, the OTP inbox,
  per-PSU clocks and the bank-wide clock), at `/__sandbox`;
- login with a bearer token that expires after 5 minutes without activity (the time
  rule the clock tests move past), an OTP sent to the PSU's phone or email;
- `/echo` (what was sent comes back), `/reflect` (the JSON body sent is the answer),
  redirects, status codes on demand, fixed headers, volatile bodies (the same_as
  oracle), polled jobs, and answers that are not JSON.

Time is read only through `time.time()` plus the bank's and the PSU's offsets, so both
the sandbox clock and freezegun move it. State lives in memory, one app per factory call.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

IDLE_LIMIT = 300  # seconds without activity before a token is refused (regime session_idle)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class FixtureBank:
    """The state of one app: PSUs, their clocks, tokens, the outbox and jobs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bank_offset = 0
        self.psus: dict[str, dict[str, Any]] = {}
        self.psu_offsets: dict[str, int] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.outbox: list[dict[str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.counter = 0

    def now(self, psu_id: str | None = None) -> float:
        return time.time() + self.bank_offset + (self.psu_offsets.get(psu_id, 0) if psu_id else 0)

    def create_psu(self) -> dict[str, Any]:
        with self.lock:
            self.counter += 1
            n = self.counter
        psu_id = f"psu-{n:04d}-{uuid.uuid4().hex[:6]}"
        psu = {
            "psuId": psu_id,
            "username": f"user{n:04d}@fixture.example",
            "password": f"pw-{secrets.token_hex(6)}",
            "email": f"user{n:04d}@fixture.example",
            "phone": f"+4915550{n:05d}",
            "apiKey": f"key-{secrets.token_hex(8)}",
            "channels": ["fixture", f"n{n}"],
        }
        with self.lock:
            self.psus[psu_id] = psu
            self.psu_offsets[psu_id] = 0
        return psu

    def token_psu(self, request: Request) -> dict[str, Any] | None:
        """The PSU of a live bearer token; touching it counts as activity."""
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return None
        with self.lock:
            entry = self.tokens.get(auth[7:])
            if entry is None:
                return None
            now = self.now(entry["psuId"])
            if now - entry["last"] > IDLE_LIMIT:
                del self.tokens[auth[7:]]
                return None
            entry["last"] = now
            return self.psus[entry["psuId"]]


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


async def _json(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def create_app(**_: Any) -> Starlette:
    bank = FixtureBank()

    # -- sandbox plane (specs/sandbox.openapi.yaml) ----------------------------------------
    async def create_psu(request: Request) -> JSONResponse:
        return JSONResponse(bank.create_psu(), status_code=201)

    async def messages(request: Request) -> JSONResponse:
        to = request.query_params.get("to")
        if not to:
            return _error(400, "SANDBOX_ERROR", "query parameter 'to' is required")
        with bank.lock:
            found = [m for m in bank.outbox if m["to"] == to]
        return JSONResponse({"messages": found})

    def _seconds(body: Any) -> int | None:
        value = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return None
        return value

    async def psu_clock(request: Request) -> JSONResponse:
        psu_id = request.path_params["psuId"]
        if psu_id not in bank.psus:
            return _error(404, "SANDBOX_ERROR", "unknown PSU")
        return JSONResponse({"now": _iso(bank.now(psu_id))})

    async def advance_psu_clock(request: Request) -> JSONResponse:
        psu_id = request.path_params["psuId"]
        if psu_id not in bank.psus:
            return _error(404, "SANDBOX_ERROR", "unknown PSU")
        seconds = _seconds(await _json(request))
        if seconds is None:
            return _error(400, "SANDBOX_ERROR", 'body must be {"seconds": N} with N >= 0')
        with bank.lock:
            bank.psu_offsets[psu_id] += seconds
        return JSONResponse({"now": _iso(bank.now(psu_id))})

    async def bank_clock(request: Request) -> JSONResponse:
        return JSONResponse({"now": _iso(bank.now())})

    async def advance_bank_clock(request: Request) -> JSONResponse:
        seconds = _seconds(await _json(request))
        if seconds is None:
            return _error(400, "SANDBOX_ERROR", 'body must be {"seconds": N} with N >= 0')
        with bank.lock:
            bank.bank_offset += seconds
        return JSONResponse({"now": _iso(bank.now())})

    # -- login, tokens, OTPs -------------------------------------------------------------------
    async def login(request: Request) -> JSONResponse:
        body = await _json(request) or {}
        psu = next((p for p in bank.psus.values() if p["username"] == body.get("username")), None)
        if psu is None or psu["password"] != body.get("password"):
            return _error(401, "BAD_CREDENTIALS", "username or password wrong")
        if request.headers.get("api-key") not in (None, psu["apiKey"]):
            return _error(401, "BAD_API_KEY", "api-key does not belong to this user")
        token = secrets.token_urlsafe(24)
        now = bank.now(psu["psuId"])
        with bank.lock:
            bank.tokens[token] = {"psuId": psu["psuId"], "last": now}
        claims = {"sub": psu["psuId"], "iat": int(now), "exp": int(now) + IDLE_LIMIT, "scope": "accounts"}
        jwt = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.c2ln"
        return JSONResponse({"token": token, "idToken": jwt, "psuId": psu["psuId"], "notAJwt": "a.b"})

    async def me(request: Request) -> JSONResponse:
        psu = bank.token_psu(request)
        if psu is None:
            return _error(401, "UNAUTHORIZED", "no valid token")
        return JSONResponse(
            {
                "psuId": psu["psuId"],
                "username": psu["username"],
                "email": psu["email"],
                "now": _iso(bank.now(psu["psuId"])),
            }
        )

    async def send_otp(request: Request) -> JSONResponse:
        psu = bank.token_psu(request)
        if psu is None:
            return _error(401, "UNAUTHORIZED", "no valid token")
        channel = (await _json(request) or {}).get("channel", "sms")
        to = psu["phone"] if channel == "sms" else psu["email"]
        code = f"{secrets.randbelow(10**6):06d}"
        with bank.lock:
            bank.outbox.append({"channel": channel, "to": to, "code": code, "sentAt": _iso(bank.now(psu["psuId"]))})
            bank.tokens[request.headers["authorization"][7:]]["otp"] = code
        return JSONResponse({"sentTo": to, "channel": channel}, status_code=202)

    async def verify_otp(request: Request) -> JSONResponse:
        psu = bank.token_psu(request)
        if psu is None:
            return _error(401, "UNAUTHORIZED", "no valid token")
        code = (await _json(request) or {}).get("code")
        with bank.lock:
            entry = bank.tokens[request.headers["authorization"][7:]]
            if not code or entry.get("otp") != code:
                return _error(400, "WRONG_OTP", "the code is wrong")
            entry["otp"] = None
        return JSONResponse({"verified": True})

    # -- what the request language sends -----------------------------------------------------
    async def echo(request: Request) -> JSONResponse:
        form: dict[str, str] | None = None
        body: Any = None
        ctype = request.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        else:
            body = await _json(request)
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "form": form,
                "json": body,
            }
        )

    async def reflect(request: Request) -> JSONResponse:
        """The JSON body sent comes back as the answer, with the status of `?status=`."""
        return JSONResponse(await _json(request), status_code=int(request.query_params.get("status", "200")))

    async def item(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["itemId"], "kind": "item"})

    async def redirect(request: Request) -> Response:
        query = "&".join(f"{k}={v}" for k, v in request.query_params.items())
        return RedirectResponse(f"/landing?{query}", status_code=302)

    async def landing(request: Request) -> JSONResponse:
        return JSONResponse({"landed": True, "query": dict(request.query_params)})

    async def status(request: Request) -> JSONResponse:
        code = int(request.path_params["code"])
        return JSONResponse({"status": code}, status_code=code)

    async def headers(request: Request) -> JSONResponse:
        return JSONResponse(
            {"ok": True}, headers={"X-Request-Id": uuid.uuid4().hex, "Cache-Control": "no-store", "X-Fixture": "yes"}
        )

    async def cookie(request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.set_cookie("affinity", "node-7", path="/")
        return response

    async def volatile(request: Request) -> JSONResponse:
        variant = request.query_params.get("variant", "1")
        return JSONResponse(
            {
                "requestId": uuid.uuid4().hex,
                "issuedAt": time.time(),
                "result": {"outcome": "REJECTED", "items": [1, 3] if variant == "2" else [1, 2]},
            },
            status_code=403 if variant != "status" else 404,
        )

    async def garbage(request: Request) -> Response:
        return PlainTextResponse("<html><body>Service temporarily unavailable</body></html>")

    async def bad_json(request: Request) -> Response:
        return Response('{"unterminated": ', media_type="application/json")

    # -- polled jobs ---------------------------------------------------------------------------
    async def create_job(request: Request) -> JSONResponse:
        body = await _json(request) or {}
        job_id = uuid.uuid4().hex[:12]
        with bank.lock:
            bank.jobs[job_id] = {"after": int(body.get("after", 2)), "outcome": body.get("outcome", "done"), "polls": 0}
        return JSONResponse({"jobId": job_id}, status_code=201)

    async def get_job(request: Request) -> JSONResponse:
        job_id = request.path_params["jobId"]
        with bank.lock:
            job = bank.jobs.get(job_id)
            if job is None:
                return _error(404, "NOT_FOUND", "no such job")
            job["polls"] += 1
            state = job["outcome"] if job["polls"] > job["after"] else "pending"
            polls = job["polls"]
        return JSONResponse({"jobId": job_id, "state": state, "polls": polls})

    routes = [
        Route("/__sandbox/psus", create_psu, methods=["POST"]),
        Route("/__sandbox/messages", messages, methods=["GET"]),
        Route("/__sandbox/psus/{psuId}/clock", psu_clock, methods=["GET"]),
        Route("/__sandbox/psus/{psuId}/clock/advance", advance_psu_clock, methods=["POST"]),
        Route("/__sandbox/clock", bank_clock, methods=["GET"]),
        Route("/__sandbox/clock/advance", advance_bank_clock, methods=["POST"]),
        Route("/login", login, methods=["POST"]),
        Route("/me", me, methods=["GET"]),
        Route("/otp/send", send_otp, methods=["POST"]),
        Route("/otp/verify", verify_otp, methods=["POST"]),
        Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/reflect", reflect, methods=["POST"]),
        Route("/items/{itemId}", item, methods=["GET"]),
        Route("/redirect", redirect, methods=["GET"]),
        Route("/cookie", cookie, methods=["GET"]),
        Route("/landing", landing, methods=["GET"]),
        Route("/status/{code:int}", status, methods=["GET", "POST"]),
        Route("/headers", headers, methods=["GET"]),
        Route("/volatile", volatile, methods=["GET"]),
        Route("/garbage", garbage, methods=["GET"]),
        Route("/bad-json", bad_json, methods=["GET"]),
        Route("/jobs", create_job, methods=["POST"]),
        Route("/jobs/{jobId}", get_job, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.bank = bank
    return app
