"""harness.values: `${...}` replaces a whole value and keeps its type; nothing else."""

from __future__ import annotations

import pytest

from harness.errors import MissingValue
from harness.values import lookup, parse_reference, references, resolve, templated_strings

SCOPE = {
    "psu": {"apiKey": "k1", "tpps": [{"clientId": "c0"}, {"clientId": "c1"}], "age": 41},
    "token": "tok",
    "n": 5,
    "flag": False,
    "regime": {"session_idle": 300},
}


@pytest.mark.parametrize(
    "text,ref",
    [
        ("${token}", "token"),
        ("${ psu.apiKey }", "psu.apiKey"),
        ("${env:HOME}", "env:HOME"),
        ("${psu.tpps.0.clientId}", "psu.tpps.0.clientId"),
    ],
)
def test_whole_references(text: str, ref: str) -> None:
    assert parse_reference(text) == ref


@pytest.mark.parametrize("text", ["Bearer ${token}", "${token}x", "${a}${b}", "${}", "$token", "{token}", "${a{b}}"])
def test_not_a_whole_reference(text: str) -> None:
    assert parse_reference(text) is None


def test_resolve_keeps_types_and_structure() -> None:
    value = {
        "h": {"api-key": "${psu.apiKey}"},
        "n": "${n}",
        "f": "${flag}",
        "list": ["${psu.tpps.1.clientId}", 7],
        "idle": "${regime.session_idle}",
        "psu": "${psu}",
        "text": "plain",
        "last": "${psu.tpps.-1.clientId}",
    }
    out = resolve(value, SCOPE)
    assert out == {
        "h": {"api-key": "k1"},
        "n": 5,
        "f": False,
        "list": ["c1", 7],
        "idle": 300,
        "psu": SCOPE["psu"],
        "text": "plain",
        "last": "c1",
    }
    assert value["n"] == "${n}", "resolve returns a copy"


def test_env_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSD2_UNIT_VALUE", "from-env")
    monkeypatch.delenv("PSD2_UNIT_UNSET", raising=False)
    assert resolve({"k": "${env:PSD2_UNIT_VALUE}"}, {}) == {"k": "from-env"}
    with pytest.raises(MissingValue, match="PSD2_UNIT_UNSET is not set"):
        lookup("env:PSD2_UNIT_UNSET", {})


@pytest.mark.parametrize(
    "ref,message",
    [
        ("nothing", "${nothing} is not defined"),
        ("psu.email", "psu has no 'email'"),
        ("psu.tpps.2.clientId", "psu.tpps has no '2'"),
        ("psu.age.x", "psu.age has no 'x'"),
        ("psu.tpps.first", "psu.tpps has no 'first'"),
    ],
)
def test_missing_values_say_where(ref: str, message: str) -> None:
    with pytest.raises(MissingValue) as info:
        lookup(ref, SCOPE)
    assert message in str(info.value)


def test_references_and_templated_strings_report_their_paths() -> None:
    value = {"a": "${x}", "b": ["ok", {"c": "${y.z}"}], "d": "Bearer ${t}", "e": ["pre ${u} post"], "f": 3}
    assert sorted(references(value)) == [(("a",), "x"), (("b", 1, "c"), "y.z")]
    assert sorted(templated_strings(value)) == [(("d",), "Bearer ${t}"), (("e", 0), "pre ${u} post")]
