"""The sandbox control plane (SBX-1..3), mounted under `{family}/__sandbox`.

Not part of a production API: fresh PSUs, the inbox of OTP messages, per-PSU clocks and
the bank-wide clock. Route names are the operationIds of `specs/sandbox.openapi.yaml`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from harness.reference.clock import isoformat
from harness.reference.defects import defect
from harness.reference.family import FamilyBank, json_body, json_response

SHARED_PSU_CLOCK = defect(
    "shared-psu-clock", "SBX-3", "sandbox", "advancing one PSU's clock moves every PSU's clock (no isolation)"
)
SHORT_HISTORY = defect(
    "short-history", "SBX-1", "sandbox", "a fresh PSU's transactions reach only 30 days back instead of 400"
)
INBOX_NEWEST_FIRST = defect(
    "inbox-newest-first", "SBX-2", "sandbox", "the message inbox lists the newest message first"
)

HISTORY_DAYS = 400


def history_days(bank: FamilyBank) -> int:
    """How far back a fresh PSU's transactions reach (SBX-1)."""
    return 30 if SHORT_HISTORY in bank.defects else HISTORY_DAYS


def _error(status: int, message: str) -> JSONResponse:
    return json_response({"code": "SANDBOX_ERROR", "message": message}, status)


def _seconds(body: dict) -> int | None:
    value = body.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def sandbox_routes(bank: FamilyBank) -> list[BaseRoute]:
    async def create_psu(request: Request) -> JSONResponse:
        return json_response(bank.create_psu(), 201)

    async def messages(request: Request) -> JSONResponse:
        to = request.query_params.get("to")
        if not to:
            return _error(400, "query parameter 'to' is required")
        with bank.lock:
            found = [m.as_json() for m in bank.outbox.to(to)]
        if INBOX_NEWEST_FIRST in bank.defects:
            found.reverse()
        return json_response({"messages": found})

    async def get_psu_clock(request: Request) -> JSONResponse:
        clock = bank.clock_for(request.path_params["psuId"])
        if clock is None:
            return _error(404, "unknown PSU")
        return json_response({"now": isoformat(clock.now())})

    async def advance_psu_clock(request: Request) -> JSONResponse:
        clock = bank.clock_for(request.path_params["psuId"])
        if clock is None:
            return _error(404, "unknown PSU")
        seconds = _seconds(await json_body(request))
        if seconds is None:
            return _error(400, 'body must be {"seconds": N} with N a whole number >= 0')
        clock.advance(seconds)
        return json_response({"now": isoformat(clock.now())})

    async def get_bank_clock(request: Request) -> JSONResponse:
        return json_response({"now": isoformat(bank.bank_clock.now())})

    async def advance_bank_clock(request: Request) -> JSONResponse:
        seconds = _seconds(await json_body(request))
        if seconds is None:
            return _error(400, 'body must be {"seconds": N} with N a whole number >= 0')
        bank.bank_clock.advance(seconds)
        return json_response({"now": isoformat(bank.bank_clock.now())})

    return [
        Route("/__sandbox/psus", create_psu, methods=["POST"], name="createSandboxPsu"),
        Route("/__sandbox/messages", messages, methods=["GET"], name="listSandboxMessages"),
        Route("/__sandbox/psus/{psuId}/clock", get_psu_clock, methods=["GET"], name="getPsuClock"),
        Route("/__sandbox/psus/{psuId}/clock/advance", advance_psu_clock, methods=["POST"], name="advancePsuClock"),
        Route("/__sandbox/clock", get_bank_clock, methods=["GET"], name="getBankClock"),
        Route("/__sandbox/clock/advance", advance_bank_clock, methods=["POST"], name="advanceBankClock"),
    ]
