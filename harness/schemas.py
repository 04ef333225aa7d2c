"""JSON Schema validation of loaded documents, with errors a person can act on.

Each schema is compiled once per process. Errors come back as `ConfigError`s pointing at the
offending node and saying what was expected, not jsonschema's raw repr.

A valid document (nearly every document, every run) is recognised by a checker compiled from
the schema into plain Python closures (`_checker`), about ten times faster than jsonschema's
validator; jsonschema itself runs only on a document the checker refuses, and its errors are
the ones reported. The checker knows the keywords the harness's schemas use, each with
jsonschema's own semantics; a schema with any other keyword jsonschema applies gets no checker,
so jsonschema decides every document of it.
"""

from __future__ import annotations

import json
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from harness.errors import ConfigError
from harness.paths import specs_dir
from harness.yamlsource import Document


@cache
def validator(name: str) -> Draft202012Validator:
    with open(specs_dir() / name, encoding="utf-8") as fh:
        schema = json.load(fh)
    return Draft202012Validator(schema)


def validate(doc: Document, schema_name: str) -> list[ConfigError]:
    check = _checker(schema_name)
    if check is not None and check(doc.data):
        return []
    errors = sorted(validator(schema_name).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    return [doc.error(_explain(error), _key_path(error)) for error in _leaves(errors)]


@cache
def _definition_validator(name: str, definition: str) -> Draft202012Validator:
    with open(specs_dir() / name, encoding="utf-8") as fh:
        schema = json.load(fh)
    return Draft202012Validator({"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def validate_part(doc: Document, key_path: tuple[Any, ...], schema_name: str, definition: str) -> list[ConfigError]:
    """Validate the node at `key_path` of `doc` against one definition of a schema file
    (a target's replacement flow is checked as the suite language's `flow`)."""
    node: Any = doc.data
    for key in key_path:
        node = node[key]
    check = _definition_checker(schema_name, definition)
    if check is not None and check(node):
        return []
    errors = sorted(
        _definition_validator(schema_name, definition).iter_errors(node), key=lambda e: list(map(str, e.absolute_path))
    )
    return [doc.error(_explain(error), tuple(key_path) + _key_path(error)) for error in _leaves(errors)]


# -- the compiled checker ------------------------------------------------------------------

Check = Callable[[Any], bool]


class _Unsupported(Exception):
    """A keyword the checker does not implement: jsonschema validates every document of the schema."""


@cache
def _checker(name: str) -> Check | None:
    with open(specs_dir() / name, encoding="utf-8") as fh:
        return compile_checker(json.load(fh))


@cache
def _definition_checker(name: str, definition: str) -> Check | None:
    with open(specs_dir() / name, encoding="utf-8") as fh:
        schema = json.load(fh)
    return compile_checker({"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"})


def compile_checker(root: Any) -> Check | None:
    """`instance -> bool`, True exactly when `Draft202012Validator(root).is_valid(instance)`;
    None when the schema has a keyword the checker does not implement."""
    if Draft202012Validator(root).format_checker is not None:  # formats asserted: not implemented
        return None
    try:
        return _Compiler(root).compile(root)
    except _Unsupported:
        return None


def _always(instance: Any) -> bool:
    return True


def _never(instance: Any) -> bool:
    return False


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    fixed = tuple(checks)

    def check(instance: Any) -> bool:
        for one in fixed:
            if not one(instance):
                return False
        return True

    return check


def _is_number(instance: Any) -> bool:
    return isinstance(instance, numbers.Number) and not isinstance(instance, bool)


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    # draft 6 on: 1.0 is an integer
    "integer": lambda x: (isinstance(x, int) and not isinstance(x, bool)) or (isinstance(x, float) and x.is_integer()),
}
_TRUE, _FALSE = object(), object()


def _unbool(value: Any) -> Any:
    """jsonschema's `equal` on plain values: True is not 1, False is not 0."""
    return _TRUE if value is True else _FALSE if value is False else value


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's `equal` (jsonschema._utils): JSON equality, booleans apart from numbers."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(key in two and _equal(value, two[key]) for key, value in one.items())
    return bool(_unbool(one) == _unbool(two))


def _one_of_values(values: list[Any]) -> Check:
    """`enum`/`const` with jsonschema's equality; a string among strings by one lookup."""
    if all(isinstance(v, str) for v in values):
        strings = frozenset(values)
        return lambda x: isinstance(x, str) and x in strings
    fixed = tuple(values)
    return lambda x: any(_equal(value, x) for value in fixed)


class _Compiler:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise _Unsupported("a schema that is neither an object nor a boolean")
        checks: list[Check] = []
        for key, value in schema.items():
            if key in ("$id", "$anchor", "$dynamicAnchor") and schema is not self.root:
                raise _Unsupported(key)  # would change where references resolve
            if key not in Draft202012Validator.VALIDATORS:
                continue  # an annotation (title, description, then/else of an if...), as jsonschema ignores it
            make = getattr(self, "_k_" + key.lstrip("$"), None)
            if make is None:
                raise _Unsupported(key)
            checks.append(make(value, schema))
        return _all(checks)

    # each keyword, as jsonschema's _keywords module applies it

    def _k_type(self, value: Any, schema: dict[str, Any]) -> Check:
        names = value if isinstance(value, list) else [value]
        if not all(isinstance(n, str) and n in _TYPES for n in names):
            raise _Unsupported(f"type {value!r}")
        tests = tuple(_TYPES[n] for n in names)
        return tests[0] if len(tests) == 1 else (lambda x: any(test(x) for test in tests))

    def _k_enum(self, value: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(value, list):
            raise _Unsupported("enum that is no list")
        return _one_of_values(value)

    def _k_const(self, value: Any, schema: dict[str, Any]) -> Check:
        return _one_of_values([value])

    def _k_pattern(self, value: Any, schema: dict[str, Any]) -> Check:
        search = re.compile(value).search
        return lambda x: not isinstance(x, str) or search(x) is not None

    def _k_minLength(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802 (the keyword)
        return lambda x: not isinstance(x, str) or len(x) >= value

    def _k_maxLength(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not isinstance(x, str) or len(x) <= value

    def _k_minimum(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda x: not _is_number(x) or not x < value

    def _k_maximum(self, value: Any, schema: dict[str, Any]) -> Check:
        return lambda x: not _is_number(x) or not x > value

    def _k_exclusiveMinimum(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not _is_number(x) or not x <= value

    def _k_exclusiveMaximum(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not _is_number(x) or not x >= value

    def _k_minItems(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not isinstance(x, list) or len(x) >= value

    def _k_maxItems(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not isinstance(x, list) or len(x) <= value

    def _k_minProperties(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not isinstance(x, dict) or len(x) >= value

    def _k_maxProperties(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return lambda x: not isinstance(x, dict) or len(x) <= value

    def _k_required(self, value: Any, schema: dict[str, Any]) -> Check:
        names = tuple(value)
        return lambda x: not isinstance(x, dict) or all(name in x for name in names)

    def _k_properties(self, value: Any, schema: dict[str, Any]) -> Check:
        props = tuple((name, self.compile(sub)) for name, sub in value.items())

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, sub in props:
                if name in x and not sub(x[name]):
                    return False
            return True

        return check

    def _k_additionalProperties(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        if "patternProperties" in schema:
            raise _Unsupported("additionalProperties beside patternProperties")
        known = schema.get("properties", {})
        sub = self.compile(value)

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, item in x.items():
                if name not in known and not sub(item):
                    return False
            return True

        return check

    def _k_propertyNames(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        sub = self.compile(value)
        return lambda x: not isinstance(x, dict) or all(sub(name) for name in x)

    def _k_items(self, value: Any, schema: dict[str, Any]) -> Check:
        if "prefixItems" in schema:
            raise _Unsupported("items beside prefixItems")
        sub = self.compile(value)
        return lambda x: not isinstance(x, list) or all(sub(item) for item in x)

    def _k_allOf(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        return _all([self.compile(sub) for sub in value])

    def _k_anyOf(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        subs = tuple(self.compile(sub) for sub in value)
        return lambda x: any(sub(x) for sub in subs)

    def _k_oneOf(self, value: Any, schema: dict[str, Any]) -> Check:  # noqa: N802
        subs = tuple(self.compile(sub) for sub in value)
        return lambda x: sum(1 for sub in subs if sub(x)) == 1

    def _k_not(self, value: Any, schema: dict[str, Any]) -> Check:
        sub = self.compile(value)
        return lambda x: not sub(x)

    def _k_if(self, value: Any, schema: dict[str, Any]) -> Check:
        condition = self.compile(value)
        then, otherwise = self.compile(schema.get("then", True)), self.compile(schema.get("else", True))
        return lambda x: then(x) if condition(x) else otherwise(x)

    def _k_format(self, value: Any, schema: dict[str, Any]) -> Check:
        return _always  # an annotation: the validator asserts no format (see compile_checker)

    def _k_ref(self, value: Any, schema: dict[str, Any]) -> Check:
        if not isinstance(value, str) or not (value == "#" or value.startswith("#/")):
            raise _Unsupported(f"$ref {value!r}")  # another document, or an anchor
        found = self.refs.get(value)
        if found is not None:
            return found
        target: list[Check] = []
        self.refs[value] = lambda x: target[0](x)  # a recursive reference finds itself here
        node: Any = self.root
        for part in value[2:].split("/") if value != "#" else ():
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError):
                raise _Unsupported(f"$ref {value!r} leads nowhere") from None
        target.append(self.compile(node))
        return self.refs[value]


def _key_path(error: ValidationError) -> tuple[Any, ...]:
    """Where to point: the node itself, or for an unknown key the (first) unknown key's line."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            path += (extra[0],)
    return path


def _leaves(errors: list[ValidationError]) -> list[ValidationError]:
    """For anyOf/oneOf failures, report the most specific sub-error instead of the union."""
    out = []
    for error in errors:
        if error.context:
            deepest = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
            if len(deepest.absolute_path) > len(error.absolute_path):
                out.append(deepest)
                continue
        out.append(error)
    return out


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
    "number": "a number",
    "null": "null",
}


def _name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        int: "a whole number",
        bool: "a boolean",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _explain(error: ValidationError) -> str:
    where = _field(error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        keys = ", ".join(repr(k) for k in extra)
        return f"unknown key {keys}{where}; expected one of: {', '.join(allowed)}"
    if error.validator == "required":
        return f"{error.message.split(' is a required')[0]} is missing{where}; it is required"
    if error.validator == "type":
        # JSON Schema's "type" is one type name or a list of them
        wanted: list[str] = (
            error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        )
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in wanted)
        return f"wrong type{where}: got {_name(error.instance)}; expected {names}"
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return f"{error.instance!r} is not allowed{where}; expected one of: {choices}"
    if error.validator == "pattern":
        return f"{error.instance!r} has the wrong form{where}; expected to match {error.validator_value}"
    if error.validator in ("minItems", "minProperties"):
        return f"empty{where}; expected at least {error.validator_value} item(s)"
    if error.validator == "anyOf":
        return f"{error.instance!r} is not valid{where}; {error.schema.get('description', 'see the schema')}"
    return f"{error.message}{where}"


def _field(error: ValidationError) -> str:
    path = [p for p in error.absolute_path]
    return f" at {_dotted(path)}" if path else ""


def _dotted(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
