"""The suite language as data: Suite, Flow, Case, Step, Expectation.

Built once per file by `harness.loader` and never mutated: running a case reads these and
keeps its own scope, so nothing leaks between cases (or workers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import Location

STEP_KINDS = ("request", "advance", "flow", "sandbox", "otp", "repeat", "poll")
SETUP, CHECK = "setup", "check"
DEFAULT_ROLE = {
    "request": CHECK,
    "repeat": CHECK,
    "poll": CHECK,
    "flow": SETUP,
    "sandbox": SETUP,
    "otp": SETUP,
    "advance": SETUP,
}
"""A step's role when neither it nor a flow call above it says one: requests check the
rule, the rest gets the case to the point where a request can check it."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """What one response must look like; every failed part is reported, not only the first."""

    status: Any = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    headers_present: tuple[str, ...] = ()
    headers_absent: tuple[str, ...] = ()
    json: Mapping[str, Any] = field(default_factory=dict)
    contains: Mapping[str, Any] = field(default_factory=dict)
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    schema: str | None = None
    same_as: Mapping[str, Any] | None = None
    unique: Mapping[str, str | list[str]] = field(default_factory=dict)  # a capture name, or a list of them
    at_most: Mapping[str, Any] = field(default_factory=dict)
    at_least: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = None

    @property
    def needs_body(self) -> bool:
        return bool(
            self.json
            or self.contains
            or self.present
            or self.absent
            or self.schema
            or self.unique
            or self.same_as
            or self.at_most
            or self.at_least
        )


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    """One of STEP_KINDS; `request` also covers `method` + `url`."""
    data: Mapping[str, Any]
    """The step's fields as written (values still hold ${...} references)."""
    location: Location
    expect: Expectation | None = None
    steps: tuple[Step, ...] = ()
    """The body of `repeat` and `poll`."""
    until: Expectation | None = None
    halt: Expectation | None = None
    role: str | None = None
    """`setup` or `check` as written; None inherits (see `role_of`)."""

    def role_of(self, inherited: str | None) -> str:
        """The role this step runs in under a caller's role (None at case level)."""
        return self.role or inherited or DEFAULT_ROLE.get(self.kind, CHECK)

    def passes_on(self, inherited: str | None) -> str | None:
        """The role the steps this one runs inherit: a flow's steps take the call's role;
        a repeat or poll hands on only a role said on it (or above it)."""
        if self.kind == "flow":
            return self.role_of(inherited)
        return self.role or inherited

    @property
    def label(self) -> str:
        if self.data.get("title"):
            return str(self.data["title"])
        if self.kind == "request":
            if "request" in self.data:
                return f"request {self.data['request']}"
            return f"{self.data.get('method', '').upper()} {self.data.get('url', '')}"
        if self.kind == "advance":
            written = self.data["advance"]
            if isinstance(written, (list, tuple)):  # a sum, as written: `${regime.session_idle} + 1s`
                written = "".join(
                    (f" - {str(w)[1:]}" if str(w).startswith("-") else f" + {w}") if i else str(w)
                    for i, w in enumerate(written)
                )
            return f"advance the clock by {written}"
        if self.kind == "flow":
            return f"flow {self.data['flow']}"
        if self.kind == "sandbox":
            return f"sandbox {self.data['sandbox']}"
        if self.kind == "otp":
            return f"read the latest OTP sent to {self.data['otp']['to']}"
        if self.kind == "repeat":
            return f"repeat {self.data['repeat']['times']} times"
        return "poll"


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    args: tuple[str, ...]
    steps: tuple[Step, ...]
    location: Location
    exports: frozenset[str]
    """Names a call makes visible to the caller: the declared `exports`, or (for a suite's
    own flow without a declaration) every name its steps define."""
    arg_types: Mapping[str, str] = field(default_factory=dict)
    """Argument name -> `psu` (a PSU's facts) or `value`."""
    facts: frozenset[str] = frozenset()
    """Facts its steps read of its PSU arguments (for the preflight)."""
    psu_exports: frozenset[str] = frozenset()
    """Exports that are PSUs (created by its steps)."""
    library: str = ""
    """The family whose flow library defines it ("" for a suite's own flow)."""
    declared_exports: bool = False
    probe: Mapping[str, Any] = field(default_factory=dict)
    """Library flows: the arguments `doctor` tries the flow with on a fresh PSU."""


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    requirements: tuple[str, ...]
    severity: str
    needs: frozenset[str]
    steps: tuple[Step, ...]
    location: Location
    description: str = ""
    tags: tuple[str, ...] = ()
    moves_time: bool = False
    """True when any step (or a called flow) advances the clock."""
    facts: frozenset[str] = frozenset()
    """The PSU facts its steps read (top-level fact names)."""
    psu: str = "fresh"
    """`fresh`: it needs PSUs of its own; `any`: a fixed test user will do."""


@dataclass(frozen=True, slots=True)
class Suite:
    path: Path
    family: str
    title: str
    description: str
    parameters: Mapping[str, Any]
    flows: Mapping[str, Flow]
    cases: tuple[Case, ...]
    sha256: str
