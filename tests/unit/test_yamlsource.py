"""harness.yamlsource: plain data, with the file:line:column of every node."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ConfigError, Location
from harness.yamlsource import display_path, load_document, parse_document

TEXT = """\
family: stepup
cases:
  - id: A
    steps:
      - request: login
        json: {email: x, n: 3}
  - id: B
"""


def test_data_and_marks() -> None:
    doc = parse_document(TEXT, Path("s.yaml"))
    assert doc.data == {
        "family": "stepup",
        "cases": [{"id": "A", "steps": [{"request": "login", "json": {"email": "x", "n": 3}}]}, {"id": "B"}],
    }
    assert doc.location(("cases", 0, "steps", 0, "request")) == Location("s.yaml", 5, 18)
    assert doc.location(("cases", 0, "steps", 0, "json", "n")) == Location("s.yaml", 6, 29)
    assert doc.location(("cases", 1)) == Location("s.yaml", 7, 5)
    assert str(doc.location(("cases", 1, "id"))) == "s.yaml:7:9"


def test_an_unknown_path_points_at_its_nearest_ancestor() -> None:
    doc = parse_document(TEXT, Path("s.yaml"))
    assert doc.location(("cases", 0, "steps", 0, "nope", 3)) == doc.location(("cases", 0, "steps", 0))
    assert doc.location(()) == Location("s.yaml", 1, 1)
    err = doc.error("what is wrong; what is expected", ("cases", 1, "id"))
    assert str(err) == "s.yaml:7:9: what is wrong; what is expected"


def test_dates_stay_strings_as_in_json() -> None:
    doc = parse_document("from: 2024-01-31\nat: 2024-01-31T10:00:00Z\nn: 1\nt: true\nz: null\n", Path("d.yaml"))
    assert doc.data == {"from": "2024-01-31", "at": "2024-01-31T10:00:00Z", "n": 1, "t": True, "z": None}


def test_anchors_and_aliases() -> None:
    doc = parse_document("a: &x {b: 1}\nc: *x\n", Path("a.yaml"))
    assert doc.data == {"a": {"b": 1}, "c": {"b": 1}}


@pytest.mark.parametrize(
    "text,where,words",
    [
        ("a: [1, 2\n", "y.yaml:2:1", "YAML syntax error"),
        ("a: {b: ${x}}\n", "y.yaml:1:9", "write a ${...} reference in quotes"),
        ("a: 1\nb: 2\na: 3\n", "y.yaml:3:1", "duplicate key 'a'"),
        ("? [a]\n: 1\n", "y.yaml:1:3", "a mapping key must be a plain value"),
        ("a: !custom x\n", "y.yaml:1:4", "could not determine a constructor"),
        ("", "y.yaml:1:1", "the file is empty"),
        ("# nothing\n", "y.yaml:1:1", "the file is empty"),
        ("a: 1\n---\nb: 2\n", "y.yaml", "YAML"),
    ],
)
def test_errors_name_file_line_column(text: str, where: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_document(text, Path("y.yaml"))
    message = str(info.value)
    assert message.startswith(where + ":"), message
    assert words in message and "expected" in message


def test_load_document_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin.yaml").write_bytes("a: caf\xe9\n".encode("latin-1"))
    (tmp_path / "dir.yaml").mkdir()
    for name, words in (
        ("missing.yaml", "file not found"),
        ("latin.yaml", "UnicodeDecodeError"),
        ("dir.yaml", "cannot read file"),
    ):
        with pytest.raises(ConfigError) as info:
            load_document(tmp_path / name)
        assert str(info.value).startswith(f"{name}: ") and words in str(info.value)


def test_display_path_is_relative_below_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "sub" / "f.yaml") == "sub/f.yaml"
    assert display_path(Path("/elsewhere/f.yaml")) == "/elsewhere/f.yaml"
    (tmp_path / "sub" / "f.yaml").write_text("a: 1\n")
    assert load_document(tmp_path / "sub" / "f.yaml").display == "sub/f.yaml"
