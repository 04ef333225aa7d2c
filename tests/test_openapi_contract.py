"""The family OpenAPI documents carry the contract, not the reference bank's dialect.

api-families.md ("What is normative, and what a bank chooses") is the whole norm: a compliant
bank may name its error codes, states and fields as it likes where the contract is silent, and
add fields anywhere. Suites check answers against the schemas of `specs/*.openapi.yaml`, so a
schema that requires a field, or enumerates a value, the contract does not name would fail such
a bank. This test reads the contract and checks, in every schema of the five documents:

- no `additionalProperties: false` (nor `unevaluatedProperties: false`): extra fields are allowed;
- every value of an `enum` (and a `const`, a one-value enum) is a word of the contract;
- every field name in a `required` list is a word of the contract.

The word-level check is a floor, not the whole review: a word of the contract may name
something else than the field at hand. It catches the reference's own codes and field names
(`API_KEY_INVALID`, `friendlyName`, ...), which the contract never writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.paths import specs_dir

# The contract lives next to the repository (../shared/api-families.md), not inside it.
SHARED = Path(os.environ.get("PSD2_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
API_FAMILIES = SHARED / "api-families.md"
DOCUMENTS = ("escalation", "workflow", "stepup", "dedicated", "sandbox")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A word: letters, digits and underscores, possibly joined by dots or hyphens inside
# (`beneficiary.add`, `x-request-id`); a trailing full stop is not part of it.
_WORD = re.compile(r"[A-Za-z0-9_]+(?:[.\-][A-Za-z0-9_]+)*")
_NOT_SCHEMAS = frozenset({"example", "examples", "default"})  # values, not schemas


def words_of(text: str) -> frozenset[str]:
    """Every word of `text`, and every part of a dotted or hyphenated word."""
    found: set[str] = set()
    for word in _WORD.findall(text):
        found.add(word)
        found.update(re.split(r"[.\-]", word))
    return frozenset(found)


@cache
def contract_words() -> frozenset[str]:
    if not API_FAMILIES.is_file():
        pytest.skip(f"the contract {API_FAMILIES} is not there (set PSD2_SHARED_DIR)")
    return words_of(API_FAMILIES.read_text(encoding="utf-8"))


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer or "/", node
        for key, value in node.items():
            if key not in _NOT_SCHEMAS:
                yield from _walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{i}")


def _as_word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def contract_problems(doc: Any, words: frozenset[str]) -> list[str]:
    """Every place where `doc` asks more than a contract made of `words` names."""
    problems = []
    for pointer, node in _walk(doc):
        for closed in ("additionalProperties", "unevaluatedProperties"):
            if node.get(closed) is False:
                problems.append(f"{pointer}: {closed}: false forbids the extra fields a bank may add")
        required = node.get("required")
        if isinstance(required, list):  # a schema's list, not a parameter's `required: true`
            for name in required:
                if _as_word(name) not in words:
                    problems.append(f"{pointer}: required field {name!r} is not named in the contract")
        values = list(node["enum"]) if isinstance(node.get("enum"), list) else []
        if "const" in node:
            values.append(node["const"])
        for value in values:
            if _as_word(value) not in words:
                problems.append(f"{pointer}: value {value!r} is not named in the contract")
    return problems


def test_the_five_documents_are_all_there_are() -> None:
    assert sorted(p.name for p in specs_dir().glob("*.openapi.yaml")) == sorted(f"{n}.openapi.yaml" for n in DOCUMENTS)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_family_document_asks_only_what_the_contract_names(name: str) -> None:
    assert contract_problems(load(specs_dir() / f"{name}.openapi.yaml"), contract_words()) == []


def test_words_are_whole_words() -> None:
    words = words_of('a message of code `PSD2_SCA_REQUIRED`; `type`: "beneficiary.add" | x-request-id.')
    assert {"PSD2_SCA_REQUIRED", "beneficiary.add", "beneficiary", "add", "x-request-id", "request", "id"} <= words
    assert "PSD2_SCA" not in words and "REQUIRED" not in words and "id." not in words
    assert "PSD2_SCA_REQUIRE" not in contract_words() and "PSD2_SCA_REQUIRED" in contract_words()


PLANTED = """\
openapi: 3.1.0
info: {title: planted, version: "1"}
paths:
  /accounts/{channel}:
    get:
      operationId: planted
      parameters:
        - {name: channel, in: path, required: true, schema: {type: string, enum: [SMS, AUTHY]}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [accounts]
                properties:
                  accounts: {type: array, items: {$ref: "#/components/schemas/ManagedAccount"}}
components:
  schemas:
    Error:
      type: object
      additionalProperties: false
      required: [errorCode, message]
      properties:
        errorCode: {type: string, enum: [RETRY_IN_15SEC, API_KEY_INVALID]}
        message: {type: string}
    ManagedAccount:
      type: object
      required: [id, friendlyName]
      properties:
        id: {type: string}
        friendlyName: {type: string}
        state: {const: PENDING_CHALLENGE}
    Result:
      type: object
      required: [requestId, outcome]
      properties:
        outcome: {enum: [SUCCESS, ERROR]}
        flushMessages: {const: true}
      examples: [{requestId: r1, outcome: WHATEVER_THE_REFERENCE_SAYS}]
"""


def test_a_planted_dialect_document_fails(tmp_path: Path) -> None:
    planted = tmp_path / "planted.openapi.yaml"
    planted.write_text(PLANTED, encoding="utf-8")
    problems = contract_problems(load(planted), contract_words())
    assert problems == [
        "/paths/~1accounts~1{channel}/get/parameters/0/schema: value 'AUTHY' is not named in the contract",
        "/components/schemas/Error: additionalProperties: false forbids the extra fields a bank may add",
        "/components/schemas/Error/properties/errorCode: value 'API_KEY_INVALID' is not named in the contract",
        "/components/schemas/ManagedAccount: required field 'friendlyName' is not named in the contract",
        "/components/schemas/ManagedAccount/properties/state: value 'PENDING_CHALLENGE' is not named in the contract",
    ]
    # What the contract names passes: `accounts`, `errorCode`/`message`, SUCCESS|ERROR, RETRY_IN_15SEC, SMS,
    # `true`; examples are values, not schemas.
    fixed = PLANTED.replace("enum: [SMS, AUTHY]", "enum: [SMS]").replace("      additionalProperties: false\n", "")
    fixed = (
        fixed.replace(", API_KEY_INVALID", "")
        .replace("[id, friendlyName]", "[id]")
        .replace("{const: PENDING_CHALLENGE}", "{type: string}")
    )
    planted.write_text(fixed, encoding="utf-8")
    assert contract_problems(load(planted), contract_words()) == []
