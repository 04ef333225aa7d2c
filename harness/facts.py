"""Fixture facts: what a case may know about a PSU, by name, whatever the bank calls it.

SBX-1 fixes the facts a fresh PSU comes with, not their field names. `specs/facts/` names
them once per family (`api_key`, `tpp_clients`, ...) with the reference's pointer as the
default; a target maps each fact to its own bank's pointer, a constant or `${env:...}`.
Suites read facts only (the loader checks every `${psu.FACT}`), and the engine turns a
new-PSU answer (or a fixed test user) into a mapping of facts through `resolve_psu`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harness import jsonpointer
from harness.errors import ConfigErrors
from harness.paths import specs_dir
from harness.schemas import validate
from harness.yamlsource import load_document

SCHEMA = "facts.schema.json"


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    type: str
    """string | number | date | list"""
    meaning: str
    default: str = ""
    """The reference's pointer (into the new-PSU answer, or into a list item)."""
    secret: bool = False
    min: int = 0
    items: Mapping[str, Fact] = field(default_factory=dict)
    """For a list of records: the facts of each item, their defaults relative to the item."""
    item_type: str = ""
    """For a list of scalars: the scalars' type."""

    @property
    def is_list(self) -> bool:
        return self.type == "list"


@dataclass(frozen=True, slots=True)
class FamilyFacts:
    family: str
    facts: Mapping[str, Fact]
    data: Mapping[str, str]
    """Pointers of the data the rules are about (what refused requests must not serve)."""
    source: str = ""

    def check_reference(self, parts: list[str]) -> str | None:
        """Why `${psu.<parts>}` names no published fact, or None when it does."""
        if not parts:
            return None  # the whole PSU (passed to a flow)
        fact = self.facts.get(parts[0])
        if fact is None:
            return (
                f"{parts[0]!r} is not a fact of a {self.family} PSU; expected one of: "
                f"{', '.join(self.facts)} (specs/facts/{self.family}.yaml)"
            )
        rest = parts[1:]
        if not rest:
            return None
        if not fact.is_list:
            return f"fact {fact.name!r} is a {fact.type}, it has no {rest[0]!r}"
        if not rest[0].lstrip("-").isdigit():
            return f"fact {fact.name!r} is a list; expected an index such as {fact.name}.0"
        if len(rest) == 1:
            return None
        if not fact.items:
            return f"the items of fact {fact.name!r} are {fact.item_type or 'scalars'}, they have no {rest[1]!r}"
        if rest[1] not in fact.items:
            return f"{rest[1]!r} is not a fact of an item of {fact.name!r}; expected one of: {', '.join(fact.items)}"
        if len(rest) > 2:
            return f"{fact.name}.N.{rest[1]} is a scalar, it has no {rest[2]!r}"
        return None

    def secret_paths(self) -> list[tuple[str, str | None]]:
        """(fact, item fact or None) of every credential."""
        out: list[tuple[str, str | None]] = []
        for fact in self.facts.values():
            if fact.secret:
                out.append((fact.name, None))
            out += [(fact.name, sub.name) for sub in fact.items.values() if sub.secret]
        return out


def _fact(name: str, raw: Mapping[str, Any]) -> Fact:
    items_raw = raw.get("items") or {}
    scalar_items = "type" in items_raw and not isinstance(items_raw.get("type"), dict)
    return Fact(
        name=name,
        type=raw["type"],
        meaning=raw.get("meaning", ""),
        default=raw.get("default", ""),
        secret=bool(raw.get("secret", False)),
        min=int(raw.get("min", 0)),
        items={} if scalar_items else {k: _fact(k, v) for k, v in items_raw.items()},
        item_type=items_raw.get("type", "") if scalar_items else "",
    )


@cache
def family_facts(family: str) -> FamilyFacts:
    """The published facts of a family (an empty set for a family without a facts file)."""
    path = specs_dir() / "facts" / f"{family}.yaml"
    if not path.is_file():
        return FamilyFacts(family=family, facts={}, data={})
    doc = load_document(path)
    errors = validate(doc, SCHEMA)
    if errors:
        raise ConfigErrors(errors)
    data = doc.data
    return FamilyFacts(
        family=family,
        facts={k: _fact(k, v) for k, v in data["facts"].items()},
        data=dict(data.get("data") or {}),
        source=doc.display,
    )


# -- resolving a PSU -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A fact that did not resolve, with the pointer tried (for the preflight and doctor)."""

    fact: str
    tried: str


def resolve_psu(facts: FamilyFacts, answer: Any, mapping: Mapping[str, Any]) -> tuple[dict[str, Any], list[Unresolved]]:
    """The facts of one PSU from a new-PSU answer, read where `mapping` (the target's `psu:`)
    says or at each fact's default. Constants of the mapping are taken as they are."""
    out: dict[str, Any] = {}
    missing: list[Unresolved] = []
    for fact in facts.facts.values():
        spec = mapping.get(fact.name, fact.default)
        if fact.is_list and fact.items:
            at = spec.get("at", fact.default) if isinstance(spec, dict) else spec
            subs = spec if isinstance(spec, dict) else {}
            raw = _read(answer, at)
            if not isinstance(raw, list):
                missing.append(Unresolved(fact.name, str(at)))
                continue
            items = []
            for i, entry in enumerate(raw):
                item = {}
                for sub in fact.items.values():
                    where = subs.get(sub.name, sub.default)
                    value = _read(entry, where)
                    if value is jsonpointer.MISSING:
                        if i == 0:
                            shown = (
                                f"{at}/{i}{where}" if isinstance(where, str) and where.startswith("/") else str(where)
                            )
                            missing.append(Unresolved(f"{fact.name}.{sub.name}", shown))
                        continue
                    item[sub.name] = value
                items.append(item)
            out[fact.name] = items
            continue
        value = _read(answer, spec)
        if value is jsonpointer.MISSING:
            missing.append(Unresolved(fact.name, str(spec)))
        else:
            out[fact.name] = value
    return out, missing


def _read(answer: Any, spec: Any) -> Any:
    """A pointer reads the answer; anything else is a constant (env references are resolved
    by the target loader before they reach here)."""
    if isinstance(spec, str) and (spec == "" or spec.startswith("/")):
        return jsonpointer.resolve(answer, spec)
    return spec
