"""How the reference bank refuses a request: one exception, raised wherever the refusal is
decided, rendered into an answer in one place per family.

The code that decides *that* a request is refused (a helper three calls deep, a check in the
middle of a handler) should not have to know *how* its family words a refusal: stepup answers
`{"errorCode", "message"}`, escalation its ESC-1 envelope, dedicated `{"message"}`. So it raises
`Refusal`, and `refusing()` stands between every route and the wire with the family's envelope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]
Envelope = Callable[["Refusal"], Response]


@dataclass(eq=False)  # compared by identity, as exceptions are
class Refusal(Exception):
    """A refused request, in the terms every family shares.

    `extra` carries what only one family's envelope has room for (escalation's `resources`
    and `flushMessages`). `body` is for the few answers that are deliberately *not* the
    family's envelope, a shape the source itself uses (dedicated's revoke failure) or one a
    defect answers instead of the envelope (a bare RFC 6749 error): answered as it is.
    """

    status: int
    code: str = ""
    message: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code} {self.message}".strip()


def refusing(endpoint: Endpoint, envelope: Envelope) -> Endpoint:
    """`endpoint`, with every `Refusal` it raises answered in `envelope`."""

    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Refusal as refusal:
            if refusal.body is not None:
                return JSONResponse(dict(refusal.body), status_code=refusal.status, headers=dict(refusal.headers))
            return envelope(refusal)

    return answer
