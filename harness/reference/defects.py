"""Named defects: faults the reference bank can be started with, one rule each.

A defect exists to prove that a conformance case can fail: started with defect `X`, the
bank violates exactly the rule `X.rule` and nothing else. Each family declares its defects
as a `DEFECTS` tuple in `<family>_defects.py`; `DECLARED` lists those modules, so the
registry is complete as soon as this module is imported, whatever was imported before it.
This registry is what `serve --list-defects` prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType, ModuleType

from harness.errors import UnknownDefect
from harness.reference import (
    dedicated_defects,
    escalation_defects,
    sandbox_defects,
    stepup_defects,
    workflow_defects,
)
from harness.reference.defect import Defect

__all__ = ["DECLARED", "REGISTRY", "ActiveDefects", "Defect", "UnknownDefect", "all_defects"]

DECLARED: tuple[ModuleType, ...] = (
    sandbox_defects,
    escalation_defects,
    workflow_defects,
    stepup_defects,
    dedicated_defects,
)


def _rule_number(rule: str) -> int:
    tail = rule.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _order(d: Defect) -> tuple[str, int, str]:
    """By rule family, then rule number (STP-2 before STP-10), then name."""
    return (d.rule.split("-")[0], _rule_number(d.rule), d.name)


def _registry(modules: Iterable[ModuleType]) -> Mapping[str, Defect]:
    registry: dict[str, Defect] = {}
    declared: Iterable[Defect] = (d for module in modules for d in module.DEFECTS)
    for d in sorted(declared, key=_order):
        if d.name in registry:
            raise ValueError(f"defect {d.name!r} declared twice")
        registry[d.name] = d
    return MappingProxyType(registry)


REGISTRY: Mapping[str, Defect] = _registry(DECLARED)
"""Every defect of every family by name, in `all_defects()` order; read-only."""


def all_defects() -> list[Defect]:
    """Every defect of every family, sorted by rule then name."""
    return list(REGISTRY.values())


class ActiveDefects:
    """The defects one app instance runs with; `name in active` is the whole API."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = frozenset(names)
        unknown = sorted(names - REGISTRY.keys())
        if unknown:
            near = sorted({m for name in unknown for m in difflib.get_close_matches(name, list(REGISTRY), n=3)})
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UnknownDefect(
                f"unknown defect(s) {', '.join(unknown)}{hint}; expected a name listed by "
                "`psd2-harness serve --list-defects`"
            )
        self._names = names

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __bool__(self) -> bool:
        return bool(self._names)
