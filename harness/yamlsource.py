"""YAML documents with the source position of every node.

Suites and target files are plain data once loaded, but every error must point at
`file:line:column`. So the file is composed to nodes (libyaml when present, 12x faster),
turned into plain Python, and the start mark of each node is kept in `marks`, keyed by
the path of keys and indexes that leads to it: the same path jsonschema reports.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, Location

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_STR = "tag:yaml.org,2002:str"
_SCALARS = _constructor.yaml_constructors
"""The safe constructors by tag, called directly: `construct_object` would also keep every
node it ever built in the shared constructor's `constructed_objects` (all of every file)."""


def _scalar(node: yaml.Node) -> Any:
    if node.tag == _STR:
        return node.value
    construct = _SCALARS.get(node.tag)
    if construct is None:  # an unknown tag: the constructor's own error
        return _constructor.construct_object(node)
    return construct(_constructor, node)


PathKey = tuple[Any, ...]


@dataclass
class Document:
    """A loaded YAML file: `data`, and where each part of it came from."""

    path: Path
    data: Any
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    @cached_property
    def display(self) -> str:
        return display_path(self.path)

    def location(self, key_path: PathKey = ()) -> Location:
        """Where the node at `key_path` (or its nearest ancestor) starts."""
        key_path = tuple(key_path)
        while key_path not in self.marks and key_path:
            key_path = key_path[:-1]
        line, column = self.marks.get(key_path, (1, 1))
        return Location(self.display, line, column)

    def error(self, message: str, key_path: PathKey = ()) -> ConfigError:
        return ConfigError(message, self.location(key_path))


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it: shorter messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


MAX_FILE_BYTES = 4 * 1024 * 1024
"""A suite or target file larger than this is no hand-written file: refused unread."""
MAX_VALUES = 100_000
"""Values a document may expand to: YAML aliases can make a small file expand to billions
("billion laughs"); the count stops that before memory does."""
MAX_DEPTH = 64


def load_document(path: str | Path) -> Document:
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(
                f"the file is {path.stat().st_size} bytes; expected a suite or target file of at most "
                f"{MAX_FILE_BYTES} bytes",
                Location(display_path(path)),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found; expected a readable YAML file", Location(display_path(path))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read file ({exc.__class__.__name__}: {exc}); expected a readable UTF-8 YAML file",
            Location(display_path(path)),
        ) from None
    return parse_document(text, path)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a document is built: composing and converting
    make tens of thousands of objects that all live on, and every collection the allocations
    trigger walks all of them again, so that a file's load grew faster than its size (400
    cases cost 1.7x as much per case as 50). Nothing built here is garbage, nor a cycle
    (but for a recursive YAML alias, collected once the collector is back)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_document(text: str, path: Path) -> Document:
    with _collector_paused():
        return _parse_document(text, path)


def _parse_document(text: str, path: Path) -> Document:
    doc = Document(path=path, data=None)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        where = Location(doc.display, mark.line + 1, mark.column + 1) if mark else Location(doc.display)
        hint = ""
        if mark is not None and "${" in text.splitlines()[mark.line if mark.line < len(text.splitlines()) else -1]:
            hint = ' (inside { } or [ ], write a ${...} reference in quotes: "${token}")'
        raise ConfigError(f"YAML syntax error: {problem}; expected well-formed YAML{hint}", where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}; expected well-formed YAML", Location(doc.display)) from None
    if node is None:
        raise ConfigError("the file is empty; expected a YAML mapping", Location(doc.display, 1, 1))
    doc.data = _convert(node, (), doc, [0])
    return doc


def _convert(node: yaml.Node, key_path: PathKey, doc: Document, count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_VALUES or len(key_path) > MAX_DEPTH:
        too = f"more than {MAX_VALUES} values" if count[0] > MAX_VALUES else f"deeper than {MAX_DEPTH} levels"
        raise ConfigError(
            f"the document expands to {too} (YAML aliases repeating a node?); expected a suite or "
            "target file of ordinary size",
            Location(doc.display, node.start_mark.line + 1, node.start_mark.column + 1),
        )
    doc.marks[key_path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(
                    "a mapping key must be a plain value; expected a name",
                    Location(doc.display, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                )
            key = _scalar(key_node)
            if key in out:
                raise ConfigError(
                    f"duplicate key {key!r}; expected each key once",
                    Location(doc.display, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                )
            out[key] = _convert(value_node, key_path + (key,), doc, count)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, key_path + (i,), doc, count) for i, item in enumerate(node.value)]
    if node.tag == _TIMESTAMP:  # JSON has no dates: 2024-01-31 stays the string a bank sends
        return node.value
    try:
        return _scalar(node)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(
            f"{exc.problem}; expected a plain YAML value",
            Location(doc.display, node.start_mark.line + 1, node.start_mark.column + 1),
        ) from None
