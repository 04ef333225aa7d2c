"""What every family of the reference bank shares: PSUs with their clocks, the outbox of
OTP messages, secrets, JSON answers, the lock that guards state and the way refusals reach
the wire.

A family subclasses `FamilyBank`, implements `create_psu()` (SBX-1), `routes()` (each made
with `self.route(...)`) and `refused()` (its error envelope), raises `Refusal` wherever it
refuses a request, and reads time only through `self.psu_clock(psu_id)` (or
`self.clock_for(psu_id)` for an id that may name no PSU, such as one from a request path).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from harness.reference.clock import Clock, isoformat
from harness.reference.defects import ActiveDefects
from harness.reference.refusal import Endpoint, Envelope, Refusal, refusing
from harness.reference.sandbox_defects import SHARED_PSU_CLOCK
from harness.regime import Regime


def new_otp() -> str:
    """Six digits from a CSPRNG."""
    return f"{secrets.randbelow(1_000_000):06d}"


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def new_id() -> str:
    return str(uuid.uuid4())


def same_secret(given: object, expected: str | None) -> bool:
    """Constant-time comparison; anything that is not a string never matches."""
    if expected is None or not isinstance(given, str):
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def empty(status: int = 204) -> Response:
    return Response(status_code=status)


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object of a request; an absent or malformed body reads as `{}`."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token.strip()


@dataclass
class Message:
    channel: str
    to: str
    code: str
    sent_at: datetime

    def as_json(self) -> dict[str, str]:
        return {"channel": self.channel, "to": self.to, "code": self.code, "sentAt": isoformat(self.sent_at)}


@dataclass
class Outbox:
    """Every SMS and email the family sent, readable through SBX-2."""

    messages: list[Message] = field(default_factory=list)

    def send(self, channel: str, to: str, code: str, sent_at: datetime) -> None:
        self.messages.append(Message(channel, to, code, sent_at))

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m.to == address]


def transaction_history(account_id: str, opened: date, today: date, every_days: int = 5) -> list[dict[str, Any]]:
    """Deterministic transactions from `opened` to `today`, one every `every_days` days.

    A PSU is created with `opened` = 400 days before its creation, and the list always runs
    to the PSU's current day, so it reaches 400 days back also after a clock jump.
    """
    rows = []
    day = opened
    n = 0
    while day <= today:
        n += 1
        amount = ((n * 37) % 500 + 1) * (-1 if n % 3 else 1)
        rows.append(
            {
                "transactionId": f"{account_id}-{n:05d}",
                "bookingDate": day.isoformat(),
                "amount": f"{amount}.{(n * 7) % 100:02d}",
                "currency": "EUR",
                "description": f"Transaction {n}",
            }
        )
        day += timedelta(days=every_days)
    return rows


class FamilyBank(ABC):
    """Base of a family: state, clocks, defects and regime shared by its endpoints."""

    family: str = ""

    def __init__(self, bank_clock: Clock, defects: ActiveDefects, regime: Regime) -> None:
        self.bank_clock = bank_clock
        self.defects = defects
        self.regime = regime
        self.lock = threading.RLock()
        self.outbox = Outbox()
        self._clocks: dict[str, Clock] = {}

    # -- clocks -----------------------------------------------------------------
    def new_psu_clock(self, psu_id: str) -> Clock:
        with self.lock:
            if SHARED_PSU_CLOCK in self.defects:
                clock = self._clocks.setdefault("*shared*", self.bank_clock.layered())
            else:
                clock = self.bank_clock.layered()
            self._clocks[psu_id] = clock
            return clock

    def clock_for(self, psu_id: str) -> Clock | None:
        return self._clocks.get(psu_id)

    def psu_clock(self, psu_id: str) -> Clock:
        """The clock of a PSU this bank made: `create_psu` gives each one, so it is always there."""
        clock = self._clocks.get(psu_id)
        assert clock is not None, f"PSU {psu_id!r} has no clock: every PSU gets one in create_psu"
        return clock

    # -- routes -------------------------------------------------------------------
    def route(self, path: str, endpoint: Endpoint, method: str, name: str, envelope: Envelope | None = None) -> Route:
        """A route whose refusals are answered in `envelope`, by default the family's own (`refused`)."""
        return Route(path, refusing(endpoint, envelope or self.refused), methods=[method], name=name)

    # -- to implement -------------------------------------------------------------
    @abstractmethod
    def create_psu(self) -> dict[str, Any]:
        """SBX-1: make a fresh PSU and answer everything a case needs about it."""

    @abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The family's own routes, relative to its mount point."""

    @abstractmethod
    def refused(self, refusal: Refusal) -> Response:
        """The family's error envelope: the one place that knows how this family words a refusal."""
