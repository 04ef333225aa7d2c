"""The observables rule: a case asserts only what its requirements let it observe.

A literal in an expectation (a status, a code, a field, a state value) that no rule of
the case names is the reference bank's own choice; asserting it fails every compliant
bank that chose otherwise. `violations` reads suite documents (not the model, so that
every finding names the literal's own `file:line:column`) and follows each case into the
flows it calls, in the role it calls them with. Preconditions may in addition expect any
2xx/3xx status, and `present`/`absent` may name the family's data pointers
(`specs/facts/<family>.yaml`): "no data came back" is what a refusal rule is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.catalogue import Observables, catalogue
from harness.errors import ConfigError
from harness.facts import family_facts
from harness.model import SETUP, kind_of
from harness.values import parse_reference
from harness.yamlsource import Document, load_document

_POINTER_KEYS = ("json", "contains", "at_most", "at_least", "unique")


@dataclass(frozen=True)
class _Scope:
    """Where a case's walk stands: the document of the steps, its parameters, the flows."""

    doc: Document
    params: dict[str, Any]
    flows: dict[str, tuple[Document, tuple[Any, ...], dict[str, Any]]]


def field_of(pointer: str) -> str:
    """A pointer with list indices left out: /result/messages/0/code -> /result/messages/code."""
    return "/".join(p for p in pointer.split("/") if not p.isdigit()) or "/"


def violations(paths: list[Path], library_paths: list[Path]) -> list[ConfigError]:
    """Every literal of every case's expectations that is no observable of its requirements."""
    reqs = catalogue()
    libraries: dict[str, dict[str, tuple[Document, tuple[Any, ...], dict[str, Any]]]] = {}
    for path in library_paths:
        doc = load_document(path)
        flows = doc.data.get("flows") or {}
        libraries[doc.data["library"]] = {name: (doc, ("flows", name), raw) for name, raw in flows.items()}
    out: list[ConfigError] = []
    for path in paths:
        doc = load_document(path)
        data = doc.data
        if not isinstance(data, dict) or "cases" not in data:
            continue
        flows = dict(libraries.get(data["family"], {}))
        flows.update({name: (doc, ("flows", name), raw) for name, raw in (data.get("flows") or {}).items()})
        scope = _Scope(doc, data.get("parameters") or {}, flows)
        data_pointers = {field_of(p) for p in family_facts(data["family"]).data}
        for i, case in enumerate(data["cases"]):
            rules = [reqs[r] for r in case.get("requirements", []) if r in reqs]
            allowed = _Allowed(tuple(r.id for r in rules), tuple(r.observables for r in rules), data_pointers)
            out += _walk(scope, case["steps"], ("cases", i, "steps"), None, allowed, set())
    return list({str(e): e for e in out}.values())


@dataclass(frozen=True)
class _Allowed:
    ids: tuple[str, ...]
    observables: tuple[Observables, ...]
    data: set[str]

    def summary(self) -> str:
        parts = []
        for rid, obs in zip(self.ids, self.observables, strict=True):
            items = [str(s) for s in obs.statuses] + [repr(v) for v in obs.values] + list(obs.fields)
            parts.append(f"{rid}: {', '.join(items) or 'none declared'}")
        return "; ".join(parts)

    def who(self) -> str:
        return " or ".join(self.ids) or "the case's requirements"


def _walk(
    scope: _Scope,
    steps: list[Any],
    key: tuple[Any, ...],
    inherited: str | None,
    allowed: _Allowed,
    seen: set[tuple[str, str]],
) -> list[ConfigError]:
    out: list[ConfigError] = []
    for i, step in enumerate(steps):
        here = key + (i,)
        kinds = kind_of(step)
        if len(kinds) != 1:  # the loader reports it
            continue
        kind = kinds[0].key
        role = step.get("role") or inherited or kinds[0].default_role
        passes_on = role if kind == "flow" else (step.get("role") or inherited)
        if kind == "request" and "expect" in step:
            out += _expectation(scope, step["expect"], here + ("expect",), role, allowed)
        elif kind == "poll":
            body = step["poll"]
            for part in ("until", "halt"):
                if part in body:
                    out += _expectation(scope, body[part], here + ("poll", part), role, allowed)
            out += _walk(scope, body["steps"], here + ("poll", "steps"), passes_on, allowed, seen)
        elif kind == "repeat":
            out += _walk(scope, step["repeat"]["steps"], here + ("repeat", "steps"), passes_on, allowed, seen)
        elif kind == "flow" and step["flow"] in scope.flows:
            doc, fkey, raw = scope.flows[step["flow"]]
            mark = (str(doc.path), step["flow"] + ":" + passes_on)
            if mark in seen:  # a flow calling itself, or checked for this case already in this role
                continue
            inner = _Scope(
                doc, (doc.data.get("parameters") or {}) if doc is not scope.doc else scope.params, scope.flows
            )
            out += _walk(inner, raw.get("steps") or [], fkey + ("steps",), passes_on, allowed, seen | {mark})
    return out


def _expectation(
    scope: _Scope, expect: dict[str, Any], key: tuple[Any, ...], role: str, allowed: _Allowed
) -> list[ConfigError]:
    doc = scope.doc
    out: list[ConfigError] = []

    def bad(what: str, where: tuple[Any, ...]) -> None:
        out.append(
            doc.error(f"{what} is not an observable of {allowed.who()} (observables: {allowed.summary()})", where)
        )

    status = expect.get("status")
    for item in status if isinstance(status, list) else [status] if status is not None else []:
        setup_ok = role == SETUP and str(item)[0] in "23"
        if not setup_ok and not any(o.allows_status(item) for o in allowed.observables):
            bad(f"status {item!r}", key + ("status",))
    fields = {f for o in allowed.observables for f in o.fields}
    for part in _POINTER_KEYS:
        for pointer, value in (expect.get(part) or {}).items():
            where = key + (part, pointer)
            if field_of(pointer) not in fields:
                bad(f"field {pointer!r}", where)
            if part in ("json", "contains"):
                for sub, literal in _leaves(value, pointer):
                    if sub != pointer and field_of(sub) not in fields:
                        bad(f"field {sub!r}", where)
                    _literal(scope, literal, where, allowed, bad)
    for part in ("present", "absent"):
        for j, pointer in enumerate(expect.get(part) or []):
            if field_of(pointer) not in fields and field_of(pointer) not in allowed.data:
                bad(f"field {pointer!r} ({part})", key + (part, j))
    for name, value in (expect.get("headers") or {}).items():
        _literal(scope, value, key + ("headers", name), allowed, bad)
    return out


def _literal(scope: _Scope, value: Any, where: tuple[Any, ...], allowed: _Allowed, bad: Any) -> None:
    """A scalar an expectation compares with: a reference to a captured value is no literal,
    a suite parameter is the literal it stands for."""
    if isinstance(value, str):
        ref = parse_reference(value)
        if ref is not None:
            root, _, rest = ref.partition(".")
            if root != "params" or rest not in scope.params:
                return
            value = scope.params[rest]
            if isinstance(value, (dict, list)):
                for _, leaf in _leaves(value, ""):
                    _literal(scope, leaf, where, allowed, bad)
                return
    if not any(o.allows_value(value) for o in allowed.observables):
        bad(repr(value), where)


def _leaves(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """(pointer, scalar) of every scalar inside an expected value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{pointer}/{k}")
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, pointer)
    else:
        yield pointer, value


def bundled_violations() -> list[ConfigError]:
    """The rule over every bundled suite (what the test command enforces)."""
    from harness.paths import suites_dir

    files = sorted(p for p in suites_dir().rglob("*.yaml") if p.is_file())
    libs = [p for p in files if p.name == "flows.yaml"]
    return violations([p for p in files if p not in libs], libs)
