"""Suite files to `harness.model` objects, checked once, at load.

Everything that can be wrong in a suite is found here, before any request is sent:
YAML syntax, unknown keys and wrong types (JSON Schema), unknown operationIds, unknown
requirement IDs, unknown flows and wrong flow arguments, bad durations, references to
values no earlier step defines, missing environment variables, and schema `$ref`s that
lead nowhere. Each error names `file:line:column`, what is wrong and what is expected.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import captures, openapi
from harness.captures import Capture
from harness.catalogue import catalogue
from harness.durations import parse_duration
from harness.errors import ConfigError, ConfigErrors, DurationError, Location
from harness.facts import family_facts
from harness.model import (
    CHECK,
    STEP_KINDS,
    Advance,
    Case,
    Expectation,
    Flow,
    FlowCall,
    NewPsu,
    Poll,
    ReadOtp,
    Repeat,
    Request,
    Step,
    Suite,
    kind_of,
    walk,
)
from harness.regime import load_regime
from harness.schemas import validate, validate_part
from harness.values import parse_reference, references, templated_strings
from harness.yamlsource import Document, load_document, parse_document

SUITE_SCHEMA = "suite.schema.json"
MAX_REPEAT = 1000
"""The most times a `repeat` runs (also when its count comes from a reference)."""
MAX_POLL = 100
"""The most attempts of a `poll`."""
_REQUEST_ONLY = ("path", "query", "form", "json", "headers", "bearer", "follow_redirects", "url", "capture")
_VALUE_FIELDS = ("path", "query", "form", "json", "headers", "bearer", "url", "with", "otp")


@dataclass
class _Context:
    doc: Document
    family: str
    operations: dict[str, openapi.Operation]
    flows: dict[str, Flow]
    errors: list[ConfigError]
    defined: set[str] = field(default_factory=set)
    moves_time: bool = False
    needs: set[str] = field(default_factory=set)
    psu_vars: set[str] = field(default_factory=set)
    """Names that hold a PSU's facts (`sandbox: new_psu` as NAME, a flow's PSU export)."""
    psu_args: set[str] = field(default_factory=set)
    """Inside a flow: its arguments of type psu."""
    facts: set[str] = field(default_factory=set)

    def error(self, message: str, key_path: tuple[Any, ...]) -> None:
        self.errors.append(self.doc.error(message, key_path))


def is_suite_document(data: Any) -> bool:
    return isinstance(data, dict) and "cases" in data and "family" in data


def is_library_document(data: Any) -> bool:
    """A family's flow library (`suites/<family>/flows.yaml`): flows, no cases."""
    return isinstance(data, dict) and "library" in data and "cases" not in data


def load_suite(path: str | Path, text: str | None = None) -> Suite:
    """Load and check one suite file; raises `ConfigErrors` listing every problem found."""
    path = Path(path)
    if text is not None:
        return build_suite(parse_document(text, path))
    cached = _cached(path)
    if cached is not None:
        return cached
    return _remember(path, build_suite(load_document(path)))


_LOADED: dict[Path, tuple[tuple[int, int], Suite]] = {}
"""Suites already checked in this process, by resolved path, with the file's (mtime, size):
`psd2-harness run` checks every suite before pytest starts, and pytest's collection, in
the same process, then finds them here instead of parsing and validating twice."""


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _cached(path: Path) -> Suite | None:
    entry = _LOADED.get(path.resolve())
    return entry[1] if entry is not None and entry[0] == _stat_key(path) else None


def _remember(path: Path, suite: Suite) -> Suite:
    key = _stat_key(path)
    if key is not None:
        _LOADED[path.resolve()] = (key, suite)
    return suite


def cached_suite(path: Path) -> Suite | None:
    """The suite at `path` if this process already loaded it and the file is unchanged."""
    return _cached(path)


def remember_suite(path: Path, suite: Suite) -> Suite:
    return _remember(path, suite)


def build_suite(doc: Document) -> Suite:
    """Check a parsed suite document and build its model."""
    path = doc.path
    raw_bytes = path.read_bytes() if path.is_file() else b""
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error("a suite must be a YAML mapping; expected keys family, title, cases")])
    errors = validate(doc, SUITE_SCHEMA)
    if errors:
        raise ConfigErrors(errors)
    data = doc.data
    family = data["family"]
    if family not in openapi.known_families():
        raise ConfigErrors(
            [
                doc.error(
                    f"unknown family {family!r}; expected one of: {', '.join(openapi.known_families())}", ("family",)
                )
            ]
        )
    ctx = _Context(
        doc=doc, family=family, operations=openapi.operations(family), flows=dict(library(family)), errors=[]
    )
    for name, raw_flow in (data.get("flows") or {}).items():
        # a suite's own flow of a library flow's name shadows it in this suite (and a target's
        # replacement of the library flow does not reach it); the bundled suites shadow none
        ctx.flows[name] = _build_flow(ctx, name, raw_flow)
    cases = []
    seen: dict[str, tuple[Any, ...]] = {}
    for index, raw_case in enumerate(data["cases"]):
        key_path = ("cases", index)
        if raw_case["id"] in seen:
            ctx.error(
                f"duplicate case id {raw_case['id']!r}; expected each id once "
                f"(first at line {doc.location(seen[raw_case['id']]).line})",
                key_path + ("id",),
            )
        seen[raw_case["id"]] = key_path
        cases.append(_build_case(ctx, raw_case, key_path))
    if ctx.errors:
        raise ConfigErrors(ctx.errors)
    return Suite(
        path=path,
        family=family,
        title=data["title"],
        description=data.get("description", ""),
        parameters=data.get("parameters") or {},
        flows=ctx.flows,
        cases=tuple(cases),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def suite_files(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, or found below the folders named, in a stable order.

    Symlinks are not followed into folders (a loop would never end); a symlink, file or
    folder, that leads out of the folder named is refused: a suite folder is what it holds."""
    out: list[Path] = []
    for item in paths:
        p = Path(item)
        if not p.is_dir():
            out.append(p)
            continue
        root = p.resolve()
        found: list[Path] = []
        for here, dirs, files in os.walk(p, followlinks=False):
            for name in dirs + files:
                full = Path(here) / name
                if full.is_symlink():
                    real = full.resolve()
                    if real != root and root not in real.parents:
                        raise ConfigError(
                            f"symlink {full} leads out of the suite folder {p} (to {real}); expected "
                            "the suites themselves, or a link inside the folder",
                            Location(str(full)),
                        )
                    here_real = Path(here).resolve()
                    if real.is_dir() and (real == here_real or real in here_real.parents):
                        raise ConfigError(
                            f"symlink {full} loops back to {real}; expected no link to a folder above it",
                            Location(str(full)),
                        )
            found += [Path(here) / f for f in files if f.endswith((".yaml", ".yml"))]
        out.extend(sorted(found))
    return out


def load_suites(paths: Iterable[str | Path]) -> list[Suite]:
    """Every suite below `paths`; all errors of all files are reported together."""
    suites: list[Suite] = []
    errors: list[ConfigError] = []
    for path in suite_files(paths):
        try:
            if path.name == LIBRARY_FILE and is_library_document(load_document(path).data):
                load_library_file(path)  # checked like a suite, shared by the family's suites
                continue
            suites.append(load_suite(path))
        except ConfigErrors as exc:
            errors.extend(exc.errors)
        except ConfigError as exc:
            errors.append(exc)
    first: dict[str, Case] = {}
    for suite in suites:
        for case in suite.cases:
            if case.id in first:
                errors.append(
                    ConfigError(
                        f"case id {case.id!r} is used twice; expected unique ids (also at {first[case.id].location})",
                        case.location,
                    )
                )
            first.setdefault(case.id, case)
    if errors:
        raise ConfigErrors(errors)
    return suites


# -- the flow library ------------------------------------------------------------------

LIBRARY_FILE = "flows.yaml"
_LIBRARIES: dict[str, dict[str, Flow]] = {}


def _library_path(family: str) -> Path:
    from harness.paths import suites_dir

    return suites_dir() / family / LIBRARY_FILE


def library(family: str) -> dict[str, Flow]:
    """The family's flow library (`suites/<family>/flows.yaml`), built once per process;
    empty for a family without one."""
    if family not in _LIBRARIES:
        path = _library_path(family)
        _LIBRARIES[family] = load_library_file(path) if path.is_file() else {}
    return _LIBRARIES[family]


def load_library_file(path: Path) -> dict[str, Flow]:
    """Check one flow library file; raises `ConfigErrors` listing every problem."""
    doc = load_document(path)
    if not is_library_document(doc.data):
        raise ConfigErrors([doc.error("a flow library is a mapping with library (the family) and flows")])
    errors = validate(doc, SUITE_SCHEMA)
    if errors:
        raise ConfigErrors(errors)
    family = doc.data["library"]
    if family not in openapi.known_families():
        raise ConfigErrors(
            [
                doc.error(
                    f"unknown family {family!r}; expected one of: {', '.join(openapi.known_families())}", ("library",)
                )
            ]
        )
    ctx = _Context(doc=doc, family=family, operations=openapi.operations(family), flows={}, errors=[])
    for name, raw_flow in doc.data["flows"].items():
        if "exports" not in raw_flow:
            ctx.error(
                f"library flow {name!r} declares no exports; expected exports: [NAMES] (what a caller may "
                "read, and what a target's replacement must define; [] for none)",
                ("flows", name),
            )
        if "args" in raw_flow and not isinstance(raw_flow["args"], dict):
            ctx.error(
                f"library flow {name!r} lists its args untyped; expected args: {{NAME: psu | value}}",
                ("flows", name, "args"),
            )
        ctx.flows[name] = _build_flow(ctx, name, raw_flow, lib=family)
    if ctx.errors:
        raise ConfigErrors(ctx.errors)
    return ctx.flows


def replacement_flow(doc: Document, family: str, name: str, raw: dict[str, Any], key_path: tuple[Any, ...]) -> Flow:
    """A target's replacement for library flow `name`: the library's args, its own steps,
    every declared export defined. Raises `ConfigErrors` naming the target file's lines."""
    flows = library(family)
    original = flows.get(name)
    if original is None:
        raise ConfigErrors(
            [
                doc.error(
                    f"the {family} flow library has no flow {name!r} to replace; expected one of: "
                    f"{', '.join(flows) or 'none'} ({_library_path(family)})",
                    key_path,
                )
            ]
        )
    if "args" in raw or "exports" in raw:
        raise ConfigErrors(
            [
                doc.error(
                    f"a replacement takes the library flow's args ({', '.join(original.args) or 'none'}) and exports "
                    f"({', '.join(sorted(original.exports)) or 'none'}); expected only steps (and a description)",
                    key_path + (("args",) if "args" in raw else ("exports",)),
                )
            ]
        )
    problems = validate_part(doc, key_path, SUITE_SCHEMA, "flow")
    if problems:
        raise ConfigErrors(problems)
    ctx = _Context(
        doc=doc,
        family=family,
        operations=openapi.operations(family),
        flows={k: v for k, v in flows.items() if k != name},
        errors=[],
    )
    flow = _build_flow(ctx, name, raw, key_path=key_path, like=original)
    if ctx.errors:
        raise ConfigErrors(ctx.errors)
    return flow


# -- flows and cases -------------------------------------------------------------------


def _build_flow(
    ctx: _Context,
    name: str,
    raw: dict[str, Any],
    *,
    key_path: tuple[Any, ...] | None = None,
    lib: str = "",
    like: Flow | None = None,
) -> Flow:
    """A flow of a suite, of a library (`lib`), or a target's replacement of library flow `like`."""
    key_path = key_path or ("flows", name)
    raw_args = raw.get("args") or ()
    arg_types = (
        dict(like.arg_types)
        if like is not None
        else (dict(raw_args) if isinstance(raw_args, dict) else {a: "value" for a in raw_args})
    )
    ctx.defined = {"regime", "params", "args"}
    ctx.moves_time = False
    ctx.psu_vars, ctx.facts = set(), set()
    ctx.psu_args = {a for a, kind in arg_types.items() if kind == "psu"}
    steps = _build_steps(ctx, raw["steps"], key_path + ("steps",), args=set(arg_types))
    defined = frozenset(ctx.defined - {"regime", "params", "args"})
    declared = like.exports if like is not None else (frozenset(raw["exports"]) if "exports" in raw else None)
    if declared is not None:
        missing = sorted(declared - defined)
        if missing:
            whose = f"library flow {name!r} declares" if like is not None else "it declares"
            ctx.error(
                f"flow {name!r} does not define {', '.join(missing)}, which {whose} as exports; expected a "
                f"capture or step that defines {'it' if len(missing) == 1 else 'each'} "
                f"(defined: {', '.join(sorted(defined)) or 'nothing'})",
                key_path + ("steps",),
            )
    exports = declared if declared is not None else defined
    return Flow(
        name=name,
        args=tuple(arg_types),
        steps=steps,
        location=ctx.doc.location(key_path),
        exports=exports,
        arg_types=arg_types,
        facts=frozenset(ctx.facts),
        psu_exports=frozenset(exports & ctx.psu_vars),
        library=lib or (like.library if like is not None else ""),
        declared_exports=declared is not None,
        probe=like.probe if like is not None else (raw.get("probe") or {}),
    )


def _build_case(ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...]) -> Case:
    known = catalogue()
    for i, rid in enumerate(raw["requirements"]):
        if rid not in known:
            ctx.error(
                f"unknown requirement ID {rid!r}; expected an ID of specs/requirements.yaml "
                f"(e.g. {', '.join(list(known)[:4])}, ...)",
                key_path + ("requirements", i),
            )
    ctx.defined = {"regime", "params"}
    ctx.moves_time = False
    ctx.needs = set()
    ctx.psu_vars, ctx.psu_args, ctx.facts = set(), set(), set()
    steps = _build_steps(ctx, raw["steps"], key_path + ("steps",), args=None)
    psu = raw.get("psu", "fresh")
    needs = set(raw.get("needs") or ()) | ctx.needs
    if "new_psu" in needs:  # what a PSU-making step needs depends on the case: its own PSUs, or any
        needs.discard("new_psu")
        needs.add("fresh_psu" if psu == "fresh" else "psu")
    if psu == "any" and ctx.moves_time:
        ctx.error(
            "a case that moves the clock changes its PSUs' time and cannot share a fixed test user; "
            "expected psu: fresh (the default)",
            key_path + ("psu",),
        )
    if not _has_check(steps, None, ctx.flows):
        ctx.error(
            f"case {raw['id']!r} has no check: every step is a precondition (role setup) or expects nothing; "
            "expected at least one request with expect: (or capture:) that checks its requirements (role check, "
            "the default of a request step)",
            key_path + ("steps",),
        )
    return Case(
        id=raw["id"],
        title=raw["title"],
        requirements=tuple(raw["requirements"]),
        severity=raw["severity"],
        needs=frozenset(needs),
        steps=steps,
        location=ctx.doc.location(key_path),
        description=raw.get("description", ""),
        tags=tuple(raw.get("tags") or ()),
        moves_time=ctx.moves_time,
        facts=frozenset(ctx.facts),
        psu=psu,
    )


def _has_check(steps: tuple[Step, ...], inherited: str | None, flows: dict[str, Flow]) -> bool:
    """Whether running these steps checks anything (an expectation in role check)."""
    for step in steps:
        role = step.role_of(inherited)
        checks = isinstance(step, (Poll, ReadOtp)) or (
            isinstance(step, Request) and (step.expect is not None or bool(step.capture))
        )
        if role == CHECK and checks:
            return True
        inner = flows[step.flow].steps if isinstance(step, FlowCall) and step.flow in flows else step.body
        if _has_check(inner, step.passes_on(inherited), flows):
            return True
    return False


def _build_steps(ctx: _Context, raws: list[Any], key_path: tuple[Any, ...], args: set[str] | None) -> tuple[Step, ...]:
    built = (_build_step(ctx, raw, key_path + (i,), args) for i, raw in enumerate(raws))
    return tuple(step for step in built if step is not None)


def _build_step(ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...], args: set[str] | None) -> Step | None:
    """The typed step a written one means (None, with the errors recorded, if it means none)."""
    kinds = kind_of(raw)
    location = ctx.doc.location(key_path)
    if len(kinds) != 1:
        found = ", ".join(k.key for k in kinds) if kinds else "none"
        ctx.error(
            f"a step needs exactly one of {', '.join(k.key for k in STEP_KINDS)} (or method with url); found: {found}",
            key_path,
        )
        return None
    kind = kinds[0]
    if kind is not Request:
        stray = [k for k in _REQUEST_ONLY if k in raw]
        if stray:
            ctx.error(
                f"{', '.join(stray)} only belong to a request step; this is a {kind.key} step", key_path + (stray[0],)
            )
    _check_references(ctx, raw, key_path, args)
    common: dict[str, Any] = {"location": location, "title": raw.get("title", ""), "role": raw.get("role")}
    if kind is Request:
        return _build_request(ctx, raw, key_path, common, args)
    if kind is FlowCall:
        return _build_flow_call(ctx, raw, key_path, common)
    if kind is Advance:
        _check_advance(ctx, raw["advance"], key_path + ("advance",))
        ctx.moves_time = True
        ctx.needs.add("clock")
        return Advance(by=raw["advance"], **common)
    if kind is NewPsu:
        name = raw.get("as", "psu")
        ctx.needs.add("new_psu")
        ctx.defined.add(name)
        ctx.psu_vars.add(name)
        return NewPsu(save_as=name, **common)
    if kind is ReadOtp:
        ctx.needs.add("otp")
        ctx.defined.add(raw.get("as", "otp"))
        otp = raw["otp"]
        return ReadOtp(
            to=otp["to"],
            channel=otp.get("channel"),
            wrong=bool(otp.get("wrong")),
            save_as=raw.get("as", "otp"),
            **common,
        )
    if kind is Repeat:
        return _build_repeat(ctx, raw["repeat"], key_path + ("repeat",), common, args)
    return _build_poll(ctx, raw["poll"], key_path + ("poll",), common, args)


def _build_repeat(
    ctx: _Context, body: dict[str, Any], key_path: tuple[Any, ...], common: dict[str, Any], args: set[str] | None
) -> Repeat:
    times = body["times"]
    if isinstance(times, int) and not isinstance(times, bool) and times > MAX_REPEAT:
        ctx.error(
            f"repeat times {times} is more than {MAX_REPEAT}; expected at most {MAX_REPEAT} "
            "(each repetition writes evidence)",
            key_path + ("times",),
        )
    for item in times if isinstance(times, list) else [times]:
        if (
            isinstance(item, bool)
            or not isinstance(item, (int, str))
            or isinstance(item, str)
            and parse_reference(item) is None
        ):
            ctx.error(
                f"repeat times {times!r} must be a whole number, a ${{...}} reference, or a list of them summed",
                key_path + ("times",),
            )
            break
    if "index" in body:
        ctx.defined.add(body["index"])
    steps = _build_steps(ctx, body["steps"], key_path + ("steps",), args)
    return Repeat(times=times, index=body.get("index"), steps=steps, **common)


def _build_poll(
    ctx: _Context, body: dict[str, Any], key_path: tuple[Any, ...], common: dict[str, Any], args: set[str] | None
) -> Poll:
    attempts = int(body.get("attempts", 10))
    if attempts > MAX_POLL:
        ctx.error(
            f"poll attempts {attempts} is more than {MAX_POLL}; expected at most {MAX_POLL}", key_path + ("attempts",)
        )
    if "interval" in body:
        _check_advance(ctx, body["interval"], key_path + ("interval",))
    steps = _build_steps(ctx, body["steps"], key_path + ("steps",), args)
    until = _build_expect(ctx, body["until"], key_path + ("until",), args)
    halt = _build_expect(ctx, body["halt"], key_path + ("halt",), args) if "halt" in body else None
    return Poll(steps=steps, until=until, halt=halt, attempts=attempts, interval=body.get("interval", "1s"), **common)


def _build_request(
    ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...], common: dict[str, Any], args: set[str] | None
) -> Request:
    if "request" in raw:
        op = ctx.operations.get(raw["request"])
        if op is None:
            near = _near(raw["request"], ctx.operations)
            ctx.error(
                f"unknown operationId {raw['request']!r} for family {ctx.family}; expected one of "
                f"specs/{ctx.family}.openapi.yaml or specs/sandbox.openapi.yaml{near}",
                key_path + ("request",),
            )
        elif op.document.startswith("sandbox"):
            ctx.needs.add("sandbox")
    elif "url" not in raw:
        ctx.error("a request by method needs a url (a path relative to the family base, or an absolute URL)", key_path)
    expect = _build_expect(ctx, raw["expect"], key_path + ("expect",), args) if "expect" in raw else None
    capture: dict[str, Capture] = {}
    for name, written in (raw.get("capture") or {}).items():
        built = captures.build(written)
        if isinstance(built, str):
            ctx.error(f"capture {name!r}: {built}", key_path + ("capture", name))
        else:
            capture[name] = built
        ctx.defined.add(name)
    if "as" in raw:
        ctx.defined.add(raw["as"])
    return Request(
        operation=raw.get("request"),
        method=str(raw.get("method", "")),
        url=raw.get("url"),
        path=raw.get("path") or {},
        query=raw.get("query"),
        form=raw.get("form"),
        json=raw.get("json"),
        has_json="json" in raw,
        headers=raw.get("headers") or {},
        bearer=raw.get("bearer"),
        follow_redirects=bool(raw.get("follow_redirects", False)),
        expect=expect,
        capture=capture,
        save_as=raw.get("as"),
        **common,
    )


def _build_flow_call(ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...], common: dict[str, Any]) -> FlowCall:
    call = FlowCall(flow=raw["flow"], args=raw.get("with") or {}, save_as=raw.get("as"), **common)
    flow = ctx.flows.get(call.flow)
    if flow is None:
        known = ", ".join(ctx.flows) or "none defined"
        ctx.error(
            f"unknown flow {call.flow!r}; expected one of: {known} (flows are defined before use, "
            "under the suite's flows key)",
            key_path + ("flow",),
        )
        return call
    given = set(call.args)
    missing, extra = set(flow.args) - given, given - set(flow.args)
    if missing:
        ctx.error(
            f"flow {flow.name!r} needs argument(s) {', '.join(sorted(missing))}; "
            f"expected with: {{{', '.join(flow.args)}}}",
            key_path + ("with",),
        )
    if extra:
        ctx.error(
            f"flow {flow.name!r} takes no argument(s) {', '.join(sorted(extra))}; "
            f"expected only: {', '.join(flow.args) or 'none'}",
            key_path + ("with",),
        )
    for arg, value in call.args.items():
        ref = parse_reference(value) if isinstance(value, str) else None
        if flow.arg_types.get(arg) == "psu" and (ref is None or not _is_psu_ref(ctx, ref)):
            ctx.error(
                f"argument {arg!r} of flow {flow.name!r} is a PSU; expected a reference to one, such as "
                f'"${{psu}}" (made by sandbox: new_psu)',
                key_path + ("with", arg),
            )
    if any(isinstance(s, Advance) for s in walk(flow.steps, ctx.flows)):
        ctx.moves_time = True
        ctx.needs.add("clock")
    ctx.needs |= _flow_needs(flow, ctx.flows)
    ctx.facts |= flow.facts
    if call.save_as is not None:
        ctx.defined.add(call.save_as)
    else:
        ctx.defined |= flow.exports
        ctx.psu_vars |= flow.psu_exports
    return call


def _is_psu_ref(ctx: _Context, ref: str) -> bool:
    parts = ref.split(".")
    return (len(parts) == 1 and parts[0] in ctx.psu_vars) or (
        len(parts) == 2 and parts[0] == "args" and parts[1] in ctx.psu_args
    )


def _flow_needs(flow: Flow, flows: dict[str, Flow]) -> set[str]:
    needs: set[str] = set()
    for step in walk(flow.steps, flows):
        if isinstance(step, NewPsu):
            needs.add("new_psu")
        elif isinstance(step, ReadOtp):
            needs.add("otp")
        elif isinstance(step, Advance):
            needs.add("clock")
        elif isinstance(step, Request) and step.operation in openapi.sandbox_operation_ids():
            needs.add("sandbox")
    return needs


def _build_expect(ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...], args: set[str] | None) -> Expectation:
    pointers = list((raw.get("json") or {}).keys()) + list(raw.get("present") or []) + list(raw.get("absent") or [])
    pointers += list((raw.get("at_most") or {}).keys()) + list((raw.get("at_least") or {}).keys())
    pointers += list((raw.get("contains") or {}).keys())
    for pointer, items in (raw.get("contains") or {}).items():
        if not isinstance(items, list) or not items:
            ctx.error(
                f"contains {pointer} needs a list of the entries the list there must contain; expected e.g. "
                "[{code: PSD2_SCA_REQUIRED}]",
                key_path + ("contains", pointer),
            )
    for pointer in pointers:
        if not isinstance(pointer, str) or not (pointer == "" or pointer.startswith("/")):
            ctx.error(f"{pointer!r} is not a JSON Pointer; expected e.g. /result/outcome", key_path)
    if raw.get("schema"):
        from harness.checks import load_schema_ref
        from harness.errors import SchemaRefError

        try:
            load_schema_ref(raw["schema"])
        except SchemaRefError as exc:
            ctx.error(str(exc), key_path + ("schema",))
    same_as = raw.get("same_as")
    if same_as and same_as["response"] not in ctx.defined:
        ctx.error(
            f"same_as names {same_as['response']!r}, which no earlier step saved; expected the `as:` "
            "name of an earlier request",
            key_path + ("same_as", "response"),
        )
    for pointer, names in (raw.get("unique") or {}).items():
        for name in names if isinstance(names, list) else [names]:
            if not isinstance(name, str) or name not in ctx.defined:
                ctx.error(
                    f"unique compares with {name!r}, which no earlier step captured; expected a capture name "
                    "or a list of them",
                    key_path + ("unique", pointer),
                )
    return Expectation(
        status=raw.get("status"),
        headers=raw.get("headers") or {},
        headers_present=tuple(raw.get("headers_present") or ()),
        headers_absent=tuple(raw.get("headers_absent") or ()),
        json=raw.get("json") or {},
        contains=raw.get("contains") or {},
        present=tuple(raw.get("present") or ()),
        absent=tuple(raw.get("absent") or ()),
        schema=raw.get("schema"),
        same_as=same_as,
        unique=raw.get("unique") or {},
        at_most=raw.get("at_most") or {},
        at_least=raw.get("at_least") or {},
        location=ctx.doc.location(key_path),
    )


# -- values ---------------------------------------------------------------------------


def _check_references(ctx: _Context, raw: dict[str, Any], key_path: tuple[Any, ...], args: set[str] | None) -> None:
    fields = {k: raw[k] for k in _VALUE_FIELDS if k in raw}
    if "advance" in raw:
        fields["advance"] = raw["advance"]
    if "repeat" in raw:
        fields["repeat"] = {"times": raw["repeat"].get("times")}
    if "poll" in raw:
        fields["poll"] = {"interval": raw["poll"].get("interval")}
    expect = raw.get("expect") or {}
    fields["expect"] = {
        "json": expect.get("json") or {},
        "headers": expect.get("headers") or {},
        "contains": expect.get("contains") or {},
        "at_most": expect.get("at_most") or {},
        "at_least": expect.get("at_least") or {},
    }
    for sub_path, text in templated_strings(fields):
        ctx.error(
            f"{text!r} mixes text and ${{...}}; expected a whole value such as ${{token}} "
            "(use `bearer:` for Authorization headers)",
            key_path + sub_path,
        )
    limits = load_regime().limits
    for sub_path, ref in references(fields):
        where = key_path + sub_path
        root, _, rest = ref.partition(".")
        if ref.startswith("env:"):
            if ref[4:] not in os.environ:
                ctx.error(f"environment variable {ref[4:]} is not set; expected it exported before the run", where)
        elif root == "regime":
            if rest not in limits:
                ctx.error(
                    f"unknown regime value {ref!r}; expected one of: {', '.join('regime.' + k for k in limits)}", where
                )
        elif root == "params":
            params = ctx.doc.data.get("parameters") or {}
            if rest.split(".")[0] not in params:
                ctx.error(
                    f"undefined parameter ${{{ref}}}; expected one of the suite's parameters: "
                    f"{', '.join(params) or 'none defined'}",
                    where,
                )
        elif root == "args":
            if args is None:
                ctx.error(f"${{{ref}}} is only available inside a flow", where)
            elif rest.split(".")[0] not in args:
                ctx.error(
                    f"undefined flow argument ${{{ref}}}; expected one of: {', '.join(sorted(args)) or 'none'}", where
                )
            elif rest.split(".")[0] in ctx.psu_args:
                _check_fact(ctx, ref, rest.split(".")[1:], where)
        elif root in ctx.psu_vars:
            _check_fact(ctx, ref, rest.split(".") if rest else [], where)
        elif root not in ctx.defined:
            defined = sorted(ctx.defined - {"regime", "params", "args"})
            ctx.error(
                f"undefined variable ${{{ref}}}; no earlier step defines {root!r} "
                f"(defined so far: {', '.join(defined) or 'none'})",
                where,
            )


def _check_fact(ctx: _Context, ref: str, parts: list[str], where: tuple[Any, ...]) -> None:
    problem = family_facts(ctx.family).check_reference(parts)
    if problem:
        ctx.error(f"${{{ref}}}: {problem}", where)
    elif parts:
        ctx.facts.add(parts[0])


MAX_ADVANCE = 20 * 366 * 86400
"""The longest clock move a step may make (20 years): more is a typo, not a probe."""


def _check_advance(ctx: _Context, value: Any, key_path: tuple[Any, ...]) -> None:
    """Each part a duration or a reference; where every part is known at load (literals and
    regime values), the sum must be a move forward of at most MAX_ADVANCE."""
    items = value if isinstance(value, list) else [value]
    limits = load_regime().limits
    total: int | None = 0
    for i, item in enumerate(items):
        ref = parse_reference(item) if isinstance(item, str) else None
        if ref is not None:
            root, _, rest = ref.partition(".")
            known = limits.get(rest) if root == "regime" else None
            total = total + int(known) if total is not None and isinstance(known, int) else None
            continue
        try:
            seconds = parse_duration(item)
        except DurationError as exc:
            ctx.error(str(exc), key_path + ((i,) if isinstance(value, list) else ()))
            return
        total = total + seconds if total is not None else None
    if total is not None and not 0 <= total <= MAX_ADVANCE:
        ctx.error(
            f"the clock would move by {total} s; expected a move forward (0 or more) of at most "
            f"{MAX_ADVANCE} s (clocks only move forward; 20 years is plenty)",
            key_path,
        )


def _near(name: str, options: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(options), n=3)
    return f" (did you mean {', '.join(close)}?)" if close else ""
