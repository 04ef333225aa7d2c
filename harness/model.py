"""The suite language as data: Suite, Flow, Case, the step kinds, Expectation.

Built once per file by `harness.loader` and never mutated: running a case reads these and
keeps its own scope, so nothing leaks between cases (or workers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from harness.captures import Capture
from harness.errors import Location

SETUP, CHECK = "setup", "check"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """The base of the step kinds: where it was written, its title and role as written.

    Each kind is one class below, built by the loader (`harness.loader`) and run by one
    function of the engine (`CaseRun._run_step` dispatches on the class)."""

    key: ClassVar[str]
    """The key that says this kind in a suite (`request:`, `advance:`, ...)."""
    default_role: ClassVar[str] = SETUP
    """Its role when neither it nor a flow call above it says one: requests, repeats and
    polls check the rule; the rest gets the case to where a request can check it."""
    location: Location
    title: str = ""
    role: str | None = None
    """`setup` or `check` as written; None inherits (see `role_of`)."""

    @property
    def body(self) -> tuple[Step, ...]:
        """The steps it runs itself (a repeat's or a poll's); a flow call's are the flow's."""
        return ()

    def role_of(self, inherited: str | None) -> str:
        """The role this step runs in under a caller's role (None at case level)."""
        return self.role or inherited or self.default_role

    def passes_on(self, inherited: str | None) -> str | None:
        """The role the steps it runs inherit: a repeat or poll hands on only a role said on
        it (or above it); a flow call hands on its own (see `FlowCall`)."""
        return self.role or inherited

    @property
    def label(self) -> str:
        return self.title or self.describe()

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Step):
    """`request: operationId` (or `method:` with `url:`): one exchange, its expectation and captures."""

    key: ClassVar[str] = "request"
    default_role: ClassVar[str] = CHECK
    operation: str | None = None
    """The operationId; None for a request by `method` and `url`."""
    method: str = ""
    url: Any = None
    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] | None = None
    form: Mapping[str, Any] | None = None
    json: Any = None
    has_json: bool = False
    """Whether a `json:` body was written (it may be written as null)."""
    headers: Mapping[str, Any] = field(default_factory=dict)
    bearer: Any = None
    follow_redirects: bool = False
    expect: Expectation | None = None
    capture: Mapping[str, Capture] = field(default_factory=dict)
    save_as: str | None = None
    """`as:`: the name later `same_as` checks find this response under."""

    def describe(self) -> str:
        if self.operation is not None:
            return f"request {self.operation}"
        return f"{self.method.upper()} {self.url or ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Advance(Step):
    """`advance: 181d` (or a list summed, `[${regime.session_idle}, 1s]`): move the bank's clock."""

    key: ClassVar[str] = "advance"
    by: Any

    def written(self) -> str:
        """The move as written: a list reads as a sum, `${regime.session_idle} + 1s`."""
        if not isinstance(self.by, (list, tuple)):
            return str(self.by)
        return "".join(
            (f" - {str(w)[1:]}" if str(w).startswith("-") else f" + {w}") if i else str(w)
            for i, w in enumerate(self.by)
        )

    def describe(self) -> str:
        return f"advance the clock by {self.written()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowCall(Step):
    """`flow: NAME` with `with:` arguments: the flow's steps, in this call's role."""

    key: ClassVar[str] = "flow"
    flow: str
    args: Mapping[str, Any] = field(default_factory=dict)
    save_as: str | None = None
    """`as:`: the exports land under this one name instead of in the caller's scope."""

    def passes_on(self, inherited: str | None) -> str | None:
        return self.role_of(inherited)

    def describe(self) -> str:
        return f"flow {self.flow}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPsu(Step):
    """`sandbox: new_psu`: a PSU of the case's own, its facts read from the sandbox's answer."""

    key: ClassVar[str] = "sandbox"
    save_as: str = "psu"

    def describe(self) -> str:
        return "sandbox new_psu"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOtp(Step):
    """`otp: {to, channel, wrong}`: the latest OTP sent to `to`, or a code sure to be wrong."""

    key: ClassVar[str] = "otp"
    to: Any
    channel: str | None = None
    wrong: bool = False
    save_as: str = "otp"

    def describe(self) -> str:
        return f"read the latest OTP sent to {self.to}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Repeat(Step):
    """`repeat: {times, index, steps}`: the body, `times` times (a number or references summed)."""

    key: ClassVar[str] = "repeat"
    default_role: ClassVar[str] = CHECK
    times: Any
    index: str | None = None
    steps: tuple[Step, ...] = ()

    @property
    def body(self) -> tuple[Step, ...]:
        return self.steps

    def describe(self) -> str:
        return f"repeat {self.times} times"


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll(Step):
    """`poll: {steps, until, halt, attempts, interval}`: the body until `until` holds (a finding
    if `halt` holds first, or `attempts` run out)."""

    key: ClassVar[str] = "poll"
    default_role: ClassVar[str] = CHECK
    steps: tuple[Step, ...] = ()
    until: Expectation
    halt: Expectation | None = None
    attempts: int = 10
    interval: Any = "1s"

    @property
    def body(self) -> tuple[Step, ...]:
        return self.steps

    def describe(self) -> str:
        return "poll"


STEP_KINDS: tuple[type[Step], ...] = (Request, Advance, FlowCall, NewPsu, ReadOtp, Repeat, Poll)
KIND_KEYS: tuple[str, ...] = (*(kind.key for kind in STEP_KINDS), "method")
"""The keys that say a written step's kind: `method` (with `url`) is a request too."""


def kind_of(written: Mapping[str, Any]) -> list[type[Step]]:
    """The step kinds a written step names (exactly one in a valid suite)."""
    kinds = [kind for kind in STEP_KINDS if kind.key in written]
    if "method" in written and Request not in kinds:
        kinds.insert(0, Request)
    return kinds


def walk(steps: Iterable[Step], flows: Mapping[str, Flow], seen: frozenset[str] = frozenset()) -> Iterator[Step]:
    """Every step, depth first, into repeat and poll bodies and into the flows called (each
    flow once per path: a flow calling itself ends)."""
    for step in steps:
        yield step
        if isinstance(step, FlowCall) and step.flow in flows and step.flow not in seen:
            yield from walk(flows[step.flow].steps, flows, seen | {step.flow})
        yield from walk(step.body, flows, seen)


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
