"""harness.schemas: the compiled checker says valid exactly when jsonschema does.

The checker decides alone only when it says valid (jsonschema then never runs), so a checker
too lenient would let a broken suite through: every bundled document, and thousands of
mutants of them, are checked against jsonschema's own verdict."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from harness.paths import specs_dir, suites_dir
from harness.schemas import _checker, _definition_checker, compile_checker
from harness.yamlsource import load_document

ROOT = Path(__file__).resolve().parents[2]


def _documents() -> dict[str, list[Any]]:
    suites = [load_document(p).data for p in sorted(suites_dir().rglob("*.yaml"))]
    targets = [load_document(p).data for p in sorted((ROOT / "harness" / "targets").glob("*.yaml"))]
    targets += [load_document(p).data for p in sorted((ROOT / "examples").glob("*.yaml"))]
    targets = [t for t in targets if isinstance(t, dict) and "name" in t]
    return {
        "suite.schema.json": suites,
        "target.schema.json": targets,
        "facts.schema.json": [load_document(p).data for p in sorted((specs_dir() / "facts").glob("*.yaml"))],
        "requirements.schema.json": [load_document(specs_dir() / "requirements.yaml").data],
    }


DOCUMENTS = _documents()
_POOL: list[Any] = [None, True, False, 0, 1, -1, 1.0, 2.5, 10**12, "", "x", "GET", "10s", "${psu.id}", "stepup"]
_POOL += [[], [1], ["a"], {}, {"zzz": 1}, {"id": "x"}]
_KEYS = ["zzz", "id", "title", "steps", "expect", "json", "status", "method", "request", "advance", "then"]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, here + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, here + (index,))
    return found


def _mutate(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_paths(doc))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        node = parent[path[-1]] if path else doc
        move = rng.randrange(5)
        if move == 0 and path:
            parent[path[-1]] = copy.deepcopy(rng.choice(_POOL))
        elif move == 1 and path:
            del parent[path[-1]]
        elif move == 2 and isinstance(node, dict):
            node[rng.choice(_KEYS)] = copy.deepcopy(rng.choice(_POOL))
        elif move == 3 and isinstance(node, list):
            node.append(copy.deepcopy(rng.choice(node) if node and rng.random() < 0.5 else rng.choice(_POOL)))
        elif move == 4 and isinstance(node, list) and node:
            node.clear()
    return doc


def _jsonschema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((specs_dir() / name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_schema_of_the_harness_gets_a_checker(name: str) -> None:
    assert _checker(name) is not None, (
        f"{name} uses a keyword harness/schemas.py's checker does not implement: every document of it "
        "is validated by jsonschema alone (correct, and several times slower); implement the keyword"
    )


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_checker_agrees_with_jsonschema_on_every_bundled_document_and_its_mutants(name: str) -> None:
    check, reference = _checker(name), _jsonschema(name)
    assert check is not None
    rng = random.Random(name)
    mutants = 400 if name != "requirements.schema.json" else 60
    verdicts = set()
    for doc in DOCUMENTS[name]:
        assert check(doc) and reference.is_valid(doc)
    for n in range(mutants):
        mutant = _mutate(DOCUMENTS[name][n % len(DOCUMENTS[name])], rng)
        verdict = reference.is_valid(mutant)
        assert check(mutant) == verdict, (name, n, list(reference.iter_errors(mutant))[:1])
        verdicts.add(verdict)
    assert verdicts == {True, False}, "the mutants exercise both verdicts"


def test_the_flow_definition_checker_agrees_with_jsonschema() -> None:
    check = _definition_checker("suite.schema.json", "flow")
    schema = json.loads((specs_dir() / "suite.schema.json").read_text(encoding="utf-8"))
    reference = Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/flow"})
    assert check is not None
    flows = [f for doc in DOCUMENTS["suite.schema.json"] for f in (doc.get("flows") or {}).values()]
    assert flows
    rng = random.Random(3)
    for n in range(300):
        flow = flows[n % len(flows)] if n < len(flows) else _mutate(flows[n % len(flows)], rng)
        assert check(flow) == reference.is_valid(flow), n


@pytest.mark.parametrize(
    ("schema", "instances"),
    [
        ({"type": "integer"}, [1, 1.0, 1.5, True, "1", None]),
        ({"type": ["number", "null"]}, [1, 2.5, None, False, "x"]),
        ({"enum": [1, "a", None, False]}, [1, 1.0, True, 0, False, "a", None, [1], {}]),
        ({"const": True}, [True, 1, 1.0, "true"]),
        ({"const": []}, [[], [0], {}, "", None, ()]),
        ({"enum": [[0], {"a": False}]}, [[0], [False], [0.0], {"a": False}, {"a": 0}, {"a": False, "b": 1}]),
        ({"pattern": "^a+$"}, ["aa", "ab", 5, None]),
        ({"minimum": 2, "exclusiveMaximum": 5}, [1, 2, 4.9, 5, True, "3"]),
        ({"required": ["a"], "properties": {"a": {"type": "string"}}, "additionalProperties": False}, [{"a": "x"}]),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, [{}, {"a": 1}, {"b": 1}, [], 3]),
        ({"propertyNames": {"pattern": "^[a-z]+$"}, "minProperties": 1}, [{}, {"ab": 1}, {"A": 1}, {1: 2}]),
        ({"items": {"type": "string"}, "minItems": 1}, [[], ["a"], ["a", 1], "s"]),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [-1, 1, 1.5, "x"]),
        ({"anyOf": [{"type": "string"}, {"not": {"type": "null"}}]}, [None, "x", 1]),
        ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}}, ["a", "ab", 1, 1.5]),
        ({"$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, [[], [[[]]], [[1]], 3]),
        ({"allOf": [True, {"maxLength": 1}], "title": "t", "x-unknown": 3}, ["", "ab", 1]),
        (False, [None, 1]),
    ],
)
def test_each_keyword_as_jsonschema_applies_it(schema: Any, instances: list[Any]) -> None:
    check, reference = compile_checker(schema), Draft202012Validator(schema)
    assert check is not None
    for instance in instances:
        assert check(instance) == reference.is_valid(instance), instance


@pytest.mark.parametrize(
    "schema",
    [{"uniqueItems": True}, {"$ref": "other.json#/x"}, {"$ref": "#anchor"}, {"items": {"$id": "x", "type": "string"}}],
)
def test_a_keyword_the_checker_does_not_implement_leaves_the_schema_to_jsonschema(schema: Any) -> None:
    assert compile_checker(schema) is None
