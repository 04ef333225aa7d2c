"""harness.jsonpointer: RFC 6901, the one path syntax of captures and findings."""

from __future__ import annotations

import pytest

from harness.jsonpointer import MISSING, join, parts, resolve

DOC = {"a": {"b": [10, {"c": None}]}, "x/y": 1, "m~n": 2, "": 3, "0": "zero"}


@pytest.mark.parametrize(
    "pointer,value",
    [
        ("", DOC),
        ("/a/b/0", 10),
        ("/a/b/1/c", None),
        ("/x~1y", 1),
        ("/m~0n", 2),
        ("/", 3),
        ("/0", "zero"),
    ],
)
def test_resolves(pointer: str, value: object) -> None:
    assert resolve(DOC, pointer) == value


@pytest.mark.parametrize("pointer", ["/nope", "/a/b/2", "/a/b/-", "/a/b/x", "/a/b/0/deeper", "/x~1y/1"])
def test_missing_is_not_none(pointer: str) -> None:
    assert resolve(DOC, pointer) is MISSING


def test_null_is_a_value_not_absence() -> None:
    assert resolve({"k": None}, "/k") is None
    assert resolve({"k": None}, "/j") is MISSING


def test_escapes_decode_in_order() -> None:
    assert parts("/~01") == ["~1"]  # RFC 6901: ~1 first, then ~0
    assert parts("/a~1b/~0") == ["a/b", "~"]


def test_a_pointer_starts_with_a_slash() -> None:
    with pytest.raises(ValueError, match="not a JSON Pointer"):
        parts("a/b")


@pytest.mark.parametrize("key", ["plain", "with/slash", "with~tilde", "~1", 3])
def test_join_round_trips(key: object) -> None:
    pointer = join("/root", key)
    assert parts(pointer) == ["root", str(key)]
    assert resolve({"root": {str(key): "v"}}, pointer) == "v"
