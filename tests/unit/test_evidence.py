"""harness.evidence: the attachment's text is json's indented form, whatever the document."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from harness.evidence import indented_json


def _document(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["dict", "list", "tuple", "scalar"] if depth < 5 else ["scalar"])
    if kind == "scalar":
        return rng.choice(
            [None, True, False, 0, -7, 10**30, 2.5, -0.0, 1e100, float("inf"), "", 'é\n"\\\t€', "ascii", "«x»"]
        )
    size = rng.choice([0, 1, 2, 5])
    if kind == "dict":
        keys = [rng.choice(["a", "é", "k k", 1, 2.5, True, None, "\u2028"]) for _ in range(size)]
        return {key: _document(rng, depth + 1) for key in keys}
    items = [_document(rng, depth + 1) for _ in range(size)]
    return items if kind == "list" else tuple(items)


@pytest.mark.parametrize("seed", range(40))
def test_indented_json_is_json_dumps_indent_2(seed: int) -> None:
    document = _document(random.Random(seed))
    assert indented_json(document) == json.dumps(document, ensure_ascii=False, indent=2)


def test_indented_json_of_an_exchange_record() -> None:
    record = {
        "request": {"method": "GET", "url": "http://bank/x?a=1", "headers": {"accept": "*/*"}, "body": None},
        "elapsed_ms": 0.5,
        "response": {"status": 200, "headers": {}, "body": {"items": [{"id": 1, "tags": []}, {"id": 2}], "n": 2}},
    }
    assert indented_json(record) == json.dumps(record, ensure_ascii=False, indent=2)
