"""Expectations as plain named checks. Each returns the mismatches it found, never raises.

A mismatch says where (JSON Pointer, header or status), what the suite expected and what
came back; the engine turns a non-empty list into one finding with every mismatch of the
step, so a bank sees all its faults at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness import jsonpointer
from harness.errors import SchemaRefError
from harness.model import Expectation
from harness.paths import specs_dir


@dataclass(frozen=True, slots=True)
class Mismatch:
    check: str
    where: str
    expected: str
    actual: str

    def __str__(self) -> str:
        if self.check == "schema":
            return f"{self.where}: does not conform to {self.expected}: {self.actual}"
        return f"{self.where}: expected {self.expected}, got {self.actual}"


@dataclass(frozen=True, slots=True)
class Observed:
    """What a check can look at: one response, plus the run's captures and saved responses."""

    status: int
    headers: Mapping[str, str]
    body: Any
    """Parsed JSON, or `jsonpointer.MISSING` when the body is not JSON."""
    text: str
    captures: Mapping[str, Any]
    responses: Mapping[str, Observed]
    request_line: str = ""
    """The request that got this response, "METHOD url" (empty when not known)."""


def short(value: Any, limit: int = 120) -> str:
    if value is jsonpointer.MISSING:
        return "nothing (absent)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- status and headers ---------------------------------------------------------------


def status_matches(expected: Any, status: int) -> bool:
    options = expected if isinstance(expected, list) else [expected]
    for option in options:
        if isinstance(option, int) and option == status:
            return True
        if isinstance(option, str) and len(option) == 3 and option.endswith("xx") and str(status)[0] == option[0]:
            return True
    return False


def check_status(exp: Expectation, obs: Observed, _: Any = None) -> list[Mismatch]:
    if exp.status is None or status_matches(exp.status, obs.status):
        return []
    wanted = " or ".join(map(str, exp.status)) if isinstance(exp.status, list) else str(exp.status)
    return [Mismatch("status", "status", wanted, str(obs.status))]


def check_headers(exp: Expectation, obs: Observed, values: Mapping[str, Any]) -> list[Mismatch]:
    out = []
    lower = {k.lower(): v for k, v in obs.headers.items()}
    for name, wanted in values.get("headers", exp.headers).items():
        got = lower.get(name.lower())
        if got is None or got != str(wanted):
            out.append(
                Mismatch("headers", f"header {name}", short(str(wanted)), short(got) if got else "no such header")
            )
    for name in exp.headers_present:
        if name.lower() not in lower:
            out.append(Mismatch("headers", f"header {name}", "present", "no such header"))
    for name in exp.headers_absent:
        if name.lower() in lower:
            out.append(Mismatch("headers", f"header {name}", "absent", short(lower[name.lower()])))
    return out


# -- body -----------------------------------------------------------------------------


def subset_mismatches(expected: Any, actual: Any, pointer: str) -> list[Mismatch]:
    """Objects match when every expected key matches; lists and scalars must be equal
    (lists element by element, each element a subset match)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch("json", pointer or "/", "an object", short(actual))]
        out = []
        for key, value in expected.items():
            child = jsonpointer.join(pointer, key)
            out += subset_mismatches(value, actual.get(key, jsonpointer.MISSING), child)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Mismatch("json", pointer or "/", short(expected), short(actual))]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += subset_mismatches(e, a, jsonpointer.join(pointer, i))
        return out
    if (
        actual is jsonpointer.MISSING
        or type(expected) is not type(actual)
        and not _numbers(expected, actual)
        or expected != actual
    ):
        return [Mismatch("json", pointer or "/", short(expected), short(actual))]
    return []


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def check_json(exp: Expectation, obs: Observed, values: Mapping[str, Any]) -> list[Mismatch]:
    out: list[Mismatch] = []
    for pointer, wanted in values.get("json", exp.json).items():
        out += subset_mismatches(wanted, jsonpointer.resolve(obs.body, pointer), pointer)
    return out


def check_contains(exp: Expectation, obs: Observed, values: Mapping[str, Any]) -> list[Mismatch]:
    """Containment: the list at each pointer has, for every expected item, an entry that
    matches it as a subset; other entries may be there (a bank may add an informational
    message next to the error a rule names)."""
    out: list[Mismatch] = []
    for pointer, wanted in values.get("contains", exp.contains).items():
        found = jsonpointer.resolve(obs.body, pointer)
        if not isinstance(found, list):
            out.append(Mismatch("contains", pointer, f"a list containing {short(wanted)}", short(found)))
            continue
        for item in wanted:
            if not any(not subset_mismatches(item, entry, pointer) for entry in found):
                out.append(
                    Mismatch(
                        "contains",
                        pointer,
                        f"an entry matching {short(item)}",
                        f"none among {len(found)}: {short(found)}",
                    )
                )
    return out


def check_presence(exp: Expectation, obs: Observed, _: Any = None) -> list[Mismatch]:
    out = []
    for pointer in exp.present:
        if jsonpointer.resolve(obs.body, pointer) is jsonpointer.MISSING:
            out.append(Mismatch("present", pointer, "a value", "nothing (absent)"))
    for pointer in exp.absent:
        found = jsonpointer.resolve(obs.body, pointer)
        if found is not jsonpointer.MISSING:
            out.append(Mismatch("absent", pointer, "nothing (absent)", short(found)))
    return out


def check_schema(exp: Expectation, obs: Observed, _: Any = None) -> list[Mismatch]:
    if not exp.schema:
        return []
    validator = schema_validator(exp.schema)
    out = []
    for error in sorted(validator.iter_errors(obs.body), key=lambda e: list(map(str, e.absolute_path)))[:10]:
        pointer = "".join(jsonpointer.join("", p) for p in error.absolute_path) or "/"
        out.append(Mismatch("schema", pointer, exp.schema, error.message[:200]))
    return out


def check_same_as(exp: Expectation, obs: Observed, _: Any = None) -> list[Mismatch]:
    """Art. 4(3)(a) oracle: same status and the same body but for the listed volatile fields."""
    if not exp.same_as:
        return []
    name = exp.same_as["response"]
    other = obs.responses[name]
    out = []
    if other.status != obs.status:
        out.append(Mismatch("same_as", "status", f"the same as response {name!r} ({other.status})", str(obs.status)))
    ignore = list(exp.same_as.get("ignore") or ())
    mine, theirs = _without(obs.body, ignore), _without(other.body, ignore)
    if mine is jsonpointer.MISSING or theirs is jsonpointer.MISSING:
        if obs.text != other.text:
            out.append(Mismatch("same_as", "body", f"the same text as response {name!r}", "a different text"))
        return out
    out += [
        Mismatch("same_as", m.where, f"{m.actual} (as in response {name!r})", m.expected)
        for m in _differences(theirs, mine, "")
    ]
    return out


def _without(body: Any, pointers: list[str]) -> Any:
    if body is jsonpointer.MISSING:
        return body
    copy = json.loads(json.dumps(body))
    for pointer in pointers:
        keys = jsonpointer.parts(pointer)
        parent = jsonpointer.resolve(copy, "".join(jsonpointer.join("", k) for k in keys[:-1])) if keys else None
        if isinstance(parent, dict):
            parent.pop(keys[-1], None)
        elif isinstance(parent, list) and keys[-1].isdigit() and int(keys[-1]) < len(parent):
            parent[int(keys[-1])] = None
    return copy


def _differences(a: Any, b: Any, pointer: str) -> list[Mismatch]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _differences(
                a.get(key, jsonpointer.MISSING), b.get(key, jsonpointer.MISSING), jsonpointer.join(pointer, key)
            )
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _differences(x, y, jsonpointer.join(pointer, i))
        return out
    return [] if a == b and type(a) is type(b) else [Mismatch("same_as", pointer or "/", short(b), short(a))]


def check_unique(exp: Expectation, obs: Observed, _: Any = None) -> list[Mismatch]:
    """The value differs from an earlier capture, or from each of a list of them (an id
    unique per response is compared with every id the case saw, not only the last)."""
    out = []
    for pointer, given in exp.unique.items():
        names = given if isinstance(given, list) else [given]
        mine = jsonpointer.resolve(obs.body, pointer)
        if mine is jsonpointer.MISSING:
            out.append(Mismatch("unique", pointer, f"a value different from {', '.join(names)}", "nothing (absent)"))
            continue
        for name in names:
            earlier = obs.captures.get(name, jsonpointer.MISSING)
            if mine == earlier:
                out.append(
                    Mismatch("unique", pointer, f"a value different from {name} ({short(earlier)})", "the same value")
                )
    return out


def check_bounds(exp: Expectation, obs: Observed, values: Mapping[str, Any]) -> list[Mismatch]:
    """Numeric limits: `at_most` (a cap such as a maximum token lifetime) and `at_least`."""
    out = []
    bounds: tuple[tuple[str, str, Callable[[Any, Any], bool]], ...] = (
        ("at_most", "at most", lambda a, b: bool(a <= b)),
        ("at_least", "at least", lambda a, b: bool(a >= b)),
    )
    for key, word, holds in bounds:
        for pointer, bound in values.get(key, getattr(exp, key)).items():
            found = jsonpointer.resolve(obs.body, pointer)
            if not _numbers(found, bound):
                if not _numbers(bound, bound):
                    out.append(Mismatch(key, pointer, f"a number {word} {short(bound)}", "a bound that is no number"))
                else:
                    out.append(Mismatch(key, pointer, f"a number {word} {short(bound)}", short(found)))
            elif not holds(found, bound):
                out.append(Mismatch(key, pointer, f"{word} {short(bound)}", short(found)))
    return out


CHECKS: dict[str, Callable[[Expectation, Observed, Mapping[str, Any]], list[Mismatch]]] = {
    "status": check_status,
    "headers": check_headers,
    "json": check_json,
    "contains": check_contains,
    "presence": check_presence,
    "schema": check_schema,
    "same_as": check_same_as,
    "unique": check_unique,
    "bounds": check_bounds,
}


def run_checks(exp: Expectation, obs: Observed, values: Mapping[str, Any]) -> list[Mismatch]:
    """Every check of the expectation; `values` holds its resolved `json` and `headers`."""
    out: list[Mismatch] = []
    for check in CHECKS.values():
        out += check(exp, obs, values)
    return out


# -- schema references into specs/ ----------------------------------------------------------


@cache
def _document(name: str) -> Any:
    """A schema document: a file of specs/ by name, or (from a target file's `schemas:`
    remap) an absolute path to the bank's own document."""
    if Path(name).is_absolute():
        try:
            with open(name, encoding="utf-8") as fh:
                return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, yaml.YAMLError) as exc:
            raise SchemaRefError(
                f"schema file {name!r} cannot be read ({exc.__class__.__name__}); expected a "
                "JSON or YAML schema document"
            ) from None
    path = specs_dir() / name
    if not path.is_file() or path.resolve().parent != specs_dir().resolve():
        raise SchemaRefError(
            f"schema file {name!r} not found in specs/; expected e.g. stepup.openapi.yaml#/components/schemas/Error"
        )
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_schema_ref(ref: str) -> Any:
    name, _, pointer = ref.partition("#")
    doc = _document(name)
    found = jsonpointer.resolve(doc, pointer) if pointer else doc
    if found is jsonpointer.MISSING or not isinstance(found, (dict, bool)):
        raise SchemaRefError(
            f"schema reference {ref!r}: nothing at {pointer or '/'} in {name}; expected a pointer to a schema object"
        )
    return found


@cache
def schema_validator(ref: str) -> Draft202012Validator:
    """A validator for the schema at `ref`; `#/...` references inside resolve in its document."""
    name, _, pointer = ref.partition("#")
    doc = _document(name)
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry = Registry().with_resource(f"urn:specs:{name}", resource)
    schema = {"$ref": f"urn:specs:{name}#{pointer}"}
    return Draft202012Validator(schema, registry=registry)
