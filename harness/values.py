"""`${...}` references: whole-value substitution, nothing else.

A string that is exactly `${name.path}` is replaced by the value it names, keeping its
type (a number stays a number). There is no templating inside strings and no expression
language: `Bearer ${token}` is written `bearer: ${token}`. Roots:

- `${regime.NAME}`: a limit of the regime in force (seconds or a count);
- `${params.NAME}`: a suite parameter;  `${args.NAME}`: a flow argument;
- `${env:NAME}`: an environment variable;
- `${name}` / `${name.key.0}`: a value captured or created by an earlier step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from harness.errors import MissingValue

REFERENCE = re.compile(r"^\$\{([^${}]+)\}$")
ANY_REFERENCE = re.compile(r"\$\{")


def parse_reference(text: str) -> str | None:
    """The inside of `${...}` when `text` is exactly one reference, else None."""
    match = REFERENCE.match(text)
    return match.group(1).strip() if match else None


def references(value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every reference inside `value`, with the key path that leads to it."""
    if isinstance(value, str):
        ref = parse_reference(value)
        if ref is not None:
            yield (), ref
    elif isinstance(value, dict):
        for key, item in value.items():
            for path, ref in references(item):
                yield (key,) + path, ref
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for path, ref in references(item):
                yield (index,) + path, ref


def templated_strings(value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Strings that contain `${` without being one whole reference: not supported."""
    if isinstance(value, str):
        if ANY_REFERENCE.search(value) and parse_reference(value) is None:
            yield (), value
    elif isinstance(value, dict):
        for key, item in value.items():
            for path, text in templated_strings(item):
                yield (key,) + path, text
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for path, text in templated_strings(item):
                yield (index,) + path, text


def lookup(ref: str, scope: Mapping[str, Any]) -> Any:
    if ref.startswith("env:"):
        name = ref[4:]
        if name not in os.environ:
            raise MissingValue(f"environment variable {name} is not set")
        return os.environ[name]
    parts = ref.split(".")
    if parts[0] not in scope:
        raise MissingValue(f"${{{ref}}} is not defined")
    value = scope[parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        here = ".".join(parts[:i])
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            raise MissingValue(f"${{{ref}}}: {here} has no {part!r}")
    return value


def resolve(value: Any, scope: Mapping[str, Any]) -> Any:
    """A copy of `value` with every whole-value reference replaced."""
    if isinstance(value, str):
        ref = parse_reference(value)
        return value if ref is None else lookup(ref, scope)
    if isinstance(value, dict):
        return {key: resolve(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    return value
