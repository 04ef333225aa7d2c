"""JSON Schema validation of loaded documents, with errors a person can act on.

Each schema is compiled once per process. Errors come back as `ConfigError`s pointing at the
offending node and saying what was expected, not jsonschema's raw repr.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

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
    errors = sorted(
        _definition_validator(schema_name, definition).iter_errors(node), key=lambda e: list(map(str, e.absolute_path))
    )
    return [doc.error(_explain(error), tuple(key_path) + _key_path(error)) for error in _leaves(errors)]


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
