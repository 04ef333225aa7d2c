"""Named defects: faults the reference bank can be started with, one rule each.

A defect exists to prove that a conformance case can fail: started with defect `X`, the
bank violates exactly the rule `X.rule` and nothing else. Family modules declare their
defects with `defect(...)`; this registry is what `serve --list-defects` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import UnknownDefect  # noqa: F401  (raised here; importable from here too)


@dataclass(frozen=True, slots=True)
class Defect:
    name: str
    rule: str
    family: str
    description: str


REGISTRY: dict[str, Defect] = {}


def defect(name: str, rule: str, family: str, description: str) -> str:
    """Register a defect and return its name, so modules can keep it as a constant."""
    if name in REGISTRY:
        raise ValueError(f"defect {name!r} registered twice")
    REGISTRY[name] = Defect(name=name, rule=rule, family=family, description=description)
    return name


def all_defects() -> list[Defect]:
    """Every defect of every family, sorted by rule then name."""
    from harness.reference.app import _family_classes

    _family_classes()  # imports every family module; each registers its defects at import

    return sorted(REGISTRY.values(), key=lambda d: (d.rule.split("-")[0], _rule_number(d.rule), d.name))


def _rule_number(rule: str) -> int:
    tail = rule.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class ActiveDefects:
    """The defects one app instance runs with; `name in active` is the whole API."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        all_defects()
        names = frozenset(names)
        unknown = sorted(names - REGISTRY.keys())
        if unknown:
            import difflib

            near = sorted({m for name in unknown for m in difflib.get_close_matches(name, list(REGISTRY), n=3)})
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise UnknownDefect(
                f"unknown defect(s) {', '.join(unknown)}{hint}; expected a name listed by "
                "`psd2-harness serve --list-defects`"
            )
        self._names = names

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(sorted(self._names))

    def __bool__(self) -> bool:
        return bool(self._names)
