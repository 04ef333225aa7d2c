"""Assembly of the reference bank: one Starlette app, each family mounted at `/<family>`.

Starlette rather than FastAPI: the OpenAPI documents in `specs/` are the contract and are
written by hand, so FastAPI's generator and pydantic would be weight without use; plain
Starlette routes are cheap per request, which the in-process runs feel directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount

from harness.reference.clock import Clock
from harness.reference.dedicated import DedicatedBank
from harness.reference.defects import ActiveDefects
from harness.reference.escalation import EscalationBank
from harness.reference.family import FamilyBank
from harness.reference.sandbox import Sandbox
from harness.reference.stepup import StepupBank
from harness.reference.workflow import WorkflowBank
from harness.regime import DEFAULT_REGIME, load_regime

BANKS: dict[str, type[FamilyBank]] = {
    "escalation": EscalationBank,
    "workflow": WorkflowBank,
    "stepup": StepupBank,
    "dedicated": DedicatedBank,
}
FAMILIES = tuple(BANKS)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"code": "NOT_FOUND", "message": "no such resource"}, status_code=404)


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"code": "METHOD_NOT_ALLOWED", "message": "method not allowed"}, status_code=405)


DIALECTS = ("reference", "alt")


def create_app(
    defects: Iterable[str] = (), *, regime: str = DEFAULT_REGIME, sandbox: bool = True, dialect: str = "reference"
) -> Any:
    """Build a fresh reference bank (fresh state, fresh clocks).

    `defects` are names from the registry (`psd2-harness serve --list-defects`); an unknown
    name raises `UnknownDefect`. `sandbox=False` serves the families without their
    control plane, as a production bank would. `dialect="alt"` serves the same rules with
    every choice the contract leaves open made differently (harness/reference/alt.py):
    the defects go to the bank underneath, so they act on alt as on the reference.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    if dialect == "alt":
        from harness.reference.alt import AltDialect

        return AltDialect(_build(defects, regime, sandbox, Clock(resolution=1)))
    return _build(defects, regime, sandbox, Clock())


def _build(defects: Iterable[str], regime: str, sandbox: bool, clock: Clock) -> Starlette:
    active = ActiveDefects(defects)
    limits = load_regime(regime)
    banks: dict[str, FamilyBank] = {}
    mounts = []
    for name, cls in BANKS.items():
        bank = cls(clock, active, limits)
        banks[name] = bank
        routes = list(bank.routes())
        if sandbox:
            routes += Sandbox(bank).routes()
        mounts.append(Mount(f"/{name}", routes=routes, name=name))
    app = Starlette(routes=mounts, exception_handlers={404: _not_found, 405: _method_not_allowed})
    app.state.banks = banks
    app.state.clock = clock
    app.state.defects = active
    return app
