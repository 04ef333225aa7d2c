"""The sandbox control plane (SBX-1..3), mounted under `{family}/__sandbox`.

Not part of a production API: fresh PSUs, the inbox of OTP messages, per-PSU clocks and
the bank-wide clock. Route names are the operationIds of `specs/sandbox.openapi.yaml`.
Its refusals are its own `{"code": "SANDBOX_ERROR", "message"}`, whichever family it serves.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from harness.reference.clock import Clock, isoformat
from harness.reference.family import FamilyBank, json_body, json_response
from harness.reference.refusal import Endpoint, Refusal
from harness.reference.sandbox_defects import INBOX_NEWEST_FIRST, SHORT_HISTORY

HISTORY_DAYS = 400
SANDBOX_ERROR = "SANDBOX_ERROR"


def history_days(bank: FamilyBank) -> int:
    """How far back a fresh PSU's transactions reach (SBX-1)."""
    return 30 if SHORT_HISTORY in bank.defects else HISTORY_DAYS


def _refused(refusal: Refusal) -> Response:
    return json_response({"code": refusal.code, "message": refusal.message}, refusal.status)


def _seconds(body: dict[str, Any]) -> int:
    value = body.get("seconds")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refusal(400, SANDBOX_ERROR, 'body must be {"seconds": N} with N a whole number >= 0')
    return value


def _advanced(clock: Clock, body: dict[str, Any]) -> JSONResponse:
    clock.advance(_seconds(body))
    return json_response({"now": isoformat(clock.now())})


class Sandbox:
    """The control plane of one family's bank."""

    def __init__(self, bank: FamilyBank) -> None:
        self.bank = bank

    def _psu_clock(self, request: Request) -> Clock:
        clock = self.bank.clock_for(request.path_params["psuId"])
        if clock is None:
            raise Refusal(404, SANDBOX_ERROR, "unknown PSU")
        return clock

    async def create_psu(self, request: Request) -> Response:
        return json_response(self.bank.create_psu(), 201)

    async def messages(self, request: Request) -> Response:
        to = request.query_params.get("to")
        if not to:
            raise Refusal(400, SANDBOX_ERROR, "query parameter 'to' is required")
        with self.bank.lock:
            found = [m.as_json() for m in self.bank.outbox.to(to)]
        if INBOX_NEWEST_FIRST in self.bank.defects:
            found.reverse()
        return json_response({"messages": found})

    async def get_psu_clock(self, request: Request) -> Response:
        return json_response({"now": isoformat(self._psu_clock(request).now())})

    async def advance_psu_clock(self, request: Request) -> Response:
        clock = self._psu_clock(request)
        return _advanced(clock, await json_body(request))

    async def get_bank_clock(self, request: Request) -> Response:
        return json_response({"now": isoformat(self.bank.bank_clock.now())})

    async def advance_bank_clock(self, request: Request) -> Response:
        return _advanced(self.bank.bank_clock, await json_body(request))

    def routes(self) -> list[BaseRoute]:
        def route(path: str, endpoint: Endpoint, method: str, name: str) -> BaseRoute:
            return self.bank.route("/__sandbox" + path, endpoint, method, name, envelope=_refused)

        return [
            route("/psus", self.create_psu, "POST", "createSandboxPsu"),
            route("/messages", self.messages, "GET", "listSandboxMessages"),
            route("/psus/{psuId}/clock", self.get_psu_clock, "GET", "getPsuClock"),
            route("/psus/{psuId}/clock/advance", self.advance_psu_clock, "POST", "advancePsuClock"),
            route("/clock", self.get_bank_clock, "GET", "getBankClock"),
            route("/clock/advance", self.advance_bank_clock, "POST", "advanceBankClock"),
        ]
